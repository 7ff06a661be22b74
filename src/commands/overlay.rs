//! `ctnet overlay watch`: keeps this host's share of the cluster overlays in step with the
//! store between commands.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::Result;

use super::{Ctx, Tx};
use crate::cluster::kv::Kv;
use crate::cluster::{self, Snapshot, StoreOp};
use crate::model::EspKeys;
use crate::plan::Op;
use crate::refuse;

/// How long each step of a key rotation is given to reach every host's watch.
const ROTATION_GRACE: Duration = Duration::from_secs(2);
/// How long to wait before trying an unreachable store again.
const RETRY: Duration = Duration::from_secs(1);
/// A watch that stays quiet this long is checked by reading everything again (it also
/// heals entries someone deleted by hand).
const RESYNC: Duration = Duration::from_secs(60);

pub fn watch(ctx: &mut Ctx) -> Result<()> {
    let url = match &ctx.global.store {
        Some(url) => url.clone(),
        None => {
            let state = Tx::read(ctx, false)?;
            let stores: Vec<&str> = state
                .networks
                .iter()
                .filter_map(cluster::store_of)
                .collect();
            match stores.first() {
                Some(url) => url.to_string(),
                None => refuse!(
                    "no store to follow: give --store etcd://HOST:PORT (or set CTNET_STORE)"
                ),
            }
        }
    };
    crate::cluster::kv::parse_url(&url)?;
    eprintln!("ctnet: following {url}");
    loop {
        if let Err(e) = follow(ctx, &url) {
            eprintln!("ctnet: warning: {e:#}; trying again");
        }
        std::thread::sleep(RETRY);
    }
}

/// One session with the store: everything read and applied, then each change as it comes.
/// Returns when the store goes away (the caller starts over).
fn follow(ctx: &mut Ctx, url: &str) -> Result<()> {
    let mut kv = Kv::connect(url)?;
    loop {
        let (entries, revision) = kv.list(cluster::ROOT)?;
        let mut snapshot = Snapshot::from_entries(&entries);
        reconcile(ctx, url, &snapshot, true)?;
        let mut watch = kv.watch(cluster::ROOT, revision + 1)?;
        while let Some(changes) = watch.next(RESYNC)? {
            for change in changes {
                match change {
                    crate::cluster::kv::Change::Put(entry) => {
                        snapshot.apply(&entry.key, Some(&entry.value))
                    }
                    crate::cluster::kv::Change::Deleted(key) => snapshot.apply(&key, None),
                }
            }
            reconcile(ctx, url, &snapshot, false)?;
        }
    }
}

/// Brings every cluster network of `url` on this host in step with `snapshot`: the other
/// hosts' endpoints into the VXLAN device and the names files; local copies of networks
/// the cluster no longer has (and this host does not use) are dropped.
fn reconcile(ctx: &mut Ctx, url: &str, snapshot: &Snapshot, full: bool) -> Result<()> {
    let mut tx = Tx::begin(ctx)?;
    let mut plan = Vec::new();
    let mut dropped = Vec::new();
    let none = BTreeMap::new();
    for network in &mut tx.state.networks {
        let used_here = !network.members.is_empty() || !network.members6.is_empty();
        let Some(overlay) = network.overlay.as_mut() else {
            continue;
        };
        if overlay.store.as_deref() != Some(url) {
            continue;
        }
        if !used_here {
            // Only a deletion the watch saw: a network missing from an older listing may
            // have been made here since.
            if snapshot.removed.contains(&network.name) {
                dropped.push(network.id.clone());
            }
            continue;
        }
        // Keys the store lost are kept: the policies stay either way (nothing is ever sent
        // in plaintext), and the last keys keep the traffic going.
        if let Some(keys) = snapshot
            .keys
            .get(&network.name)
            .filter(|_| overlay.encrypted)
        {
            overlay.keys = Some(keys.clone());
        }
        let endpoints = snapshot.endpoints.get(&network.name).unwrap_or(&none);
        let (steps, remotes) = cluster::sync_remotes(overlay, endpoints, full);
        if !steps.is_empty() && !full {
            let added = steps
                .iter()
                .filter(|s| matches!(s, crate::plan::Op::AddRemote { .. }))
                .count();
            eprintln!(
                "ctnet: network {}: {added} endpoint entries added, {} removed",
                network.name,
                steps.len() - added
            );
        }
        plan.extend(steps);
        overlay.remotes = remotes;
    }
    tx.state.networks.retain(|n| !dropped.contains(&n.id));
    tx.commit(ctx, plan)
}

/// For gc and restore: every cluster network this host knows is brought in step with its
/// store. Where endpoints are here, every entry is programmed again; where none are, the
/// cached remotes are dropped. The store's records of this host's endpoints that no longer
/// exist (a crash between a claim and its commit, a removal while the store was down) are
/// released with the commit. An unreachable store is a warning: the entries this host last
/// programmed stay, and the next gc or `overlay watch` catches up.
pub fn resync(tx: &mut Tx) -> Vec<Op> {
    let here: BTreeMap<String, BTreeSet<String>> =
        tx.state
            .endpoints
            .iter()
            .fold(BTreeMap::new(), |mut by_network, ep| {
                if let Some(sandbox) = tx.state.sandbox_by_id(&ep.sandbox_id) {
                    by_network
                        .entry(ep.network_id.clone())
                        .or_insert_with(BTreeSet::new)
                        .insert(sandbox.name.clone());
                }
                by_network
            });
    let none = BTreeSet::new();
    let mut stores: BTreeMap<String, Option<Kv>> = BTreeMap::new();
    let mut plan = Vec::new();
    let mut releases = Vec::new();
    for network in &mut tx.state.networks {
        let Some(url) = cluster::store_of(network).map(String::from) else {
            continue;
        };
        let local = here.get(&network.id).unwrap_or(&none);
        if local.is_empty()
            && let Some(overlay) = network.overlay.as_mut()
        {
            overlay.remotes.clear();
        }
        let kv = stores.entry(url.clone()).or_insert_with(|| {
            Kv::connect(&url)
                .map_err(|e| {
                    eprintln!("ctnet: warning: {e:#}: cluster overlays keep the entries they had")
                })
                .ok()
        });
        let Some(kv) = kv.as_mut() else { continue };
        if !local.is_empty()
            && let Err(e) = cluster::refresh_keys(kv, network)
        {
            eprintln!("ctnet: warning: network {}: {e:#}", network.name);
        }
        let overlay = network
            .overlay
            .as_mut()
            .expect("cluster networks are overlays");
        let synced = cluster::endpoints(kv, &network.name).inspect(|endpoints| {
            let stale: Vec<String> = endpoints
                .iter()
                .filter(|(name, r)| Some(r.vtep) == overlay.vtep && !local.contains(*name))
                .flat_map(|(name, r)| cluster::endpoint_keys(&network.name, name, r.addresses()))
                .collect();
            if !stale.is_empty() {
                releases.push((url.clone(), StoreOp::Release(stale)));
            }
        });
        match synced {
            Ok(endpoints) if !local.is_empty() => {
                let (steps, remotes) = cluster::sync_remotes(overlay, &endpoints, true);
                plan.extend(steps);
                overlay.remotes = remotes;
            }
            Ok(_) => {}
            Err(e) => eprintln!("ctnet: warning: network {}: {e:#}", network.name),
        }
    }
    for (url, release) in releases {
        tx.store_step(&url, release);
    }
    plan
}

/// `overlay rotate-key NAME`: a new key in three steps (see `esp`), each written to the
/// store only if nobody else changed the keys meanwhile, and applied here at once.
pub fn rotate_key(ctx: &mut Ctx, name: &str) -> Result<()> {
    let url = {
        let state = Tx::read(ctx, false)?;
        match state.network(name).ok().and_then(cluster::store_of) {
            Some(url) => url.to_string(),
            None => match &ctx.global.store {
                Some(url) => url.clone(),
                None => refuse!(
                    "network {name} is not a cluster network here: give --store etcd://HOST:PORT"
                ),
            },
        }
    };
    let mut kv = Kv::connect(&url)?;
    let key = cluster::keys_key(name);
    if ctx.global.dry_run {
        let known = kv.get(&key)?.is_some();
        writeln!(
            ctx.out,
            "# would rotate network {name}'s key: a new key accepted everywhere, then sent with, then alone ({})",
            if known {
                "keys found"
            } else {
                "no keys in the store: it would refuse"
            }
        )?;
        return Ok(());
    }
    let Some(mut current) = kv.get(&key)? else {
        refuse!(
            "network {name} is not an encrypted cluster network (the store has no keys for it)"
        );
    };
    let keys: EspKeys = serde_json::from_slice(&current)?;
    let steps = keys.rotation(&crate::ids::random_bytes()?);
    for (i, step) in steps.iter().enumerate() {
        let next = serde_json::to_vec(step)?;
        if !kv.swap(&key, &current, next.clone())? {
            refuse!("network {name}'s keys changed meanwhile (another rotation?): try again");
        }
        current = next;
        apply_keys_here(ctx, name, step)?;
        if i + 1 < steps.len() {
            std::thread::sleep(ROTATION_GRACE);
        }
    }
    writeln!(
        ctx.out,
        "network {name}: key {} is now the only key",
        steps[2].primary
    )?;
    Ok(())
}

/// This host's share of a rotation step (other hosts get it from their watch).
fn apply_keys_here(ctx: &mut Ctx, name: &str, keys: &EspKeys) -> Result<()> {
    let mut tx = Tx::begin(ctx)?;
    if let Some(overlay) = tx
        .state
        .networks
        .iter_mut()
        .find(|n| n.name == name)
        .and_then(|n| n.overlay.as_mut())
        .filter(|o| o.encrypted)
    {
        overlay.keys = Some(keys.clone());
    }
    tx.commit(ctx, Vec::new())
}
