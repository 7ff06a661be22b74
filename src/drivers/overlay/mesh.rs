//! The routing mesh's share of a cluster overlay on one host. While the network has a
//! service that publishes ports or has a virtual IP, every host that has the network keeps
//! its bridge, with or without endpoints, and gives it two kinds of address:
//!
//! - its mesh address (claimed in the store, see `cluster::mesh`), with the subnet's
//!   prefix: the host reaches every task through its bridge, and a task on another host
//!   answers to it (the firewall masquerades what this host balances to remote tasks);
//! - each virtual IP, as a /32: this host's sandboxes ask their own bridge for it (the
//!   VXLAN device answers ARP only from its table, so no host answers for another), and
//!   this host balances it.

use ipnet::{IpNet, Ipv4Net};

use super::settings;
use crate::model::{Mac, Network};
use crate::plan::{Ns, Op};

/// Whether the network's services need a mesh share on every host of it.
pub fn wanted(network: &Network) -> bool {
    (network.services.iter()).any(|s| s.vip4.is_some() || !s.ports.is_empty())
}

/// The addresses the bridge carries for the mesh (none without a mesh address).
pub fn addresses(network: &Network) -> Vec<IpNet> {
    let (Some(mesh), Some(config)) = (settings(network).mesh, network.ipam.first()) else {
        return Vec::new();
    };
    let own = Ipv4Net::new(mesh, config.subnet.prefix_len()).expect("a subnet's prefix");
    let vips = (network.services.iter())
        .filter_map(|s| s.vip4)
        .map(|vip| IpNet::V4(Ipv4Net::from(vip)));
    std::iter::once(IpNet::V4(own)).chain(vips).collect()
}

/// The bridge's MAC. A cluster overlay's is this host's own (its mesh record carries it, so
/// no two hosts' bridges share one); a static overlay's comes from the network's id.
pub fn bridge_mac(network: &Network) -> Mac {
    match settings(network).vtep {
        Some(vtep) => Mac::of_host(vtep),
        None => Mac::from_id([0x02, 0x43], &network.id),
    }
}

/// The steps from one version of this host's share of a network to another: `had` and
/// `has` tell whether the share exists (endpoints here, or the mesh). A share that appears
/// comes whole (the driver's create, with the addresses and the other hosts' entries of
/// `after`); one that stays changes its addresses.
pub fn changes(before: &Network, had: bool, after: &Network, has: bool) -> Vec<Op> {
    use crate::drivers::NetworkDriver;
    match (had, has) {
        (false, true) => super::Overlay.create(after),
        (true, false) => super::Overlay.delete(before),
        (false, false) => Vec::new(),
        (true, true) => {
            let (old, new) = (addresses(before), addresses(after));
            let dev = &settings(after).bridge;
            let gone = (old.iter().filter(|a| !new.contains(a))).map(|addr| Op::DeleteAddress {
                ns: Ns::Host,
                dev: dev.clone(),
                addr: *addr,
            });
            let added = (new.iter().filter(|a| !old.contains(a))).map(|addr| Op::AddAddress {
                ns: Ns::Host,
                dev: dev.clone(),
                addr: *addr,
            });
            let mut plan: Vec<Op> = gone.chain(added).collect();
            // A share made before it had a mesh (by a version without one) answers 127.0.0.1
            // once it has.
            if before.overlay.as_ref().is_some_and(|o| o.mesh.is_none()) && after.meshed_here() {
                plan.push(Op::Sysctl {
                    key: format!("net/ipv4/conf/{dev}/route_localnet"),
                    value: "1".into(),
                });
            }
            plan
        }
    }
}
