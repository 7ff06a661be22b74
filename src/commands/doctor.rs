//! `ctnet doctor`: what this host has and lacks for ctnet, each with why it matters and
//! what to do. Changes nothing; exits 1 if something ctnet needs is missing.

use anyhow::Result;
use serde_json::Value;

use super::Ctx;
use crate::sys::{Forwarding, Kernel};
use crate::{firewall, hostfw};

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
        ctx.kernel.probe_link_kinds()
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
        ctx.kernel.nft_accepts(NFT_PROBE, false)
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
        match ctx.kernel.nft_accepts(json, true) {
            Ok(()) => r.add(Level::Ok, "nft takes JSON input"),
            Err(e) => r.add(
                Level::Fail,
                format!("nft does not take JSON input, which ctnet uses for every change: {e}"),
            ),
        }
    }

    for ipv6 in [false, true] {
        let family = if ipv6 { "IPv6" } else { "IPv4" };
        match ctx.kernel.forwarding(ipv6) {
            Forwarding::OnByCtnet => r.add(
                Level::Ok,
                format!("{family} forwarding is on, turned on by ctnet: table inet ctnet forwards only traffic of ctnet's networks (and other container bridges), so this host is no open router"),
            ),
            Forwarding::OnByOthers => r.add(
                Level::Ok,
                format!("{family} forwarding is on, set by someone else (the admin, Docker, libvirt): ctnet leaves the rest of the forwarding to them"),
            ),
            Forwarding::Off if ipv6 => {}
            Forwarding::Off => r.add(
                Level::Warn,
                "IPv4 forwarding is off: ctnet turns it on when it makes a bridge network, and then forwards only its own traffic (net.ipv4.ip_forward)",
            ),
        }
    }

    // What ctnet's state expects of the firewall, if it has a state.
    let state = if root && ctx.global.state_dir.join("state.json").exists() {
        let store = crate::state::store::Store::lock(&ctx.global.state_dir)?;
        match store.load_networks() {
            Ok(Some(loaded)) => Some(crate::model::State {
                networks: loaded.networks,
                ..crate::model::State::new()
            }),
            Ok(None) => None,
            Err(e) => {
                r.add(Level::Fail, format!("{e:#}"));
                None
            }
        }
    } else {
        None
    };
    let bridges = state.as_ref().map(firewall::bridges).unwrap_or_default();

    match ctx.kernel.ruleset() {
        Ok(ruleset) => firewall_report(&mut r, &ruleset, &bridges, ctx.kernel),
        Err(e) => r.add(
            Level::Warn,
            format!("cannot read the host's nftables ruleset: {e}"),
        ),
    }

    if let Some(loaded) = &state {
        let host = ctx.kernel.host_ipv4_in_use().unwrap_or_default();
        let mut clashes = 0;
        for net in &loaded.networks {
            for config in &net.ipam {
                // The bridge's own connected route is the subnet itself; anything
                // else overlapping it is another link or route claiming the range.
                // A set: an address's subnet and its connected route are the same range,
                // which is one warning, not two.
                let others: std::collections::BTreeSet<_> = host
                    .iter()
                    .filter(|h| **h != config.subnet && h.prefix_len() > 0)
                    .filter(|h| {
                        h.contains(&config.subnet.network()) || config.subnet.contains(&h.network())
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
        writeln!(ctx.out, "{tag}  {}", text.replace('\n', "\n      "))?;
    }
    Ok(if failed { 1 } else { 0 })
}

/// ctnet's table, the admin's chain in it, Docker's DOCKER-USER chain and other tables that
/// drop forwarded traffic, as `ruleset` (nft JSON) has them, for a host whose ctnet
/// networks have `bridges`.
fn firewall_report(r: &mut Report, ruleset: &Value, bridges: &[String], kernel: &mut dyn Kernel) {
    let chains = hostfw::parse_chains(ruleset);
    let ours = |name: &str| {
        chains
            .iter()
            .any(|c| c.family == "inet" && c.table == "ctnet" && c.name == name)
    };
    if !bridges.is_empty() {
        if ours("forward") && !ours(firewall::NEWEST_CHAIN) {
            r.add(
                Level::Warn,
                "table inet ctnet was made by an older ctnet: the next command that changes something (or 'ctnet restore') writes it in this version's form",
            );
        } else if ours("forward") {
            r.add(
                Level::Ok,
                "table inet ctnet is in place (isolation, masquerade, published ports)",
            );
        } else if !bridges
            .iter()
            .any(|b| kernel.has_link(&crate::plan::Ns::Host, b))
        {
            r.add(
                Level::Ok,
                "ctnet's networks are not made in the kernel yet: the first command that changes something makes them (after a reboot, run 'ctnet restore')",
            );
        } else {
            r.add(
                Level::Fail,
                "table inet ctnet is missing (was the ruleset flushed, say by 'systemctl restart nftables'?): containers are not isolated and published ports do not answer until 'ctnet restore' or any ctnet command that changes something writes it again",
            );
        }
    }
    if ours(firewall::USER_CHAIN) {
        let rules = ruleset["nftables"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| item.get("rule"))
            .filter(|rule| rule["table"] == "ctnet" && rule["chain"] == firewall::USER_CHAIN)
            .count();
        r.add(
            Level::Ok,
            format!("the admin's chain inet ctnet user (new traffic into containers) has {rules} rule(s)"),
        );
    }
    let host = hostfw::HostFirewall {
        chains: chains.clone(),
        bridge_netfilter: kernel.host_firewall().is_ok_and(|h| h.bridge_netfilter),
    };
    for family in host.docker_user_families() {
        let pending = hostfw::docker_user_commands(family, ruleset, bridges).len();
        if pending == 0 {
            r.add(
                Level::Ok,
                format!("Docker is here: its {family} DOCKER-USER chain lets ctnet's bridges past Docker's FORWARD policy"),
            );
        } else {
            r.add(
                Level::Warn,
                format!("Docker is here, but its {family} DOCKER-USER chain lacks {pending} of ctnet's rules: run 'ctnet restore' to put them back"),
            );
        }
    }
    let blockers = host.forward_blockers();
    if blockers.is_empty() {
        r.add(Level::Ok, "no other table drops forwarded traffic");
    }
    let shown: Vec<String> = if bridges.is_empty() {
        vec!["BRIDGE".to_string()]
    } else {
        bridges.to_vec()
    };
    for chain in blockers {
        r.add(
            Level::Warn,
            format!(
                "{chain} drops forwarded traffic by default, and ctnet cannot overrule it: {} of ctnet's networks break unless it accepts them. The rules to add:\n{}",
                host.what_breaks(),
                hostfw::admin_rules(chain, &shown)
            ),
        );
    }
}
