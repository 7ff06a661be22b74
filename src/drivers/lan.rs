//! The macvlan and ipvlan drivers: containers on the LAN itself. Each endpoint is a child of
//! the network's parent interface, born inside the sandbox with its own address (and, for
//! macvlan, its own MAC); the LAN's router is the gateway. Nothing of the network lives on
//! the host but a parent ctnet may have made (a VLAN sub-interface, a dummy), and no NAT.

use crate::model::{Driver, Endpoint, LanSettings, Network, Sandbox, parse_mac};
use crate::plan::{Ns, Op};

use super::NetworkDriver;
use super::bridge::configure_in_sandbox;

pub struct Lan;

fn settings(network: &Network) -> &LanSettings {
    network
        .lan()
        .expect("macvlan and ipvlan networks carry their settings")
}

impl NetworkDriver for Lan {
    fn create(&self, network: &Network) -> Vec<Op> {
        let lan = settings(network);
        lan.made_parent
            .iter()
            .map(|made| Op::CreateParent {
                name: lan.parent.clone(),
                made: made.clone(),
                alias: crate::ifnames::mark(&network.id),
            })
            .collect()
    }

    fn delete(&self, network: &Network) -> Vec<Op> {
        let lan = settings(network);
        lan.made_parent
            .iter()
            .map(|_| Op::DeleteLink {
                ns: Ns::Host,
                dev: lan.parent.clone(),
            })
            .collect()
    }

    fn join(&self, network: &Network, endpoint: &Endpoint, sandbox: &Sandbox) -> Vec<Op> {
        let lan = settings(network);
        let child = match network.driver {
            Driver::Ipvlan => Op::CreateIpvlan {
                parent: lan.parent.clone(),
                mode: lan.mode.clone(),
                flag: lan.flag.clone(),
                mtu: lan.mtu,
                peer_ns: sandbox.netns.clone(),
                name: endpoint.ifname.clone(),
            },
            _ => Op::CreateMacvlan {
                parent: lan.parent.clone(),
                mode: lan.mode.clone(),
                mtu: lan.mtu,
                peer_ns: sandbox.netns.clone(),
                name: endpoint.ifname.clone(),
                mac: parse_mac(&endpoint.mac).expect("stored MACs are valid"),
            },
        };
        let mut plan = vec![child];
        plan.extend(configure_in_sandbox(network, endpoint, sandbox));
        plan
    }

    fn leave(
        &self,
        _network: &Network,
        endpoint: &Endpoint,
        sandbox: &Sandbox,
        alive: bool,
    ) -> Vec<Op> {
        // The child lives only inside the sandbox: a namespace that is gone took it along,
        // and one that replaced it (a reused PID) is not ours to touch.
        if !alive {
            return Vec::new();
        }
        vec![Op::DeleteLink {
            ns: Ns::Path(sandbox.netns.clone()),
            dev: endpoint.ifname.clone(),
        }]
    }
}
