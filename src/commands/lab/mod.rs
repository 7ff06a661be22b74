//! `ctnet lab up | down | ls | inspect`: a lab kept as a file. `up` compares the file with
//! what the lab made before, object by object, and makes the difference in one
//! transaction: networks made again when what the file says of them changed, sandboxes
//! made or removed, endpoints connected again when their attachment changed, impairments
//! and sysctls changed in place. Everything a lab makes carries its name (networks the
//! label `ctnet.lab`, sandboxes a `LabMark`), so `down` removes exactly that.

mod file;
mod spec;
mod up;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::{Ctx, Tx, network};
use crate::model::{Network, Sandbox};

use crate::refuse;
pub use spec::{LABEL, Lab};
pub use up::up;

/// Reads a lab file.
pub(super) fn read(path: &Path) -> Result<Lab> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the lab file {}", path.display()))?;
    Ok(file::parse(path, &text)?)
}

pub(super) fn ours(network: &Network, lab: &str) -> bool {
    network.labels.get(LABEL).is_some_and(|l| l == lab)
}

pub(super) fn our_sandbox(sandbox: &Sandbox, lab: &str) -> bool {
    sandbox.lab.as_ref().is_some_and(|m| m.name == lab)
}

/// `lab down -f FILE` or `lab down NAME`: everything the lab made goes, nothing else.
pub fn down(ctx: &mut Ctx, key: &str, is_file: bool) -> Result<()> {
    let name = match is_file {
        true => read(Path::new(key))?.name,
        false => key.to_string(),
    };
    let mut tx = Tx::begin(ctx)?;
    tx.load_all_sandboxes()?;
    let sandboxes: Vec<Sandbox> = (tx.state.sandboxes.iter())
        .filter(|s| our_sandbox(s, &name))
        .cloned()
        .collect();
    let networks: Vec<Network> = (tx.state.networks.iter())
        .filter(|n| ours(n, &name))
        .cloned()
        .collect();
    if sandboxes.is_empty() && networks.is_empty() {
        refuse!("lab {name} not found (nothing carries its name)");
    }
    let removal = super::sandbox::plan_removal(ctx.kernel, &mut tx, &sandboxes)?;
    let mut plan = removal.plan;
    tx.update_members();
    for net in &networks {
        // As the members' update left it.
        let net = tx.state.network_by_id(&net.id).cloned().expect("ours");
        plan.extend(network::plan_removal(&mut tx, &net)?);
        tx.state.networks.retain(|n| n.id != net.id);
    }
    tx.commit(ctx, plan)?;
    if !ctx.global.dry_run {
        super::sandbox::wait_until_gone(ctx.kernel, &removal.going);
    }
    if !ctx.global.dry_run {
        writeln!(
            ctx.out,
            "lab {name}: down ({} nodes, {} networks removed)",
            sandboxes.len(),
            networks.len()
        )?;
    }
    Ok(())
}

/// How much of a lab is on this host.
#[derive(Debug, Default)]
struct Count {
    nodes: usize,
    networks: usize,
}

/// The labs on this host, by what carries their names.
fn labs(ctx: &mut Ctx) -> Result<(crate::model::State, BTreeMap<String, Count>)> {
    let state = Tx::read(ctx, true)?;
    let mut labs: BTreeMap<String, Count> = BTreeMap::new();
    for network in &state.networks {
        if let Some(name) = network.labels.get(LABEL) {
            labs.entry(name.clone()).or_default().networks += 1;
        }
    }
    for sandbox in &state.sandboxes {
        if let Some(mark) = &sandbox.lab {
            labs.entry(mark.name.clone()).or_default().nodes += 1;
        }
    }
    Ok((state, labs))
}

pub fn ls(ctx: &mut Ctx) -> Result<()> {
    let (_, labs) = labs(ctx)?;
    if ctx.global.quiet {
        for name in labs.keys() {
            writeln!(ctx.out, "{name}")?;
        }
        return Ok(());
    }
    let rows: Vec<Vec<String>> = (labs.iter())
        .map(|(name, count)| {
            vec![
                name.clone(),
                count.nodes.to_string(),
                count.networks.to_string(),
            ]
        })
        .collect();
    super::print_table(ctx.out, &["NAME", "NODES", "NETWORKS"], &rows)
}

pub fn inspect(ctx: &mut Ctx, name: &str) -> Result<()> {
    let (state, labs) = labs(ctx)?;
    if !labs.contains_key(name) {
        refuse!("lab {name} not found");
    }
    let networks: Vec<Value> = (state.networks.iter())
        .filter(|n| ours(n, name))
        .map(|n| {
            json!({"Name": n.name, "Id": n.id, "Driver": n.driver.name(),
                   "Subnets": n.ipam.iter().map(|c| c.subnet.to_string()).collect::<Vec<_>>()})
        })
        .collect();
    let nodes: Vec<Value> = (state.sandboxes.iter())
        .filter(|s| our_sandbox(s, name))
        .map(|s| {
            let mark = s.lab.as_ref().expect("ours");
            let endpoints: Vec<Value> = (state.endpoints_of_sandbox(&s.id))
                .map(|ep| {
                    let network = state.network_by_id(&ep.network_id).map(|n| n.name.clone());
                    json!({"Network": network, "Interface": ep.ifname,
                           "IPv4Address": ep.ipv4.map(|a| a.to_string()),
                           "IPv6Address": ep.ipv6.map(|a| a.to_string()),
                           "Aliases": ep.aliases,
                           "Impairment": (!ep.impair.is_none()).then(|| json!({
                               "Egress": ep.impair.egress.map(|i| i.to_string()),
                               "Ingress": ep.impair.ingress.map(|i| i.to_string()),
                               "Down": ep.impair.down}))})
                })
                .collect();
            json!({"Name": s.name, "Id": s.id, "NetNs": s.netns, "Sysctls": mark.sysctls,
                   "Exec": mark.exec, "Endpoints": endpoints})
        })
        .collect();
    let out = json!([{"Name": name, "Networks": networks, "Nodes": nodes}]);
    serde_json::to_writer_pretty(&mut *ctx.out, &out)?;
    writeln!(ctx.out)?;
    Ok(())
}
