//! This host's share of a cluster overlay's services and routing mesh, brought in step
//! with the store: by `service create`/`rm` here, by a connect that finds the network, by
//! `overlay watch` when another host changes something, and by gc and restore.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use anyhow::Result;

use super::Tx;
use crate::cluster::kv::Kv;
use crate::cluster::{self, StoreOp};
use crate::drivers::overlay::mesh;
use crate::model::{Mac, RemoteEndpoint, Service};
use crate::plan::{Flows, Op};

/// What the store says of one network: its services, the other hosts' endpoints and
/// every host's mesh address.
#[derive(Debug, Default, Clone)]
pub struct View {
    pub services: Vec<Service>,
    pub endpoints: BTreeMap<String, RemoteEndpoint>,
    pub mesh_peers: BTreeMap<Ipv4Addr, RemoteEndpoint>,
}

impl View {
    /// The store's view of network `name`, read now.
    pub fn read(kv: &mut Kv, name: &str) -> Result<View> {
        Ok(View {
            services: cluster::mesh::services(kv, name)?,
            endpoints: cluster::endpoints(kv, name)?,
            mesh_peers: cluster::mesh::mesh_peers(kv, name)?,
        })
    }

    /// The view a watch's snapshot holds of network `name`.
    pub fn of_snapshot(snapshot: &cluster::Snapshot, name: &str) -> View {
        View {
            services: (snapshot.services.get(name))
                .map(|s| s.values().cloned().collect())
                .unwrap_or_default(),
            endpoints: snapshot.endpoints.get(name).cloned().unwrap_or_default(),
            mesh_peers: snapshot.mesh.get(name).cloned().unwrap_or_default(),
        }
    }
}

/// How a settle runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct How {
    /// Program every other host's entry again (gc, restore, a watch's first listing).
    pub full: bool,
    pub dry_run: bool,
    /// A connect is adding an endpoint here: the share stays whatever the mesh does.
    pub endpoint_coming: bool,
}

/// Brings the cluster network with id `id` in `tx` to `view`: its services, this host's
/// mesh share (its address claimed in the store when services need it, released when
/// they no longer do), and the other hosts' entries in its VXLAN device. Returns the
/// kernel's steps; the store's go into `tx` (a claim is given back if the command fails).
pub fn settle(tx: &mut Tx, kv: &mut Kv, id: &str, view: View, how: How) -> Result<Vec<Op>> {
    let Some(index) = tx.state.networks.iter().position(|n| n.id == id) else {
        return Ok(Vec::new());
    };
    let before = tx.state.networks[index].clone();
    let (Some(url), Some(settings)) = (cluster::store_of(&before), before.overlay.as_ref()) else {
        return Ok(Vec::new());
    };
    let url = url.to_string();
    let vtep = settings.vtep.expect("cluster overlays know their VTEP");
    // (A repair rebuilds `members` at its save: its loaded endpoints say it then.)
    let endpoints_here = how.endpoint_coming
        || before.has_members()
        || tx.state.endpoints.iter().any(|e| e.network_id == id);
    let had = endpoints_here || before.meshed_here();
    let mut after = before.clone();
    after.services = publishable(&tx.state, id, view.services);
    let wanted = mesh::wanted(&after);
    let own = settings.mesh;
    if wanted && own.is_none() {
        let mac = Mac::of_host(vtep);
        let fresh = !view.mesh_peers.contains_key(&vtep);
        let record = cluster::mesh::claim_mesh(kv, &after, vtep, mac, how.dry_run)?;
        let address = record.ipv4.expect("mesh records have an address");
        if fresh && !how.dry_run {
            tx.claimed(&url, cluster::mesh::mesh_keys(&after.name, vtep, address));
        }
        overlay_of(&mut after).mesh = Some(address);
    } else if let (false, Some(address)) = (wanted, own) {
        let keys = cluster::mesh::mesh_keys(&after.name, vtep, address);
        tx.store_step(&url, StoreOp::Release(keys));
        overlay_of(&mut after).mesh = None;
    }
    let has = endpoints_here || after.meshed_here();
    let overlay = overlay_of(&mut after);
    let mut entries = Vec::new();
    if has {
        let (steps, remotes) = cluster::sync_remotes(overlay, &view.endpoints, how.full);
        overlay.remotes = remotes;
        entries.extend(steps);
        let (steps, peers) = cluster::sync_mesh_peers(overlay, &view.mesh_peers, how.full);
        overlay.mesh_peers = peers;
        entries.extend(steps);
    } else {
        overlay.remotes.clear();
        overlay.mesh_peers.clear();
    }
    let mut plan = mesh::changes(&before, had, &after, has);
    // A share made now brings every entry with it.
    if had {
        plan.extend(entries);
    }
    plan.extend(forgotten_tasks(&before, &after));
    tx.state.networks[index] = after;
    Ok(plan)
}

/// The store's services of a network as this host can publish them: a port another
/// network's service or a container here already has stays unpublished here (with a
/// warning: two services on one port would make nft refuse the map, and every later
/// command with it).
fn publishable(state: &crate::model::State, id: &str, mut services: Vec<Service>) -> Vec<Service> {
    services.sort_by(|a, b| (&a.created, &a.name).cmp(&(&b.created, &b.name)));
    let mut taken: Vec<(crate::ports::Proto, u16)> =
        (state.networks.iter())
            .filter(|n| n.id != id)
            .flat_map(|n| n.services.iter().flat_map(|s| s.ports.iter()))
            .map(|p| (p.proto, p.published))
            .chain((state.published_ports()).flat_map(|(_, mapping)| {
                mapping.pairs().map(move |(host, _)| (mapping.proto, host))
            }))
            .collect();
    for service in &mut services {
        service.ports.retain(|port| {
            let key = (port.proto, port.published);
            if taken.contains(&key) {
                eprintln!(
                    "ctnet: warning: service {}: port {}/{} is taken on this host: not published here",
                    service.name,
                    port.published,
                    port.proto.name()
                );
                return false;
            }
            taken.push(key);
            true
        });
    }
    services
}

/// The flows of the tasks on other hosts that are no longer any service's here: this host
/// balanced connections to them, and they must not linger.
fn forgotten_tasks(before: &crate::model::Network, after: &crate::model::Network) -> Vec<Op> {
    let tasks = |n: &crate::model::Network| -> Vec<IpAddr> {
        (n.services.iter())
            .flat_map(|s| n.tasks(&s.name).into_iter())
            .filter(|(name, _)| !n.has_member(name))
            .flat_map(|(_, (v4, v6))| (v4.map(IpAddr::V4).into_iter()).chain(v6.map(IpAddr::V6)))
            .collect()
    };
    let now = tasks(after);
    let mut gone: Vec<IpAddr> = tasks(before)
        .into_iter()
        .filter(|a| !now.contains(a))
        .collect();
    gone.sort();
    gone.dedup();
    (gone.into_iter())
        .map(|addr| Op::ForgetFlows {
            flows: Flows::Of(addr),
        })
        .collect()
}

fn overlay_of(network: &mut crate::model::Network) -> &mut crate::model::OverlaySettings {
    network
        .overlay
        .as_mut()
        .expect("cluster networks are overlays")
}

/// For a connect to a cluster network: its services as the store has them now, and the
/// mesh share when they call for one that is not here yet (or no longer call for it). One
/// read of the store when nothing changed.
pub fn refresh(tx: &mut Tx, kv: &mut Kv, id: &str, dry_run: bool) -> Result<Vec<Op>> {
    let Some(network) = tx.state.network_by_id(id) else {
        return Ok(Vec::new());
    };
    let name = network.name.clone();
    let services = cluster::mesh::services(kv, &name)?;
    let mut known = network.services.clone();
    known.sort_by(|a, b| a.name.cmp(&b.name));
    let mut now = services.clone();
    now.sort_by(|a, b| a.name.cmp(&b.name));
    if known == now {
        return Ok(Vec::new());
    }
    // (The services are read already.)
    let view = View {
        services,
        endpoints: cluster::endpoints(kv, &name)?,
        mesh_peers: cluster::mesh::mesh_peers(kv, &name)?,
    };
    let how = How {
        dry_run,
        endpoint_coming: true,
        ..How::default()
    };
    settle(tx, kv, id, view, how)
}
