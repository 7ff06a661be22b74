//! One module per verb. Each validates the whole request, plans kernel steps, and hands both
//! the plan and the new state to a transaction.

pub mod connect;
pub mod network;
pub mod sandbox;

use std::io::Write;

use anyhow::{Context, Result};

use crate::cli::{Format, Global};
use crate::firewall;
use crate::model::State;
use crate::plan::Op;
use crate::store::Store;
use crate::sys::Kernel;

/// What every command gets: the global options, the kernel and where output goes.
pub struct Ctx<'a> {
    pub global: &'a Global,
    pub kernel: &'a mut dyn Kernel,
    pub out: &'a mut dyn Write,
}

impl Ctx<'_> {
    pub fn format(&self) -> Format {
        self.global.format
    }
}

/// A command's hold on the state: the lock, the state being changed, and the firewall
/// policy as it was when loaded (a few elements, not a copy of the state).
pub struct Tx {
    store: Store,
    pub state: State,
    policy_before: firewall::Policy,
    /// Kernel steps for a host where ctnet never ran: the default bridge network.
    bootstrap: Vec<Op>,
}

impl Tx {
    /// Locks the state directory and loads the state, setting up the default networks on
    /// the first run (as Docker's daemon does when it starts).
    pub fn begin(ctx: &mut Ctx) -> Result<Tx> {
        let store = Store::lock(&ctx.global.state_dir)?;
        let (state, bootstrap) = match store.load()? {
            Some(state) => (state, vec![]),
            None => {
                let mut state = State::new();
                let bootstrap = network::add_default_networks(&mut state, ctx.kernel)?;
                (state, bootstrap)
            }
        };
        let policy_before = if bootstrap.is_empty() {
            firewall::elements(&state)
        } else {
            Default::default()
        };
        Ok(Tx {
            store,
            state,
            policy_before,
            bootstrap,
        })
    }

    /// For commands that only read: the state, after finishing a first run's setup.
    pub fn read(ctx: &mut Ctx) -> Result<State> {
        let mut tx = Tx::begin(ctx)?;
        let state = std::mem::take(&mut tx.state);
        if !tx.bootstrap.is_empty() {
            tx.state = state.clone();
            tx.commit(ctx, vec![])?;
        }
        Ok(state)
    }

    /// Applies `plan` (after any first-run steps), updates the firewall if the policy
    /// changed, and saves. Nothing is saved if the kernel refuses a step, and the kernel
    /// is put back if the save fails.
    pub fn commit(mut self, ctx: &mut Ctx, plan: Vec<Op>) -> Result<()> {
        let fresh = !self.bootstrap.is_empty();
        let mut steps = std::mem::take(&mut self.bootstrap);
        steps.extend(plan);
        // A first run writes the whole table; later commands only add and delete elements.
        let change = if fresh {
            Some((
                firewall::render_full(&self.state),
                firewall::render_full(&State::new()),
            ))
        } else {
            let policy = firewall::elements(&self.state);
            firewall::render_delta(&self.policy_before, &policy).map(|delta| {
                (
                    delta,
                    firewall::render_delta(&policy, &self.policy_before).unwrap_or_default(),
                )
            })
        };
        if let Some((ruleset, previous)) = change {
            // Reversible steps first, the firewall next, removals last: a failure at any
            // point can still be undone.
            let at = steps
                .iter()
                .position(|op| matches!(op, Op::DeleteLink { .. } | Op::DeleteNetns { .. }));
            steps.insert(
                at.unwrap_or(steps.len()),
                Op::Firewall { ruleset, previous },
            );
        }
        if ctx.global.dry_run {
            for op in &steps {
                writeln!(ctx.out, "{op}")?;
            }
            return Ok(());
        }
        let undo = ctx.kernel.apply(&steps)?;
        if let Err(e) = self.store.save(&self.state) {
            ctx.kernel.undo(undo);
            return Err(e);
        }
        Ok(())
    }
}

impl Tx {
    /// `disconnect -f`: carries out what it can of `plan`, warning about each step the
    /// kernel refuses (say, a sandbox that is already gone), and saves the state anyway.
    pub fn commit_best_effort(self, ctx: &mut Ctx, plan: Vec<Op>) -> Result<()> {
        if ctx.global.dry_run {
            return self.commit(ctx, plan);
        }
        for op in &plan {
            if let Err(e) = ctx.kernel.apply(std::slice::from_ref(op)) {
                eprintln!("ctnet: warning: {e:#}");
            }
        }
        self.commit(ctx, vec![])
    }
}

/// 64 hex characters from the kernel's random source, as Docker's IDs.
pub fn new_id() -> Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .context("cannot read /dev/urandom")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

pub fn now() -> String {
    humantime::format_rfc3339_nanos(std::time::SystemTime::now()).to_string()
}

pub fn short_id(id: &str) -> &str {
    &id[..id.len().min(12)]
}

/// Prints rows under headers, each column padded to its widest cell plus three spaces,
/// the way Docker's tables look.
pub fn print_table(out: &mut dyn Write, headers: &[&str], rows: &[Vec<String>]) -> Result<()> {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (cell, width) in cells.iter().zip(&widths) {
            text.push_str(&format!("{cell:<width$}   "));
        }
        text.trim_end().to_string()
    };
    writeln!(out, "{}", line(headers.to_vec()))?;
    for row in rows {
        writeln!(out, "{}", line(row.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}
