//! Cluster mode of overlay networks: what lives in etcd, and how a host follows it.
//!
//! The store holds, under `/ctnet/`:
//! - `networks/NAME`: the network as its creator planned it (JSON, without anything that
//!   is one host's own: members, underlay, VTEP);
//! - `vnis/VNI`: the name of the network that holds the VNI (one network per VNI);
//! - `endpoints/NAME/SANDBOX`: an endpoint (a [`RemoteEndpoint`]: VTEP, MAC, addresses,
//!   aliases), so sandbox names are unique on a network across hosts;
//! - `ipam/NAME/IP`: the sandbox that holds the address;
//! - `keys/NAME`: an encrypted network's IPsec keys;
//! - `services/NAME/SERVICE`: a service (its virtual IP held in `ipam/` too);
//! - `mesh/NAME/VTEP`: a host's routing-mesh address on the network (see `mesh`).
//!
//! An endpoint's record and its addresses are written in one transaction that succeeds
//! only if none of those keys exists and the network does: two hosts never hold one
//! address, and a removed network takes no new endpoints. Everything else a host knows
//! about the cluster (the other hosts' endpoints it programmed) is a cache in state.json.

mod endpoints;
pub mod esp;
mod keys;
pub mod kv;
pub mod mesh;
mod snapshot;
mod steps;

pub use endpoints::{claim, endpoints, sync_mesh_peers, sync_remotes};
pub use keys::*;
pub use snapshot::Snapshot;
pub use steps::StoreOp;

use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};

use anyhow::{Context, Result, bail};
use ipnet::IpNet;

use crate::cluster::kv::{Entry, Kv};
use crate::model::Network;
use crate::refuse;
use crate::sys::{Kernel, Underlay};

/// How often a connect re-reads and retries when another host took its address first.
pub(super) const CLAIM_TRIES: usize = 100;

/// The store's URL of a cluster network (`None` for every other network).
pub fn store_of(network: &Network) -> Option<&str> {
    network.overlay.as_ref()?.store.as_deref()
}

/// What the store keeps of a network: nothing that belongs to one host.
pub fn network_record(network: &Network) -> Result<Vec<u8>> {
    let mut shared = network.clone();
    shared.members = Default::default();
    shared.members6 = Default::default();
    shared.aliases = Default::default();
    shared.free_from4 = None;
    shared.free_from6 = None;
    shared.services.clear();
    if let Some(overlay) = shared.overlay.as_mut() {
        overlay.vtep = None;
        overlay.underlay.clear();
        overlay.remotes.clear();
        overlay.keys = None;
        overlay.mesh = None;
        overlay.mesh_peers.clear();
    }
    Ok(serde_json::to_vec(&shared)?)
}

/// A subnet of `b` that overlaps one of `a` (either family). CIDR blocks overlap only
/// when one holds the other.
fn overlapping(a: &Network, b: &Network) -> Option<String> {
    let subnets = |n: &Network| -> Vec<IpNet> {
        (n.ipam.iter().map(|c| IpNet::V4(c.subnet)))
            .chain(n.ipam6.iter().map(|c| IpNet::V6(c.subnet)))
            .collect()
    };
    let theirs = subnets(b);
    subnets(a).into_iter().find_map(|x| {
        theirs
            .iter()
            .find(|y| x.contains(*y) || y.contains(&x))
            .map(|y| y.to_string())
    })
}

/// Makes a new network the cluster's: its record and its VNI, both only if nobody has
/// them, in one transaction.
pub fn publish_network(kv: &mut Kv, network: &Network) -> Result<()> {
    let vni = network
        .overlay
        .as_ref()
        .expect("cluster networks are overlays")
        .vni;
    let (records, _) = kv.list(&format!("{ROOT}networks/"))?;
    for record in records {
        let Ok(other) = serde_json::from_slice::<Network>(&record.value) else {
            continue;
        };
        if other.name == network.name {
            refuse!(
                "network with name {} already exists in the cluster",
                network.name
            );
        }
        if let Some(subnet) = overlapping(network, &other) {
            refuse!(
                "the subnet overlaps with cluster network {} ({subnet})",
                other.name
            );
        }
    }
    let mut entries = vec![
        Entry {
            key: network_key(&network.name),
            value: network_record(network)?,
        },
        Entry {
            key: vni_key(vni),
            value: network.name.as_bytes().to_vec(),
        },
    ];
    if let Some(keys) = network.overlay.as_ref().and_then(|o| o.keys.as_ref()) {
        entries.push(Entry {
            key: keys_key(&network.name),
            value: serde_json::to_vec(keys)?,
        });
    }
    if !kv.create(&entries, &[])? {
        if kv.get(&network_key(&network.name))?.is_some() {
            refuse!(
                "network with name {} already exists in the cluster",
                network.name
            );
        }
        let holder = kv.get(&vni_key(vni))?.unwrap_or_default();
        refuse!(
            "VNI {vni} is already used by cluster network {}; pick another with -o vni=N",
            String::from_utf8_lossy(&holder)
        );
    }
    Ok(())
}

/// Takes a network's record and VNI out of the store (after it was removed, or when its
/// creation failed on this host).
pub fn withdraw_network(kv: &mut Kv, name: &str, vni: u32) -> Result<()> {
    kv.delete(&[network_key(name), vni_key(vni), keys_key(name)], &[])
}

/// Removes a cluster network from the store, refusing while any host has an endpoint on
/// it: one transaction deletes it only if no endpoint record exists.
pub fn remove_network(kv: &mut Kv, network: &Network) -> Result<()> {
    let vni = network
        .overlay
        .as_ref()
        .expect("cluster networks are overlays")
        .vni;
    let name = &network.name;
    // Gone, or made again since: only this host's copy is removed.
    if store_has_same(kv, network)? != Some(true) {
        return Ok(());
    }
    let services = mesh::services(kv, name)?;
    if !services.is_empty() {
        let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
        refuse!(
            "network {name} is in use by services in the cluster ({}): 'ctnet service rm' them first",
            names.join(", ")
        );
    }
    let removed = kv.delete_if_empty(
        &network_key(name),
        &endpoints_prefix(name),
        &[network_key(name), vni_key(vni), keys_key(name)],
        &[ipam_prefix(name), services_prefix(name), mesh_prefix(name)],
    )?;
    if removed {
        return Ok(());
    }
    let attached = endpoints(kv, name)?;
    if attached.is_empty() {
        // Removed from the store already (on another host): only this host's copy is left.
        return Ok(());
    }
    let names: Vec<String> = attached
        .iter()
        .map(|(sandbox, r)| format!("{sandbox} on {}", r.vtep))
        .collect();
    refuse!(
        "network {name} has active endpoints in the cluster ({}): disconnect them first",
        names.join(", ")
    );
}

/// A cluster network this host has not used yet, from the store, with this host's own
/// underlay and VTEP. `None` if the store has no network by that name.
pub fn adopt(
    kv: &mut Kv,
    name: &str,
    state: &crate::model::State,
    kernel: &mut dyn Kernel,
) -> Result<Option<Network>> {
    let Some(bytes) = kv.get(&network_key(name))? else {
        return Ok(None);
    };
    let mut network: Network = serde_json::from_slice(&bytes)
        .with_context(|| format!("the store's record of network {name} is not ctnet's"))?;
    for other in &state.networks {
        if other.id == network.id || other.name == network.name {
            refuse!("network {name} exists here already, as a local network");
        }
        if let Some(subnet) = overlapping(&network, other) {
            refuse!(
                "cluster network {name} overlaps with network {} ({subnet}) on this host",
                other.name
            );
        }
        if other.overlay.as_ref().map(|o| o.vni) == network.overlay.as_ref().map(|o| o.vni) {
            refuse!(
                "cluster network {name} has the VNI of network {} on this host",
                other.name
            );
        }
    }
    let underlay = underlay_towards(kernel, kv.url())?;
    let Some(overlay) = network.overlay.as_mut() else {
        bail!("the store's record of network {name} is not an overlay");
    };
    overlay.vtep = Some(local_vtep(&underlay));
    overlay.underlay = underlay.dev;
    overlay.store = Some(kv.url().to_string());
    refresh_keys(kv, &mut network)?;
    network.services = mesh::services(kv, name)?;
    Ok(Some(network))
}

/// An encrypted network's keys as the store has them now.
pub fn refresh_keys(kv: &mut Kv, network: &mut Network) -> Result<()> {
    let name = network.name.clone();
    let Some(overlay) = network.overlay.as_mut().filter(|o| o.encrypted) else {
        return Ok(());
    };
    let Some(bytes) = kv.get(&keys_key(&name))? else {
        bail!("the store has no keys for encrypted network {name}");
    };
    overlay.keys = Some(
        serde_json::from_slice(&bytes)
            .with_context(|| format!("the store's keys of network {name} are not ctnet's"))?,
    );
    Ok(())
}

/// Where this host's VXLAN traffic leaves from: the route towards the store. Its source
/// address is this host's VTEP, the address the other hosts send to. When the store runs
/// on this host, the link holding its address is the underlay.
pub fn underlay_towards(kernel: &mut dyn Kernel, url: &str) -> Result<Underlay> {
    let endpoints = crate::cluster::kv::parse_url(url)?;
    let hostport = endpoints[0]
        .split_once("://")
        .map_or(endpoints[0].as_str(), |(_, hostport)| hostport);
    let ip = hostport
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve the store's host {hostport}"))?
        .find_map(|addr| match addr.ip() {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        });
    let Some(ip) = ip else {
        refuse!("the store {url} has no IPv4 address: VTEPs are IPv4");
    };
    let Some(underlay) = kernel.route_to(ip)? else {
        refuse!("no route to the store at {ip}");
    };
    // The store runs on this host: its address is this host's VTEP, on the link that holds
    // it (a store on 127.0.0.1 says nothing about the underlay).
    let underlay = match underlay.dev.as_str() {
        "lo" => match kernel.link_with_address(ip)? {
            Some(link) if link.dev != "lo" => link,
            _ => refuse!(
                "the store {url} is on this host's loopback: give it by the address the other hosts reach it at, on the underlay"
            ),
        },
        _ => underlay,
    };
    if underlay.source.is_none() {
        refuse!(
            "{} has no IPv4 address to send VXLAN traffic from",
            underlay.dev
        );
    }
    Ok(underlay)
}

/// Whether the store's network of this name is `network` (not another one made after it
/// was removed): `None` if the store has no network of that name.
pub(super) fn store_has_same(kv: &mut Kv, network: &Network) -> Result<Option<bool>> {
    let Some(bytes) = kv.get(&network_key(&network.name))? else {
        return Ok(None);
    };
    let id = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("id")?.as_str().map(String::from));
    Ok(Some(id.as_deref() == Some(network.id.as_str())))
}

/// This host's VTEP for the overlays of `url` (from the route to the store).
pub fn local_vtep(underlay: &Underlay) -> Ipv4Addr {
    underlay.source.expect("checked by underlay_towards")
}

#[cfg(test)]
mod tests;
