//! The cluster store's records of endpoints a command removes: reached before anything
//! changes, deleted after the command's own changes are saved.

use std::collections::BTreeMap;
use std::net::IpAddr;

use anyhow::Result;

use super::Tx;
use crate::cluster::{self, kv::Kv};

impl Tx {
    /// The store keys of the cluster endpoints this command removes (a disconnect, a
    /// sandbox's removal, gc), by store, each store connected to before anything changes:
    /// an unreachable store is an error then. Only a repair (gc) goes on without it, and
    /// leaves the records to a later gc.
    pub(super) fn reach_stores(&self) -> Result<Vec<(Kv, Vec<String>)>> {
        let mut by_store: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for file in self.loaded.values().flatten() {
            for ep in &file.endpoints {
                if self.state.endpoints.iter().any(|e| e.id == ep.id) {
                    continue;
                }
                let Some(network) = self.state.network_by_id(&ep.network_id) else {
                    continue;
                };
                let Some(url) = cluster::store_of(network) else {
                    continue;
                };
                let addresses = (ep.ipv4.map(|n| IpAddr::V4(n.addr())))
                    .into_iter()
                    .chain(ep.ipv6.map(|n| IpAddr::V6(n.addr())));
                by_store
                    .entry(url.to_string())
                    .or_default()
                    .extend(cluster::endpoint_keys(
                        &network.name,
                        &file.sandbox.name,
                        addresses,
                    ));
            }
        }
        let mut stores = Vec::new();
        for (url, keys) in by_store {
            match Kv::connect(&url) {
                Ok(kv) => stores.push((kv, keys)),
                Err(e) if self.repair => eprintln!(
                    "ctnet: warning: {e:#}: the store keeps this host's removed endpoints until a later 'ctnet gc'"
                ),
                Err(e) => return Err(e),
            }
        }
        Ok(stores)
    }
}

/// Deletes the store's records of endpoints a command removed (after its own changes are
/// saved: an address is never free in the store while this host still uses it).
pub(super) fn give_back(stores: Vec<(Kv, Vec<String>)>) {
    for (mut kv, keys) in stores {
        if let Err(e) = kv.delete(&keys, &[]) {
            eprintln!("ctnet: warning: {e:#}: 'ctnet gc' gives the addresses back later");
        }
    }
}
