//! The cluster store's side of a commit: the steps commands asked for (a network published
//! or removed) and the records of endpoints the command removed, each store reached before
//! anything changes.

use std::collections::BTreeMap;
use std::net::IpAddr;

use anyhow::Result;

use super::Tx;
use crate::cluster::{self, StoreOp, kv::Kv};

/// Records written to cluster stores while a command planned (a mesh address claimed by
/// compare-and-swap): they must exist before the plan can be made, so they cannot wait for
/// the commit's store steps. Dropped unkept (the command failed, or refused), they are
/// deleted again, best effort: what is left is released by the next `gc`.
#[derive(Debug, Default)]
pub struct Claims {
    keys: Vec<(String, Vec<String>)>,
}

impl Claims {
    /// The commit saved: the claims stay.
    pub(super) fn keep(mut self) {
        self.keys.clear();
    }
}

impl Drop for Claims {
    fn drop(&mut self) {
        for (url, keys) in std::mem::take(&mut self.keys) {
            if let Err(e) = Kv::connect(&url).and_then(|mut kv| kv.delete(&keys, &[])) {
                eprintln!(
                    "ctnet: warning: could not give back a claim in the store: {e:#} ('ctnet gc' will)"
                );
            }
        }
    }
}

impl Tx {
    /// Records this command wrote to the store at `url` while planning: deleted again
    /// unless the commit saves.
    pub fn claimed(&mut self, url: &str, keys: Vec<String>) {
        self.claims.keys.push((url.to_string(), keys));
    }

    /// A change to the cluster store at `url`, carried out by `commit` with the kernel's
    /// steps (printed instead, for `--dry-run`).
    pub fn store_step(&mut self, url: &str, op: StoreOp) {
        self.store_steps.push((url.to_string(), op));
    }

    /// The store steps of this commit: those asked for, then the release of the records of
    /// the cluster endpoints this command removes (a disconnect, a sandbox's removal, gc).
    pub(super) fn store_steps(&mut self) -> Vec<(String, StoreOp)> {
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
        let mut steps = std::mem::take(&mut self.store_steps);
        steps.extend(
            by_store
                .into_iter()
                .map(|(url, keys)| (url, StoreOp::Release(keys))),
        );
        steps
    }
}

/// The stores a commit's steps need, connected.
pub(super) struct Stores(BTreeMap<String, Kv>);

impl Stores {
    /// Connects to every store the steps name, before anything changes: an unreachable
    /// store is an error then. Only a repair (gc) goes on without one, and leaves its
    /// records to a later gc.
    pub(super) fn reach(steps: &[(String, StoreOp)], repair: bool) -> Result<Stores> {
        let mut stores = BTreeMap::new();
        for (url, _) in steps {
            if stores.contains_key(url) {
                continue;
            }
            match Kv::connect(url) {
                Ok(kv) => {
                    stores.insert(url.clone(), kv);
                }
                Err(e) if repair => eprintln!(
                    "ctnet: warning: {e:#}: the store keeps this host's removed endpoints until a later 'ctnet gc'"
                ),
                Err(e) => return Err(e),
            }
        }
        Ok(Stores(stores))
    }

    /// The steps that go before the kernel's, in order; if one fails, those done are
    /// undone. Returns what undoes them all.
    pub(super) fn apply_first(
        &mut self,
        steps: &[(String, StoreOp)],
    ) -> Result<Vec<(String, StoreOp)>> {
        let mut undo = Vec::new();
        for (url, op) in steps.iter().filter(|(_, op)| op.goes_first()) {
            let Some(kv) = self.0.get_mut(url) else {
                continue;
            };
            if let Err(e) = op.apply(kv) {
                self.undo(undo);
                return Err(e);
            }
            undo.extend(op.undo().map(|op| (url.clone(), op)));
        }
        Ok(undo)
    }

    pub(super) fn undo(&mut self, undo: Vec<(String, StoreOp)>) {
        for (url, op) in undo.into_iter().rev() {
            let Some(kv) = self.0.get_mut(&url) else {
                continue;
            };
            if let Err(e) = op.apply(kv) {
                eprintln!("ctnet: warning: could not undo `{op}` in {url}: {e:#}");
            }
        }
    }

    /// The steps that go after the command's own changes are saved; a failure is a
    /// warning (a later gc finishes them).
    pub(super) fn apply_last(&mut self, steps: &[(String, StoreOp)]) {
        for (url, op) in steps.iter().filter(|(_, op)| !op.goes_first()) {
            let Some(kv) = self.0.get_mut(url) else {
                continue;
            };
            if let Err(e) = op.apply(kv) {
                eprintln!("ctnet: warning: {e:#}: 'ctnet gc' gives the addresses back later");
            }
        }
    }
}
