//! ADD: a sandbox for the container (or the one it has, for a second network), connected
//! as the runtime asks, and the result in the spec's terms.

use std::net::IpAddr;
use std::path::Path;

use anyhow::Result;
use ipnet::IpNet;
use serde_json::Value;

use super::{Request, Tx, commit_removal, network_exists, plan_forget};
use crate::cni::{CniError, CniResult, Code, Dns, Interface, IpConfig, Route};
use crate::commands::{Ctx, connect, sandbox_alive};
use crate::drivers;
use crate::model::{Endpoint, Mac, Network, Sandbox, validate_name};
use crate::ports::{PortSpec, Proto};
use crate::refuse;

pub fn add(ctx: &mut Ctx, request: &Request) -> Result<Value> {
    let (id, ifname) = (request.container_id(), request.ifname());
    let netns = request
        .call
        .netns
        .as_deref()
        .expect("Call::from_env checks ADD's variables");
    let attach = attach_from(request)?;
    if !ctx.kernel.is_netns(netns) {
        // The spec's "container unknown": the runtime has nothing to clean up.
        return Err(CniError::new(
            Code::UnknownContainer,
            format!("CNI_NETNS {} is not a network namespace", netns.display()),
        )
        .into());
    }
    if ctx.global.store.is_none() && !network_exists(ctx, request.network)? {
        return Err(CniError::new(
            Code::InvalidConfig,
            format!(
                "network {} not found: create it with 'ctnet network create'",
                request.network
            ),
        )
        .into());
    }
    let mut tx = Tx::begin_for_one_member(ctx)?;
    let name = match choose_name(&mut tx, ctx, request, netns)? {
        Name::Free(name) => name,
        Name::Ours(sandbox) => {
            // ADD again for an attachment that exists (a runtime retrying): its result.
            let network = tx.state.network(request.network)?.clone();
            if let Some(endpoint) = tx.state.endpoint(&network.id, &sandbox.id) {
                if endpoint.ifname != ifname {
                    refuse!(
                        "container {id} is already on network {} as {}",
                        network.name,
                        endpoint.ifname
                    );
                }
                let result = result_of(ctx, &network, endpoint, &sandbox.netns);
                return Ok(result
                    .after(request.conf.prev_result.clone())
                    .to_json(request.version));
            }
            sandbox.name
        }
        Name::Stale(sandbox) => {
            // The runtime gave the container a new namespace without a DEL for the old
            // one: the old attachments go first, in a transaction of their own.
            let mut plan = Vec::new();
            plan_forget(ctx, &mut tx, &sandbox, |_| true, &mut plan)?;
            let alive = sandbox_alive(ctx.kernel, &sandbox);
            commit_removal(ctx, tx, plan, alive)?;
            tx = Tx::begin_for_one_member(ctx)?;
            sandbox.name
        }
    };
    let (endpoint, network) = connect::join(ctx, tx, request.network, &attach, |tx, kernel| {
        let sandbox = connect::resolve_sandbox(tx, kernel, &name, None, Some(netns))?;
        let stored = tx
            .state
            .sandboxes
            .iter_mut()
            .find(|s| s.id == sandbox.id)
            .expect("resolve_sandbox keeps what it returns");
        stored.container.get_or_insert_with(|| id.to_string());
        Ok(stored.clone())
    })?;
    let result = result_of(ctx, &network, &endpoint, netns);
    Ok(result
        .after(request.conf.prev_result.clone())
        .to_json(request.version))
}

/// The name the container's sandbox goes by.
enum Name {
    /// Nobody has it yet.
    Free(String),
    /// The container's own sandbox, in the same namespace (a second network, or a retry).
    Ours(Sandbox),
    /// The container's own sandbox, but in a namespace the runtime no longer uses.
    Stale(Sandbox),
}

/// The runtime's name for the container (podman's `K8S_POD_NAME`) where it is free or
/// already the container's, else the container id.
fn choose_name(tx: &mut Tx, ctx: &mut Ctx, request: &Request, netns: &Path) -> Result<Name> {
    let id = request.container_id();
    let preferred = (request.call.args.pod_name.as_deref())
        .filter(|name| validate_name("sandbox", name).is_ok());
    let candidates: Vec<&str> = preferred.into_iter().chain([id]).collect();
    // A service's name on the network is no sandbox's to take.
    let service_names: Vec<String> = (tx.state.network(request.network).ok())
        .map(|n| n.services.iter().map(|s| s.name.clone()).collect())
        .unwrap_or_default();
    for name in candidates
        .iter()
        .filter(|n| !service_names.iter().any(|s| s == *n))
    {
        match tx.sandbox(name)? {
            None => return Ok(Name::Free(name.to_string())),
            Some(s) if s.container.as_deref() == Some(id) => {
                let same = s.netns == netns && sandbox_alive(ctx.kernel, &s);
                return Ok(if same { Name::Ours(s) } else { Name::Stale(s) });
            }
            // A sandbox made by hand, or for another container: try the next name.
            Some(_) => {}
        }
    }
    validate_name("sandbox", id)?;
    refuse!(
        "sandboxes named {} exist already and are not container {id}'s",
        candidates.join(" and ")
    )
}

/// What the runtime asks for, from its capabilities and `CNI_ARGS`, typed and checked.
fn attach_from(request: &Request) -> Result<connect::Attach, CniError> {
    let invalid = |msg: String| CniError::new(Code::InvalidConfig, msg);
    let conf = &request.conf.runtime_config;
    let args = &request.call.args;
    let mut attach = connect::Attach {
        ifname: Some(request.ifname().to_string()),
        ..Default::default()
    };
    for text in conf.ips.iter().chain(&args.ips) {
        let ip: IpAddr = match text.parse::<IpNet>() {
            Ok(net) => net.addr(),
            Err(_) => text
                .parse()
                .map_err(|_| invalid(format!("invalid IP address {text:?}")))?,
        };
        let clash = match ip {
            IpAddr::V4(v4) => attach.ipv4.replace(v4).is_some_and(|old| old != v4),
            IpAddr::V6(v6) => attach.ipv6.replace(v6).is_some_and(|old| old != v6),
        };
        if clash {
            return Err(invalid(format!(
                "more than one address of {text}'s family asked for: an endpoint has one per family"
            )));
        }
    }
    if let Some(text) = conf.mac.as_ref().or(args.mac.as_ref()) {
        attach.mac = Some(
            text.parse::<Mac>()
                .map_err(|e| invalid(e.message.clone()))?,
        );
    }
    if let Some(aliases) = &conf.aliases {
        attach.aliases = aliases.for_network(&request.conf.name);
    }
    for port in &conf.port_mappings {
        let proto = Proto::from_name(&port.protocol.to_ascii_lowercase()).ok_or_else(|| {
            invalid(format!(
                "unknown protocol {:?} in portMappings (tcp, udp or sctp)",
                port.protocol
            ))
        })?;
        let host_ip = match port.host_ip.as_str() {
            "" => None,
            text => Some(
                text.parse()
                    .map_err(|_| invalid(format!("invalid hostIP {text:?} in portMappings")))?,
            ),
        };
        if port.container_port == 0 {
            return Err(invalid("portMappings: containerPort 0".into()));
        }
        attach.ports.push(PortSpec {
            proto,
            host_ip,
            // 0: any free port, as `-p 80` picks one.
            host_port: (port.host_port != 0).then_some(port.host_port),
            container_port: port.container_port,
            count: 1,
        });
    }
    attach
        .validate()
        .map_err(|e| CniError::new(Code::InvalidConfig, e.message))?;
    Ok(attach)
}

/// The endpoint in the spec's terms: the host end of its veth (if it has one) and the
/// container's interface, its addresses with their gateways, the default routes it got,
/// and ctnet's resolver where it answers on this network.
pub(super) fn result_of(
    ctx: &Ctx,
    network: &Network,
    endpoint: &Endpoint,
    netns: &Path,
) -> CniResult {
    let mut result = CniResult::default();
    if !endpoint.host_ifname.is_empty() {
        result.interfaces.push(Interface {
            name: endpoint.host_ifname.clone(),
            mac: None,
            sandbox: None,
        });
    }
    result.interfaces.push(Interface {
        name: endpoint.ifname.clone(),
        mac: endpoint.mac.map(|m| m.to_string()),
        sandbox: Some(netns.display().to_string()),
    });
    let inside = result.interfaces.len() - 1;
    let gateway_here = drivers::for_network(network).is_ok_and(|d| d.egress().gateway_here());
    let gateway4 = network
        .ipam
        .first()
        .map(|c| IpAddr::V4(c.gateway))
        .filter(|_| gateway_here);
    let gateway6 = (network.ipam6.as_ref())
        .map(|c| IpAddr::V6(c.gateway))
        .filter(|_| gateway_here);
    let families = [
        (
            endpoint.ipv4.map(IpNet::V4),
            gateway4,
            endpoint.default_route,
            "0.0.0.0/0",
        ),
        (
            endpoint.ipv6.map(IpNet::V6),
            gateway6,
            endpoint.default_route6,
            "::/0",
        ),
    ];
    for (address, gateway, default_route, any) in families {
        let Some(address) = address else { continue };
        result.ips.push(IpConfig {
            address,
            gateway,
            interface: Some(inside),
        });
        if default_route {
            result.routes.push(Route {
                dst: any.parse().expect("a valid prefix"),
                gw: gateway,
            });
        }
    }
    let resolver = super::super::dns::listening(&ctx.global.state_dir);
    result.dns = Dns {
        nameservers: [gateway4, gateway6]
            .into_iter()
            .flatten()
            .filter(|ip| resolver.contains(ip))
            .collect(),
        ..Dns::default()
    };
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cni::{Call, CniArgs, NetConf, SpecVersion, Verb};

    fn request_parts(runtime_config: serde_json::Value, args: &str) -> (Call, NetConf) {
        let call = Call {
            verb: Verb::Add,
            container_id: Some("c1".into()),
            netns: Some("/run/netns/c1".into()),
            ifname: Some("eth1".into()),
            args: CniArgs::parse(args).unwrap(),
        };
        let conf = serde_json::from_value(serde_json::json!({
            "cniVersion": "1.0.0", "name": "front", "type": "ctnet",
            "runtimeConfig": runtime_config,
        }))
        .unwrap();
        (call, conf)
    }

    fn attach(runtime_config: serde_json::Value, args: &str) -> Result<connect::Attach, CniError> {
        let (call, conf) = request_parts(runtime_config, args);
        attach_from(&Request {
            call: &call,
            conf: &conf,
            network: "front",
            version: SpecVersion::V1_0,
        })
    }

    #[test]
    fn capabilities_and_cni_args_become_one_typed_request() {
        let a = attach(
            serde_json::json!({
                "ips": ["10.5.0.9/24", "fd00::9"],
                "mac": "02:00:00:00:00:09",
                "aliases": {"front": ["db"], "back": ["other"]},
                "portMappings": [
                    {"hostPort": 8080, "containerPort": 80, "protocol": "TCP"},
                    {"hostPort": 0, "containerPort": 53, "protocol": "udp", "hostIP": "127.0.0.1"}
                ]
            }),
            "IgnoreUnknown=1;IP=10.5.0.9",
        )
        .unwrap();
        assert_eq!(a.ipv4, Some("10.5.0.9".parse().unwrap()));
        assert_eq!(a.ipv6, Some("fd00::9".parse().unwrap()));
        assert_eq!(a.mac.unwrap().to_string(), "02:00:00:00:00:09");
        assert_eq!(a.aliases, ["db"]);
        assert_eq!(a.ifname.as_deref(), Some("eth1"));
        assert_eq!(a.ports[0].proto, Proto::Tcp);
        assert_eq!(a.ports[0].host_port, Some(8080));
        assert_eq!(a.ports[1].host_port, None, "hostPort 0 picks a free port");
        assert_eq!(a.ports[1].host_ip, Some("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn contradictions_and_nonsense_are_invalid_config() {
        for (rc, args) in [
            (serde_json::json!({"ips": ["10.5.0.9"]}), "IP=10.5.0.10"),
            (serde_json::json!({"ips": ["ten"]}), ""),
            (serde_json::json!({"mac": "nope"}), ""),
            (serde_json::json!({"aliases": ["-bad"]}), ""),
            (
                serde_json::json!({"portMappings": [{"hostPort": 1, "containerPort": 0}]}),
                "",
            ),
        ] {
            let err = attach(rc.clone(), args).unwrap_err();
            assert_eq!(err.code, Code::InvalidConfig, "{rc} {args}: {}", err.msg);
        }
    }
}
