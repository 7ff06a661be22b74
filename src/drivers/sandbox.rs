//! What every driver does inside the sandbox once its interface is there: addresses,
//! default routes, lo.

use crate::model::{Endpoint, Network, Sandbox};
use crate::plan::{Ns, Op};

/// What every driver does once its interface is inside the sandbox: tag it, bring it up,
/// give it its address and (for the first network) the default route, then lo up.
pub fn configure_in_sandbox(network: &Network, endpoint: &Endpoint, sandbox: &Sandbox) -> Vec<Op> {
    let ns = Ns::Path(sandbox.netns.clone());
    let dev = || endpoint.ifname.clone();
    let mut plan = vec![
        Op::PrepareLink {
            ns: ns.clone(),
            dev: dev(),
            alias: crate::ifnames::mark(&endpoint.id),
            link_local: endpoint.ipv6.is_some(),
        },
        Op::LinkUp {
            ns: ns.clone(),
            dev: dev(),
        },
    ];
    for addr in endpoint.addresses() {
        plan.push(Op::AddAddress {
            ns: ns.clone(),
            dev: dev(),
            addr,
        });
    }
    plan.extend(default_routes(network, endpoint, sandbox, false));
    // Last, since it is not undone: a sandbox made by --pid or `ip netns add` may have lo
    // down, and a failed connect should leave it as it was.
    plan.push(Op::LinkUp {
        ns,
        dev: "lo".into(),
    });
    plan
}

/// The sandbox's default routes (IPv4, and IPv6 on a dual-stack network) through this
/// network's gateways; `replace` takes over from those of a network the sandbox is leaving.
pub fn default_routes(
    network: &Network,
    endpoint: &Endpoint,
    sandbox: &Sandbox,
    replace: bool,
) -> Vec<Op> {
    let ns = Ns::Path(sandbox.netns.clone());
    let routed = network.lan().is_some_and(|lan| lan.routed());
    let mut routes = Vec::new();
    if let (Some(config), Some(_), true) =
        (network.ipam.first(), endpoint.ipv4, endpoint.default_route)
    {
        routes.push(Op::AddDefaultRoute {
            replace,
            ns: ns.clone(),
            dev: endpoint.ifname.clone(),
            // ipvlan in l3 mode: the parent routes, there is no gateway to reach.
            gateway: (!routed).then_some(config.gateway),
        });
    }
    if let (Some(config), Some(_), true) = (&network.ipam6, endpoint.ipv6, endpoint.default_route6)
    {
        routes.push(Op::AddDefaultRoute6 {
            replace,
            ns,
            dev: endpoint.ifname.clone(),
            gateway: (!routed).then_some(config.gateway),
        });
    }
    routes
}

/// An endpoint as a veth: the host end a port of `bridge` (isolated from the other ports
/// for icc=false), the sandbox end born inside the sandbox and configured there.
pub fn join_by_veth(
    bridge: &str,
    mtu: Option<u32>,
    isolated: bool,
    network: &Network,
    endpoint: &Endpoint,
    sandbox: &Sandbox,
) -> Vec<Op> {
    let mut plan = vec![Op::CreateVeth {
        host_name: endpoint.host_ifname.clone(),
        bridge: bridge.to_string(),
        alias: crate::ifnames::mark(&endpoint.id),
        mtu,
        isolated,
        peer_ns: sandbox.netns.clone(),
        peer_name: endpoint.ifname.clone(),
        peer_mac: endpoint.mac,
    }];
    plan.extend(configure_in_sandbox(network, endpoint, sandbox));
    plan
}

/// Leaving, for an endpoint that lives only inside its sandbox (a macvlan or ipvlan child,
/// a link's end): its interface goes there. A namespace that is gone took it along, and
/// one that replaced it (a reused PID) is not ours to touch.
pub fn leave_inside(endpoint: &Endpoint, sandbox: &Sandbox, alive: bool) -> Vec<Op> {
    if !alive {
        return Vec::new();
    }
    vec![Op::DeleteLink {
        ns: Ns::Path(sandbox.netns.clone()),
        dev: endpoint.ifname.clone(),
    }]
}
