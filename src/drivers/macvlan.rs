//! The macvlan driver: containers on the LAN itself. Each endpoint is a macvlan child of
//! the network's parent interface, born inside the sandbox with its own MAC and address;
//! the LAN's router is the gateway. Nothing of the network lives on the host, no NAT.

use crate::model::{Endpoint, MacvlanSettings, Network, Sandbox, parse_mac};
use crate::plan::{Ns, Op};

use super::{NetworkDriver, bridge::configure_in_sandbox};

pub struct Macvlan;

fn settings(network: &Network) -> &MacvlanSettings {
    network
        .macvlan
        .as_ref()
        .expect("macvlan networks carry macvlan settings")
}

impl NetworkDriver for Macvlan {
    fn create(&self, _network: &Network) -> Vec<Op> {
        // The parent exists already; a macvlan network is only a plan for its children.
        Vec::new()
    }

    fn delete(&self, _network: &Network) -> Vec<Op> {
        Vec::new()
    }

    fn join(&self, network: &Network, endpoint: &Endpoint, sandbox: &Sandbox) -> Vec<Op> {
        let macvlan = settings(network);
        let mut plan = vec![Op::CreateMacvlan {
            parent: macvlan.parent.clone(),
            mode: macvlan.mode.clone(),
            mtu: macvlan.mtu,
            peer_ns: sandbox.netns.clone(),
            name: endpoint.ifname.clone(),
            mac: parse_mac(&endpoint.mac).expect("stored MACs are valid"),
        }];
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
