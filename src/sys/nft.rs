//! The nft tool: whole rulesets and element changes go through it (one invocation, one
//! transaction), as do Docker's DOCKER-USER rules and the probes `doctor` runs. Queries
//! that need no nft go over netlink (`nftables`).

use std::io::Write;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow};

use super::nftables;
use super::procfs::read_sysctl;

/// Brings Docker's DOCKER-USER chains (where they exist) to ctnet's rules for `bridges`,
/// in one nft transaction.
pub(super) fn ensure_docker_user(bridges: &[String]) -> Result<()> {
    let host = host_firewall()?;
    let mut commands = Vec::new();
    for family in host.docker_user_families() {
        let listing = nft_json(&[
            "list",
            "chain",
            family,
            "filter",
            crate::hostfw::DOCKER_USER,
        ])
        .map_err(|e| anyhow!("cannot read Docker's {family} DOCKER-USER chain: {e}"))?;
        commands.extend(crate::hostfw::docker_user_commands(
            family, &listing, bridges,
        ));
    }
    if commands.is_empty() {
        return Ok(());
    }
    let json = serde_json::json!({ "nftables": commands }).to_string();
    apply_nft(&["-j", "-f", NFT_STDIN], &json).context("cannot update Docker's DOCKER-USER chain")
}

pub(super) fn host_firewall() -> Result<crate::hostfw::HostFirewall> {
    let listed = nftables::chains().context("cannot list the host's nftables chains")?;
    let chains = listed
        .into_iter()
        .map(|c| crate::hostfw::Chain {
            family: c.family.to_string(),
            table: c.table,
            name: c.name,
            hook: c.hook.map(str::to_string),
            policy: c.policy.map(str::to_string),
        })
        .collect();
    Ok(crate::hostfw::HostFirewall {
        chains,
        bridge_netfilter: read_sysctl("net/bridge/bridge-nf-call-iptables")
            .is_some_and(|v| v == "1"),
    })
}

/// Where nft reads a ruleset piped to it. `-f -` makes nft open /dev/stdin, a link that
/// a bare devtmpfs (a minimal VM, an initramfs) lacks; /proc is always there.
pub(super) const NFT_STDIN: &str = "/proc/self/fd/0";

/// Runs `nft -c` (check only, but with the kernel's verdict) on `ruleset` inside a fresh
/// network namespace, so the host's tables are never involved.
pub(super) fn nft_accepts_in_scratch_namespace(
    ruleset: &str,
    json: bool,
) -> std::result::Result<(), String> {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new("nft");
    command
        .args(if json {
            &["-j", "-c", "-f", NFT_STDIN][..]
        } else {
            &["-c", "-f", NFT_STDIN][..]
        })
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: unshare(2) is async-signal-safe and changes only the child.
    unsafe {
        command.pre_exec(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)
        });
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run nft: {e}"))?;
    let _ = child
        .stdin
        .take()
        .expect("piped")
        .write_all(ruleset.as_bytes());
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(err
            .lines()
            .find(|l| l.starts_with("Error") || l.contains("rror"))
            .unwrap_or("rejected")
            .to_string())
    }
}

/// The host's whole ruleset as nft JSON, or why it cannot be read.
pub(super) fn nft_ruleset_json() -> std::result::Result<serde_json::Value, String> {
    nft_json(&["list", "ruleset"])
}

/// What `nft -j ARGS` prints, parsed, or why it failed.
pub(super) fn nft_json(args: &[&str]) -> std::result::Result<serde_json::Value, String> {
    let out = Command::new("nft")
        .arg("-j")
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

/// Runs nft once with the whole input (text or, with -j, JSON): one nft transaction.
pub(super) fn apply_nft(args: &[&str], ruleset: &str) -> Result<()> {
    let mut child = Command::new("nft")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => anyhow!("nft not found: install the nftables package"),
            _ => anyhow!("cannot run nft: {e}"),
        })?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(ruleset.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(anyhow!("nft rejected the ruleset: {first}"));
    }
    Ok(())
}
