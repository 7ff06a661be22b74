//! `ctnet network create | ls | inspect | rm | prune`.

mod request;
mod show;

use std::net::{Ipv4Addr, Ipv6Addr};

use anyhow::Result;
use ipnet::{Ipv4Net, Ipv6Net};
use serde_json::{Value, json};

use super::{Ctx, Tx, print_table};
use crate::cli::{CreateArgs, Format, LsArgs};
use crate::cluster;
use crate::cluster::StoreOp;
use crate::config::Config;
use crate::drivers::bridge::{self, GATEWAY_BRIDGE};
use crate::drivers::{self, Host, NetworkRequest, PoolRequest};
use crate::error::UserError;
use crate::ids::{new_id, short_id};
use crate::model::{Driver, Network, State};
use crate::netopts::{parse_key_value, parse_map};
use crate::plan::Op;
use crate::refuse;
use crate::sys::Kernel;

pub use request::parse_dns_servers;
use request::request_from_args;
pub use show::{inspect, ls};

/// Adds Docker's three predefined networks to a fresh state and returns the steps that
/// make the default bridge.
pub fn add_default_networks(
    state: &mut State,
    kernel: &mut dyn Kernel,
    config: &Config,
) -> Result<Vec<Op>> {
    let mut request = bridge::default_request();
    // The configuration's bip: the bridge's subnet and gateway (Docker's daemon.json).
    if let Some(bip) = config.bip {
        let pool = request.ipv4.get_or_insert_with(Default::default);
        pool.subnet = Some(bip.trunc());
        pool.gateway = Some(bip.addr());
    }
    if let Some(mtu) = config.mtu {
        request
            .options
            .insert("com.docker.network.driver.mtu".into(), mtu.to_string());
    }
    let host = &mut Host {
        state,
        kernel,
        config,
    };
    let mut bridge = drivers::settle(&request, host)?;
    bridge.options = bridge::default_options();
    bridge.options.extend(
        config
            .mtu
            .map(|mtu| ("com.docker.network.driver.mtu".to_string(), mtu.to_string())),
    );
    let plan = drivers::for_network(&bridge)?.create(&bridge);
    let created = bridge.created.clone();
    state.networks.push(bridge);
    for (name, driver) in [("host", Driver::Host), ("none", Driver::Null)] {
        let mut network = Network::blank(new_id()?, name, driver, created.clone());
        network.builtin = true;
        state.networks.push(network);
    }
    Ok(plan)
}

/// The gateway bridge network, and the steps that make it (none if it exists).
pub fn gateway_bridge(
    state: &State,
    kernel: &mut dyn Kernel,
    config: &Config,
) -> Result<(Network, Vec<Op>)> {
    if let Some(existing) = state.networks.iter().find(|n| n.name == GATEWAY_BRIDGE) {
        return Ok((existing.clone(), Vec::new()));
    }
    let host = &mut Host {
        state,
        kernel,
        config,
    };
    let network = drivers::settle(&bridge::gateway_request(), host)?;
    let plan = drivers::for_network(&network)?.create(&network);
    Ok((network, plan))
}

/// A new network from `request`, settled by its driver and put into `tx`'s state, and the
/// steps that make it (a cluster network's publication goes into `tx`).
pub fn plan_creation(
    ctx: &mut Ctx,
    tx: &mut Tx,
    request: &NetworkRequest,
) -> Result<(Network, Vec<Op>)> {
    if request.name == GATEWAY_BRIDGE {
        refuse!("{GATEWAY_BRIDGE} is ctnet's: overlay endpoints get it by themselves");
    }
    let config = Config::load(ctx.global.config.as_deref())?;
    let host = &mut Host {
        state: &tx.state,
        kernel: ctx.kernel,
        config: &config,
    };
    let network = drivers::settle(request, host)?;
    let driver = drivers::for_network(&network)?;
    // An overlay comes to a host with its first endpoint there.
    let plan = match driver.links_follow_endpoints() {
        true => Vec::new(),
        false => driver.create(&network),
    };
    // A cluster network is the cluster's first: it exists once the store has it.
    if let Some(url) = cluster::store_of(&network) {
        tx.store_step(url, StoreOp::Publish(network.clone()));
    }
    tx.state.networks.push(network.clone());
    Ok((network, plan))
}

pub fn create(ctx: &mut Ctx, args: &CreateArgs) -> Result<()> {
    let mut tx = Tx::begin(ctx)?;
    let request = request_from_args(args, ctx.global.store.as_deref(), ctx.global.insecure_store)?;
    let (network, plan) = plan_creation(ctx, &mut tx, &request)?;
    let driver = drivers::for_network(&network)?;
    let id = network.id.clone();
    let name = network.name.clone();
    let forwarded = driver.egress().forwarded();
    tx.commit(ctx, plan)?;
    if !ctx.global.dry_run {
        writeln!(ctx.out, "{id}")?;
        if forwarded {
            warn_about_forward_blockers(ctx, &name);
        }
    }
    Ok(())
}

/// One line on stderr when another table drops forwarded traffic that this network needs;
/// `ctnet doctor` says more, with the rules to add.
fn warn_about_forward_blockers(ctx: &mut Ctx, name: &str) {
    let Ok(host) = ctx.kernel.host_firewall() else {
        return;
    };
    let blockers: Vec<String> = host
        .forward_blockers()
        .iter()
        .map(|c| c.to_string())
        .collect();
    if !blockers.is_empty() {
        eprintln!(
            "ctnet: warning: {} drops forwarded traffic by default: network {name}'s {} will not work unless it accepts them (see 'ctnet doctor' for the rules to add)",
            blockers.join(" and "),
            host.what_breaks()
        );
    }
}

/// Removes `network` from `tx.state` and returns the kernel steps, refusing what Docker refuses.
pub fn plan_removal(tx: &mut Tx, network: &Network) -> Result<Vec<Op>> {
    // The gateway bridge is made on demand, and may go once no overlay endpoint uses it.
    if network.builtin && network.name != GATEWAY_BRIDGE {
        refuse!(
            "{} is a pre-defined network and cannot be removed",
            network.name
        );
    }
    if !network.services.is_empty() {
        let names: Vec<&str> = network.services.iter().map(|s| s.name.as_str()).collect();
        refuse!(
            "network {} is in use by services ({}): 'ctnet service rm' them first",
            network.name,
            names.join(", ")
        );
    }
    let attached: Vec<String> = network.member_names().into_iter().cloned().collect();
    if !attached.is_empty() {
        refuse!(
            "network {} has active endpoints ({}): disconnect them first",
            network.name,
            attached.join(", ")
        );
    }
    tx.state.networks.retain(|n| n.id != network.id);
    Ok(match drivers::for_network(network) {
        Ok(driver) => driver.delete(network),
        Err(_) => vec![],
    })
}

pub fn rm(ctx: &mut Ctx, keys: &[String]) -> Result<()> {
    let mut tx = Tx::begin(ctx)?;
    let mut plan = Vec::new();
    // All or nothing: every name is resolved and checked before anything is removed, and
    // a network named twice (or by name and by id) is removed once.
    let mut networks: Vec<Network> = Vec::new();
    for key in keys {
        let network = tx.state.network(key)?;
        if !networks.iter().any(|n| n.id == network.id) {
            networks.push(network.clone());
        }
    }
    for network in &networks {
        plan.extend(plan_removal(&mut tx, network)?);
    }
    // Cluster networks leave the store first (refused while any host has endpoints on
    // them), and come back if anything fails.
    for network in &networks {
        if let Some(url) = cluster::store_of(network) {
            tx.store_step(url, StoreOp::Remove(network.clone()));
        }
    }
    tx.commit(ctx, plan)?;
    if !ctx.global.dry_run {
        for key in keys {
            writeln!(ctx.out, "{key}")?;
        }
    }
    Ok(())
}

pub fn prune(ctx: &mut Ctx) -> Result<()> {
    let mut tx = Tx::begin(ctx)?;
    let unused: Vec<Network> = tx
        .state
        .networks
        .iter()
        // A cluster network is the cluster's: unused here says nothing about elsewhere.
        .filter(|n| !n.builtin && !n.has_members() && n.services.is_empty())
        .filter(|n| cluster::store_of(n).is_none())
        .cloned()
        .collect();
    let mut plan = Vec::new();
    for network in &unused {
        plan.extend(plan_removal(&mut tx, network)?);
    }
    tx.commit(ctx, plan)?;
    if !ctx.global.dry_run && !unused.is_empty() {
        writeln!(ctx.out, "Deleted Networks:")?;
        for network in &unused {
            writeln!(ctx.out, "{}", network.name)?;
        }
    }
    Ok(())
}
