//! DEL and GC: what the runtime no longer has goes, endpoint, published ports (and their
//! tracked flows), and the sandbox once it is on no network. Both succeed when there is
//! nothing to remove: a second DEL, a DEL after the namespace is gone, a network removed.

use std::collections::BTreeSet;

use anyhow::Result;

use super::{Request, Tx, commit_removal, network_exists, plan_forget, sandbox_of_container};
use crate::cni::{Attachment, CniError, Code};
use crate::commands::{Ctx, sandbox_alive};

pub fn del(ctx: &mut Ctx, request: &Request) -> Result<()> {
    if !network_exists(ctx, request.network)? {
        return Ok(());
    }
    let (id, ifname) = (request.container_id(), request.ifname());
    let mut tx = Tx::begin_for_one_member(ctx)?;
    let pod_name = request.call.args.pod_name.as_deref();
    let Some(sandbox) = sandbox_of_container(&mut tx, id, pod_name)? else {
        return Ok(());
    };
    let Ok(network) = tx.state.network(request.network).cloned() else {
        return Ok(());
    };
    let mut plan = Vec::new();
    let forgotten = plan_forget(
        ctx,
        &mut tx,
        &sandbox,
        |e| e.network_id == network.id && e.ifname == ifname,
        &mut plan,
    )?;
    if plan.is_empty() && !forgotten {
        return Ok(());
    }
    let alive = sandbox_alive(ctx.kernel, &sandbox);
    commit_removal(ctx, tx, plan, alive)
}

pub fn gc(ctx: &mut Ctx, request: &Request) -> Result<()> {
    let Some(valid) = &request.conf.valid_attachments else {
        return Err(CniError::new(
            Code::InvalidConfig,
            "GC needs cni.dev/valid-attachments in the configuration",
        )
        .into());
    };
    if !network_exists(ctx, request.network)? {
        return Ok(());
    }
    let valid: BTreeSet<&Attachment> = valid.iter().collect();
    let mut tx = Tx::begin(ctx)?;
    tx.load_all_sandboxes()?;
    let network = tx.state.network(request.network)?.clone();
    // Only sandboxes a runtime made: one made by hand is not the runtime's to remove.
    let sandboxes: Vec<_> = tx
        .state
        .sandboxes
        .iter()
        .filter(|s| s.container.is_some())
        .cloned()
        .collect();
    let mut plan = Vec::new();
    for sandbox in &sandboxes {
        let id = sandbox.container.clone().expect("filtered above");
        let stale = |e: &crate::model::Endpoint| {
            e.network_id == network.id
                && !valid.contains(&Attachment {
                    container_id: id.clone(),
                    ifname: e.ifname.clone(),
                })
        };
        if tx.state.endpoints_of_sandbox(&sandbox.id).any(stale) {
            plan_forget(ctx, &mut tx, sandbox, stale, &mut plan)?;
        }
    }
    if plan.is_empty() {
        return Ok(());
    }
    // Some of the containers may be gone with their namespaces: step by step.
    commit_removal(ctx, tx, plan, false)
}
