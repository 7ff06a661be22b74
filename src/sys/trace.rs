//! `why --live`: one probe, traced by nftables. A table of its own (`inet ctnet_why`)
//! marks packets to and from the target for tracing, `nft monitor trace` reports what
//! ctnet's table did with them, and the table goes again whatever happens.

use std::io::Read;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::ports::Proto;

const TABLE: &str = "inet ctnet_why";

/// What a probe saw.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProbeReport {
    /// An answer came back (a ping's reply; a TCP connection accepted or refused).
    pub answered: bool,
    /// nftables' trace of the probe's packets in ctnet's table (rules and verdicts).
    pub trace: Vec<String>,
}

fn nft(script: &str) -> Result<()> {
    let mut child = Command::new("nft")
        .args(["-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run nft")?;
    std::io::Write::write_all(child.stdin.as_mut().expect("piped"), script.as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        anyhow::bail!("nft: {}", String::from_utf8_lossy(&output.stderr).trim());
    }
    Ok(())
}

pub fn probe(
    netns: Option<&Path>,
    target: IpAddr,
    port: Option<(Proto, u16)>,
) -> Result<ProbeReport> {
    let family = if target.is_ipv4() { "ip" } else { "ip6" };
    nft(&format!(
        "table {TABLE} {{\n\
         chain pre {{ type filter hook prerouting priority -400; {family} daddr {target} meta nftrace set 1; {family} saddr {target} meta nftrace set 1; }}\n\
         chain out {{ type filter hook output priority -400; {family} daddr {target} meta nftrace set 1; }}\n\
         }}\n"
    ))
    .context("cannot add the tracing table")?;
    let result = traced(netns, target, port);
    let _ = nft(&format!("delete table {TABLE}\n"));
    result
}

fn traced(netns: Option<&Path>, target: IpAddr, port: Option<(Proto, u16)>) -> Result<ProbeReport> {
    let mut monitor = Command::new("nft")
        .args(["monitor", "trace"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .context("cannot run nft monitor trace")?;
    // Let the monitor subscribe before the probe goes.
    std::thread::sleep(Duration::from_millis(150));
    let answered = send(netns, target, port);
    std::thread::sleep(Duration::from_millis(200));
    let _ = monitor.kill();
    let mut text = String::new();
    if let Some(mut out) = monitor.stdout.take() {
        let _ = out.read_to_string(&mut text);
    }
    let _ = monitor.wait();
    let trace = text
        .lines()
        .filter(|l| {
            l.contains(" inet ctnet ")
                && (l.contains(" rule ") || l.contains("verdict") || l.contains("policy"))
        })
        .map(|l| {
            l.split_once(" inet ")
                .map_or(l, |(_, rest)| rest)
                .to_string()
        })
        .collect();
    Ok(ProbeReport {
        answered: answered?,
        trace,
    })
}

/// The probe itself: a ping, or a TCP connection (refused counts as answered: it got
/// there).
fn send(netns: Option<&Path>, target: IpAddr, port: Option<(Proto, u16)>) -> Result<bool> {
    match port {
        Some((Proto::Tcp, port)) => {
            let connect = || match TcpStream::connect_timeout(
                &SocketAddr::new(target, port),
                Duration::from_secs(1),
            ) {
                Ok(_) => true,
                Err(e) => e.kind() == std::io::ErrorKind::ConnectionRefused,
            };
            Ok(match netns {
                Some(path) => super::netns::with_netns(path, connect)?,
                None => connect(),
            })
        }
        _ => {
            let mut ping = Command::new("ping");
            ping.args(["-c1", "-W1", "-q", &target.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            if let Some(path) = netns {
                let file = std::fs::File::open(path)?;
                // Only the child enters the namespace (between fork and exec).
                unsafe {
                    ping.pre_exec(move || {
                        nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
                            .map_err(std::io::Error::from)
                    });
                }
            }
            Ok(ping.status().context("cannot run ping")?.success())
        }
    }
}
