//! The bridge driver: a Linux bridge per network holding the gateway address, and a veth
//! pair per endpoint with the sandbox end born inside the sandbox.

use crate::model::{Endpoint, Network, Sandbox, mac_from_ipv4, mac_from_ipv6, parse_mac};
use crate::plan::{Ns, Op};

use super::NetworkDriver;

pub struct Bridge;

fn settings(network: &Network) -> &crate::model::BridgeSettings {
    network
        .bridge
        .as_ref()
        .expect("bridge networks carry bridge settings")
}

/// The gateway's address makes the bridge's MAC (as containers' addresses make theirs):
/// unique on the bridge, and the same after a restore.
pub fn bridge_mac(network: &Network) -> [u8; 6] {
    let mac = match (network.ipam.first(), &network.ipam6) {
        (Some(config), _) => mac_from_ipv4(config.gateway),
        (None, Some(config)) => mac_from_ipv6(config.gateway),
        (None, None) => mac_from_ipv4(std::net::Ipv4Addr::UNSPECIFIED),
    };
    parse_mac(&mac).expect("derived MACs parse")
}

impl NetworkDriver for Bridge {
    fn create(&self, network: &Network) -> Vec<Op> {
        let bridge = settings(network);
        let mac = bridge_mac(network);
        let mut plan = vec![Op::CreateBridge {
            name: bridge.ifname.clone(),
            mtu: bridge.mtu,
            alias: crate::ifnames::mark(&network.id),
            mac,
        }];
        for config in &network.ipam {
            let addr = ipnet::Ipv4Net::new(config.gateway, config.subnet.prefix_len())
                .expect("valid prefix");
            plan.push(Op::AddAddress {
                ns: Ns::Host,
                dev: bridge.ifname.clone(),
                addr: addr.into(),
            });
        }
        if let Some(config) = &network.ipam6 {
            let addr = ipnet::Ipv6Net::new(config.gateway, config.subnet.prefix_len())
                .expect("valid prefix");
            plan.push(Op::AddAddress {
                ns: Ns::Host,
                dev: bridge.ifname.clone(),
                addr: addr.into(),
            });
        }
        // Forwarding, which routing between the bridge and the world needs, is the
        // transaction's: it is host-wide, and whether ctnet turns it on decides its guard.
        // Lets a published port answer on the host's 127.0.0.1: the DNAT'd packet leaves
        // through the bridge with a loopback source, which is then masqueraded.
        plan.push(Op::Sysctl {
            key: format!("net/ipv4/conf/{}/route_localnet", bridge.ifname),
            value: "1".into(),
        });
        plan
    }

    fn delete(&self, network: &Network) -> Vec<Op> {
        vec![Op::DeleteLink {
            ns: Ns::Host,
            dev: settings(network).ifname.clone(),
        }]
    }

    fn join(&self, network: &Network, endpoint: &Endpoint, sandbox: &Sandbox) -> Vec<Op> {
        let bridge = settings(network);
        let mut plan = vec![Op::CreateVeth {
            host_name: endpoint.host_ifname.clone(),
            bridge: bridge.ifname.clone(),
            alias: crate::ifnames::mark(&endpoint.id),
            mtu: bridge.mtu,
            isolated: !bridge.icc,
            peer_ns: sandbox.netns.clone(),
            peer_name: endpoint.ifname.clone(),
            peer_mac: parse_mac(&endpoint.mac).expect("stored MACs are valid"),
        }];
        plan.extend(configure_in_sandbox(network, endpoint, sandbox));
        plan
    }

    fn leave(
        &self,
        _network: &Network,
        endpoint: &Endpoint,
        _sandbox: &Sandbox,
        _alive: bool,
    ) -> Vec<Op> {
        // Deleting the host end removes the sandbox end, its address and its routes.
        vec![Op::DeleteLink {
            ns: Ns::Host,
            dev: endpoint.host_ifname.clone(),
        }]
    }
}

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
