//! ctnet: Docker's Container Network Model as a command-line tool for Linux.

mod cli;
mod cluster;
mod cni;
mod commands;
mod config;
mod dns;
mod drivers;
mod error;
mod faults;
mod firewall;
mod hostfw;
mod ids;
mod ifnames;
mod ipam;
mod ipam6;
mod model;
mod netopts;
mod plan;
mod ports;
mod state;
mod sys;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{CommandFactory, Parser};

use cli::{
    Cli, CniCommand, Command, DnsCommand, LabCommand, NetworkCommand, OverlayCommand,
    SandboxCommand, ServiceCommand,
};
use commands::Ctx;

/// Runs the command; returns the exit status (0, or the status of `ctnet run`'s command).
fn run(cli: &Cli, out: &mut dyn Write) -> Result<i32> {
    if let Command::Completions { shell } = &cli.command {
        clap_complete::generate(*shell, &mut Cli::command(), "ctnet", out);
        return Ok(0);
    }
    // A relative directory would be a different state (and lock) in every working
    // directory: one host, one state, named whole.
    if cli.global.state_dir.is_relative() {
        bail!(
            "--state-dir {} is relative: give an absolute path",
            cli.global.state_dir.display()
        );
    }
    let graph = matches!(cli.command, Command::Graph { .. });
    if !graph && matches!(cli.global.format, cli::Format::Dot | cli::Format::Mermaid) {
        bail!("--format dot and mermaid are for `ctnet graph`; use table or json here");
    }
    if let Command::Doctor = &cli.command {
        let mut kernel = sys::Linux::new(cli.global.verbose);
        let ctx = &mut Ctx {
            global: &cli.global,
            kernel: &mut kernel,
            out,
        };
        return commands::doctor::doctor(ctx);
    }
    if !nix::unistd::geteuid().is_root() {
        bail!("ctnet changes the kernel's network configuration and must run as root (try sudo)");
    }
    let mut kernel = sys::Linux::new(cli.global.verbose);
    let ctx = &mut Ctx {
        global: &cli.global,
        kernel: &mut kernel,
        out,
    };
    if let Command::Run(args) = &cli.command {
        return commands::run::run(ctx, args);
    }
    let done = match &cli.command {
        Command::Network(cmd) => match cmd {
            NetworkCommand::Create(args) => commands::network::create(ctx, args),
            NetworkCommand::Ls(args) => commands::network::ls(ctx, args),
            NetworkCommand::Inspect {
                networks,
                explain: false,
            } => commands::network::inspect(ctx, networks),
            NetworkCommand::Inspect {
                networks,
                explain: true,
            } => commands::explain::explain(ctx, networks),
            NetworkCommand::Rm { networks } => commands::network::rm(ctx, networks),
            NetworkCommand::Prune { .. } => commands::network::prune(ctx),
            NetworkCommand::Connect(args) => commands::connect::connect(ctx, args),
            NetworkCommand::Disconnect(args) => commands::connect::disconnect(ctx, args),
        },
        Command::Sandbox(cmd) => match cmd {
            SandboxCommand::Create { name, dns } => commands::sandbox::create(ctx, name, dns),
            SandboxCommand::Ls => commands::sandbox::ls(ctx),
            SandboxCommand::Inspect { names } => commands::sandbox::inspect(ctx, names),
            SandboxCommand::Rm { names } => commands::sandbox::rm(ctx, names),
        },
        Command::Connect(args) => commands::connect::connect(ctx, args),
        Command::Disconnect(args) => commands::connect::disconnect(ctx, args),
        Command::Publish { sandbox, specs } => commands::publish::publish(ctx, sandbox, specs),
        Command::Unpublish { sandbox, specs } => commands::publish::unpublish(ctx, sandbox, specs),
        Command::Port { sandbox } => commands::publish::port(ctx, sandbox),
        Command::Gc => commands::gc::gc(ctx),
        Command::Graph { lab } => commands::graph::graph(ctx, lab.as_deref()),
        Command::Restore => commands::restore::restore(ctx),
        Command::Dns(DnsCommand::Serve(args)) => commands::dns::serve(ctx, args),
        Command::Overlay(OverlayCommand::Watch) => commands::overlay::watch(ctx),
        Command::Overlay(OverlayCommand::RotateKey { network }) => {
            commands::overlay::rotate_key(ctx, network)
        }
        Command::Impair(args) => commands::impair::impair(ctx, args),
        Command::Why { from, to, live } => commands::why::why(ctx, from, to, *live),
        Command::Lab(cmd) => match cmd {
            LabCommand::Up { file } => commands::lab::up(ctx, file),
            LabCommand::Down {
                file: Some(file), ..
            } => commands::lab::down(ctx, &file.to_string_lossy(), true),
            LabCommand::Down { name, .. } => {
                commands::lab::down(ctx, name.as_deref().unwrap_or_default(), false)
            }
            LabCommand::Ls => commands::lab::ls(ctx),
            LabCommand::Inspect { name } => commands::lab::inspect(ctx, name),
        },
        Command::Service(cmd) => match cmd {
            ServiceCommand::Create(args) => commands::service::create(ctx, args),
            ServiceCommand::Ls => commands::service::ls(ctx),
            ServiceCommand::Inspect { names } => commands::service::inspect(ctx, names),
            ServiceCommand::Rm { names } => commands::service::rm(ctx, names),
        },
        Command::Cni(CniCommand::Config { network, write }) => {
            commands::cni::config(ctx, network, write.as_deref())
        }
        Command::Completions { .. } | Command::Run(_) | Command::Doctor => {
            unreachable!("handled above")
        }
    };
    done.map(|()| 0)
}

/// A reader that went away (`ctnet network ls | head`) is not an error worth a message.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn main() -> ExitCode {
    // Modes are ctnet's to choose, not the caller's umask's: under umask 000 the state's
    // directories would be writable by everyone (files that must be private say 0600).
    let callers = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    commands::run::CALLERS_UMASK.store(callers.bits(), std::sync::atomic::Ordering::SeqCst);
    // A runtime runs ctnet as its CNI plugin: the call is in the environment, not on the
    // command line.
    if std::env::var_os("CNI_COMMAND").is_some() {
        return commands::cni::plugin();
    }
    // clap exits 2 for usage errors and 0 for --help/--version.
    let cli = Cli::parse();
    let global = &cli.global;
    cluster::kv::set_options(global.store_options());
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result =
        run(&cli, &mut out).and_then(|code| out.flush().map(|()| code).map_err(Into::into));
    match result {
        Ok(code) => ExitCode::from(code.clamp(0, 255) as u8),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = out.flush();
            eprintln!("ctnet: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
