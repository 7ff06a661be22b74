//! `ctnet service create | ls | inspect | rm`: a name on a network whose tasks are the
//! network's sandboxes that carry it as an alias. A `vip` service gets a virtual IP from
//! the network's subnets (on its bridge, so the network's sandboxes reach it), and the
//! kernel spreads connections to it over the tasks; a `dnsrr` service resolves to the
//! tasks' own addresses in turn. Published service ports balance the same way. Tasks come
//! and go with `connect --alias NAME` and `disconnect`, whose firewall changes carry the new
//! backends (see `firewall::elements`).

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use anyhow::Result;
use serde_json::{Value, json};

use super::{Ctx, Tx, mesh, print_table};
use crate::cli::{Format, ServiceCreateArgs};
use crate::cluster::kv::Kv;
use crate::cluster::{self, StoreOp};
use crate::error::UserError;
use crate::ids::{new_id, now, short_id};
use crate::model::{EndpointMode, Network, Service, ServicePort, State, validate_name};
use crate::plan::{Ns, Op};
use crate::{ipam, ipam6, ports, refuse};

/// `PUBLISHED:TARGET[/PROTO]`, on every host address.
fn parse_port(spec: &str) -> Result<ServicePort, UserError> {
    let parsed = ports::parse(spec)?;
    let (Some(published), 1) = (parsed.host_port, parsed.count) else {
        refuse!("invalid service port {spec:?}: expected PUBLISHED:TARGET[/PROTO], one port each");
    };
    if parsed.host_ip.is_some_and(|ip| !ip.is_unspecified()) {
        refuse!("invalid service port {spec:?}: a service publishes on every host address");
    }
    Ok(ServicePort {
        proto: parsed.proto,
        published,
        target: parsed.container_port,
    })
}

/// The service called `name` and its network's index in the state.
fn find<'a>(state: &'a State, name: &str) -> Option<(usize, &'a Service)> {
    state
        .networks
        .iter()
        .enumerate()
        .find_map(|(i, n)| n.services.iter().find(|s| s.name == name).map(|s| (i, s)))
}

/// Every host port published on this host: containers' and services'.
fn host_ports_taken(state: &State) -> Vec<(ports::Proto, u16, String)> {
    let containers = state.published_ports().flat_map(|(sandbox, mapping)| {
        (mapping.pairs()).map(move |(host, _)| (mapping.proto, host, format!("sandbox {sandbox}")))
    });
    let services = state.networks.iter().flat_map(|n| {
        n.services.iter().flat_map(|s| {
            s.ports
                .iter()
                .map(move |p| (p.proto, p.published, format!("service {}", s.name)))
        })
    });
    containers.chain(services).collect()
}

/// Free addresses of `network`'s subnets for a virtual IP: neither a member's nor another
/// service's.
fn virtual_ips(network: &Network) -> Result<(Option<Ipv4Addr>, Option<Ipv6Addr>), UserError> {
    let name = &network.name;
    let vip4 = (network.ipam.first())
        .map(|config| ipam::allocate(config, &network.used4(), None, name))
        .transpose()?;
    let vip6 = (network.ipam6.as_ref())
        .map(|config| ipam6::allocate(config, &network.used6(), None, name))
        .transpose()?;
    Ok((vip4.map(|n| n.addr()), vip6.map(|n| n.addr())))
}

/// The steps that put a service's virtual IPs on its network's bridge (or take them off).
fn vip_steps(network: &Network, service: &Service, add: bool) -> Vec<Op> {
    let Some(bridge) = network.bridge.as_ref() else {
        return Vec::new();
    };
    service
        .vips()
        .map(|vip| {
            let (ns, dev, addr) = (Ns::Host, bridge.ifname.clone(), ipnet::IpNet::from(vip));
            match add {
                true => Op::AddAddress { ns, dev, addr },
                false => Op::DeleteAddress { ns, dev, addr },
            }
        })
        .collect()
}

/// A service's UDP ports appearing or going: the flows a client had to them (translated
/// elsewhere, or to nothing) are forgotten once the firewall has the change.
fn forget_udp_flows(service: &Service) -> Option<Op> {
    let ranges: Vec<_> = (service.ports.iter())
        .filter(|p| p.proto == ports::Proto::Udp)
        .map(|p| p.published..=p.published)
        .collect();
    (!ranges.is_empty()).then_some(Op::ForgetFlows {
        flows: crate::plan::Flows::ToUdpPorts(ranges),
    })
}

pub fn create(ctx: &mut Ctx, args: &ServiceCreateArgs) -> Result<()> {
    validate_name("service", &args.name)?;
    let Some(mode) = EndpointMode::parse(&args.endpoint_mode) else {
        refuse!(
            "invalid --endpoint-mode {:?}: expected vip or dnsrr",
            args.endpoint_mode
        );
    };
    let ports = args
        .publish
        .iter()
        .map(|spec| parse_port(spec))
        .collect::<Result<Vec<_>, _>>()?;
    let mut tx = Tx::begin(ctx)?;
    let network = tx.state.network(&args.network)?.clone();
    let url = cluster::store_of(&network).map(String::from);
    if network.builtin || (network.bridge.is_none() && url.is_none()) {
        refuse!(
            "network {} is neither a user-defined bridge network nor a cluster overlay: services (their virtual IPs and names) live on those",
            network.name
        );
    }
    // A cluster overlay's services are the cluster's: the store has the others.
    let mut kv = url.as_deref().map(Kv::connect).transpose()?;
    let view = match kv.as_mut() {
        Some(kv) => Some(mesh::View::read(kv, &network.name)?),
        None => None,
    };
    if let Some(other) = view
        .iter()
        .flat_map(|v| &v.services)
        .find(|s| s.name == args.name)
    {
        refuse!(
            "service {} already exists in the cluster (on network {}, made {})",
            args.name,
            network.name,
            other.created
        );
    }
    if let Some((i, _)) = find(&tx.state, &args.name) {
        refuse!(
            "service {} already exists (on network {})",
            args.name,
            tx.state.networks[i].name
        );
    }
    if network.has_member(&args.name) {
        refuse!(
            "sandbox {} is on network {}: a service may not take a sandbox's name",
            args.name,
            network.name
        );
    }
    if !ports.is_empty() && network.internal {
        refuse!(
            "network {} is internal: it publishes no ports",
            network.name
        );
    }
    let mut taken = host_ports_taken(&tx.state);
    // A cluster service's ports are every host's: the store's services take theirs too.
    taken.extend(view.iter().flat_map(|v| &v.services).flat_map(|s| {
        (s.ports.iter()).map(|p| (p.proto, p.published, format!("service {}", s.name)))
    }));
    for (i, port) in ports.iter().enumerate() {
        let clash = taken
            .iter()
            .find(|(proto, host, _)| *proto == port.proto && *host == port.published)
            .map(|(_, _, who)| who.clone())
            .or_else(|| {
                ports[..i]
                    .iter()
                    .any(|p| p.proto == port.proto && p.published == port.published)
                    .then(|| "this command".to_string())
            })
            .or_else(|| {
                ctx.kernel
                    .host_port_unavailable(None, port.proto, port.published)
            });
        if let Some(who) = clash {
            refuse!(
                "cannot publish {}/{}: it is already published by {who}",
                port.published,
                port.proto.name()
            );
        }
    }
    let isolated = network.bridge.as_ref().is_some_and(|b| {
        (!network.ipam.is_empty() && b.gateway_mode4 == crate::model::GatewayMode::Isolated)
            || (network.ipam6.is_some() && b.gateway_mode6 == crate::model::GatewayMode::Isolated)
    });
    if isolated && mode == EndpointMode::Vip {
        refuse!(
            "network {} is in gateway mode isolated: its bridge has no address to route a virtual IP by; use --endpoint-mode dnsrr",
            network.name
        );
    }
    let (vip4, vip6) = match (mode, kv.as_mut()) {
        (EndpointMode::Dnsrr, _) => (None, None),
        (EndpointMode::Vip, None) => virtual_ips(&network)?,
        // IPv4 only: the mesh's addresses are.
        (EndpointMode::Vip, Some(kv)) => (Some(cluster::mesh::virtual_ip(kv, &network)?), None),
    };
    let service = Service {
        id: new_id()?,
        name: args.name.clone(),
        mode,
        vip4,
        vip6,
        ports,
        created: now(),
    };
    let id = service.id.clone();
    let udp_flows = forget_udp_flows(&service);
    let mut plan = match (kv.as_mut(), view, url) {
        (Some(kv), Some(mut view), Some(url)) => {
            tx.store_step(
                &url,
                StoreOp::PublishService {
                    network: network.name.clone(),
                    service: service.clone(),
                },
            );
            view.services.push(service);
            let how = mesh::How {
                dry_run: ctx.global.dry_run,
                ..mesh::How::default()
            };
            mesh::settle(&mut tx, kv, &network.id, view, how)?
        }
        _ => {
            let plan = vip_steps(&network, &service, true);
            let stored = (tx.state.networks.iter_mut())
                .find(|n| n.id == network.id)
                .expect("found above");
            stored.services.push(service);
            plan
        }
    };
    plan.extend(udp_flows);
    tx.commit(ctx, plan)?;
    if !ctx.global.dry_run {
        writeln!(ctx.out, "{id}")?;
    }
    Ok(())
}

pub fn rm(ctx: &mut Ctx, names: &[String]) -> Result<()> {
    let mut tx = Tx::begin(ctx)?;
    let mut plan = Vec::new();
    // A cluster network's services go from the store, and this host settles once per
    // network against the store's view without them all.
    let mut from_cluster: BTreeMap<String, Vec<Service>> = BTreeMap::new();
    for name in names {
        let Some((i, service)) = find(&tx.state, name) else {
            refuse!("service {name} not found");
        };
        let service = service.clone();
        let network = &tx.state.networks[i];
        match cluster::store_of(network).map(String::from) {
            None => {
                plan.extend(vip_steps(network, &service, false));
                let network = &mut tx.state.networks[i];
                network.services.retain(|s| s.name != *name);
                let vips = service.vip4.map(IpAddr::V4).into_iter();
                for vip in vips.chain(service.vip6.map(IpAddr::V6)) {
                    network.gave_back(vip);
                }
            }
            Some(url) => {
                let step = StoreOp::WithdrawService {
                    network: network.name.clone(),
                    service: service.clone(),
                };
                let id = network.id.clone();
                tx.store_step(&url, step);
                from_cluster.entry(id).or_default().push(service.clone());
            }
        }
        plan.extend(forget_udp_flows(&service));
    }
    for (id, gone) in from_cluster {
        let network = tx.state.network_by_id(&id).expect("found above");
        let (url, name) = (
            cluster::store_of(network).expect("a cluster network"),
            network.name.clone(),
        );
        let mut kv = Kv::connect(url)?;
        let mut view = mesh::View::read(&mut kv, &name)?;
        view.services
            .retain(|s| !gone.iter().any(|g| g.name == s.name));
        let how = mesh::How {
            dry_run: ctx.global.dry_run,
            ..mesh::How::default()
        };
        plan.extend(mesh::settle(&mut tx, &mut kv, &id, view, how)?);
    }
    tx.commit(ctx, plan)?;
    if !ctx.global.dry_run {
        for name in names {
            writeln!(ctx.out, "{name}")?;
        }
    }
    Ok(())
}

/// A service as Docker's `service inspect` shapes it, where the shapes fit.
fn inspect_json(network: &Network, service: &Service) -> Value {
    let tasks: Vec<Value> = network
        .tasks(&service.name)
        .into_iter()
        .map(|(member, (v4, v6))| json!({"Sandbox": member, "IPv4Address": v4, "IPv6Address": v6}))
        .collect();
    let vips: Vec<Value> = service
        .vips()
        .map(|vip| {
            let prefix = match vip {
                IpAddr::V4(_) => network.ipam.first().map(|c| c.subnet.prefix_len()),
                IpAddr::V6(_) => network.ipam6.as_ref().map(|c| c.subnet.prefix_len()),
            };
            json!({"NetworkID": network.id, "Addr": format!("{vip}/{}", prefix.unwrap_or(32))})
        })
        .collect();
    let ports: Vec<Value> = service
        .ports
        .iter()
        .map(|p| {
            json!({"Protocol": p.proto.name(), "TargetPort": p.target,
                   "PublishedPort": p.published, "PublishMode": "ingress"})
        })
        .collect();
    json!({
        "ID": service.id,
        "CreatedAt": service.created,
        "Spec": {
            "Name": service.name,
            "TaskTemplate": {"Networks": [{"Target": network.name, "Aliases": [service.name]}]},
            "EndpointSpec": {"Mode": service.mode.name(), "Ports": ports},
        },
        "Endpoint": {"Ports": ports, "VirtualIPs": vips},
        "Tasks": tasks,
    })
}

pub fn inspect(ctx: &mut Ctx, names: &[String]) -> Result<()> {
    let state = Tx::read(ctx, false)?;
    let mut found = Vec::new();
    for name in names {
        let Some((i, service)) = find(&state, name) else {
            refuse!("service {name} not found");
        };
        found.push(inspect_json(&state.networks[i], service));
    }
    serde_json::to_writer_pretty(&mut *ctx.out, &found)?;
    writeln!(ctx.out)?;
    Ok(())
}

pub fn ls(ctx: &mut Ctx) -> Result<()> {
    let state = Tx::read(ctx, false)?;
    let services = state
        .networks
        .iter()
        .flat_map(|n| n.services.iter().map(move |s| (n, s)));
    if ctx.global.quiet {
        for (_, s) in services {
            writeln!(ctx.out, "{}", s.name)?;
        }
        return Ok(());
    }
    let rows: Vec<Vec<String>> = services
        .map(|(n, s)| {
            let vips: Vec<String> = s.vips().map(|v| v.to_string()).collect();
            let ports: Vec<String> = s
                .ports
                .iter()
                .map(|p| format!("*:{}->{}/{}", p.published, p.target, p.proto.name()))
                .collect();
            vec![
                short_id(&s.id).into(),
                s.name.clone(),
                n.name.clone(),
                s.mode.name().into(),
                n.tasks_of(&s.name).len().to_string(),
                vips.join(","),
                ports.join(","),
            ]
        })
        .collect();
    match ctx.format() {
        Format::Json => {
            for row in rows {
                let line = json!({"ID": row[0], "Name": row[1], "Network": row[2], "Mode": row[3],
                    "Tasks": row[4], "VirtualIPs": row[5], "Ports": row[6]});
                writeln!(ctx.out, "{line}")?;
            }
            Ok(())
        }
        _ => print_table(
            ctx.out,
            &[
                "ID",
                "NAME",
                "NETWORK",
                "MODE",
                "TASKS",
                "VIRTUAL IPS",
                "PORTS",
            ],
            &rows,
        ),
    }
}
