//! `ctnet run`: a command in a sandbox of its own, connected, with ports published, and
//! everything removed again when it ends, as `docker run --rm` does.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::sync::atomic::{AtomicI32, AtomicU32, Ordering};

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

use nix::mount::{MsFlags, mount};
use nix::sched::{CloneFlags, setns, unshare};
use nix::sys::signal::{SaFlags, SigAction, SigHandler, SigSet, Signal, sigaction};

use super::{Ctx, connect, sandbox};
use crate::cli::{ConnectArgs, RunArgs};
use crate::dns::etcfiles;
use crate::ids::new_id;
use crate::model::Process;
use crate::refuse;
use crate::sys::netns;

/// The umask ctnet was started with (it runs with 022): the command gets it back.
pub static CALLERS_UMASK: AtomicU32 = AtomicU32::new(0o022);

/// The child's pid, for the signal handler (0 while there is none).
static CHILD: AtomicI32 = AtomicI32::new(0);
/// A signal that came before the command started: setup stops and cleans up.
static PENDING: AtomicI32 = AtomicI32::new(0);

extern "C" fn forward_signal(signal: i32) {
    let pid = CHILD.load(Ordering::SeqCst);
    if pid > 0 {
        // kill(2) is async-signal-safe; the child decides what the signal means.
        unsafe { nix::libc::kill(pid, signal) };
    } else {
        PENDING.store(signal, Ordering::SeqCst);
    }
}

/// From the first step on, SIGINT, SIGTERM and SIGHUP go to the command (or, before it
/// runs, stop the setup), so ctnet itself is never killed halfway and always cleans up.
fn install_signal_handlers() -> Result<()> {
    let action = SigAction::new(
        SigHandler::Handler(forward_signal),
        SaFlags::SA_RESTART,
        SigSet::empty(),
    );
    for signal in [Signal::SIGINT, Signal::SIGTERM, Signal::SIGHUP] {
        // SAFETY: the handler only touches atomics and calls kill(2).
        unsafe { sigaction(signal, &action) }.context("cannot install a signal handler")?;
    }
    Ok(())
}

/// Fails if a signal asked the setup to stop.
fn check_pending() -> Result<()> {
    match PENDING.load(Ordering::SeqCst) {
        0 => Ok(()),
        signal => anyhow::bail!("interrupted by signal {signal} before the command started"),
    }
}

/// Runs the command and returns the exit status `ctnet run` should end with.
pub fn run(ctx: &mut Ctx, args: &RunArgs) -> Result<i32> {
    let networks = if args.network.is_empty() {
        vec!["bridge".to_string()]
    } else {
        args.network.clone()
    };
    let dns = sandbox::dns_settings(&args.dns)?;
    if networks.iter().any(|n| n == "host") {
        if networks.len() > 1 || !args.publish.is_empty() || args.ip.is_some() || !dns.is_empty() {
            refuse!(
                "--network host shares the host's namespace: it takes no other network, -p, --ip or --dns flags"
            );
        }
        install_signal_handlers()?;
        return spawn_and_wait(args, None);
    }
    let name = match &args.name {
        Some(name) => name.clone(),
        None => format!("run-{}", &new_id()?[..12]),
    };
    // Each step is a transaction of its own; a failed one is undone by removing the sandbox.
    let mut quiet = std::io::sink();
    let mut step = Ctx {
        global: ctx.global,
        kernel: &mut *ctx.kernel,
        out: &mut quiet,
    };
    if !ctx.global.dry_run {
        install_signal_handlers()?;
    }
    // The sandbox is this process's: if it dies without cleaning up (SIGKILL, the OOM
    // killer), gc sees the run is gone and removes the sandbox.
    let me = std::process::id();
    let run_by = step
        .kernel
        .process_start(me)
        .map(|start| Process { pid: me, start });
    sandbox::create_for(&mut step, &name, run_by, dns)?;
    let setup = (|| -> Result<()> {
        check_pending()?;
        for (i, network) in networks.iter().filter(|n| *n != "none").enumerate() {
            let connect_args = ConnectArgs {
                network: network.clone(),
                sandbox: name.clone(),
                pid: None,
                netns: None,
                ip: if i == 0 { args.ip.clone() } else { None },
                ip6: None,
                alias: vec![],
                mac: None,
                ifname: None,
                publish: if i == 0 { args.publish.clone() } else { vec![] },
                dns: Default::default(),
            };
            connect::connect(&mut step, &connect_args)?;
            check_pending()?;
        }
        Ok(())
    })();
    if ctx.global.dry_run {
        return setup.map(|()| 0);
    }
    let sandbox = Inside {
        netns: netns::named_path(&name),
        etc: etcfiles::sandbox_dir(&ctx.global.state_dir, &name),
    };
    let status = setup.and_then(|()| spawn_and_wait(args, Some(&sandbox)));
    let mut cleanup = Ctx {
        global: ctx.global,
        kernel: &mut *ctx.kernel,
        out: &mut quiet,
    };
    let removed = sandbox::rm(&mut cleanup, std::slice::from_ref(&name));
    let status = status?;
    removed.with_context(|| format!("cannot remove sandbox {name} after the command ended"))?;
    Ok(status)
}

/// Where the command runs: the sandbox's network namespace, and its name files, which a
/// mount namespace of its own puts over /etc/hosts and /etc/resolv.conf (as `ip netns exec`
/// does for named namespaces; bind mounts, so ctnet's in-place rewrites reach the command).
struct Inside {
    netns: PathBuf,
    etc: PathBuf,
}

/// Starts the command (inside the sandbox, if given), forwards SIGINT, SIGTERM and SIGHUP
/// to it, and returns its exit status (128 + signal if a signal ended it).
fn spawn_and_wait(args: &RunArgs, inside: Option<&Inside>) -> Result<i32> {
    let (program, rest) = args.command.split_first().expect("clap requires a command");
    let mut command = std::process::Command::new(program);
    command.args(rest);
    let parent = std::process::id() as i32;
    let umask = nix::sys::stat::Mode::from_bits_truncate(CALLERS_UMASK.load(Ordering::SeqCst));
    // SAFETY: runs in the forked child before exec, and makes system calls only.
    unsafe {
        command.pre_exec(move || {
            // The command dies with ctnet run, even when ctnet is killed outright: it must
            // not outlive the sandbox it runs in. (Checked after: the parent may already
            // have died before the setting took.)
            nix::sys::prctl::set_pdeathsig(Signal::SIGKILL)?;
            nix::sys::stat::umask(umask);
            if nix::unistd::getppid().as_raw() != parent {
                return Err(std::io::Error::other(
                    "ctnet run ended before the command started",
                ));
            }
            Ok(())
        });
    }
    if let Some(inside) = inside {
        let path = &inside.netns;
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let binds: Vec<(PathBuf, PathBuf)> = ["hosts", "resolv.conf"]
            .iter()
            .map(|f| (inside.etc.join(f), Path::new("/etc").join(f)))
            .filter(|(from, to)| from.exists() && to.exists())
            .collect();
        // SAFETY: runs in the forked child of a single-threaded process, before exec; it
        // makes system calls only (the paths were built above).
        unsafe {
            command.pre_exec(move || {
                setns(&file, CloneFlags::CLONE_NEWNET)?;
                unshare(CloneFlags::CLONE_NEWNS)?;
                // Our mounts must not travel back to the host's mount namespace.
                mount(
                    None::<&str>,
                    "/",
                    None::<&str>,
                    MsFlags::MS_REC | MsFlags::MS_SLAVE,
                    None::<&str>,
                )?;
                for (from, to) in &binds {
                    mount(Some(from), to, None::<&str>, MsFlags::MS_BIND, None::<&str>)?;
                }
                Ok(())
            });
        }
    }
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot run {program}"))?;
    CHILD.store(child.id() as i32, Ordering::SeqCst);
    // A signal that came between the last setup step and this point is passed on now.
    if let signal @ 1.. = PENDING.swap(0, Ordering::SeqCst) {
        // SAFETY: kill(2) on our own child.
        unsafe { nix::libc::kill(child.id() as i32, signal) };
    }
    let status = child.wait().context("waiting for the command")?;
    // From here on the handlers forward nothing: a second Ctrl-C cannot cut the cleanup short.
    CHILD.store(0, Ordering::SeqCst);
    Ok(status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}
