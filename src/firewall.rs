//! ctnet's nftables table, `inet ctnet`. The policy is Docker's: open within a network
//! (unless icc=false), closed between networks and from outside, egress masqueraded,
//! nothing in or out of an internal network.
//!
//! The rules never change: they look networks up in named sets and maps, so a command
//! only adds or deletes elements. That keeps each change O(1) as networks grow, and cheap:
//! on this kernel adding elements costs about the nft process start (~2 ms), while deleting
//! or replacing rules waits for an RCU grace period (10-20 ms).
//!
//! The skeleton (sets, maps, chains, rules) is static nft text with no user data in it:
//! nft 1.0.6 needs text to declare maps with concatenated data, and the golden file reads
//! like `nft list table`. Element changes go to nft as JSON built from typed values, so no
//! name can become nft syntax; `--dry-run` and `-v` show them as the equivalent nft text.

use std::collections::BTreeSet;

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::{Value, json};

use crate::model::{Driver, Endpoint, State};
use crate::ports::{PortMapping, Proto};

pub const TABLE: &str = "inet ctnet";

/// The admin's chain: created once, never flushed or rewritten by ctnet.
pub const USER_CHAIN: &str = "user";
/// The chain added last to the skeleton: a table that has it is this version's.
pub const NEWEST_CHAIN: &str = "user_hook";

/// Sets, maps, chains and the fixed rules. Same-bridge traffic only reaches the forward
/// hook when routed through the gateway; `icc` decides it. Whatever else heads into a
/// network (another network, or a host that routes container subnets through us) is
/// dropped; published ports will be accepted before that rule.
const SKELETON: &str = "\
table inet ctnet {
	set bridges {
		type ifname
		comment \"every ctnet bridge\"
	}
	set internal {
		type ifname
		comment \"bridges of --internal networks\"
	}
	map icc {
		type ifname . ifname : verdict
		comment \"same-bridge verdict: accept, or drop for icc=false\"
	}
	set egress_nets {
		type ipv4_addr
		flags interval
		comment \"subnets masqueraded on the way out\"
	}
	set egress_nets6 {
		type ipv6_addr
		flags interval
		comment \"IPv6 subnets masqueraded on the way out (NAT66, as Docker)\"
	}
	set hairpin {
		type ifname . ifname
		comment \"a bridge to itself: published ports reached from the same network\"
	}
	set forward_guard {
		type nf_proto
		comment \"families whose forwarding ctnet turned on: it forwards only its own traffic\"
	}
	map dnat_any {
		type inet_proto . inet_service : ipv4_addr . inet_service
		comment \"ports published on every host address\"
	}
	map dnat_ip {
		type ipv4_addr . inet_proto . inet_service : ipv4_addr . inet_service
		comment \"ports published on one host address\"
	}
	map dnat6_any {
		type inet_proto . inet_service : ipv6_addr . inet_service
		comment \"ports published on every host address, to IPv6 containers\"
	}
	map dnat6_ip {
		type ipv6_addr . inet_proto . inet_service : ipv6_addr . inet_service
		comment \"ports published on one host IPv6 address\"
	}
	chain raw_prerouting {
		type filter hook prerouting priority raw; policy accept;
		iifname != \"lo\" ip daddr 127.0.0.0/8 drop comment \"127.0.0.1 bindings are for this host only\"
	}
	chain prerouting {
		type nat hook prerouting priority -100; policy accept;
		dnat ip to ip daddr . meta l4proto . th dport map @dnat_ip
		fib daddr type local dnat ip to meta l4proto . th dport map @dnat_any
		dnat ip6 to ip6 daddr . meta l4proto . th dport map @dnat6_ip
		fib daddr type local dnat ip6 to meta l4proto . th dport map @dnat6_any
	}
	chain output {
		type nat hook output priority -100; policy accept;
		dnat ip to ip daddr . meta l4proto . th dport map @dnat_ip
		fib daddr type local dnat ip to meta l4proto . th dport map @dnat_any
		dnat ip6 to ip6 daddr . meta l4proto . th dport map @dnat6_ip
		fib daddr type local dnat ip6 to meta l4proto . th dport map @dnat6_any
	}
	chain user {
	}
	chain user_hook {
		type filter hook forward priority -1; policy accept;
		ct state new oifname @bridges jump user comment \"the admin's filter for new traffic into containers\"
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		ct state established,related accept
		iifname . oifname vmap @icc
		iifname @internal drop
		oifname @internal drop
		oifname @bridges ct status dnat accept comment \"published ports\"
		oifname @bridges drop
		meta nfproto @forward_guard iifname != @bridges oifname != @bridges meta iifkind != \"bridge\" meta oifkind != \"bridge\" drop comment \"not an open router\"
	}
	chain postrouting {
		type nat hook postrouting priority 100; policy accept;
		ip saddr @egress_nets oifname != @bridges masquerade
		ip6 saddr @egress_nets6 oifname != @bridges masquerade
		ct status dnat iifname . oifname @hairpin masquerade
		oifname @bridges ip saddr 127.0.0.0/8 masquerade comment \"published ports reached from 127.0.0.1\"
	}
}
";

/// One value inside an element's key or data: typed, so nft receives JSON built from
/// values, never text built from names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Atom {
    Ifname(String),
    Proto(Proto),
    Addr(IpAddr),
    Port(u16),
    Prefix(IpNet),
    Verdict(&'static str),
    /// `ipv4` or `ipv6`, nft's `nf_proto`.
    Family(&'static str),
}

impl Atom {
    fn text(&self) -> String {
        match self {
            Atom::Ifname(name) => format!("\"{name}\""),
            Atom::Proto(p) => p.name().to_string(),
            Atom::Addr(a) => a.to_string(),
            Atom::Port(p) => p.to_string(),
            Atom::Prefix(n) => n.to_string(),
            Atom::Verdict(v) | Atom::Family(v) => v.to_string(),
        }
    }

    fn json(&self) -> Value {
        match self {
            Atom::Ifname(name) => json!(name),
            Atom::Proto(p) => json!(p.name()),
            Atom::Addr(a) => json!(a.to_string()),
            Atom::Port(p) => json!(p),
            Atom::Prefix(n) => {
                json!({ "prefix": { "addr": n.network().to_string(), "len": n.prefix_len() } })
            }
            Atom::Verdict(v) => json!({ *v: null }),
            Atom::Family(f) => json!(f),
        }
    }
}

fn text_of(atoms: &[Atom]) -> String {
    atoms.iter().map(Atom::text).collect::<Vec<_>>().join(" . ")
}

fn json_of(atoms: &[Atom]) -> Value {
    match atoms {
        [one] => one.json(),
        many => json!({ "concat": many.iter().map(Atom::json).collect::<Vec<_>>() }),
    }
}

/// One element of one set or map.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Element {
    set: &'static str,
    key: Vec<Atom>,
    /// The data of a map element; deletes name the key alone.
    value: Option<Vec<Atom>>,
}

impl Element {
    fn set_only(set: &'static str, key: Vec<Atom>) -> Element {
        Element {
            set,
            key,
            value: None,
        }
    }

    /// The element as nft's text, `add element inet ctnet SET { KEY : DATA }`.
    fn add(&self) -> String {
        match &self.value {
            Some(v) => format!(
                "add element {TABLE} {} {{ {} : {} }}\n",
                self.set,
                text_of(&self.key),
                text_of(v)
            ),
            None => format!(
                "add element {TABLE} {} {{ {} }}\n",
                self.set,
                text_of(&self.key)
            ),
        }
    }

    fn delete(&self) -> String {
        format!(
            "delete element {TABLE} {} {{ {} }}\n",
            self.set,
            text_of(&self.key)
        )
    }

    /// The same change as one command of nft's JSON input.
    fn json(&self, verb: &str) -> Value {
        json!({ verb: { "element": { "family": "inet", "table": "ctnet", "name": self.set, "elem": [self.elem(verb)] } } })
    }

    /// The element alone, as a command's `elem` list holds it.
    fn elem(&self, verb: &str) -> Value {
        match (&self.value, verb) {
            (Some(v), "add") => json!([json_of(&self.key), json_of(v)]),
            _ => json_of(&self.key),
        }
    }
}

/// The firewall's contents for a state: what a command compares before and after.
pub type Policy = BTreeSet<Element>;

/// Input for nft: the fixed skeleton as nft text (it has no user data, and nft 1.0.6 needs
/// text to declare maps with concatenated data) and element changes as nft JSON. Printed,
/// it reads as the equivalent nft text, which `--dry-run` shows.
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

fn json_part<'a>(changes: impl IntoIterator<Item = (&'static str, &'a Element)>) -> Option<Part> {
    let mut commands = Vec::new();
    let mut text = String::new();
    let mut declared = BTreeSet::new();
    let mut last = None;
    for (verb, element) in changes {
        let later = LATER_SETS.iter().find(|(name, ..)| *name == element.set);
        if let Some((name, kind, flags, declaration)) = later
            && declared.insert(*name)
        {
            let mut set = json!({"family": "inet", "table": "ctnet", "name": name, "type": kind});
            if !flags.is_empty() {
                set["flags"] = json!(flags);
            }
            commands.push(json!({"add": {"set": set}}));
            text.push_str(&format!("add set {TABLE} {name} {{ {declaration} }}\n"));
        }
        // Elements of one set and verb in a row share one command: a 57,000-port range is
        // one command, not 57,000 (which took 8 KB of JSON values each).
        let same = last == Some((verb, element.set));
        match commands.last_mut().filter(|_| same) {
            Some(command) => command[verb]["element"]["elem"]
                .as_array_mut()
                .expect("made with an elem list")
                .push(element.elem(verb)),
            None => commands.push(element.json(verb)),
        }
        last = Some((verb, element.set));
        text.push_str(&if verb == "add" {
            element.add()
        } else {
            element.delete()
        });
    }
    (!commands.is_empty()).then(|| Part::Json {
        json: json!({ "nftables": commands }).to_string(),
        text,
    })
}

/// The DNAT map elements for published ports: one per port, so a range is one set of
/// elements in one nft transaction, and the rules never change.
pub fn port_elements<'a>(endpoints: impl IntoIterator<Item = &'a Endpoint>) -> Policy {
    mapping_elements(endpoints.into_iter().flat_map(forwards))
}

/// Where an endpoint's published ports lead: to its IPv4 address, and (on a dual-stack
/// network) to its IPv6 address as well.
pub fn forwards(ep: &Endpoint) -> impl Iterator<Item = (IpAddr, PortMapping)> + '_ {
    let addresses = ep.addresses().map(|net| net.addr());
    addresses.flat_map(move |address| ep.ports.iter().map(move |m| (address, *m)))
}

/// Map elements for mappings to the given container addresses. A mapping without a host
/// address is published on every address of both families; one with an address, only on
/// that family's side (`::` is every IPv6 address).
pub fn mapping_elements(mappings: impl IntoIterator<Item = (IpAddr, PortMapping)>) -> Policy {
    let mut out = BTreeSet::new();
    for (address, mapping) in mappings {
        let v6 = address.is_ipv6();
        let (any, one) = if v6 {
            ("dnat6_any", "dnat6_ip")
        } else {
            ("dnat_any", "dnat_ip")
        };
        let set = match mapping.host_ip {
            None => any,
            Some(ip) if ip.is_ipv6() != v6 => continue,
            Some(ip) if ip.is_unspecified() => any,
            Some(_) => one,
        };
        for (host_port, container_port) in mapping.pairs() {
            let mut key = vec![Atom::Proto(mapping.proto), Atom::Port(host_port)];
            if set == one {
                key.insert(0, Atom::Addr(mapping.host_ip.expect("one address")));
            }
            let target = vec![Atom::Addr(address), Atom::Port(container_port)];
            out.insert(Element {
                set,
                key,
                value: Some(target),
            });
        }
    }
    out
}

/// Every bridge of ctnet's on this host, in the order the state lists them: the bridge
/// networks' and the overlays'.
pub fn bridges(state: &State) -> Vec<String> {
    let overlays = state.networks.iter().filter_map(|n| n.overlay.as_ref());
    let bridged = state.networks.iter().filter(|n| n.driver == Driver::Bridge);
    bridged
        .filter_map(|n| Some(n.bridge.as_ref()?.ifname.clone()))
        .chain(overlays.map(|o| o.bridge.clone()))
        .collect()
}

/// Every element the state calls for.
pub fn elements(state: &State) -> Policy {
    let mut out = network_elements(state);
    out.extend(port_elements(&state.endpoints));
    out
}

/// The elements that come from the networks alone.
pub fn network_elements(state: &State) -> Policy {
    let mut out = BTreeSet::new();
    let guard = &state.forwarding_guard;
    for (on, family) in [(guard.ipv4, "ipv4"), (guard.ipv6, "ipv6")] {
        if on {
            out.insert(Element::set_only(
                "forward_guard",
                vec![Atom::Family(family)],
            ));
        }
    }
    // An overlay's bridge: closed to routed traffic like any network, open within (its
    // frames cross the bridge, and the VXLAN port, on every host).
    for overlay in state.networks.iter().filter_map(|n| n.overlay.as_ref()) {
        let br = || Atom::Ifname(overlay.bridge.clone());
        out.insert(Element::set_only("bridges", vec![br()]));
        out.insert(Element {
            set: "icc",
            key: vec![br(), br()],
            value: Some(vec![Atom::Verdict("accept")]),
        });
    }
    for net in state.networks.iter().filter(|n| n.driver == Driver::Bridge) {
        let Some(bridge) = &net.bridge else { continue };
        let br = || Atom::Ifname(bridge.ifname.clone());
        out.insert(Element::set_only("bridges", vec![br()]));
        out.insert(Element::set_only("hairpin", vec![br(), br()]));
        let verdict = if bridge.icc { "accept" } else { "drop" };
        out.insert(Element {
            set: "icc",
            key: vec![br(), br()],
            value: Some(vec![Atom::Verdict(verdict)]),
        });
        if net.internal {
            out.insert(Element::set_only("internal", vec![br()]));
        } else if bridge.masquerade {
            for config in &net.ipam {
                out.insert(Element::set_only(
                    "egress_nets",
                    vec![Atom::Prefix(config.subnet.into())],
                ));
            }
            if let Some(config) = &net.ipam6 {
                out.insert(Element::set_only(
                    "egress_nets6",
                    vec![Atom::Prefix(config.subnet.into())],
                ));
            }
        }
    }
    out
}

/// The whole table for `state`, replacing whatever ctnet had there but the admin's chain:
/// for the first run and for re-creating kernel state. Each of ctnet's chains is declared
/// (a no-op where it exists), flushed and deleted, each set and map declared and emptied,
/// and the skeleton made anew; the admin's chain is declared only, so its rules stay (and
/// may use ctnet's sets). It is one nft transaction, so the table is never seen half made; the elements
/// are written as text here, which is safe because every name in them was validated to
/// `[A-Za-z0-9_.-]` and every other value is typed. With no bridge network left the whole
/// table goes.
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
    // Sets and maps are emptied, not deleted: a rule in the admin's chain may use them.
    for set in objects.iter().filter(|o| o.kind != "chain") {
        text.push_str(&format!(
            "add {0} {TABLE} {1} {{ {2}; }}\nflush {0} {TABLE} {1}\n",
            set.kind, set.name, set.declaration
        ));
    }
    text.push_str(SKELETON);
    for element in elements(state) {
        text.push_str(&element.add());
    }
    Script {
        parts: vec![Part::Text(text)],
    }
}

/// A set, map or chain the skeleton declares (the admin's chain aside).
struct SkeletonObject {
    kind: &'static str,
    name: &'static str,
    /// A set's or map's `type ...` and `flags ...` lines, as nft takes them in one line.
    declaration: String,
}

/// Read off the skeleton itself, so the list of what a rewrite replaces cannot drift from
/// what the skeleton makes.
fn skeleton_objects() -> Vec<SkeletonObject> {
    let mut out: Vec<SkeletonObject> = Vec::new();
    for line in SKELETON.lines() {
        let trimmed = line.trim();
        let header = ["set ", "map ", "chain "]
            .iter()
            .find(|kind| line.starts_with(&format!("\t{kind}")));
        if let Some(kind) = header {
            let name = trimmed[kind.len()..].trim_end_matches(" {").trim();
            if name != USER_CHAIN {
                out.push(SkeletonObject {
                    kind: kind.trim(),
                    name,
                    declaration: String::new(),
                });
            }
        } else if (trimmed.starts_with("type ") || trimmed.starts_with("flags "))
            && let Some(last) = out.last_mut().filter(|o| o.kind != "chain")
        {
            if !last.declaration.is_empty() {
                last.declaration.push_str("; ");
            }
            last.declaration.push_str(trimmed);
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
    json_part(changes).map(|part| Script { parts: vec![part] })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BridgeSettings, IpamConfig, Network};

    fn bridge_net(name: &str, br: &str, subnet: &str, internal: bool, icc: bool) -> Network {
        let subnet: ipnet::Ipv4Net = subnet.parse().unwrap();
        Network {
            id: format!("{name}-id"),
            name: name.into(),
            driver: Driver::Bridge,
            created: String::new(),
            ipam: vec![IpamConfig {
                subnet,
                gateway: subnet.hosts().next().unwrap(),
                ip_range: None,
                aux_addresses: Default::default(),
            }],
            internal,
            enable_ipv6: false,
            ipam6: None,
            labels: Default::default(),
            options: Default::default(),
            builtin: false,
            bridge: Some(BridgeSettings {
                ifname: br.into(),
                mtu: None,
                icc,
                masquerade: true,
                host_binding: None,
            }),
            macvlan: None,
            ipvlan: None,
            overlay: None,
            members: Default::default(),
            aliases: Default::default(),
            members6: Default::default(),
        }
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
            id: "e".into(),
            network_id: "n".into(),
            sandbox_id: "s".into(),
            ifname: "eth0".into(),
            host_ifname: "vctne".into(),
            mac: "02:42:ac:11:00:02".into(),
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
            ],
        };
        let adds: Vec<String> = port_elements([&ep]).iter().map(Element::add).collect();
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
        let adds: Vec<Value> = elements(&before).iter().map(|e| e.json("add")).collect();
        assert!(adds.contains(
            &json!({"add": {"element": {"family": "inet", "table": "ctnet", "name": "egress_nets",
            "elem": [{"prefix": {"addr": "172.17.0.0", "len": 16}}]}}})
        ));
        assert!(adds.contains(
            &json!({"add": {"element": {"family": "inet", "table": "ctnet", "name": "icc",
            "elem": [[{"concat": ["ctnet0", "ctnet0"]}, {"accept": null}]]}}})
        ));
    }

    #[test]
    fn no_networks_removes_the_table() {
        assert_eq!(
            render_full(&State::new()).to_string(),
            "table inet ctnet\ndelete table inet ctnet\n"
        );
    }
}
