//! ctnet's nftables table, `inet ctnet`. The policy is Docker's: open within a network
//! (unless icc=false), closed between networks and from outside, egress masqueraded,
//! nothing in or out of an internal network.
//!
//! The rules never change: they look networks up in named sets and maps, so a command
//! only adds or deletes elements. That keeps each change O(1) as networks grow, and cheap:
//! on this kernel adding elements costs about the nft process start (~2 ms), while deleting
//! or replacing rules waits for an RCU grace period (10-20 ms).
//!
//! The skeleton (sets, maps, chains, rules; `skeleton.nft`) is static nft text with no user
//! data in it: nft 1.0.6 needs text to declare maps with concatenated data, and the golden
//! file reads like `nft list table`. Every element goes to nft as JSON serialised from
//! typed values (`json`), so no name can become nft syntax; `--dry-run` and `-v` show
//! them as the equivalent nft text.

mod elements;
mod json;
mod slots;

use std::collections::BTreeSet;

pub use elements::{
    Element, Forward, Policy, bridges, elements, forwards, forwards_of, forwards_with,
    mapping_elements, network_elements, routed_families,
};
use json::{Command, Elements, Object, SetObject};

use crate::model::State;

pub const TABLE: &str = "inet ctnet";

/// The admin's chain: created once, never flushed or rewritten by ctnet.
pub const USER_CHAIN: &str = "user";
/// The chain added last to the skeleton: a table that has it is this version's.
pub const NEWEST_CHAIN: &str = "routing_mesh";

/// Sets, maps, chains and the fixed rules. Same-bridge traffic only reaches the forward
/// hook when routed through the gateway; `icc` decides it. Whatever else heads into a
/// network (another network, or a host that routes container subnets through us) is
/// dropped; published ports are accepted before that rule.
const SKELETON: &str = include_str!("skeleton.nft");

/// Input for nft: the fixed skeleton as nft text and elements as nft JSON, each part one
/// nft transaction, applied in order. Printed, it reads as the equivalent nft text, which
/// `--dry-run` shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Script {
    pub parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Text(String),
    Json { json: String, text: String },
}

impl std::fmt::Display for Script {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for part in &self.parts {
            match part {
                Part::Text(text) | Part::Json { text, .. } => f.write_str(text)?,
            }
        }
        Ok(())
    }
}

/// Sets that tables made by an older ctnet lack, as nft JSON and text declarations:
/// declaring one again is a no-op where it exists (`gc` or `restore` brings the rest of such
/// a table, its rules among them, up to date).
const LATER_SETS: [(&str, &str, &[&str], &str); 2] = [
    (
        "egress_nets6",
        "ipv6_addr",
        &["interval"],
        "type ipv6_addr; flags interval;",
    ),
    ("forward_guard", "nf_proto", &[], "type nf_proto;"),
];

/// Element changes as one JSON part, with `prelude` commands (and their text) before them.
/// Elements of one set and verb in a row share one command: a 57,000-port range is one
/// command, not 57,000.
fn json_part<'a>(
    mut commands: Vec<Command<'a>>,
    mut text: String,
    changes: impl IntoIterator<Item = (&'static str, &'a Element)>,
) -> Option<Part> {
    let mut declared = BTreeSet::new();
    let mut current: Option<(&str, Elements<'a>)> = None;
    let finish = |current: Option<(&str, Elements<'a>)>, commands: &mut Vec<Command<'a>>| {
        if let Some((verb, elements)) = current {
            let object = Object::Element(elements);
            commands.push(if verb == "add" {
                Command::Add(object)
            } else {
                Command::Delete(object)
            });
        }
    };
    for (verb, element) in changes {
        let later = LATER_SETS.iter().find(|(name, ..)| *name == element.set);
        if let Some((name, kind, flags, declaration)) = later
            && declared.insert(*name)
        {
            finish(current.take(), &mut commands);
            let set = SetObject::declared(name, Some(kind), flags);
            commands.push(Command::Add(Object::Set(set)));
            text.push_str(&format!("add set {TABLE} {name} {{ {declaration} }}\n"));
        }
        if current
            .as_ref()
            .is_none_or(|(v, e)| *v != verb || e.name() != element.set)
        {
            finish(current.take(), &mut commands);
            current = Some((verb, Elements::of(element.set)));
        }
        let (_, elements) = current.as_mut().expect("set just above");
        elements.push(element, verb == "add");
        text.push_str(&if verb == "add" {
            element.add()
        } else {
            element.delete()
        });
    }
    finish(current, &mut commands);
    (!commands.is_empty()).then(|| Part::Json {
        json: json::document(&commands),
        text,
    })
}

/// The whole table for `state`, replacing whatever ctnet had there but the admin's chain:
/// for the first run and for re-creating kernel state. With no bridge network left the
/// whole table goes.
///
/// Two nft transactions. The text one declares each of ctnet's chains (a no-op where it
/// exists), flushes and deletes it, and makes the skeleton anew; sets and maps are only
/// declared, so they keep their elements (a rule in the admin's chain may use them, and the
/// new rules never meet emptied sets). The JSON one empties every set and map and fills
/// it from the state. Between the two the table holds the new rules and the old elements:
/// never less isolation than before or after. The admin's chain is declared only, so its
/// rules stay.
pub fn render_full(state: &State) -> Script {
    let mut text = format!("table {TABLE}\n");
    if !state.networks.iter().any(|n| n.bridge.is_some()) {
        text.push_str(&format!("delete table {TABLE}\n"));
        return Script {
            parts: vec![Part::Text(text)],
        };
    }
    let objects = skeleton_objects();
    let chains = || objects.iter().filter(|o| o.kind == "chain");
    for chain in chains() {
        text.push_str(&format!(
            "add chain {TABLE} {0}\nflush chain {TABLE} {0}\n",
            chain.name
        ));
    }
    for chain in chains() {
        text.push_str(&format!("delete chain {TABLE} {}\n", chain.name));
    }
    for map in objects.iter().filter(|o| o.made_anew()) {
        text.push_str(&format!(
            "add map {TABLE} {0} {{ {1}; }}\ndelete map {TABLE} {0}\n",
            map.name, map.declaration
        ));
    }
    text.push_str(SKELETON);
    let mut flushes = Vec::new();
    let mut flush_text = String::new();
    for set in objects.iter().filter(|o| o.kind != "chain") {
        let object = SetObject::named(set.name);
        flushes.push(Command::Flush(if set.kind == "map" {
            Object::Map(object)
        } else {
            Object::Set(object)
        }));
        flush_text.push_str(&format!("flush {} {TABLE} {}\n", set.kind, set.name));
    }
    let elements = elements(state);
    let fill = json_part(flushes, flush_text, elements.iter().map(|e| ("add", e)));
    Script {
        parts: vec![Part::Text(text)].into_iter().chain(fill).collect(),
    }
}

/// A set, map or chain the skeleton declares (the admin's chain aside).
struct SkeletonObject {
    kind: &'static str,
    name: &'static str,
    /// Its `type` or `typeof` line (sets and maps).
    declaration: &'static str,
}

impl SkeletonObject {
    /// nft 1.0.6 cannot declare again a map whose data says `th dport` once rules use it
    /// (it reads the type back from the kernel and fails on it, "conflicting protocols"),
    /// and the data must say `th dport` for the map to translate UDP too. A rewrite makes
    /// such maps anew (its element fill follows in the same rewrite).
    fn made_anew(&self) -> bool {
        self.kind == "map"
            && self
                .declaration
                .split_once(" : ")
                .is_some_and(|(_, data)| data.contains("th dport"))
    }
}

/// Read off the skeleton itself, so the list of what a rewrite replaces cannot drift from
/// what the skeleton makes.
fn skeleton_objects() -> Vec<SkeletonObject> {
    let mut out = Vec::new();
    let mut lines = SKELETON.lines().peekable();
    while let Some(line) = lines.next() {
        let header = ["set ", "map ", "chain "]
            .iter()
            .find(|kind| line.starts_with(&format!("\t{kind}")));
        if let Some(kind) = header {
            let name = line.trim()[kind.len()..].trim_end_matches(" {").trim();
            let declaration = lines.peek().map_or("", |next| next.trim());
            if name != USER_CHAIN {
                out.push(SkeletonObject {
                    kind: kind.trim(),
                    name,
                    declaration,
                });
            }
        }
    }
    out
}

/// The element changes that take the table from `old` to `new`, or `None` if the policy
/// is the same. Deletions come first, so a key whose value changed is replaced.
pub fn render_delta(old: &Policy, new: &Policy) -> Option<Script> {
    let changes = old
        .difference(new)
        .map(|e| ("delete", e))
        .chain(new.difference(old).map(|e| ("add", e)));
    json_part(Vec::new(), String::new(), changes).map(|part| Script { parts: vec![part] })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Endpoint, Network};
    use serde_json::{Value, json};

    fn bridge_net(name: &str, br: &str, subnet: &str, internal: bool, icc: bool) -> Network {
        let mut network = crate::model::tests::bridge_network(name, br, subnet, icc);
        network.internal = internal;
        network
    }

    fn sample() -> State {
        let mut state = State::new();
        state
            .networks
            .push(bridge_net("bridge", "ctnet0", "172.17.0.0/16", false, true));
        state.networks.push(bridge_net(
            "back",
            "ctn-fedcba9876",
            "172.18.0.0/16",
            true,
            true,
        ));
        state.networks.push(bridge_net(
            "quiet",
            "ctn-aaaabbbbcc",
            "172.19.0.0/16",
            false,
            false,
        ));
        state
    }

    /// The rendered table is pinned by a golden file: a change to the policy shows up as a
    /// diff of that file in review.
    #[test]
    fn full_ruleset_matches_golden_file() {
        let rendered = render_full(&sample()).to_string();
        let golden_path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/ruleset.nft");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(golden_path, &rendered).unwrap();
        }
        let golden = std::fs::read_to_string(golden_path).unwrap();
        assert_eq!(
            rendered, golden,
            "rerun with UPDATE_GOLDEN=1 if the change is intended"
        );
    }

    #[test]
    fn delta_adds_and_removes_only_what_changed() {
        let before = sample();
        let mut after = before.clone();
        after.networks.retain(|n| n.name != "quiet");
        after.networks.push(bridge_net(
            "new",
            "ctn-0000000000",
            "172.20.0.0/16",
            false,
            true,
        ));
        let delta = render_delta(&elements(&before), &elements(&after))
            .unwrap()
            .to_string();
        assert_eq!(
            delta,
            "delete element inet ctnet bridges { \"ctn-aaaabbbbcc\" }\n\
             delete element inet ctnet egress_nets { 172.19.0.0/16 }\n\
             delete element inet ctnet hairpin { \"ctn-aaaabbbbcc\" . \"ctn-aaaabbbbcc\" }\n\
             delete element inet ctnet icc { \"ctn-aaaabbbbcc\" . \"ctn-aaaabbbbcc\" }\n\
             add element inet ctnet bridges { \"ctn-0000000000\" }\n\
             add element inet ctnet egress_nets { 172.20.0.0/16 }\n\
             add element inet ctnet hairpin { \"ctn-0000000000\" . \"ctn-0000000000\" }\n\
             add element inet ctnet icc { \"ctn-0000000000\" . \"ctn-0000000000\" : accept }\n"
        );
        assert_eq!(render_delta(&elements(&before), &elements(&before)), None);
    }

    #[test]
    fn published_ports_become_one_map_element_per_port() {
        use crate::ports::{PortMapping, Proto};
        let ep = Endpoint {
            impair: Default::default(),
            id: "e".into(),
            network_id: "n".into(),
            sandbox_id: "s".into(),
            ifname: "eth0".into(),
            host_ifname: "vctne".into(),
            mac: Some("02:42:ac:11:00:02".parse().unwrap()),
            ipv4: Some("172.17.0.2/16".parse().unwrap()),
            ipv6: None,
            aliases: vec![],
            default_route: true,
            default_route6: false,
            ports: vec![
                PortMapping {
                    proto: Proto::Tcp,
                    host_ip: None,
                    host_port: 8000,
                    container_port: 80,
                    count: 2,
                },
                PortMapping {
                    proto: Proto::Udp,
                    host_ip: Some("127.0.0.1".parse().unwrap()),
                    host_port: 5353,
                    container_port: 53,
                    count: 1,
                },
            ]
            .into(),
        };
        let adds: Vec<String> = elements::port_elements(&State::new(), [&ep])
            .iter()
            .map(Element::add)
            .collect();
        assert_eq!(
            adds,
            [
                "add element inet ctnet dnat_any { tcp . 8000 : 172.17.0.2 . 80 }\n",
                "add element inet ctnet dnat_any { tcp . 8001 : 172.17.0.2 . 81 }\n",
                "add element inet ctnet dnat_ip { 127.0.0.1 . udp . 5353 : 172.17.0.2 . 53 }\n",
            ]
        );
    }

    /// Element changes reach nft as JSON values, so no name can turn into nft syntax.
    #[test]
    fn element_changes_are_nft_json() {
        let before = sample();
        let mut after = before.clone();
        after.networks.retain(|n| n.name != "back");
        let Part::Json { json, .. } = &render_delta(&elements(&before), &elements(&after))
            .unwrap()
            .parts[0]
        else {
            panic!("element changes must be JSON");
        };
        let value: Value = serde_json::from_str(json).unwrap();
        let commands = value["nftables"].as_array().unwrap();
        assert!(commands.iter().all(|c| c.get("delete").is_some()), "{json}");
        assert!(
            commands.contains(
                &json!({"delete": {"element": {"family": "inet", "table": "ctnet", "name": "icc",
            "elem": [{"concat": ["ctn-fedcba9876", "ctn-fedcba9876"]}]}}})
            ),
            "{json}"
        );
        let full = render_full(&before);
        let Part::Json { json, .. } = &full.parts[1] else {
            panic!("a full rewrite fills the sets with JSON");
        };
        let value: Value = serde_json::from_str(json).unwrap();
        let commands = value["nftables"].as_array().unwrap();
        assert_eq!(
            commands[0],
            json!({"flush": {"set": {"family": "inet", "table": "ctnet", "name": "bridges"}}})
        );
        let adds = |set: &str| {
            commands
                .iter()
                .find(|c| c["add"]["element"]["name"] == set)
                .map(|c| c["add"]["element"]["elem"].clone())
                .unwrap_or_else(|| panic!("no {set} in {json}"))
        };
        assert_eq!(
            adds("egress_nets")[0],
            json!({"prefix": {"addr": "172.17.0.0", "len": 16}})
        );
        assert!(
            adds("icc")
                .as_array()
                .unwrap()
                .contains(&json!([{"concat": ["ctnet0", "ctnet0"]}, {"accept": null}])),
            "{json}"
        );
        // No name is in the text part, which is the skeleton alone.
        let Part::Text(text) = &full.parts[0] else {
            panic!("the skeleton is text")
        };
        assert!(!text.contains("ctn-") && !text.contains("ctnet0"), "{text}");
    }

    #[test]
    fn no_networks_removes_the_table() {
        assert_eq!(
            render_full(&State::new()).to_string(),
            "table inet ctnet\ndelete table inet ctnet\n"
        );
    }
}
