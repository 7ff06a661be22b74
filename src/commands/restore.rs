//! `ctnet restore`: re-creates the kernel side of the state after a reboot: bridges, the
//! named sandboxes ctnet made, endpoints, and the firewall with its published ports. What
//! exists already is left alone, so running it twice changes nothing the second time.

use std::collections::HashSet;

use anyhow::Result;

use super::{Ctx, Tx};
use crate::drivers::{self, missing_network_links};
use crate::plan::Op;

pub fn restore(ctx: &mut Ctx) -> Result<()> {
    let mut tx = Tx::begin_repair(ctx)?;
    let marked = ctx.kernel.marked_links()?;
    let present: HashSet<&str> = marked.iter().map(|(name, _)| name.as_str()).collect();
    // Units: a bridge, a namespace, an endpoint; each is made whole or not at all.
    let mut plan: Vec<Vec<Op>> = Vec::new();
    let mut restored = Vec::new();

    for (steps, what) in missing_network_links(&tx.state, |link| {
        present.contains(link) || matches!(ctx.kernel.link_enslaved(link), Ok(Some(_)))
    }) {
        plan.push(steps);
        restored.push(what);
    }
    let mut ports = Vec::new();
    for (op, what) in drivers::detached_ports(&tx.state, |dev| {
        ctx.kernel.link_enslaved(dev).ok().flatten()
    }) {
        ports.push(op);
        restored.push(what);
    }
    if !ports.is_empty() {
        plan.push(ports);
    }
    // Links (p2p) are made whole after every sandbox is back: one step for both ends.
    let mut links = std::collections::BTreeSet::new();
    let mut sysctls = Vec::new();
    // Lab nodes whose namespace or interfaces come back: their commands run again (routes
    // through an interface went with it).
    let mut remade = std::collections::BTreeSet::new();
    let mut gone = std::collections::BTreeSet::new();
    for sandbox in &tx.state.sandboxes {
        if !super::sandbox_alive(ctx.kernel, sandbox)
            && (sandbox.run_by.is_some() || !sandbox.owned)
        {
            gone.insert(sandbox.id.clone());
        }
        if !super::sandbox_alive(ctx.kernel, sandbox) {
            if sandbox.run_by.is_some() {
                // A `ctnet run` that is gone (a reboot ends every run): nothing to restore.
                eprintln!(
                    "ctnet: warning: not restoring sandbox {}: the ctnet run that made it is gone (ctnet gc removes it)",
                    sandbox.name
                );
                continue;
            }
            if sandbox.owned {
                plan.push(vec![Op::CreateNetns {
                    name: sandbox.name.clone(),
                }]);
                // A lab node's sysctls come back with its namespace, once its interfaces
                // are there (its `exec` commands are the lab's to run: `lab up`).
                if let Some(mark) = &sandbox.lab {
                    sysctls.push(
                        (mark.sysctls.iter())
                            .map(|(key, value)| Op::SysctlIn {
                                ns: sandbox.netns.clone(),
                                key: key.clone(),
                                value: value.clone(),
                            })
                            .collect::<Vec<_>>(),
                    );
                }
                restored.push(format!("sandbox {}", sandbox.name));
                remade.insert(sandbox.id.clone());
            } else {
                // Its process (or the namespace someone else made) is gone: nothing to join.
                eprintln!(
                    "ctnet: warning: cannot restore sandbox {}: its namespace {} is gone (ctnet gc removes it)",
                    sandbox.name,
                    sandbox.netns.display()
                );
                continue;
            }
        }
        for ep in tx.state.endpoints_of_sandbox(&sandbox.id) {
            let there = if ep.host_ifname.is_empty() {
                ctx.kernel
                    .has_link(&crate::plan::Ns::Path(sandbox.netns.clone()), &ep.ifname)
            } else {
                present.contains(ep.host_ifname.as_str())
            };
            if there {
                continue;
            }
            let Some(network) = tx.state.network_by_id(&ep.network_id) else {
                continue;
            };
            let driver = drivers::for_network(network)?;
            if driver.pairs() {
                links.insert(network.id.clone());
                continue;
            }
            let mut steps = driver.join(network, ep, sandbox);
            steps.extend(super::impair::reapply(ep, sandbox));
            plan.push(steps);
            restored.push(format!("endpoint of {} on {}", sandbox.name, network.name));
            remade.insert(sandbox.id.clone());
        }
    }
    for id in links {
        let network = tx.state.network_by_id(&id).expect("found above");
        let ends: Vec<(&crate::model::Endpoint, &crate::model::Sandbox)> = (tx.state.endpoints)
            .iter()
            .filter(|e| e.network_id == id)
            .filter_map(|e| Some((e, tx.state.sandbox_by_id(&e.sandbox_id)?)))
            .collect();
        // A link with one end (or one whose other end cannot come back) waits.
        if let [(a, sa), (b, sb)] = ends[..]
            && !gone.contains(&sa.id)
            && !gone.contains(&sb.id)
        {
            let driver = drivers::for_network(network)?;
            let mut steps = driver.join_beside(network, a, sa, Some((b, sb)));
            steps.extend(super::impair::reapply(a, sa));
            steps.extend(super::impair::reapply(b, sb));
            plan.push(steps);
            restored.push(format!(
                "link {} between {} and {}",
                network.name, sa.name, sb.name
            ));
            remade.extend([sa.id.clone(), sb.id.clone()]);
        }
    }
    plan.extend(sysctls);
    // Cluster overlays: the other hosts' endpoints as the store has them now.
    plan.extend(
        super::overlay::resync(&mut tx, ctx.global.dry_run)
            .into_iter()
            .map(|op| vec![op]),
    );
    let commands: Vec<(String, std::path::PathBuf, Vec<String>)> = (tx.state.sandboxes.iter())
        .filter(|s| remade.contains(&s.id))
        .filter_map(|s| {
            Some((
                s.name.clone(),
                s.netns.clone(),
                s.lab.as_ref()?.exec.clone(),
            ))
        })
        .filter(|(_, _, exec)| !exec.is_empty())
        .collect();
    // Each missing piece is restored on its own: one that fails is reported, not fatal.
    let dry_run = ctx.global.dry_run;
    tx.commit_best_effort(ctx, plan)?;
    for line in restored {
        let verb = if dry_run { "would restore" } else { "restored" };
        writeln!(ctx.out, "{verb} {line}")?;
    }
    for (node, netns, exec) in commands {
        for command in exec {
            if dry_run {
                writeln!(ctx.out, "would run {command:?} in lab node {node}")?;
                continue;
            }
            match crate::sys::netns::run_shell(&netns, &command) {
                Ok(status) if status.success() => {
                    writeln!(ctx.out, "ran {command:?} in lab node {node}")?
                }
                Ok(status) => {
                    eprintln!("ctnet: warning: lab node {node}: {command:?} failed ({status})")
                }
                Err(e) => eprintln!("ctnet: warning: lab node {node}: cannot run {command:?}: {e}"),
            }
        }
    }
    Ok(())
}
