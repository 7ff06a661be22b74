//! `ctnet gc`: makes the state and the kernel agree again after crashes and dead
//! containers. Removes sandboxes whose namespace is gone (with their endpoints, addresses
//! and ports), endpoints whose veth is gone, links carrying ctnet's mark that the state does
//! not know, and rewrites the firewall table from the state.

use std::collections::HashSet;

use anyhow::Result;

use super::{Ctx, Tx};
use crate::drivers::{self, missing_network_links};
use crate::ids::short_id;
use crate::plan::{Ns, Op};

pub fn gc(ctx: &mut Ctx) -> Result<()> {
    let mut tx = Tx::begin_repair(ctx)?;
    let marked = ctx.kernel.marked_links()?;
    let present: HashSet<&str> = marked.iter().map(|(name, _)| name.as_str()).collect();
    let mut plan = Vec::new();
    let mut report = Vec::new();

    let sandboxes = tx.state.sandboxes.clone();
    for sandbox in &sandboxes {
        if !super::sandbox_alive(ctx.kernel, sandbox) {
            for ep in tx
                .state
                .endpoints
                .iter()
                .filter(|e| e.sandbox_id == sandbox.id)
            {
                if present.contains(ep.host_ifname.as_str()) {
                    plan.push(Op::DeleteLink {
                        ns: Ns::Host,
                        dev: ep.host_ifname.clone(),
                    });
                }
            }
            // A `ctnet run` that is gone leaves its namespace behind: it goes too.
            if sandbox.owned && sandbox.run_by.is_some() && ctx.kernel.is_netns(&sandbox.netns) {
                plan.push(Op::DeleteNetns {
                    name: sandbox.name.clone(),
                });
            }
            tx.state.endpoints.retain(|e| e.sandbox_id != sandbox.id);
            tx.state.sandboxes.retain(|s| s.id != sandbox.id);
            report.push(match sandbox.run_by {
                Some(run) => format!(
                    "sandbox {}: the ctnet run that made it (pid {}) is gone",
                    sandbox.name, run.pid
                ),
                None => format!(
                    "sandbox {}: its namespace {} is gone",
                    sandbox.name,
                    sandbox.netns.display()
                ),
            });
        }
    }
    // An endpoint is there if its veth's host end is (bridge), or its interface inside the
    // sandbox is (macvlan, which has no host end).
    let mut there = HashSet::new();
    for ep in &tx.state.endpoints {
        let found = if ep.host_ifname.is_empty() {
            let netns = tx
                .state
                .sandbox_by_id(&ep.sandbox_id)
                .map(|s| s.netns.clone())
                .unwrap_or_default();
            ctx.kernel.has_link(&Ns::Path(netns), &ep.ifname)
        } else {
            present.contains(ep.host_ifname.as_str())
        };
        if found {
            there.insert(ep.id.clone());
        }
    }
    let lost: Vec<_> = tx
        .state
        .endpoints
        .iter()
        .filter(|ep| !there.contains(&ep.id))
        .cloned()
        .collect();
    for ep in &lost {
        let sandbox = tx
            .state
            .sandbox_by_id(&ep.sandbox_id)
            .map(|s| s.name.clone())
            .unwrap_or_default();
        let network = tx
            .state
            .network_by_id(&ep.network_id)
            .map(|n| n.name.clone())
            .unwrap_or_default();
        report.push(format!(
            "endpoint of {sandbox} on {network}: its veth {} is gone",
            ep.host_ifname
        ));
    }
    tx.state.endpoints.retain(|ep| there.contains(&ep.id));

    let known: HashSet<&str> = tx
        .state
        .networks
        .iter()
        .filter_map(|n| drivers::host_link(&tx.state, n))
        // A macvlan/ipvlan parent is never removed while a network names it, whatever
        // mark it carries (one left by a crashed create, say).
        .chain(
            tx.state
                .networks
                .iter()
                .filter_map(|n| Some(n.lan()?.parent.as_str())),
        )
        .chain(tx.state.endpoints.iter().map(|e| e.host_ifname.as_str()))
        // An overlay in use here has a VXLAN device beside its bridge.
        .chain(tx.state.networks.iter().filter_map(|n| {
            drivers::host_link(&tx.state, n)?;
            Some(n.overlay.as_ref()?.vxlan.as_str())
        }))
        .collect();
    for (name, id) in &marked {
        if !known.contains(name.as_str())
            && !plan
                .iter()
                .any(|op| matches!(op, Op::DeleteLink { dev, .. } if dev == name))
        {
            plan.push(Op::DeleteLink {
                ns: Ns::Host,
                dev: name.clone(),
            });
            let mark = if id.is_empty() {
                "named like ctnet's".to_string()
            } else {
                format!("marked ctnet:{}", short_id(id))
            };
            report.push(format!("link {name}: {mark} but unknown to the state"));
        }
    }
    // Networks are configuration, not something that dies: a bridge that is missing (a
    // crash halfway through `network rm`) is made again, and `network rm` can be rerun.
    let mut recreate = Vec::new();
    for (steps, what) in missing_network_links(&tx.state, |link| {
        present.contains(link) || matches!(ctx.kernel.link_enslaved(link), Ok(Some(_)))
    }) {
        recreate.extend(steps);
        report.push(format!("{what}: it was missing"));
    }
    // Ports left behind by a bridge that was deleted go back on the bridge made again.
    for (op, what) in drivers::detached_ports(&tx.state, |dev| {
        ctx.kernel.link_enslaved(dev).ok().flatten()
    }) {
        recreate.push(op);
        report.push(what);
    }
    plan.splice(0..0, recreate);
    let dry_run = ctx.global.dry_run;
    plan.extend(super::overlay::resync(&mut tx, dry_run));
    // Removed while the lock is held (after the commit another command may be staging);
    // they are garbage whether or not the rest of gc succeeds.
    for path in tx.store.stale_staging() {
        if !dry_run {
            // A link is removed itself, never followed.
            let _ = std::fs::remove_file(&path);
        }
        report.push(format!(
            "file {}: staged by a command that was killed",
            path.display()
        ));
    }
    for path in tx.store.orphan_ports_files() {
        if !dry_run {
            let _ = std::fs::remove_file(&path);
        }
        report.push(format!(
            "file {}: published ports of a sandbox that has no file",
            path.display()
        ));
    }
    tx.commit(ctx, plan)?;
    for line in report {
        let verb = match (dry_run, line.starts_with("network ")) {
            (true, true) => "would repair",
            (true, false) => "would remove",
            (false, true) => "repaired",
            (false, false) => "removed",
        };
        writeln!(ctx.out, "{verb} {line}")?;
    }
    Ok(())
}
