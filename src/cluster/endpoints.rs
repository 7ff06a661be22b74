//! Endpoints in the store: claiming one (its record and addresses in one transaction),
//! reading the others, and programming them into this host's VXLAN device.

use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use anyhow::{Result, bail};

use super::kv::{Entry, Kv};
use super::{
    CLAIM_TRIES, endpoint_key, endpoints_prefix, ipam_key, ipam_prefix, network_key, store_has_same,
};
use crate::model::{Network, OverlaySettings, RemoteEndpoint};
use crate::plan::Op;
use crate::refuse;

/// The other hosts' endpoints on one network, as the store has them.
pub fn endpoints(kv: &mut Kv, network: &str) -> Result<BTreeMap<String, RemoteEndpoint>> {
    let prefix = endpoints_prefix(network);
    let (entries, _) = kv.list(&prefix)?;
    Ok(entries
        .iter()
        .filter_map(|e| {
            let sandbox = e.key.strip_prefix(&prefix)?;
            Some((sandbox.to_string(), parse_endpoint(sandbox, &e.value)?))
        })
        .collect())
}

/// The record of `sandbox`'s endpoint (`endpoints/NAME/SANDBOX`); `None` for one ctnet
/// cannot use.
pub(super) fn parse_endpoint(sandbox: &str, value: &[u8]) -> Option<RemoteEndpoint> {
    let remote: RemoteEndpoint = serde_json::from_slice(value).ok()?;
    // A record the kernel would refuse (a bad MAC fails to parse above) must not stop
    // every other endpoint's entries.
    crate::model::validate_name("sandbox", sandbox).ok()?;
    // Aliases reach every sandbox's hosts file: a name with a newline in it must not.
    for alias in &remote.aliases {
        crate::model::validate_name("alias", alias).ok()?;
    }
    Some(remote)
}

/// Every address the store holds on a network, from `ipam/` (so that an endpoint record
/// ctnet cannot read still keeps its addresses).
pub(super) fn held_addresses(kv: &mut Kv, network: &str) -> Result<HashSet<IpAddr>> {
    let prefix = ipam_prefix(network);
    let (entries, _) = kv.list(&prefix)?;
    Ok(entries
        .iter()
        .filter_map(|e| e.key.strip_prefix(&prefix)?.parse().ok())
        .collect())
}

/// Claims addresses and the sandbox's name on a cluster network: `choose` picks addresses
/// given those the store holds (it is called again after losing a race), and the record
/// is written only if nobody took any of its keys meanwhile. Returns the record and the
/// endpoints the store had. `dry_run`: choose, but write nothing.
pub fn claim(
    kv: &mut Kv,
    network: &Network,
    sandbox: &str,
    dry_run: bool,
    mut choose: impl FnMut(&HashSet<IpAddr>) -> Result<RemoteEndpoint>,
) -> Result<(RemoteEndpoint, BTreeMap<String, RemoteEndpoint>)> {
    let name = &network.name;
    match store_has_same(kv, network)? {
        None => refuse!(
            "network {name} is not in the store any more (removed on another host): 'ctnet network rm {name}' removes this host's copy"
        ),
        Some(false) => refuse!(
            "the store's network {name} is another network of that name (made again after this host's copy): 'ctnet network rm {name}' removes the copy"
        ),
        Some(true) => {}
    }
    for _ in 0..CLAIM_TRIES {
        let existing = endpoints(kv, name)?;
        if let Some(other) = existing.get(sandbox) {
            refuse!(
                "a sandbox named {sandbox} is already on network {name} (on the host with VTEP {})",
                other.vtep
            );
        }
        let mut taken = held_addresses(kv, name)?;
        taken.extend(existing.values().flat_map(RemoteEndpoint::addresses));
        let record = choose(&taken)?;
        if dry_run {
            return Ok((record, existing));
        }
        let mut entries = vec![Entry {
            key: endpoint_key(name, sandbox),
            value: serde_json::to_vec(&record)?,
        }];
        entries.extend(record.addresses().map(|ip| Entry {
            key: ipam_key(name, ip),
            value: sandbox.as_bytes().to_vec(),
        }));
        if kv.create(&entries, &[network_key(name)])? {
            return Ok((record, existing));
        }
        if kv.get(&network_key(name))?.is_none() {
            refuse!("network {name} was removed from the cluster");
        }
    }
    bail!("could not claim an address on network {name}: other hosts kept taking them first")
}

/// The steps that bring this host's VXLAN entries for the other hosts' endpoints from
/// what it programmed (`overlay.remotes`) to what the store says, and the new list.
/// `full`: program every entry again (after a restart: the kernel may have lost them).
pub fn sync_remotes(
    overlay: &OverlaySettings,
    store: &BTreeMap<String, RemoteEndpoint>,
    full: bool,
) -> (Vec<Op>, BTreeMap<String, RemoteEndpoint>) {
    sync_entries(overlay, &overlay.remotes, store, full)
}

/// The same for the other hosts' mesh addresses (`overlay.mesh_peers`).
pub fn sync_mesh_peers(
    overlay: &OverlaySettings,
    store: &BTreeMap<Ipv4Addr, RemoteEndpoint>,
    full: bool,
) -> (Vec<Op>, BTreeMap<Ipv4Addr, RemoteEndpoint>) {
    sync_entries(overlay, &overlay.mesh_peers, store, full)
}

/// From `programmed` to the store's entries of other hosts than this one.
fn sync_entries<K: Ord + Clone>(
    overlay: &OverlaySettings,
    programmed: &BTreeMap<K, RemoteEndpoint>,
    store: &BTreeMap<K, RemoteEndpoint>,
    full: bool,
) -> (Vec<Op>, BTreeMap<K, RemoteEndpoint>) {
    let wanted: BTreeMap<K, RemoteEndpoint> = store
        .iter()
        .filter(|(_, r)| Some(r.vtep) != overlay.vtep)
        .map(|(n, r)| (n.clone(), r.clone()))
        .collect();
    let dev = || overlay.vxlan.clone();
    let mut plan: Vec<Op> = programmed
        .iter()
        .filter(|(name, old)| wanted.get(*name) != Some(old))
        .map(|(_, old)| Op::DeleteRemote {
            dev: dev(),
            remote: old.clone(),
        })
        .collect();
    plan.extend(
        wanted
            .iter()
            .filter(|(name, new)| full || programmed.get(*name) != Some(new))
            .map(|(_, new)| Op::AddRemote {
                dev: dev(),
                remote: new.clone(),
            }),
    );
    (plan, wanted)
}
