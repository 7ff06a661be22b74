//! `ctnet overlay watch`: keeps this host's share of the cluster overlays in step with the
//! store between commands.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::Result;

use super::{Ctx, Tx};
use crate::cluster::kv::Kv;
use crate::cluster::{self, Snapshot, StoreOp};
use crate::model::{EspKeys, OverlaySettings};
use crate::plan::Op;
use crate::refuse;

/// How long each step of a key rotation is given to reach every host's watch.
const ROTATION_GRACE: Duration = Duration::from_secs(2);
/// How long to wait before trying an unreachable store again: short, so that hosts
/// converge soon after the store is back (a refused connection costs next to nothing).
const RETRY: Duration = Duration::from_millis(250);
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
    let mut outage = Outage::default();
    loop {
        if let Err(e) = follow(ctx, &url, &mut outage) {
            outage.failed(&e);
        }
        std::thread::sleep(RETRY);
    }
}

/// What the watch last said about losing the store, so that a store down for an hour
/// gives one warning per kind of failure and one line when it is back, not one per try.
#[derive(Default)]
struct Outage {
    last_warning: Option<String>,
}

impl Outage {
    fn failed(&mut self, e: &anyhow::Error) {
        let warning = format!("{e:#}");
        if self.last_warning.as_ref() != Some(&warning) {
            eprintln!("ctnet: warning: {warning}; trying again");
            self.last_warning = Some(warning);
        }
    }

    fn over(&mut self, url: &str) {
        if self.last_warning.take().is_some() {
            eprintln!("ctnet: following {url} again");
        }
    }
}

/// One session with the store: everything read and applied, then each change as it comes.
/// Returns when the store goes away (the caller starts over).
fn follow(ctx: &mut Ctx, url: &str, outage: &mut Outage) -> Result<()> {
    let mut kv = Kv::connect(url)?;
    // A second connection for the claims a reconcile makes while the watch holds the first.
    let mut writer = Kv::connect(url)?;
    loop {
        let (entries, revision) = kv.list(cluster::ROOT)?;
        let mut snapshot = Snapshot::from_entries(&entries);
        reconcile(ctx, &mut writer, url, &snapshot, true)?;
        let mut watch = kv.watch(cluster::ROOT, revision + 1)?;
        outage.over(url);
        while let Some(changes) = watch.next(RESYNC)? {
            for change in changes {
                match change {
                    crate::cluster::kv::Change::Put(entry) => {
                        snapshot.apply(&entry.key, Some(&entry.value))
                    }
                    crate::cluster::kv::Change::Deleted(key) => snapshot.apply(&key, None),
                }
            }
            reconcile(ctx, &mut writer, url, &snapshot, false)?;
        }
    }
}

/// Brings every cluster network of `url` on this host in step with `snapshot`: the other
/// hosts' endpoints into the VXLAN device and the names files, the services and this
/// host's share of the routing mesh; local copies of networks the cluster no longer has
/// (and this host does not use) are dropped.
fn reconcile(ctx: &mut Ctx, kv: &mut Kv, url: &str, snapshot: &Snapshot, full: bool) -> Result<()> {
    let mut tx = Tx::begin(ctx)?;
    let mut plan = Vec::new();
    let mut dropped = Vec::new();
    let ours: Vec<(String, String)> = (tx.state.networks.iter())
        .filter(|n| cluster::store_of(n) == Some(url))
        .map(|n| (n.id.clone(), n.name.clone()))
        .collect();
    for (id, name) in ours {
        let network = tx.state.network_by_id(&id).expect("listed above");
        let endpoints_here = network.has_members();
        let mut view = super::mesh::View::of_snapshot(snapshot, &name);
        // Only a deletion the watch saw: a network missing from an older listing may have
        // been made here since.
        let removed = !endpoints_here && snapshot.removed.contains(&name);
        if removed {
            view = Default::default();
            dropped.push(id.clone());
        }
        let before = network.overlay.clone();
        // Keys the store lost are kept: the policies stay either way (nothing is ever sent
        // in plaintext), and the last keys keep the traffic going. (A host with only a mesh
        // share needs them as much as one with endpoints.)
        let network = (tx.state.networks.iter_mut())
            .find(|n| n.id == id)
            .expect("listed above");
        if let (Some(keys), Some(overlay)) = (
            snapshot.keys.get(&name),
            network.overlay.as_mut().filter(|o| o.encrypted),
        ) {
            overlay.keys = Some(keys.clone());
        }
        let how = super::mesh::How {
            full,
            dry_run: ctx.global.dry_run,
            endpoint_coming: false,
        };
        // One network the host cannot settle (say, its subnet has no address left for the
        // mesh) must not stop the others: it is tried again with the next change.
        match super::mesh::settle(&mut tx, kv, &id, view, how) {
            Ok(steps) => {
                if !steps.is_empty() && !full {
                    report(&name, before.as_ref(), tx.state.network_by_id(&id));
                }
                plan.extend(steps);
            }
            Err(e) => eprintln!("ctnet: warning: network {name}: {e:#}"),
        }
    }
    tx.state.networks.retain(|n| !dropped.contains(&n.id));
    tx.commit(ctx, plan)
}

/// One line on what a watch changed on a network.
fn report(name: &str, before: Option<&OverlaySettings>, after: Option<&crate::model::Network>) {
    let count = |o: Option<&OverlaySettings>| o.map_or(0, |o| o.remotes.len());
    let after_overlay = after.and_then(|n| n.overlay.as_ref());
    let (was, is) = (count(before), count(after_overlay));
    let mesh = |o: Option<&OverlaySettings>| o.and_then(|o| o.mesh);
    let mut line =
        format!("ctnet: network {name}: {is} endpoint entries of other hosts (were {was})");
    match (mesh(before), mesh(after_overlay)) {
        (None, Some(address)) => line.push_str(&format!("; routing mesh here at {address}")),
        (Some(_), None) => line.push_str("; routing mesh gone"),
        _ => {}
    }
    eprintln!("{line}");
}

/// For gc and restore: every cluster network this host knows is brought in step with its
/// store (see `mesh::settle`): where its share is here, every entry is programmed again;
/// where it is not, the cached remotes are dropped. The store's records of this host's
/// endpoints (and mesh address) that no longer exist (a crash between a claim and its
/// commit, a removal while the store was down) are released with the commit. An
/// unreachable store is a warning: the entries this host last programmed stay, and the
/// next gc or `overlay watch` catches up.
pub fn resync(tx: &mut Tx, dry_run: bool) -> Vec<Op> {
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
    let cluster_networks: Vec<(String, String, String)> = (tx.state.networks.iter())
        .filter_map(|n| {
            Some((
                n.id.clone(),
                n.name.clone(),
                cluster::store_of(n)?.to_string(),
            ))
        })
        .collect();
    for (id, name, url) in cluster_networks {
        let local = here.get(&id).unwrap_or(&none);
        let kv = stores.entry(url.clone()).or_insert_with(|| {
            Kv::connect(&url)
                .map_err(|e| {
                    eprintln!("ctnet: warning: {e:#}: cluster overlays keep the entries they had")
                })
                .ok()
        });
        let Some(kv) = kv.as_mut() else { continue };
        let vtep = (tx.state.network_by_id(&id))
            .and_then(|n| n.overlay.as_ref())
            .and_then(|o| o.vtep);
        let view = match super::mesh::View::read(kv, &name) {
            Ok(view) => view,
            Err(e) => {
                eprintln!("ctnet: warning: network {name}: {e:#}");
                continue;
            }
        };
        let stale: Vec<String> = (view.endpoints.iter())
            .filter(|(sandbox, r)| Some(r.vtep) == vtep && !local.contains(*sandbox))
            .flat_map(|(sandbox, r)| cluster::endpoint_keys(&name, sandbox, r.addresses()))
            .collect();
        let own_mesh = vtep.and_then(|v| view.mesh_peers.get(&v).cloned());
        let how = super::mesh::How {
            full: true,
            dry_run,
            endpoint_coming: false,
        };
        match super::mesh::settle(tx, kv, &id, view, how) {
            Ok(steps) => plan.extend(steps),
            Err(e) => eprintln!("ctnet: warning: network {name}: {e:#}"),
        }
        let network = (tx.state.networks.iter_mut())
            .find(|n| n.id == id)
            .expect("listed");
        let meshed = network.meshed_here();
        // The keys, where this host has its share (endpoints, or the mesh's).
        if (!local.is_empty() || meshed)
            && let Err(e) = cluster::refresh_keys(kv, network)
        {
            eprintln!("ctnet: warning: network {name}: {e:#}");
        }
        let stale_mesh = (own_mesh.filter(|_| !meshed))
            .and_then(|r| Some(cluster::mesh::mesh_keys(&name, r.vtep, r.ipv4?)));
        let stale: Vec<String> = stale
            .into_iter()
            .chain(stale_mesh.into_iter().flatten())
            .collect();
        if !stale.is_empty() {
            releases.push((url.clone(), StoreOp::Release(stale)));
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
