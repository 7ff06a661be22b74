//! The overlay driver: one L2 network across hosts. On each host with an endpoint on it, a
//! bridge with a VXLAN port (UDP 4789, the network's VNI) joins the endpoints' veths to the
//! other hosts' bridges. Static mode (`-o peer=`) floods unknown MACs to the listed VTEPs
//! and learns where each MAC lives from the traffic. Cluster mode (`--store`) learns
//! nothing from traffic: each host programs the other hosts' endpoints from the store
//! (see `cluster`). Nothing exists on a host until its first endpoint arrives, and it goes
//! with the last one.

use crate::model::{Endpoint, Network, OverlaySettings, Sandbox, parse_mac};
use crate::plan::{Ns, Op};

use super::NetworkDriver;
use super::bridge::{Bridge, configure_in_sandbox};

/// The IANA port for VXLAN.
/// What VXLAN over IPv4 adds to a frame: the MTU inside is the underlay's minus this.
pub const VXLAN_OVERHEAD: u32 = 50;

pub struct Overlay;

pub fn settings(network: &Network) -> &OverlaySettings {
    network
        .overlay
        .as_ref()
        .expect("overlay networks carry overlay settings")
}

impl NetworkDriver for Overlay {
    /// The host's share of the network, made when its first endpoint arrives (and by
    /// `restore` and `gc` when it is missing).
    fn create(&self, network: &Network) -> Vec<Op> {
        let overlay = settings(network);
        // The bridge has no address (the network's gateway is not on any host) and a MAC
        // of this host's own, from its network id: hosts' bridges share one L2 segment.
        let id = &network.id;
        let mac = parse_mac(&format!(
            "02:43:{}:{}:{}:{}",
            &id[0..2],
            &id[2..4],
            &id[4..6],
            &id[6..8]
        ))
        .expect("ids are hex");
        let mut plan = vec![
            Op::CreateBridge {
                name: overlay.bridge.clone(),
                mtu: Some(overlay.mtu),
                alias: crate::ifnames::mark(id),
                mac,
            },
            Op::CreateVxlan {
                name: overlay.vxlan.clone(),
                vni: overlay.vni,
                underlay: overlay.underlay.clone(),
                mtu: overlay.mtu,
                bridge: overlay.bridge.clone(),
                alias: crate::ifnames::mark(id),
                vtep: overlay.vtep,
            },
        ];
        plan.extend(overlay.peers.iter().map(|peer| Op::AddFloodEntry {
            dev: overlay.vxlan.clone(),
            peer: *peer,
        }));
        // Cluster mode: the other hosts' endpoints, as last read from the store.
        plan.extend(overlay.remotes.values().map(|remote| Op::AddRemote {
            dev: overlay.vxlan.clone(),
            remote: remote.clone(),
        }));
        plan
    }

    /// Removing the bridge and the VXLAN device (after the last endpoint left).
    fn delete(&self, network: &Network) -> Vec<Op> {
        let overlay = settings(network);
        [&overlay.vxlan, &overlay.bridge]
            .into_iter()
            .map(|dev| Op::DeleteLink {
                ns: Ns::Host,
                dev: dev.clone(),
            })
            .collect()
    }

    fn join(&self, network: &Network, endpoint: &Endpoint, sandbox: &Sandbox) -> Vec<Op> {
        let overlay = settings(network);
        let mut plan = vec![Op::CreateVeth {
            host_name: endpoint.host_ifname.clone(),
            bridge: overlay.bridge.clone(),
            alias: crate::ifnames::mark(&endpoint.id),
            mtu: Some(overlay.mtu),
            isolated: false,
            peer_ns: sandbox.netns.clone(),
            peer_name: endpoint.ifname.clone(),
            peer_mac: parse_mac(&endpoint.mac).expect("stored MACs are valid"),
        }];
        plan.extend(configure_in_sandbox(network, endpoint, sandbox));
        plan
    }

    fn leave(
        &self,
        network: &Network,
        endpoint: &Endpoint,
        sandbox: &Sandbox,
        alive: bool,
    ) -> Vec<Op> {
        Bridge.leave(network, endpoint, sandbox, alive)
    }
}
