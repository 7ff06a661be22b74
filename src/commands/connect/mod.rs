//! `ctnet connect` and `ctnet disconnect`: endpoints between a network and a sandbox.

mod addresses;
pub mod attach;
mod gateway;
mod leave;

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};

use ipnet::{Ipv4Net, Ipv6Net};

use anyhow::Result;

use super::{Ctx, Tx, network, publish};
use crate::cli::{ConnectArgs, DisconnectArgs};
use crate::cluster::kv::Kv;
use crate::drivers::{self, Egress, NetworkDriver, bridge};
use crate::error::UserError;
use crate::ids::{new_id, now};
use crate::ifnames;
use crate::model::{Endpoint, Mac, Network, RemoteEndpoint, Sandbox, State, validate_name};
use crate::plan::Op;
use crate::ports::PortList;
use crate::refuse;
use crate::sys::{Kernel, netns};
use crate::{cluster, ipam, ipam6};

use addresses::pick_addresses;
pub use attach::Attach;
use gateway::attach_gateway_bridge;
pub use leave::plan_disconnect;

/// Finds the sandbox the user means, registering it on first use when it is given by
/// `pid`, `netns` (a path), or is a named namespace made by `ip netns add`.
pub fn resolve_sandbox(
    tx: &mut Tx,
    kernel: &mut dyn Kernel,
    name: &str,
    pid: Option<u32>,
    netns: Option<&Path>,
) -> Result<Sandbox> {
    let given: Option<PathBuf> = match (pid, netns) {
        (Some(pid), _) => Some(PathBuf::from(format!("/proc/{pid}/ns/net"))),
        (None, Some(path)) => Some(path.to_path_buf()),
        (None, None) => None,
    };
    if let Some(path) = &given
        && kernel.is_host_netns(path)
    {
        refuse!(
            "{} is ctnet's own network namespace, not a sandbox",
            path.display()
        );
    }
    if let Some(existing) = tx.sandbox(name)? {
        if !super::sandbox_alive(&*kernel, &existing) {
            refuse!(
                "sandbox {}'s namespace {} is gone (its process exited?): remove it with 'ctnet gc'",
                existing.name,
                existing.netns.display()
            );
        }
        if let Some(path) = &given
            && *path != existing.netns
        {
            refuse!(
                "sandbox {} already exists with namespace {}; pick another name",
                existing.name,
                existing.netns.display()
            );
        }
        return Ok(existing);
    }
    validate_name("sandbox", name)?;
    let (netns, owned) = match given {
        Some(path) => {
            if !kernel.is_netns(&path) {
                match pid {
                    Some(pid) => refuse!(
                        "process {pid} does not exist (no network namespace at {})",
                        path.display()
                    ),
                    None => refuse!("{} is not a network namespace", path.display()),
                }
            }
            (path, false)
        }
        None => {
            let path = netns::named_path(name);
            if !kernel.is_netns(&path) {
                refuse!(
                    "no sandbox named {0}: create it with 'ctnet sandbox create {0}', or pass --pid PID or --netns PATH",
                    name
                );
            }
            // A name under /run/netns can be a bind mount of anything, the host's own
            // namespace included: eth0 and a default route must never land there.
            if kernel.is_host_netns(&path) {
                refuse!(
                    "{} is ctnet's own network namespace, not a sandbox",
                    path.display()
                );
            }
            (path, false)
        }
    };
    // A namespace that already holds an interface of ctnet's is some sandbox's already
    // (under another name): two sandboxes on one namespace would fight over its eth0 and
    // its default route.
    if let Some(dev) = kernel.tagged_link(&crate::plan::Ns::Path(netns.clone())) {
        refuse!(
            "{} is already a sandbox's namespace ({dev} in it is ctnet's): use that sandbox's name",
            netns.display()
        );
    }
    let netns_inode = kernel.netns_inode(&netns);
    let sandbox = Sandbox {
        lab: None,
        own_hosts: false,
        container: None,
        dns: Default::default(),
        run_by: None,
        id: new_id()?,
        name: name.to_string(),
        netns,
        pid,
        owned,
        created: now(),
        netns_inode,
    };
    tx.state.sandboxes.push(sandbox.clone());
    Ok(sandbox)
}

fn validate_ifname(name: &str) -> Result<(), UserError> {
    if name == "lo" {
        refuse!("invalid interface name lo: the sandbox's loopback has it");
    }
    crate::model::validate_ifname("interface name", name)
}

/// The network a connect names: a local one, or (with a store) a cluster network this
/// host has not used yet, taken from the store. With a cluster network comes the
/// connection to its store, made before anything changes.
fn resolve_network(ctx: &mut Ctx, tx: &mut Tx, key: &str) -> Result<(Network, Option<Kv>)> {
    let network = match tx.state.network(key) {
        Ok(network) => network.clone(),
        Err(not_here) => {
            let Some(url) = ctx.global.store.as_deref() else {
                return Err(not_here.into());
            };
            let mut kv = Kv::connect(url)?;
            let Some(network) = cluster::adopt(&mut kv, key, &tx.state, ctx.kernel)? else {
                return Err(not_here.into());
            };
            tx.state.networks.push(network.clone());
            return Ok((network, Some(kv)));
        }
    };
    let kv = match cluster::store_of(&network) {
        Some(url) => Some(Kv::connect(url)?),
        None => None,
    };
    Ok((network, kv))
}

pub fn connect(ctx: &mut Ctx, args: &ConnectArgs) -> Result<()> {
    let attach = Attach::from_args(args)?;
    let tx = Tx::begin_for_one_member(ctx)?;
    join(ctx, tx, &args.network, &attach, |tx, kernel| {
        resolve_sandbox(tx, kernel, &args.sandbox, args.pid, args.netns.as_deref())
    })
    .map(|_| ())
}

/// Connects, in `tx`, the network called `key` and the sandbox `pick` finds or registers,
/// and commits. Returns the new endpoint and its network.
pub fn join(
    ctx: &mut Ctx,
    mut tx: Tx,
    key: &str,
    attach: &Attach,
    pick: impl FnOnce(&mut Tx, &mut dyn Kernel) -> Result<Sandbox>,
) -> Result<(Endpoint, Network)> {
    let (mut network, mut kv) = resolve_network(ctx, &mut tx, key)?;
    // A cluster network's services (and this host's share of the routing mesh) as the
    // store has them now.
    let mesh_plan = match kv.as_mut() {
        Some(kv) => {
            let plan = super::mesh::refresh(&mut tx, kv, &network.id, ctx.global.dry_run)?;
            network = tx
                .state
                .network_by_id(&network.id)
                .cloned()
                .expect("resolved");
            plan
        }
        None => Vec::new(),
    };
    // A cluster endpoint holds keys in the store from its claim on: any failure after it
    // gives them back.
    let mut claimed: Vec<String> = Vec::new();
    let result = plan_connect(
        ctx,
        &mut tx,
        attach,
        pick,
        network,
        kv.as_mut(),
        &mut claimed,
    )
    .and_then(|(plan, endpoint)| {
        // Forgetting flows cannot be undone: after everything else.
        let (forget, mesh_plan): (Vec<Op>, Vec<Op>) =
            (mesh_plan.into_iter()).partition(|op| matches!(op, Op::ForgetFlows { .. }));
        let plan = mesh_plan.into_iter().chain(plan).chain(forget).collect();
        let network = tx
            .state
            .network_by_id(&endpoint.network_id)
            .map(without_members);
        tx.commit(ctx, plan)?;
        Ok((
            endpoint,
            network.expect("the endpoint's network is in the state"),
        ))
    });
    if let (Err(_), Some(kv)) = (&result, kv.as_mut())
        && !claimed.is_empty()
        && let Err(e) = kv.delete(&claimed, &[])
    {
        eprintln!(
            "ctnet: warning: could not give back the claim in the store: {e:#} ('ctnet gc' will)"
        );
    }
    result
}

/// A copy of a network for a caller after the commit: its settings, without the member
/// lists (which, shared with the state, the commit would otherwise have to copy to change).
fn without_members(network: &Network) -> Network {
    Network {
        members: Default::default(),
        members6: Default::default(),
        aliases: Default::default(),
        macs: Default::default(),
        ..network.clone()
    }
}

/// Everything a connect decides: the endpoint (and its addresses, claimed in the store for
/// a cluster network), the state, and the kernel steps.
pub fn plan_connect(
    ctx: &mut Ctx,
    tx: &mut Tx,
    attach: &Attach,
    pick: impl FnOnce(&mut Tx, &mut dyn Kernel) -> Result<Sandbox>,
    mut network: Network,
    kv: Option<&mut Kv>,
    claimed: &mut Vec<String>,
) -> Result<(Vec<Op>, Endpoint)> {
    let driver = drivers::for_network(&network)?;
    let (requested, requested6, mac) = (attach.ipv4, attach.ipv6, attach.mac);
    if requested6.is_some() && network.ipam6.is_none() {
        refuse!(
            "network {} has no IPv6 subnet: --ip6 needs a network made with --ipv6",
            network.name
        );
    }
    let specs = attach.ports.clone();
    let mut sandbox = pick(tx, ctx.kernel)?;
    if !attach.dns.is_empty() {
        sandbox.dns = sandbox.dns.updated(&attach.dns);
        let stored = tx.state.sandboxes.iter_mut().find(|s| s.id == sandbox.id);
        stored.expect("pick keeps the sandbox in the state").dns = sandbox.dns.clone();
    }
    if network.services.iter().any(|s| s.name == sandbox.name) {
        refuse!(
            "network {} has a service {}: a sandbox by that name would take its name (connect it with --alias {} to make it a task)",
            network.name,
            sandbox.name,
            sandbox.name
        );
    }
    if tx.state.endpoint(&network.id, &sandbox.id).is_some() {
        refuse!(
            "sandbox {} is already connected to network {}",
            sandbox.name,
            network.name
        );
    }
    // A link's other end, where endpoints pair up (p2p).
    let peer = match driver.pairs() {
        true => link_peer(tx, &network, &specs)?,
        false => None,
    };
    let in_sandbox: Vec<&Endpoint> = tx.state.endpoints_of_sandbox(&sandbox.id).collect();
    let ifname = match &attach.ifname {
        Some(name) if in_sandbox.iter().any(|e| &e.ifname == name) => {
            refuse!("sandbox {} already has an interface {name}", sandbox.name)
        }
        Some(name) => name.clone(),
        None => (0..)
            .map(|i| format!("eth{i}"))
            .find(|n| !in_sandbox.iter().any(|e| &e.ifname == n))
            .expect("an unused ethN exists"),
    };
    // An overlay has no gateway on any host: its endpoints take no default route.
    let may_route = !network.internal && driver.egress().gateway_here();
    let via_gateway_bridge = driver.egress() == Egress::GatewayBridge;
    let first_here = !network.share_here();
    // Addresses handed out as the lowest free ones: the network's next search starts after
    // them (not so in cluster mode, where other hosts hold addresses too).
    let mut lowest_free = Vec::new();
    let (ipv4, ipv6, mac, remote_plan) = match kv {
        None => {
            let (ipv4, ipv6, mac) =
                pick_addresses(&network, requested, requested6, mac, &HashSet::new())?;
            if requested.is_none() {
                lowest_free.extend(ipv4.map(|n| IpAddr::V4(n.addr())));
            }
            if requested6.is_none() {
                lowest_free.extend(ipv6.map(|n| IpAddr::V6(n.addr())));
            }
            (ipv4, ipv6, mac, Vec::new())
        }
        Some(kv) => {
            // Cluster mode: the store decides, by compare-and-swap, who gets an address.
            let vtep = (network.overlay.as_ref())
                .and_then(|o| o.vtep)
                .expect("cluster overlays know their VTEP");
            let mut picked = None;
            let dry_run = ctx.global.dry_run;
            let (record, others) = cluster::claim(kv, &network, &sandbox.name, dry_run, |taken| {
                let addresses = pick_addresses(&network, requested, requested6, mac, taken)?;
                picked = Some(addresses);
                let (ipv4, ipv6, mac) = addresses;
                Ok(RemoteEndpoint {
                    vtep,
                    mac: mac.expect("overlay endpoints have MACs of their own"),
                    ipv4: ipv4.map(|n| n.addr()),
                    ipv6: ipv6.map(|n| n.addr()),
                    aliases: attach.aliases.clone(),
                })
            })?;
            if !dry_run {
                *claimed = cluster::endpoint_keys(&network.name, &sandbox.name, record.addresses());
            }
            cluster::refresh_keys(kv, &mut network)?;
            let (ipv4, ipv6, mac) = picked.expect("claim chose addresses");
            // The other hosts' endpoints, as the store has them now. The first endpoint
            // here brings them all with the devices (the driver's create).
            let overlay = network
                .overlay
                .as_mut()
                .expect("cluster networks are overlays");
            let (steps, remotes) = cluster::sync_remotes(overlay, &others, false);
            overlay.remotes = remotes;
            (ipv4, ipv6, mac, if first_here { Vec::new() } else { steps })
        }
    };
    let id = new_id()?;
    let endpoint = Endpoint {
        impair: Default::default(),
        // Only a veth has a host end; a macvlan or ipvlan child lives in the sandbox alone.
        host_ifname: if driver.bridge_of(&network).is_some() {
            ifnames::veth(&id)
        } else {
            String::new()
        },
        id,
        network_id: network.id.clone(),
        sandbox_id: sandbox.id.clone(),
        ifname,
        mac,
        ipv4,
        ipv6,
        aliases: attach.aliases.clone(),
        // The first network of each family gives the sandbox that family's default route.
        default_route: may_route && ipv4.is_some() && !in_sandbox.iter().any(|e| e.default_route),
        default_route6: may_route && ipv6.is_some() && !in_sandbox.iter().any(|e| e.default_route6),
        // An overlay endpoint publishes through its gateway bridge endpoint (below).
        ports: if specs.is_empty() || via_gateway_bridge {
            PortList::default()
        } else {
            publish::allocate(&tx.state, ctx.kernel, &network, &specs)?.into()
        },
    };
    let gateway_specs = if via_gateway_bridge {
        specs
    } else {
        Vec::new()
    };
    let mut plan = Vec::new();
    // The first endpoint of an overlay on this host brings the host's share of it.
    if driver.links_follow_endpoints() && first_here {
        plan.extend(driver.create(&network));
    }
    let peer_ref = peer.as_ref().map(|(e, s)| (e, s));
    plan.extend(driver.join_beside(&network, &endpoint, &sandbox, peer_ref));
    // A p2p link made again brings back the waiting end's impairments.
    if let Some((other, other_sandbox)) = &peer {
        plan.extend(crate::commands::impair::reapply(other, other_sandbox));
    }
    plan.extend(remote_plan);
    // The state keeps the other hosts' endpoints as now programmed (cluster mode).
    if let Some(stored) = tx.state.networks.iter_mut().find(|n| n.id == network.id) {
        stored.overlay = network.overlay.clone();
        for ip in lowest_free {
            stored.took_lowest_free(ip);
        }
    }
    tx.state.endpoints.push(endpoint.clone());
    // An internal overlay has no way out, as in Docker: no gateway bridge, no ports.
    if via_gateway_bridge && !network.internal {
        let config = crate::config::Config::load(ctx.global.config.as_deref())?;
        plan.extend(attach_gateway_bridge(
            tx,
            ctx.kernel,
            &config,
            &sandbox,
            &gateway_specs,
        )?);
    } else if via_gateway_bridge && !gateway_specs.is_empty() {
        refuse!(
            "network {} is internal: it publishes no ports",
            network.name
        );
    }
    Ok((plan, endpoint))
}

/// The endpoint already on a link (and its sandbox), if any: a link has two ends, and
/// publishes nothing.
fn link_peer(
    tx: &mut Tx,
    network: &Network,
    specs: &[crate::ports::PortSpec],
) -> Result<Option<(Endpoint, Sandbox)>> {
    if !specs.is_empty() {
        refuse!(
            "network {} is a p2p link: it publishes no ports (publish through a network with a gateway)",
            network.name
        );
    }
    let ends: Vec<String> = network.member_names().into_iter().cloned().collect();
    if ends.len() >= drivers::p2p::ENDS {
        refuse!(
            "network {} is a p2p link between {} and {} already: a link has two ends",
            network.name,
            ends[0],
            ends[1]
        );
    }
    let Some(name) = ends.first() else {
        return Ok(None);
    };
    let Some(sandbox) = tx.sandbox(name)? else {
        return Ok(None);
    };
    Ok(tx
        .state
        .endpoint(&network.id, &sandbox.id)
        .cloned()
        .map(|endpoint| (endpoint, sandbox)))
}

pub fn disconnect(ctx: &mut Ctx, args: &DisconnectArgs) -> Result<()> {
    let mut tx = Tx::begin_for_one_member(ctx)?;
    let network = tx.state.network(&args.network)?.clone();
    let Some(sandbox) = tx.sandbox(&args.sandbox)? else {
        refuse!("sandbox {} not found", args.sandbox);
    };
    let Some(endpoint) = tx.state.endpoint(&network.id, &sandbox.id).cloned() else {
        refuse!(
            "sandbox {} is not connected to network {}",
            sandbox.name,
            network.name
        );
    };
    let plan = plan_leave(ctx, &mut tx, &network, &sandbox, &endpoint)?;
    // A copy sharing the member lists would make the commit copy them to change them.
    drop(network);
    if args.force {
        tx.commit_best_effort(ctx, plan.into_iter().map(|op| vec![op]).collect())
    } else {
        tx.commit(ctx, plan)
    }
}

/// The steps that take `endpoint` (of `sandbox` on `network`) away, with the state changed
/// to match: its driver's, the default route moving on, and for a cluster network that
/// stays on this host, its other hosts' entries as the store has them now (the store is
/// reached before anything changes; reading it is no change, so a dry run shows the same
/// plan).
pub fn plan_leave(
    ctx: &mut Ctx,
    tx: &mut Tx,
    network: &Network,
    sandbox: &Sandbox,
    endpoint: &Endpoint,
) -> Result<Vec<Op>> {
    let mut plan = plan_disconnect(
        &mut tx.state,
        endpoint,
        super::sandbox_alive(ctx.kernel, sandbox),
    )?;
    if let Some(url) = cluster::store_of(network) {
        let mut kv = Kv::connect(url)?;
        let endpoints = cluster::endpoints(&mut kv, &network.name)?;
        if let Some(overlay) = tx
            .state
            .networks
            .iter_mut()
            .find(|n| n.id == network.id)
            .and_then(|n| n.overlay.as_mut())
            .filter(|o| {
                // Not when the devices go with this endpoint.
                !plan
                    .iter()
                    .any(|op| matches!(op, Op::DeleteLink { dev, .. } if *dev == o.vxlan))
            })
        {
            let (steps, remotes) = cluster::sync_remotes(overlay, &endpoints, false);
            overlay.remotes = remotes;
            plan.extend(steps);
        }
    }
    Ok(plan)
}
