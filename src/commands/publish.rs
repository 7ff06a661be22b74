//! `ctnet publish`, `ctnet unpublish`, `ctnet port`, and the ports of `connect -p`.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};

use anyhow::Result;
use serde_json::{Value, json};

use super::{Ctx, Tx};
use crate::cli::Format;
use crate::error::UserError;
use crate::model::{Endpoint, Network, State};
use crate::ports::{self, PortMapping, PortSpec, RANDOM_PORTS};
use crate::refuse;
use crate::sys::Kernel;

/// Parses every spec before anything else happens.
pub fn parse_specs(specs: &[String]) -> Result<Vec<PortSpec>, UserError> {
    specs.iter().map(|s| ports::parse(s)).collect()
}

/// Turns specs into mappings for an endpoint on `network`: host address from the spec or
/// the network's `host_binding_ipv4`, host ports given or picked from 32768-60999, none
/// colliding with a port published anywhere on the host or held by a host process.
pub fn allocate(
    state: &State,
    kernel: &dyn Kernel,
    network: &Network,
    specs: &[PortSpec],
) -> Result<Vec<PortMapping>> {
    if !crate::drivers::routes(network) || network.internal {
        refuse!(
            "network {} does not publish ports (only non-internal bridge networks do)",
            network.name
        );
    }
    if network.routed_only() {
        return Ok(routed_mappings(network, specs));
    }
    let default_ip = network
        .bridge
        .as_ref()
        .and_then(|b| b.host_binding)
        .filter(|ip| !ip.is_unspecified() && !network.ipam.is_empty())
        .map(IpAddr::V4);
    let mut taken: Vec<(PortMapping, Owner)> = state
        .published_ports()
        .map(|(sandbox, mapping)| (*mapping, Owner::Sandbox(sandbox)))
        .collect();
    // Services publish on every host address, through nft alone (no socket to find).
    taken.extend(state.networks.iter().flat_map(|n| {
        n.services.iter().flat_map(|s| {
            s.ports.iter().map(|p| {
                let mapping = PortMapping {
                    proto: p.proto,
                    host_ip: None,
                    host_port: p.published,
                    container_port: p.target,
                    count: 1,
                };
                (mapping, Owner::Service(&s.name))
            })
        })
    }));
    let mut out = Vec::new();
    for spec in specs {
        if spec.host_ip.is_some_and(|ip| ip.is_ipv4()) && network.ipam.is_empty() {
            refuse!(
                "cannot publish {spec}: network {} is IPv6-only (publish on [::] or an IPv6 address)",
                network.name
            );
        }
        if spec.host_ip.is_some_and(|ip| ip.is_ipv6()) && network.ipam6.is_none() {
            refuse!(
                "cannot publish {spec}: network {} has no IPv6 subnet (create it with --ipv6)",
                network.name
            );
        }
        let host_ip = spec.host_ip.or(default_ip);
        let fits = |start: u16| -> Result<PortMapping, String> {
            if u32::from(start) + u32::from(spec.count) - 1 > 65535 {
                return Err("the range runs past port 65535".into());
            }
            let candidate = PortMapping {
                proto: spec.proto,
                host_ip,
                host_port: start,
                container_port: spec.container_port,
                count: spec.count,
            };
            if let Some((_, owner)) = taken.iter().find(|(m, _)| m.collides(&candidate)) {
                return Err(format!("it is already published by {owner}"));
            }
            for (port, _) in candidate.pairs() {
                if let Some(why) = kernel.host_port_unavailable(host_ip, spec.proto, port) {
                    return Err(why);
                }
            }
            Ok(candidate)
        };
        let mapping = match spec.host_port {
            Some(start) => fits(start).map_err(|why| {
                UserError::new(format!(
                    "cannot publish {spec}: host port {start}/{}: {why}",
                    spec.proto.name()
                ))
            })?,
            None => pick_free(&taken, spec, host_ip)
                .and_then(|start| fits(start).ok())
                .ok_or_else(|| {
                    UserError::new(format!(
                        "cannot publish {spec}: no free host port in 32768-60999"
                    ))
                })?,
        };
        taken.push((mapping, Owner::ThisCommand));
        out.push(mapping);
    }
    Ok(out)
}

/// Mappings on a network in gateway mode routed, as Docker makes them: the container's
/// ports open at its own address, so a host port means nothing (and a host address only
/// which family), and nothing can collide.
fn routed_mappings(network: &Network, specs: &[PortSpec]) -> Vec<PortMapping> {
    specs
        .iter()
        .map(|spec| {
            let specific_ip = spec.host_ip.filter(|ip| !ip.is_unspecified());
            if spec.host_port.is_some() || specific_ip.is_some() {
                eprintln!(
                    "ctnet: warning: network {} is in gateway mode routed: {spec} opens port {} at the container's address; the host address and port are not used",
                    network.name, spec.container_port
                );
            }
            PortMapping {
                proto: spec.proto,
                host_ip: spec.host_ip.map(|ip| match ip {
                    IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
                    IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::UNSPECIFIED),
                }),
                host_port: spec.container_port,
                container_port: spec.container_port,
                count: spec.count,
            }
        })
        .collect()
}

/// Who holds a host port: named in a refusal only, so it is kept as a reference.
enum Owner<'a> {
    Sandbox(&'a str),
    Service(&'a str),
    ThisCommand,
}

impl std::fmt::Display for Owner<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            Owner::Sandbox(name) => write!(f, "sandbox {name}"),
            Owner::Service(name) => write!(f, "service {name}"),
            Owner::ThisCommand => f.write_str("this command"),
        }
    }
}

/// The lowest start in Docker's ephemeral range whose `count` ports no published mapping
/// of the same protocol and address holds.
fn pick_free(
    taken: &[(PortMapping, Owner)],
    spec: &PortSpec,
    host_ip: Option<IpAddr>,
) -> Option<u16> {
    let probe = |port| PortMapping {
        proto: spec.proto,
        host_ip,
        host_port: port,
        container_port: port,
        count: 1,
    };
    let used: HashSet<u16> = taken
        .iter()
        .filter(|(m, _)| m.proto == spec.proto && m.collides(&probe(m.host_port)))
        .flat_map(|(m, _)| m.pairs().map(|(host, _)| host))
        .collect();
    let (low, high) = (*RANDOM_PORTS.start(), *RANDOM_PORTS.end());
    let mut start = low;
    while u32::from(start) + u32::from(spec.count) - 1 <= u32::from(high) {
        match (0..spec.count).find(|i| used.contains(&(start + i))) {
            None => return Some(start),
            Some(i) => start += i + 1,
        }
    }
    None
}

/// The endpoint that receives a sandbox's published ports: the one giving its default
/// route, else its first endpoint on a bridge network that is not internal.
fn publishing_endpoint<'a>(
    state: &'a State,
    sandbox_id: &'a str,
    sandbox_name: &str,
) -> Result<&'a Endpoint, UserError> {
    let on_bridge = |ep: &&Endpoint| {
        state
            .network_by_id(&ep.network_id)
            .is_some_and(|n| crate::drivers::routes(n) && !n.internal)
    };
    let endpoints: Vec<&Endpoint> = state
        .endpoints_of_sandbox(sandbox_id)
        .filter(on_bridge)
        .collect();
    let on_lan = state.endpoints_of_sandbox(sandbox_id).any(|ep| {
        state
            .network_by_id(&ep.network_id)
            .is_some_and(|n| n.lan().is_some())
    });
    if endpoints.is_empty() && on_lan {
        return Err(UserError::new(format!(
            "sandbox {sandbox_name} is only on macvlan or ipvlan networks, which publish no \
             ports: its own address is on the LAN, reach it there"
        )));
    }
    endpoints
        .iter()
        .find(|ep| ep.default_route || ep.default_route6)
        .or(endpoints.first())
        .copied()
        .ok_or_else(|| {
            UserError::new(format!(
                "sandbox {sandbox_name} is not connected to any bridge network"
            ))
        })
}

pub fn publish(ctx: &mut Ctx, name: &str, specs: &[String]) -> Result<()> {
    let specs = parse_specs(specs)?;
    let mut tx = Tx::begin(ctx)?;
    let Some(sandbox) = tx.sandbox(name)? else {
        refuse!("sandbox {name} not found");
    };
    // Ports to a container that is gone would lead nowhere (and hold the host port).
    if !super::sandbox_alive(ctx.kernel, &sandbox) {
        refuse!(
            "sandbox {name}'s namespace {} is gone: remove it with 'ctnet gc'",
            sandbox.netns.display()
        );
    }
    let endpoint = publishing_endpoint(&tx.state, &sandbox.id, &sandbox.name)?.clone();
    let network = tx
        .state
        .network_by_id(&endpoint.network_id)
        .expect("known network")
        .clone();
    let mappings = allocate(&tx.state, ctx.kernel, &network, &specs)?;
    let ep = tx
        .state
        .endpoints
        .iter_mut()
        .find(|e| e.id == endpoint.id)
        .expect("loaded");
    ep.ports.extend(mappings.iter().copied());
    tx.commit(ctx, vec![])?;
    if !ctx.global.dry_run {
        for mapping in &mappings {
            for line in ports::describe(mapping) {
                writeln!(ctx.out, "{line}")?;
            }
        }
    }
    Ok(())
}

pub fn unpublish(ctx: &mut Ctx, name: &str, specs: &[String]) -> Result<()> {
    let specs = parse_specs(specs)?;
    let mut tx = Tx::begin(ctx)?;
    let Some(sandbox) = tx.sandbox(name)? else {
        refuse!("sandbox {name} not found");
    };
    for spec in &specs {
        let matches = |m: &PortMapping| {
            m.proto == spec.proto
                && m.container_port == spec.container_port
                && m.count == spec.count
                && spec.host_port.is_none_or(|p| p == m.host_port)
                && spec.host_ip.is_none_or(|ip| Some(ip) == m.host_ip)
        };
        // With a host port given, each endpoint's list is searched for it, not parsed whole.
        let taken = (tx.state.endpoints.iter_mut())
            .filter(|e| e.sandbox_id == sandbox.id)
            .find_map(|e| e.ports.take_first(spec.host_port, matches));
        if taken.is_none() {
            refuse!(
                "sandbox {} has no published port matching {spec}",
                sandbox.name
            );
        }
    }
    tx.commit(ctx, vec![])
}

pub fn port(ctx: &mut Ctx, name: &str) -> Result<()> {
    let mut tx = Tx::begin(ctx)?;
    let Some(sandbox) = tx.sandbox(name)? else {
        refuse!("sandbox {name} not found");
    };
    let mut mappings: Vec<PortMapping> = tx
        .state
        .endpoints_of_sandbox(&sandbox.id)
        .flat_map(|e| e.ports.iter().copied())
        .collect();
    mappings.sort_by_key(|m| (m.container_port, m.proto, m.host_ip, m.host_port));
    tx.commit(ctx, vec![])?;
    match ctx.format() {
        Format::Table | Format::Dot | Format::Mermaid => {
            for mapping in &mappings {
                for line in ports::describe(mapping) {
                    writeln!(ctx.out, "{line}")?;
                }
            }
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut *ctx.out, &ports_json(&mappings))?;
            writeln!(ctx.out)?;
        }
    }
    Ok(())
}

/// Docker's `NetworkSettings.Ports` shape: `{"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}`.
pub fn ports_json(mappings: &[PortMapping]) -> Value {
    let mut out = serde_json::Map::new();
    for mapping in mappings {
        let ip = mapping
            .host_ip
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
            .to_string();
        for (host, container) in mapping.pairs() {
            let key = format!("{container}/{}", mapping.proto.name());
            let entry = out.entry(key).or_insert_with(|| json!([]));
            if let Value::Array(list) = entry {
                list.push(json!({ "HostIp": ip, "HostPort": host.to_string() }));
            }
        }
    }
    Value::Object(out)
}
