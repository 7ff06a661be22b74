//! The other tables on the host's forward path, as ctnet has to live with them.
//!
//! nftables evaluates every table's base chains on its own: an `accept` in `inet ctnet`
//! cannot overrule a `drop` in another table. So where Docker set its FORWARD policy to
//! DROP, ctnet goes through the place Docker made for exactly this, the `DOCKER-USER`
//! chain: two rules per bridge (`iifname BRIDGE accept`, `oifname BRIDGE accept`), which
//! only let ctnet's traffic past Docker's chain; ctnet's own table still isolates and
//! filters it. The rules are plain iptables matches (no sets), so Docker's iptables keeps
//! reading the chain; each carries the comment `ctnet`, which is how ctnet finds its own.
//!
//! Any other base chain that drops forwarded traffic by default (firewalld, ufw, a
//! hand-written ruleset) belongs to its admin: ctnet reports it, names what breaks and
//! prints the rule to add, and changes nothing there.
//!
//! Pure: `sys` lists the chains and runs the commands, this decides.

use serde_json::{Value, json};

pub const DOCKER_USER: &str = "DOCKER-USER";
/// The comment on every rule ctnet puts into a table that is not its own.
pub const RULE_COMMENT: &str = "ctnet";

/// A chain of any table, as the kernel lists it (or `nft -j` prints it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chain {
    pub family: String,
    pub table: String,
    pub name: String,
    /// The hook of a base chain (`forward`, ...); `None` for a regular chain.
    pub hook: Option<String>,
    pub policy: Option<String>,
}

impl std::fmt::Display for Chain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "chain {} {} {}", self.family, self.table, self.name)
    }
}

/// What the host's firewall looks like beside ctnet's table.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostFirewall {
    pub chains: Vec<Chain>,
    /// Bridged frames pass the IP hooks (`net.bridge.bridge-nf-call-iptables`, which
    /// Docker turns on): then a forward drop also cuts traffic within a network.
    pub bridge_netfilter: bool,
}

impl HostFirewall {
    /// The families (`ip`, `ip6`) where Docker made its `DOCKER-USER` chain.
    pub fn docker_user_families(&self) -> Vec<&str> {
        self.chains
            .iter()
            .filter(|c| c.table == "filter" && c.name == DOCKER_USER)
            .map(|c| c.family.as_str())
            .collect()
    }

    /// Base chains of other tables, at the forward hook with policy drop, that ctnet cannot
    /// get through: Docker's FORWARD is not among them where its DOCKER-USER chain is there
    /// for ctnet's rules.
    pub fn forward_blockers(&self) -> Vec<&Chain> {
        let docker = self.docker_user_families();
        self.chains
            .iter()
            .filter(|c| c.hook.as_deref() == Some("forward") && c.policy.as_deref() == Some("drop"))
            .filter(|c| !(c.family == "inet" && c.table == "ctnet"))
            .filter(|c| {
                !(c.table == "filter" && c.name == "FORWARD" && docker.contains(&c.family.as_str()))
            })
            .collect()
    }

    /// What a blocker breaks for ctnet's networks, as a phrase.
    pub fn what_breaks(&self) -> &'static str {
        if self.bridge_netfilter {
            "egress, published ports and traffic within networks (bridge netfilter is on)"
        } else {
            "egress and published ports"
        }
    }
}

/// The chains in nft JSON output (`list chains` or `list ruleset`).
pub fn parse_chains(listing: &Value) -> Vec<Chain> {
    let text = |v: &Value| v.as_str().map(str::to_string);
    listing["nftables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item.get("chain"))
        .map(|c| Chain {
            family: text(&c["family"]).unwrap_or_default(),
            table: text(&c["table"]).unwrap_or_default(),
            name: text(&c["name"]).unwrap_or_default(),
            hook: text(&c["hook"]),
            policy: text(&c["policy"]),
        })
        .collect()
}

/// The rules an admin would add to `chain` so that it lets ctnet's bridges through, one
/// `nft` command per line. Accepting is enough: ctnet's own table still applies its policy.
pub fn admin_rules(chain: &Chain, bridges: &[String]) -> String {
    let names = bridges
        .iter()
        .map(|b| format!("\"{b}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let set = if bridges.len() == 1 {
        names
    } else {
        format!("{{ {names} }}")
    };
    ["iifname", "oifname"]
        .iter()
        .map(|dir| {
            format!(
                "nft insert rule {} {} {} {dir} {set} accept",
                chain.family, chain.table, chain.name
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether a rule (nft JSON) is one of ctnet's in a foreign chain: which direction and
/// which bridge it accepts, and its handle.
fn ctnet_rule(rule: &Value) -> Option<(String, String, u64)> {
    if rule["comment"] != RULE_COMMENT {
        return None;
    }
    let handle = rule["handle"].as_u64()?;
    let expr = rule["expr"].as_array()?;
    let matched = expr.iter().find_map(|e| e.get("match"))?;
    let direction = matched["left"]["meta"]["key"].as_str()?.to_string();
    let bridge = matched["right"].as_str()?.to_string();
    Some((direction, bridge, handle))
}

/// The nft JSON commands that make the `DOCKER-USER` chain of `family` (as `nft -j list
/// chain` or `list ruleset` prints it) hold exactly ctnet's accept rules for `bridges`: stale
/// ones deleted by handle, missing ones inserted at the top, the rest left alone.
pub fn docker_user_commands(family: &str, listing: &Value, bridges: &[String]) -> Vec<Value> {
    let existing: Vec<(String, String, u64)> = listing["nftables"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|item| item.get("rule"))
        .filter(|rule| rule["family"] == family && rule["chain"] == DOCKER_USER)
        .filter_map(ctnet_rule)
        .collect();
    let wanted: Vec<(String, String)> = bridges
        .iter()
        .flat_map(|b| [("iifname", b), ("oifname", b)])
        .map(|(dir, b)| (dir.to_string(), b.clone()))
        .collect();
    let mut commands = Vec::new();
    for (direction, bridge, handle) in &existing {
        if !wanted.contains(&(direction.clone(), bridge.clone())) {
            commands.push(json!({"delete": {"rule": {
                "family": family, "table": "filter", "chain": DOCKER_USER, "handle": handle}}}));
        }
    }
    for (direction, bridge) in &wanted {
        if !existing
            .iter()
            .any(|(d, b, _)| d == direction && b == bridge)
        {
            commands.push(json!({"insert": {"rule": {
            "family": family, "table": "filter", "chain": DOCKER_USER,
            "comment": RULE_COMMENT,
            "expr": [
                {"match": {"op": "==", "left": {"meta": {"key": direction}}, "right": bridge}},
                {"counter": {"packets": 0, "bytes": 0}},
                {"accept": null},
            ]}}}));
        }
    }
    commands
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(
        family: &str,
        table: &str,
        name: &str,
        hook: Option<&str>,
        policy: Option<&str>,
    ) -> Value {
        let mut c = json!({"family": family, "table": table, "name": name});
        if let (Some(h), Some(p)) = (hook, policy) {
            c["hook"] = json!(h);
            c["policy"] = json!(p);
        }
        json!({"chain": c})
    }

    #[test]
    fn dockers_forward_is_handled_where_docker_user_exists_and_others_are_blockers() {
        let listing = json!({"nftables": [
            {"metainfo": {"version": "1.0.6"}},
            chain("ip", "filter", "FORWARD", Some("forward"), Some("drop")),
            chain("ip", "filter", "DOCKER-USER", None, None),
            chain("ip6", "filter", "FORWARD", Some("forward"), Some("drop")),
            chain("inet", "firewalld", "filter_FORWARD", Some("forward"), Some("drop")),
            chain("inet", "ctnet", "forward", Some("forward"), Some("drop")),
            chain("inet", "fw", "input", Some("input"), Some("drop")),
        ]});
        let host = HostFirewall {
            chains: parse_chains(&listing),
            bridge_netfilter: false,
        };
        assert_eq!(host.docker_user_families(), ["ip"]);
        let blockers: Vec<String> = host
            .forward_blockers()
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            blockers,
            [
                "chain ip6 filter FORWARD",
                "chain inet firewalld filter_FORWARD"
            ]
        );
    }

    #[test]
    fn admin_rules_accept_both_directions() {
        let c = Chain {
            family: "inet".into(),
            table: "filter".into(),
            name: "forward".into(),
            hook: Some("forward".into()),
            policy: Some("drop".into()),
        };
        assert_eq!(
            admin_rules(&c, &["ctnet0".into(), "ctn-0123456789".into()]),
            "nft insert rule inet filter forward iifname { \"ctnet0\", \"ctn-0123456789\" } accept\n\
             nft insert rule inet filter forward oifname { \"ctnet0\", \"ctn-0123456789\" } accept"
        );
    }

    fn rule(direction: &str, bridge: &str, handle: u64, comment: Option<&str>) -> Value {
        let mut r = json!({"family": "ip", "table": "filter", "chain": "DOCKER-USER", "handle": handle,
            "expr": [{"match": {"op": "==", "left": {"meta": {"key": direction}}, "right": bridge}},
                     {"counter": {"packets": 3, "bytes": 252}}, {"accept": null}]});
        if let Some(c) = comment {
            r["comment"] = json!(c);
        }
        json!({"rule": r})
    }

    #[test]
    fn docker_user_gets_exactly_the_rules_for_the_bridges() {
        let listing = json!({"nftables": [
            chain("ip", "filter", "DOCKER-USER", None, None),
            rule("iifname", "ctnet0", 11, Some("ctnet")),
            rule("oifname", "ctnet0", 12, Some("ctnet")),
            rule("iifname", "ctn-gone000000", 13, Some("ctnet")),
            // The admin's own rule for a bridge of that name stays.
            rule("oifname", "ctn-gone000000", 14, None),
            json!({"rule": {"family": "ip", "table": "filter", "chain": "DOCKER-USER", "handle": 15,
                "expr": [{"return": null}]}}),
        ]});
        let bridges = vec!["ctnet0".to_string(), "ctn-new0000000".to_string()];
        let commands = docker_user_commands("ip", &listing, &bridges);
        assert_eq!(commands.len(), 3, "{commands:?}");
        assert_eq!(commands[0]["delete"]["rule"]["handle"], 13);
        let inserted: Vec<(&str, &str)> = commands[1..]
            .iter()
            .map(|c| {
                let m = &c["insert"]["rule"]["expr"][0]["match"];
                (
                    m["left"]["meta"]["key"].as_str().unwrap(),
                    m["right"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            inserted,
            [("iifname", "ctn-new0000000"), ("oifname", "ctn-new0000000")]
        );
        assert!(
            commands[1..]
                .iter()
                .all(|c| c["insert"]["rule"]["comment"] == "ctnet")
        );
        // Nothing to do when the chain already matches; everything goes with the last bridge.
        let done = json!({"nftables": [rule("iifname", "ctnet0", 1, Some("ctnet")), rule("oifname", "ctnet0", 2, Some("ctnet"))]});
        assert_eq!(
            docker_user_commands("ip6", &done, &["ctnet0".into()]).len(),
            2,
            "another family's chain"
        );
        assert!(docker_user_commands("ip", &done, &["ctnet0".into()]).is_empty());
        assert_eq!(docker_user_commands("ip", &done, &[]).len(), 2);
    }
}
