//! `ctnet network create | ls | inspect | rm | prune`.

use std::net::{Ipv4Addr, Ipv6Addr};

use anyhow::Result;
use ipnet::{Ipv4Net, Ipv6Net};
use serde_json::{Value, json};

use super::{Ctx, Tx, print_table};
use crate::cli::{CreateArgs, Format, LsArgs};
use crate::cluster;
use crate::cluster::kv::Kv;
use crate::drivers::bridge::{self, GATEWAY_BRIDGE};
use crate::drivers::{self, Host, NetworkRequest, PoolRequest};
use crate::error::UserError;
use crate::ids::{new_id, short_id};
use crate::model::{Driver, Network, State};
use crate::netopts::{parse_key_value, parse_map};
use crate::plan::Op;
use crate::refuse;
use crate::sys::Kernel;

/// Adds Docker's three predefined networks to a fresh state and returns the steps that
/// make the default bridge.
pub fn add_default_networks(state: &mut State, kernel: &mut dyn Kernel) -> Result<Vec<Op>> {
    let mut bridge = drivers::settle(&bridge::default_request(), &mut Host { state, kernel })?;
    bridge.options = bridge::default_options();
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

fn parse_ipv4(what: &str, text: &str) -> Result<Ipv4Addr, UserError> {
    text.parse()
        .map_err(|_| UserError::new(format!("invalid {what} {text:?}: expected an IPv4 address")))
}

fn parse_ip6(what: &str, text: &str) -> Result<Ipv6Addr, UserError> {
    text.parse()
        .map_err(|_| UserError::new(format!("invalid {what} {text:?}: expected an IPv6 address")))
}

fn parse_cidr(what: &str, text: &str) -> Result<Ipv4Net, UserError> {
    text.parse().map_err(|_| {
        UserError::new(format!(
            "invalid {what} {text:?}: expected IPv4 CIDR like 172.20.0.0/16"
        ))
    })
}

fn parse_cidr6(what: &str, text: &str) -> Result<Ipv6Net, UserError> {
    text.parse().map_err(|_| {
        UserError::new(format!(
            "invalid {what} {text:?}: expected IPv6 CIDR like fd00:1::/64"
        ))
    })
}

/// Splits a flag's values into IPv4 ones and IPv6 ones (those with a colon).
fn by_family(values: &[String]) -> (Vec<String>, Vec<String>) {
    values.iter().cloned().partition(|v| !v.contains(':'))
}

/// At most one IPv4 value of a repeatable flag.
fn single<'a>(flag: &str, values: &'a [String]) -> Result<Option<&'a String>, UserError> {
    if values.len() > 1 {
        refuse!(
            "--{flag} is given {} times; a bridge network takes one IPv4 subnet",
            values.len()
        );
    }
    Ok(values.first())
}

/// At most one IPv6 value of a repeatable flag.
fn single6<'a>(flag: &str, values: &'a [String]) -> Result<Option<&'a String>, UserError> {
    if values.len() > 1 {
        refuse!(
            "--{flag} is given {} IPv6 values; a network takes one",
            values.len()
        );
    }
    Ok(values.first())
}

/// The request the command line makes: each address flag may carry one IPv4 and (with
/// --ipv6) one IPv6 value, as Docker's; every value is parsed here.
fn request_from_args(args: &CreateArgs, store: Option<&str>) -> Result<NetworkRequest> {
    let driver = Driver::parse(&args.driver)?;
    let (subnet4, subnet6) = by_family(&args.subnet);
    let (gateway4, gateway6) = by_family(&args.gateway);
    let (range4, range6) = by_family(&args.ip_range);
    let (mut aux, mut aux6) = (Vec::new(), Vec::new());
    for item in &args.aux_address {
        let (name, ip) = parse_key_value("aux-address", item)?;
        match ip.contains(':') {
            true => aux6.push((name, parse_ip6("aux-address", &ip)?)),
            false => aux.push((name, parse_ipv4("aux-address", &ip)?)),
        }
    }
    let ipv6 = if args.ipv6 {
        Some(PoolRequest {
            subnet: single6("subnet", &subnet6)?
                .map(|s| parse_cidr6("subnet", s))
                .transpose()?,
            gateway: single6("gateway", &gateway6)?
                .map(|g| parse_ip6("gateway", g))
                .transpose()?,
            range: single6("ip-range", &range6)?
                .map(|r| parse_cidr6("ip-range", r))
                .transpose()?,
            aux: aux6,
        })
    } else {
        if !(subnet6.is_empty() && gateway6.is_empty() && range6.is_empty() && aux6.is_empty()) {
            refuse!(
                "IPv6 addresses in --subnet, --gateway, --ip-range or --aux-address need --ipv6"
            );
        }
        None
    };
    let ipv4 = PoolRequest {
        subnet: single("subnet", &subnet4)?
            .map(|s| parse_cidr("subnet", s))
            .transpose()?,
        gateway: single("gateway", &gateway4)?
            .map(|g| parse_ipv4("gateway", g))
            .transpose()?,
        range: single("ip-range", &range4)?
            .map(|r| parse_cidr("ip-range", r))
            .transpose()?,
        aux,
    };
    let ipv4 = if args.ipv4 {
        Some(ipv4)
    } else {
        if ipv6.is_none() {
            refuse!("--ipv4=false needs --ipv6: a network needs addresses of one family at least");
        }
        if ipv4 != PoolRequest::default() {
            refuse!("--ipv4=false takes no IPv4 --subnet, --gateway, --ip-range or --aux-address");
        }
        None
    };
    Ok(NetworkRequest {
        name: args.name.clone(),
        driver,
        ipv4,
        ipv6,
        internal: args.internal,
        labels: parse_map("label", &args.label)?,
        options: parse_map("option", &args.opt)?,
        builtin: false,
        store: store.map(str::to_string),
    })
}

/// The gateway bridge network, and the steps that make it (none if it exists).
pub fn gateway_bridge(state: &State, kernel: &mut dyn Kernel) -> Result<(Network, Vec<Op>)> {
    if let Some(existing) = state.networks.iter().find(|n| n.name == GATEWAY_BRIDGE) {
        return Ok((existing.clone(), Vec::new()));
    }
    let network = drivers::settle(&bridge::gateway_request(), &mut Host { state, kernel })?;
    let plan = drivers::for_network(&network)?.create(&network);
    Ok((network, plan))
}

pub fn create(ctx: &mut Ctx, args: &CreateArgs) -> Result<()> {
    if args.name == GATEWAY_BRIDGE {
        refuse!("{GATEWAY_BRIDGE} is ctnet's: overlay endpoints get it by themselves");
    }
    let mut tx = Tx::begin(ctx)?;
    let request = request_from_args(args, ctx.global.store.as_deref())?;
    let host = &mut Host {
        state: &tx.state,
        kernel: ctx.kernel,
    };
    let network = drivers::settle(&request, host)?;
    let driver = drivers::for_network(&network)?;
    // An overlay comes to a host with its first endpoint there.
    let plan = match driver.links_follow_endpoints() {
        true => Vec::new(),
        false => driver.create(&network),
    };
    // A cluster network is the cluster's first: it exists once the store has it.
    let mut published = match cluster::store_of(&network) {
        Some(url) if !ctx.global.dry_run => {
            let mut kv = Kv::connect(url)?;
            cluster::publish_network(&mut kv, &network)?;
            Some(kv)
        }
        _ => None,
    };
    let id = network.id.clone();
    let name = network.name.clone();
    let vni = network.overlay.as_ref().map(|o| o.vni);
    let forwarded = driver.egress() != drivers::Egress::Lan;
    tx.state.networks.push(network);
    if let Err(e) = tx.commit(ctx, plan) {
        if let (Some(kv), Some(vni)) = (published.as_mut(), vni)
            && let Err(undo) = cluster::withdraw_network(kv, &name, vni)
        {
            eprintln!("ctnet: warning: network {name} stays in the store: {undo:#}");
        }
        return Err(e);
    }
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

/// Docker's `network ls --filter` keys.
fn matches_filter(net: &Network, key: &str, value: &str) -> Result<bool, UserError> {
    Ok(match key {
        "driver" => Driver::parse(value).is_ok_and(|d| d == net.driver),
        "id" => net.id.starts_with(value),
        "name" => net.name.contains(value),
        "label" => match value.split_once('=') {
            Some((k, v)) => net.labels.get(k).is_some_and(|x| x == v),
            None => net.labels.contains_key(value),
        },
        "scope" => value == "local",
        "type" => match value {
            "builtin" => net.builtin,
            "custom" => !net.builtin,
            _ => refuse!("invalid filter type={value}: use builtin or custom"),
        },
        "dangling" => {
            let unused = !net.builtin && net.member_names().is_empty();
            match value {
                "true" | "1" => unused,
                "false" | "0" => !unused,
                _ => refuse!("invalid filter dangling={value}: use true or false"),
            }
        }
        _ => {
            refuse!("invalid filter {key:?}: use driver, id, name, label, scope, type or dangling")
        }
    })
}

pub fn ls(ctx: &mut Ctx, args: &LsArgs) -> Result<()> {
    let filters: Vec<(String, String)> = args
        .filter
        .iter()
        .map(|f| parse_key_value("filter", f))
        .collect::<Result<_, _>>()?;
    let state = Tx::read(ctx, false)?;
    // Filters with the same key widen the match, different keys narrow it, as in Docker.
    let mut shown = Vec::new();
    for net in &state.networks {
        let mut keep = true;
        for key in filters
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let mut any = false;
            for (_, value) in filters.iter().filter(|(k, _)| k == key) {
                any |= matches_filter(net, key, value)?;
            }
            keep &= any;
        }
        if keep {
            shown.push(net);
        }
    }
    if ctx.global.quiet {
        for net in shown {
            writeln!(ctx.out, "{}", short_id(&net.id))?;
        }
        return Ok(());
    }
    match ctx.format() {
        Format::Json => {
            // One object per line, as `docker network ls --format json` prints.
            for net in shown {
                let line = json!({
                    "CreatedAt": net.created, "Driver": net.driver.name(), "ID": short_id(&net.id),
                    "IPv6": net.enable_ipv6.to_string(), "Internal": net.internal.to_string(),
                    "Labels": net.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
                    "Name": net.name, "Scope": scope(net),
                });
                writeln!(ctx.out, "{line}")?;
            }
        }
        Format::Table | Format::Dot | Format::Mermaid => {
            let rows: Vec<Vec<String>> = shown
                .iter()
                .map(|n| {
                    vec![
                        short_id(&n.id).into(),
                        n.name.clone(),
                        n.driver.name().into(),
                        scope(n).into(),
                    ]
                })
                .collect();
            print_table(ctx.out, &["NETWORK ID", "NAME", "DRIVER", "SCOPE"], &rows)?;
        }
    }
    Ok(())
}

/// Docker's scope: "global" for a network the cluster store holds.
fn scope(net: &Network) -> &'static str {
    match cluster::store_of(net) {
        Some(_) => "global",
        None => "local",
    }
}

/// A network as `docker network inspect` shows it.
pub fn inspect_json(net: &Network, state: &State) -> Value {
    let mut configs: Vec<Value> = net
        .ipam
        .iter()
        .map(|c: &crate::model::IpamConfig| {
            let mut v = json!({ "Subnet": c.subnet.to_string(), "Gateway": c.gateway.to_string() });
            if let Some(range) = c.ip_range {
                v["IPRange"] = json!(range.to_string());
            }
            if !c.aux_addresses.is_empty() {
                v["AuxiliaryAddresses"] = json!(c.aux_addresses);
            }
            v
        })
        .collect();
    if let Some(c) = &net.ipam6 {
        let mut v = json!({ "Subnet": c.subnet.to_string(), "Gateway": c.gateway.to_string() });
        if let Some(range) = c.ip_range {
            v["IPRange"] = json!(range.to_string());
        }
        if !c.aux_addresses.is_empty() {
            v["AuxiliaryAddresses"] = json!(c.aux_addresses);
        }
        configs.push(v);
    }
    let containers: serde_json::Map<String, Value> = state
        .endpoints_of_network(&net.id)
        .filter_map(|ep| {
            let sandbox = state.sandbox_by_id(&ep.sandbox_id)?;
            Some((
                sandbox.id.clone(),
                json!({
                    "Name": sandbox.name, "EndpointID": ep.id, "MacAddress": ep.mac,
                    "IPv4Address": ep.ipv4.map(|a| a.to_string()).unwrap_or_default(),
                    "IPv6Address": ep.ipv6.map(|a| a.to_string()).unwrap_or_default(),
                    "Ports": super::publish::ports_json(&ep.ports),
                }),
            ))
        })
        .collect();
    json!({
        "Name": net.name,
        "Id": net.id,
        "Created": net.created,
        "Scope": scope(net),
        "Driver": net.driver.name(),
        "EnableIPv4": drivers::for_network(net).is_ok(),
        "EnableIPv6": net.enable_ipv6,
        "IPAM": { "Driver": "default", "Options": {}, "Config": configs },
        "Internal": net.internal,
        "Attachable": false,
        "Ingress": false,
        "ConfigFrom": { "Network": "" },
        "ConfigOnly": false,
        "Containers": containers,
        "Options": net.options,
        "Labels": net.labels,
    })
}

pub fn inspect(ctx: &mut Ctx, keys: &[String]) -> Result<()> {
    let state = Tx::read(ctx, true)?;
    let mut found = Vec::new();
    for key in keys {
        found.push(inspect_json(state.network(key)?, &state));
    }
    serde_json::to_writer_pretty(&mut *ctx.out, &found)?;
    writeln!(ctx.out)?;
    Ok(())
}

/// Removes `network` from `tx.state` and returns the kernel steps, refusing what Docker refuses.
fn plan_removal(tx: &mut Tx, network: &Network) -> Result<Vec<Op>> {
    // The gateway bridge is made on demand, and may go once no overlay endpoint uses it.
    if network.builtin && network.name != GATEWAY_BRIDGE {
        refuse!(
            "{} is a pre-defined network and cannot be removed",
            network.name
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
    let mut withdrawn: Vec<(Kv, &Network)> = Vec::new();
    let mut result = Ok(());
    for network in networks.iter().filter(|_| !ctx.global.dry_run) {
        let Some(url) = cluster::store_of(network) else {
            continue;
        };
        let removed = Kv::connect(url).and_then(|mut kv| {
            cluster::remove_network(&mut kv, network)?;
            Ok(kv)
        });
        match removed {
            Ok(kv) => withdrawn.push((kv, network)),
            Err(e) => {
                result = Err(e);
                break;
            }
        }
    }
    let result = result.and_then(|()| tx.commit(ctx, plan));
    if result.is_err() {
        for (mut kv, network) in withdrawn {
            if let Err(e) = cluster::publish_network(&mut kv, network) {
                eprintln!(
                    "ctnet: warning: could not put network {} back into the store: {e:#}",
                    network.name
                );
            }
        }
    }
    result?;
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
        .filter(|n| !n.builtin && n.member_names().is_empty() && cluster::store_of(n).is_none())
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
