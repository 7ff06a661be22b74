//! `ctnet doctor`: what this host has and lacks for ctnet, each with why it matters and
//! what to do. Changes nothing; exits 1 if something ctnet needs is missing.

use anyhow::Result;
use serde_json::Value;

use super::Ctx;
use crate::sys;

enum Level {
    Ok,
    Warn,
    Fail,
}

struct Report {
    lines: Vec<(Level, String)>,
}

impl Report {
    fn add(&mut self, level: Level, text: impl Into<String>) {
        self.lines.push((level, text.into()));
    }
}

/// The table ctnet relies on, checked by the kernel in a scratch namespace.
const NFT_PROBE: &str = "table inet probe {
	chain probe_pre {
		type nat hook prerouting priority -100;
		fib daddr type local dnat ip to 10.0.0.1
	}
	chain probe_post {
		type nat hook postrouting priority 100;
		masquerade
	}
	chain probe_forward {
		type filter hook forward priority filter;
		ct state established accept
	}
}
";

pub fn doctor(ctx: &mut Ctx) -> Result<i32> {
    let mut r = Report { lines: Vec::new() };
    let root = nix::unistd::geteuid().is_root();
    if root {
        r.add(Level::Ok, "running as root");
    } else {
        r.add(
            Level::Fail,
            "not running as root: ctnet changes the kernel's network configuration (use sudo)",
        );
        r.add(
            Level::Warn,
            "kernel features not probed: that needs root too",
        );
    }

    // Link kinds: bridge and veth are needed, the others only by their drivers.
    let probes = if root {
        sys::probe_link_kinds()
    } else {
        Vec::new()
    };
    for (kind, option, error) in probes {
        let needed = matches!(kind, "bridge" | "veth" | "namespaces" | "netlink");
        match (error, needed) {
            (None, _) => r.add(Level::Ok, format!("{kind} links")),
            (Some(e), true) => r.add(Level::Fail, format!("{kind} links: {e}; the kernel needs {option}")),
            (Some(e), false) => r.add(
                Level::Warn,
                format!("{kind} links: {e}; networks that use them will not work (kernel option {option})"),
            ),
        }
    }

    match if root {
        sys::nft_accepts_in_scratch_namespace(NFT_PROBE, false)
    } else {
        Ok(())
    } {
        Ok(()) if !root => {}
        Ok(()) => r.add(
            Level::Ok,
            "nftables with nat, masquerade, fib and conntrack",
        ),
        Err(e) if e.contains("cannot run nft") => {
            r.add(Level::Fail, format!("{e}: install the nftables package"))
        }
        Err(e) => r.add(
            Level::Fail,
            format!("nftables lacks what ctnet uses (nat, masquerade, fib, conntrack): {e}"),
        ),
    }

    // Element changes go to nft as JSON: an nft built without JSON support fails them all.
    if root {
        let json = r#"{"nftables": [{"add": {"table": {"family": "inet", "name": "probe"}}}]}"#;
        match sys::nft_accepts_in_scratch_namespace(json, true) {
            Ok(()) => r.add(Level::Ok, "nft takes JSON input"),
            Err(e) => r.add(
                Level::Fail,
                format!("nft does not take JSON input, which ctnet uses for every change: {e}"),
            ),
        }
    }

    match std::fs::read_to_string("/proc/sys/net/ipv4/ip_forward").map(|v| v.trim() == "1") {
        Ok(true) => r.add(Level::Ok, "IPv4 forwarding is on"),
        _ => r.add(
            Level::Warn,
            "IPv4 forwarding is off: ctnet turns it on when it creates a bridge network (net.ipv4.ip_forward)",
        ),
    }

    match sys::nft_ruleset_json() {
        Ok(ruleset) => {
            let blockers = forward_drops(&ruleset);
            if blockers.is_empty() {
                r.add(Level::Ok, "no other table drops forwarded traffic");
            }
            for chain in blockers {
                r.add(
                    Level::Warn,
                    format!(
                        "{chain} drops forwarded traffic by default (Docker's iptables rules and firewalld do this): \
                         containers will not reach the outside unless it accepts traffic from and to ctnet's bridges"
                    ),
                );
            }
        }
        Err(e) => r.add(
            Level::Warn,
            format!("cannot read the host's nftables ruleset: {e}"),
        ),
    }

    if root && ctx.global.state_dir.join("state.json").exists() {
        let store = crate::store::Store::lock(&ctx.global.state_dir)?;
        match store.load_networks() {
            Ok(Some(loaded)) => {
                let host = ctx.kernel.host_ipv4_in_use().unwrap_or_default();
                let mut clashes = 0;
                for net in &loaded.networks {
                    for config in &net.ipam {
                        // The bridge's own connected route is the subnet itself; anything
                        // else overlapping it is another link or route claiming the range.
                        let others: Vec<_> = host
                            .iter()
                            .filter(|h| **h != config.subnet && h.prefix_len() > 0)
                            .filter(|h| {
                                h.contains(&config.subnet.network())
                                    || config.subnet.contains(&h.network())
                            })
                            .collect();
                        for other in others {
                            clashes += 1;
                            r.add(
                                Level::Warn,
                                format!(
                                    "subnet {} of network {} overlaps {other} on this host: traffic for it may go the wrong way",
                                    config.subnet, net.name
                                ),
                            );
                        }
                    }
                }
                if clashes == 0 {
                    r.add(
                        Level::Ok,
                        "no network's subnet collides with a host route or address",
                    );
                }
            }
            Ok(None) => {}
            Err(e) => r.add(Level::Fail, format!("{e:#}")),
        }
    }

    let mut failed = false;
    for (level, text) in &r.lines {
        let tag = match level {
            Level::Ok => "ok  ",
            Level::Warn => "warn",
            Level::Fail => {
                failed = true;
                "FAIL"
            }
        };
        writeln!(ctx.out, "{tag}  {text}")?;
    }
    Ok(if failed { 1 } else { 0 })
}

/// Base chains of other tables hooked at forward with policy drop.
fn forward_drops(ruleset: &Value) -> Vec<String> {
    let items = ruleset["nftables"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .filter_map(|item| item.get("chain"))
        .filter(|c| c["hook"] == "forward" && c["policy"] == "drop")
        .filter(|c| !(c["family"] == "inet" && c["table"] == "ctnet"))
        .map(|c| {
            format!(
                "chain {} {} {}",
                c["family"].as_str().unwrap_or("?"),
                c["table"].as_str().unwrap_or("?"),
                c["name"].as_str().unwrap_or("?")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_forward_chains_with_policy_drop_elsewhere() {
        let ruleset = serde_json::json!({"nftables": [
            {"metainfo": {"version": "1.0.6"}},
            {"chain": {"family": "ip", "table": "filter", "name": "FORWARD", "hook": "forward", "policy": "drop"}},
            {"chain": {"family": "inet", "table": "ctnet", "name": "forward", "hook": "forward", "policy": "accept"}},
            {"chain": {"family": "inet", "table": "fw", "name": "input", "hook": "input", "policy": "drop"}},
        ]});
        assert_eq!(forward_drops(&ruleset), ["chain ip filter FORWARD"]);
    }
}
