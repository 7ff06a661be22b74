//! The bridge driver: a Linux bridge per network holding the gateway address, and a veth
//! pair per endpoint with the sandbox end born inside the sandbox. Its networks route and
//! masquerade through the host and publish ports.

mod options;

use anyhow::Result;

pub use options::BridgeOptions;

use super::sandbox::join_by_veth;
use super::{Egress, Host, NetworkDriver, NetworkRequest};
use crate::ifnames;
use crate::model::{BridgeSettings, Driver, Endpoint, GatewayMode, Mac, Network, Sandbox};
use crate::plan::{Ns, Op};
use crate::refuse;

pub struct Bridge;

/// Docker's `docker_gwbridge`: the bridge network through which overlay endpoints reach the
/// outside and publish ports. Made on a host with its first overlay endpoint; closed
/// between its endpoints (icc=false), so containers never talk to each other over it.
pub const GATEWAY_BRIDGE: &str = "ctnet_gwbridge";

/// The default network `bridge`, on `ctnet0`, as Docker's on `docker0`.
pub fn default_request() -> NetworkRequest {
    let mut request = NetworkRequest::new("bridge", Driver::Bridge);
    request.builtin = true;
    request.options = [("com.docker.network.bridge.name", ifnames::DEFAULT_BRIDGE)]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    request
}

/// The options Docker shows on its default bridge (scripts sometimes read them).
pub fn default_options() -> std::collections::BTreeMap<String, String> {
    [
        ("com.docker.network.bridge.default_bridge", "true"),
        ("com.docker.network.bridge.enable_icc", "true"),
        ("com.docker.network.bridge.enable_ip_masquerade", "true"),
        ("com.docker.network.bridge.name", ifnames::DEFAULT_BRIDGE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// The gateway bridge network, as `GATEWAY_BRIDGE` describes it.
pub fn gateway_request() -> NetworkRequest {
    let mut request = NetworkRequest::new(GATEWAY_BRIDGE, Driver::Bridge);
    request.builtin = true;
    request.options = [
        ("com.docker.network.bridge.enable_icc", "false"),
        ("com.docker.network.bridge.name", GATEWAY_BRIDGE),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    request
}

fn settings(network: &Network) -> &crate::model::BridgeSettings {
    network
        .bridge
        .as_ref()
        .expect("bridge networks carry bridge settings")
}

/// A bridge takes its subnet's traffic to itself: one over a network the host is on (its
/// uplink's LAN) would take the host's own address or a neighbour's, and one over a
/// narrower route would take that route's traffic. A broader route (a VPN's 10.0.0.0/8, a
/// split default) stays the way to everything else, so it is no reason to refuse.
fn refuse_host_subnet(subnet: ipnet::Ipv4Net, host: &mut Host) -> Result<()> {
    let on_lan = host
        .kernel
        .host_ipv4_addresses()?
        .into_iter()
        .find(|lan| lan.contains(&subnet.network()) || subnet.contains(&lan.network()));
    let route = match on_lan {
        Some(lan) => Some(lan),
        None => host.kernel.host_ipv4_in_use()?.into_iter().find(|route| {
            subnet.contains(&route.network()) && route.prefix_len() >= subnet.prefix_len()
        }),
    };
    if let Some(route) = route {
        refuse!(
            "subnet {subnet} overlaps {route}, which this host already reaches through an address or route of its own: the bridge would take that traffic; choose another subnet"
        );
    }
    Ok(())
}

/// The gateway's address makes the bridge's MAC (as containers' addresses make theirs):
/// unique on the bridge, and the same after a restore.
pub fn bridge_mac(network: &Network) -> Mac {
    let gateway4 = network.ipam.first().map(|c| c.gateway);
    let gateway6 = network.ipam6.as_ref().map(|c| c.gateway);
    Mac::of_addresses(gateway4, gateway6)
        .unwrap_or_else(|| Mac::from_ipv4(std::net::Ipv4Addr::UNSPECIFIED))
}

impl NetworkDriver for Bridge {
    fn settle(
        &self,
        request: &NetworkRequest,
        network: &mut Network,
        host: &mut Host,
    ) -> Result<()> {
        let opts = BridgeOptions::parse(&request.options)?;
        if network.ipam6.is_some()
            && let Some(mtu) = opts.mtu.filter(|m| *m < 1280)
        {
            refuse!("mtu {mtu} is too small for IPv6, which needs at least 1280");
        }
        if let Some(subnet) = request.ipv4.as_ref().and_then(|p| p.subnet) {
            refuse_host_subnet(subnet, host)?;
        }
        let ifname = opts.name.unwrap_or_else(|| ifnames::bridge(&network.id));
        if let Some(other) = host
            .state
            .networks
            .iter()
            .find(|n| n.bridge.as_ref().is_some_and(|b| b.ifname == ifname))
        {
            refuse!("bridge {ifname} already belongs to network {}", other.name);
        }
        let gateway_mode4 = opts.gateway_mode_ipv4.unwrap_or_default();
        let gateway_mode6 = opts.gateway_mode_ipv6.unwrap_or_default();
        let isolated = [gateway_mode4, gateway_mode6].contains(&GatewayMode::Isolated);
        if isolated && !request.internal {
            refuse!(
                "gateway mode isolated is for internal networks (as in Docker): add --internal"
            );
        }
        network.bridge = Some(BridgeSettings {
            ifname,
            mtu: opts.mtu,
            icc: opts.icc.unwrap_or(true),
            masquerade: opts.masquerade.unwrap_or(true),
            host_binding: opts.host_binding_ipv4,
            gateway_mode4,
            gateway_mode6,
        });
        Ok(())
    }

    fn host_link<'a>(&self, network: &'a Network) -> Option<&'a str> {
        Some(&network.bridge.as_ref()?.ifname)
    }

    fn bridge_of<'a>(&self, network: &'a Network) -> Option<(&'a str, bool)> {
        let bridge = network.bridge.as_ref()?;
        Some((&bridge.ifname, !bridge.icc))
    }

    fn egress(&self) -> Egress {
        Egress::Routed
    }

    fn create(&self, network: &Network) -> Vec<Op> {
        let bridge = settings(network);
        let mac = bridge_mac(network);
        let mut plan = vec![Op::CreateBridge {
            name: bridge.ifname.clone(),
            mtu: bridge.mtu,
            alias: crate::ifnames::mark(&network.id),
            mac,
        }];
        // An isolated family has no gateway on the bridge: the host has no address (and so
        // no route) on the network, and its containers nothing to reach the host by.
        let isolated = |v6| bridge.gateway_mode(v6) == GatewayMode::Isolated;
        for config in network.ipam.iter().filter(|_| !isolated(false)) {
            let addr = ipnet::Ipv4Net::new(config.gateway, config.subnet.prefix_len())
                .expect("valid prefix");
            plan.push(Op::AddAddress {
                ns: Ns::Host,
                dev: bridge.ifname.clone(),
                addr: addr.into(),
            });
        }
        if let Some(config) = network.ipam6.as_ref().filter(|_| !isolated(true)) {
            let addr = ipnet::Ipv6Net::new(config.gateway, config.subnet.prefix_len())
                .expect("valid prefix");
            plan.push(Op::AddAddress {
                ns: Ns::Host,
                dev: bridge.ifname.clone(),
                addr: addr.into(),
            });
        }
        // Its services' virtual IPs, so the network's sandboxes reach them (ARP, ND).
        for service in &network.services {
            for vip in service.vips() {
                plan.push(Op::AddAddress {
                    ns: Ns::Host,
                    dev: bridge.ifname.clone(),
                    addr: ipnet::IpNet::from(vip),
                });
            }
        }
        if isolated(true) {
            // Not even a link-local address for the containers to reach the host by; the
            // bridge still switches their IPv6 frames.
            plan.push(Op::Sysctl {
                key: format!("net/ipv6/conf/{}/disable_ipv6", bridge.ifname),
                value: "1".into(),
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
        join_by_veth(
            &bridge.ifname,
            bridge.mtu,
            !bridge.icc,
            network,
            endpoint,
            sandbox,
        )
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
