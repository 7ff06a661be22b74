//! Whether ctnet's policy lets some traffic through, and what decides it: pure, from the
//! state. The rules named are the ones `firewall/skeleton.nft` has; the words say what a
//! learner should take from them.

use std::net::IpAddr;

use crate::model::{Driver, Endpoint, GatewayMode, Network, Sandbox, State};
use crate::ports::Proto;

/// One end of the question.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    Sandbox(String),
    /// This host itself (its own processes).
    Host,
    /// Anything beyond this host (an address outside every ctnet network, or none given).
    Outside(Option<IpAddr>),
}

/// A port of a protocol.
pub type Port = (Proto, u16);

/// What the question is about: to where, and to which port.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub from: Place,
    pub to: Place,
    pub port: Option<Port>,
}

/// The answer: allowed or not, why in words, and the rule (or kernel fact) that decides.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub allowed: bool,
    pub because: String,
    pub rule: Option<String>,
}

fn allowed(because: String, rule: Option<String>) -> Verdict {
    Verdict {
        allowed: true,
        because,
        rule,
    }
}

fn denied(because: String, rule: Option<String>) -> Verdict {
    Verdict {
        allowed: false,
        because,
        rule,
    }
}

/// A sandbox's endpoints with their networks.
fn attachments<'a>(state: &'a State, sandbox: &'a Sandbox) -> Vec<(&'a Endpoint, &'a Network)> {
    (state.endpoints_of_sandbox(&sandbox.id))
        .filter_map(|ep| Some((ep, state.network_by_id(&ep.network_id)?)))
        .collect()
}

fn port_text(port: Option<Port>) -> String {
    port.map_or_else(String::new, |(proto, p)| {
        format!(" port {p}/{}", proto.name())
    })
}

pub fn decide(state: &State, question: &Question) -> Verdict {
    let sandbox = |name: &str| state.sandboxes.iter().find(|s| s.name == name);
    match (&question.from, &question.to) {
        (Place::Sandbox(a), Place::Sandbox(b)) => match (sandbox(a), sandbox(b)) {
            (Some(a), Some(b)) => between_sandboxes(state, a, b, question.port),
            _ => denied("no such sandbox".into(), None),
        },
        (Place::Sandbox(a), Place::Outside(_)) => match sandbox(a) {
            Some(a) => to_outside(state, a),
            None => denied("no such sandbox".into(), None),
        },
        (from @ (Place::Host | Place::Outside(_)), Place::Sandbox(b)) => match sandbox(b) {
            Some(b) => into_sandbox(state, from == &Place::Host, b, question.port),
            None => denied("no such sandbox".into(), None),
        },
        (Place::Sandbox(a), Place::Host) => match sandbox(a) {
            Some(a) => to_host(state, a),
            None => denied("no such sandbox".into(), None),
        },
        _ => denied(
            "ctnet's policy is about sandboxes: name one at either end".into(),
            None,
        ),
    }
}

/// Two sandboxes: on a network together (the network's own rules), or apart (the host
/// routes between networks, and isolates them).
fn between_sandboxes(state: &State, a: &Sandbox, b: &Sandbox, port: Option<Port>) -> Verdict {
    let theirs = attachments(state, b);
    let shared: Vec<(&Endpoint, &Network)> = (attachments(state, a).into_iter())
        .filter(|(_, n)| theirs.iter().any(|(_, m)| m.id == n.id))
        .collect();
    if let Some((_, network)) = shared.first() {
        return on_one_network(network, &a.name, &b.name);
    }
    // Apart: through a's gateway, the host's forward chain, towards b's network.
    let Some((_, from_net)) = (attachments(state, a).into_iter()).find(|(e, _)| e.default_route)
    else {
        return denied(
            format!(
                "{} shares no network with {} and has no default route (its networks are internal, links or without a gateway): no way there",
                a.name, b.name
            ),
            None,
        );
    };
    let Some((_, to_net)) = theirs.first() else {
        return denied(format!("{} is on no network", b.name), None);
    };
    if to_net.internal {
        return denied(
            format!(
                "{} is only on internal network {}: nothing is routed into it",
                b.name, to_net.name
            ),
            Some("oifname @internal drop   # chain forward".into()),
        );
    }
    let routed = to_net
        .bridge
        .as_ref()
        .is_some_and(|br| br.gateway_mode4 == GatewayMode::Routed);
    let published = port.is_some_and(|(proto, p)| published_port(state, b, proto, p).is_some());
    if routed && published {
        return allowed(
            format!(
                "network {} is in gateway mode routed and {}{} is published: open at its own address",
                to_net.name,
                b.name,
                port_text(port)
            ),
            Some(
                "ip daddr . meta l4proto . th dport @routed_ports accept   # chain gateway_modes"
                    .into(),
            ),
        );
    }
    denied(
        format!(
            "{} (network {}) and {} (network {}) share no network: the host routes between them, and ctnet isolates networks from each other as Docker does{}",
            a.name,
            from_net.name,
            b.name,
            to_net.name,
            if published {
                "; its published port is for the host's addresses: ask for the host's address and the host port"
            } else {
                ""
            }
        ),
        Some("oifname @bridges drop   # chain forward".into()),
    )
}

/// Two sandboxes on one network: what the driver makes of it.
fn on_one_network(network: &Network, a: &str, b: &str) -> Verdict {
    let name = &network.name;
    match network.driver {
        Driver::Bridge => {
            let bridge = network.bridge.as_ref();
            if bridge.is_some_and(|br| !br.icc) {
                return denied(
                    format!(
                        "{a} and {b} are on network {name}, which has icc=false: the bridge's ports are isolated from each other"
                    ),
                    Some(
                        "bridge link set dev PORT isolated on   # each endpoint's host end".into(),
                    ),
                );
            }
            allowed(
                format!(
                    "{a} and {b} are both on bridge network {name} ({}): the bridge switches their frames; no firewall rule is in the way",
                    bridge.map_or("", |br| br.ifname.as_str())
                ),
                None,
            )
        }
        Driver::P2p => allowed(
            format!("{a} and {b} are the two ends of link {name}: a veth straight between them"),
            None,
        ),
        Driver::Overlay => allowed(
            format!("{a} and {b} are both on overlay {name}: one L2 segment across hosts (VXLAN)"),
            None,
        ),
        Driver::Macvlan | Driver::Ipvlan => allowed(
            format!(
                "{a} and {b} are both on {} network {name}: children of {} on the LAN, switched by the parent",
                network.driver.name(),
                network.lan().map_or("", |l| l.parent.as_str())
            ),
            None,
        ),
        Driver::Host | Driver::Null => denied(format!("network {name} has no endpoints"), None),
    }
}

/// A sandbox towards the world beyond the host.
fn to_outside(state: &State, a: &Sandbox) -> Verdict {
    let Some((_, network)) = (attachments(state, a).into_iter()).find(|(e, _)| e.default_route)
    else {
        let overlay =
            (attachments(state, a).into_iter()).find(|(_, n)| n.driver == Driver::Overlay);
        return match overlay {
            Some(_) => denied(
                format!(
                    "{} is only on internal networks: an internal overlay has no gateway bridge",
                    a.name
                ),
                None,
            ),
            None => denied(
                format!(
                    "{} has no default route: its networks are internal, links or without a gateway",
                    a.name
                ),
                None,
            ),
        };
    };
    let name = &network.name;
    match network.driver {
        Driver::Macvlan | Driver::Ipvlan => allowed(
            format!(
                "{} is on the LAN itself (network {name}): its router takes it further; ctnet is not in the way",
                a.name
            ),
            None,
        ),
        _ if network.internal => denied(
            format!("network {name} is internal"),
            Some("iifname @internal drop   # chain forward".into()),
        ),
        _ => match network.bridge.as_ref() {
            Some(bridge) if bridge.masquerade => allowed(
                format!(
                    "through its gateway on network {name} ({}), routed by the host and masqueraded to the host's address",
                    bridge.ifname
                ),
                Some(
                    "ip saddr @egress_nets oifname != @bridges masquerade   # chain postrouting"
                        .into(),
                ),
            ),
            Some(bridge) => allowed(
                format!(
                    "through its gateway on network {name} ({}), routed by the host with its own address (masquerade off: the far side needs a route back)",
                    bridge.ifname
                ),
                None,
            ),
            None => denied(format!("network {name} has no way out here"), None),
        },
    }
}

/// The published mapping of `sandbox` for container port `port`, if any.
fn published_port(
    state: &State,
    sandbox: &Sandbox,
    proto: Proto,
    port: u16,
) -> Option<(u16, Option<IpAddr>, IpAddr)> {
    state.endpoints_of_sandbox(&sandbox.id).find_map(|ep| {
        let mapping = ep
            .ports
            .iter()
            .find(|m| m.proto == proto && m.pairs().any(|(_, c)| c == port))?;
        let (host, _) = mapping.pairs().find(|(_, c)| *c == port)?;
        let to = ep.ipv4.map(|a| IpAddr::V4(a.addr()))?;
        Some((host, mapping.host_ip, to))
    })
}

/// The host or the world towards a sandbox (and a port of it).
fn into_sandbox(state: &State, from_host: bool, b: &Sandbox, port: Option<Port>) -> Verdict {
    if let Some((proto, p)) = port
        && let Some((host_port, host_ip, to)) = published_port(state, b, proto, p)
    {
        let on = host_ip.map_or("every host address".to_string(), |ip| ip.to_string());
        let map = if host_ip.is_some() {
            "dnat_ip"
        } else {
            "dnat_any"
        };
        return allowed(
            format!(
                "{}{} is published on host port {host_port} ({on}): the host translates it to {to}:{p}",
                b.name,
                port_text(port)
            ),
            Some(format!(
                "dnat ip to meta l4proto . th dport map @{map}   # chain {}, element {} . {host_port} : {to} . {p}; then oifname @bridges ct status dnat accept   # chain forward",
                if from_host { "output" } else { "prerouting" },
                proto.name()
            )),
        );
    }
    let nets = attachments(state, b);
    if from_host {
        if let Some((_, network)) = nets.iter().find(|(_, n)| n.driver == Driver::Bridge) {
            return allowed(
                format!(
                    "the host is on network {} (its gateway {}): it reaches {} directly; ctnet filters what is forwarded, not the host's own traffic",
                    network.name,
                    network
                        .ipam
                        .first()
                        .map_or(String::new(), |c| c.gateway.to_string()),
                    b.name
                ),
                None,
            );
        }
        if let Some((_, network)) = nets.iter().find(|(_, n)| n.lan().is_some()) {
            return denied(
                format!(
                    "{} is a {} child of {}: the kernel does not let a host reach its own children through their parent",
                    b.name,
                    network.driver.name(),
                    network.lan().map_or("", |l| l.parent.as_str())
                ),
                None,
            );
        }
        return denied(
            format!("the host has no address on any network of {}", b.name),
            None,
        );
    }
    if let Some((_, network)) = nets.iter().find(|(_, n)| n.lan().is_some()) {
        return allowed(
            format!(
                "{} is on the LAN itself (network {}): whatever is on the LAN reaches it",
                b.name, network.name
            ),
            None,
        );
    }
    let unprotected = nets.iter().find(|(_, n)| {
        n.bridge
            .as_ref()
            .is_some_and(|br| br.gateway_mode4 == GatewayMode::NatUnprotected)
    });
    if let Some((_, network)) = unprotected {
        return allowed(
            format!("network {} is in gateway mode nat-unprotected: every port is open to direct routing", network.name),
            Some("iifname != @bridges meta nfproto . oifname @unprotected accept   # chain gateway_modes".into()),
        );
    }
    denied(
        format!(
            "nothing publishes {}{}: from outside, only published ports reach a sandbox",
            b.name,
            port_text(port)
        ),
        Some("oifname @bridges drop   # chain forward".into()),
    )
}

/// A sandbox towards its host.
fn to_host(state: &State, a: &Sandbox) -> Verdict {
    match attachments(state, a)
        .into_iter()
        .find(|(_, n)| n.driver == Driver::Bridge)
    {
        Some((_, network)) => allowed(
            format!(
                "the host is {}'s gateway on network {} ({}): ctnet does not filter what reaches the host itself",
                a.name,
                network.name,
                network
                    .ipam
                    .first()
                    .map_or(String::new(), |c| c.gateway.to_string())
            ),
            None,
        ),
        None => denied(
            format!("{} is on no network with the host on it", a.name),
            None,
        ),
    }
}
