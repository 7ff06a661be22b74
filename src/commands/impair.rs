//! `ctnet impair SANDBOX IFACE`: delay, jitter, loss, corruption and rate limits on an
//! endpoint's link, per direction, and the link taken down and up (a flap). The
//! impairment is part of the endpoint: saved with it, shown by `sandbox inspect`, put back
//! by `restore` and whenever a p2p link is made again.

use anyhow::Result;

use super::{Ctx, Tx};
use crate::cli::ImpairArgs;
use crate::error::UserError;
use crate::model::impair::{parse_duration, parse_percent, parse_rate};
use crate::model::{Endpoint, Impairment, LinkImpairment, Sandbox};
use crate::plan::{Ns, Op};
use crate::refuse;

/// Which way through the interface.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Direction {
    Egress,
    Ingress,
}

/// What the command asks, typed.
#[derive(Debug, Clone, PartialEq)]
enum Change {
    Set(Direction, Impairment),
    Clear(Option<Direction>),
    Link { up: bool },
}

impl Change {
    fn from_args(args: &ImpairArgs) -> Result<Change, UserError> {
        let direction = match args.direction.as_deref() {
            None => None,
            Some("egress" | "out") => Some(Direction::Egress),
            Some("ingress" | "in") => Some(Direction::Ingress),
            Some(other) => refuse!("invalid --direction {other:?}: expected egress or ingress"),
        };
        if args.down || args.up {
            if direction.is_some() {
                refuse!("--down and --up take the whole link: no --direction");
            }
            return Ok(Change::Link { up: args.up });
        }
        if args.clear {
            return Ok(Change::Clear(direction));
        }
        let impairment = Impairment {
            delay_us: args.delay.as_deref().map(parse_duration).transpose()?,
            jitter_us: args.jitter.as_deref().map(parse_duration).transpose()?,
            loss_ppm: args.loss.as_deref().map(parse_percent).transpose()?,
            corrupt_ppm: args.corrupt.as_deref().map(parse_percent).transpose()?,
            rate_bps: args.rate.as_deref().map(parse_rate).transpose()?,
        };
        impairment.validate()?;
        Ok(Change::Set(
            direction.unwrap_or(Direction::Egress),
            impairment,
        ))
    }

    fn applied_to(&self, mut impair: LinkImpairment) -> LinkImpairment {
        match *self {
            Change::Set(Direction::Egress, i) => impair.egress = Some(i),
            Change::Set(Direction::Ingress, i) => impair.ingress = Some(i),
            Change::Clear(Some(Direction::Egress)) => impair.egress = None,
            Change::Clear(Some(Direction::Ingress)) => impair.ingress = None,
            Change::Clear(None) => (impair.egress, impair.ingress) = (None, None),
            Change::Link { up } => impair.down = !up,
        }
        impair
    }
}

pub fn impair(ctx: &mut Ctx, args: &ImpairArgs) -> Result<()> {
    let change = Change::from_args(args)?;
    let mut tx = Tx::begin(ctx)?;
    let Some(sandbox) = tx.sandbox(&args.sandbox)? else {
        refuse!("sandbox {} not found", args.sandbox);
    };
    let Some(endpoint) = (tx.state.endpoints_of_sandbox(&sandbox.id))
        .find(|e| e.ifname == args.iface)
        .cloned()
    else {
        refuse!(
            "sandbox {} has no interface {} on a ctnet network",
            sandbox.name,
            args.iface
        );
    };
    if !super::sandbox_alive(ctx.kernel, &sandbox) {
        refuse!(
            "sandbox {}'s namespace is gone ('ctnet restore' or 'ctnet gc')",
            sandbox.name
        );
    }
    let after = change.applied_to(endpoint.impair);
    if after.ingress.is_some() && endpoint.host_ifname.is_empty() {
        let network = tx
            .state
            .network_by_id(&endpoint.network_id)
            .map_or("", |n| &n.name);
        refuse!(
            "{}:{} has no host end to shape what reaches it (network {network}): on a p2p link, impair the other end's egress",
            sandbox.name,
            endpoint.ifname
        );
    }
    // A p2p end waiting for its peer has no interface yet: the link brings it.
    let present = tx
        .state
        .network_by_id(&endpoint.network_id)
        .is_none_or(|n| n.p2p.is_none() || n.member_names().len() == crate::drivers::p2p::ENDS);
    let plan = match present {
        true => changes(&endpoint.impair, &after, &endpoint, &sandbox),
        false => Vec::new(),
    };
    let stored = (tx.state.endpoints.iter_mut())
        .find(|e| e.id == endpoint.id)
        .expect("found above");
    stored.impair = after;
    tx.commit(ctx, plan)
}

/// The steps from one impairment of an endpoint's interface to another.
pub fn changes(
    before: &LinkImpairment,
    after: &LinkImpairment,
    endpoint: &Endpoint,
    sandbox: &Sandbox,
) -> Vec<Op> {
    let inside = || Ns::Path(sandbox.netns.clone());
    let mut plan = Vec::new();
    if before.egress != after.egress {
        plan.push(Op::Impair {
            ns: inside(),
            dev: endpoint.ifname.clone(),
            to: after.egress,
            from: before.egress,
        });
    }
    // What reaches the sandbox is what leaves the host end.
    if before.ingress != after.ingress && !endpoint.host_ifname.is_empty() {
        plan.push(Op::Impair {
            ns: Ns::Host,
            dev: endpoint.host_ifname.clone(),
            to: after.ingress,
            from: before.ingress,
        });
    }
    if before.down != after.down {
        let (ns, dev) = (inside(), endpoint.ifname.clone());
        plan.push(match after.down {
            true => Op::LinkDown { ns, dev },
            false => Op::LinkUp { ns, dev },
        });
    }
    plan
}

/// The steps that give a newly made interface its endpoint's impairments (a restore, a
/// p2p link made again).
pub fn reapply(endpoint: &Endpoint, sandbox: &Sandbox) -> Vec<Op> {
    changes(
        &LinkImpairment::default(),
        &endpoint.impair,
        endpoint,
        sandbox,
    )
}
