//! Network-scoped names without a daemon: what each sandbox's `hosts` and `resolv.conf`
//! say, and which files a command has to touch. Pure: `etcfiles` does the writing.
//!
//! A sandbox's `hosts` names itself and every sandbox (and alias) that shares one of its
//! user-defined networks, as Docker's containers see each other. The default `bridge`
//! network resolves no names. Everything here is computed from the networks' member lists
//! in state.json, so a command never reads other sandboxes' files to update their names.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::{DnsSettings, Network};

/// Whether sandboxes on `network` find each other by name (not on the built-in networks).
pub fn resolves_names(network: &Network) -> bool {
    !network.builtin
}

/// The `hosts` lines for one member of a network: its IPv4 and IPv6 addresses (either may
/// be missing: a v4-only or an IPv6-only network), name and aliases.
/// A `vip` service's name goes with its virtual IPs, not with its tasks.
pub fn member_line(network: &Network, member: &str) -> String {
    let mut names = member.to_string();
    for alias in network.aliases_of(member) {
        if network.vip_service(alias).is_none() {
            names.push(' ');
            names.push_str(alias);
        }
    }
    let mut lines = String::new();
    let (ipv4, ipv6) = match network.vip_service(member) {
        Some(service) => (service.vip4, service.vip6),
        None => network.addresses_of(member),
    };
    if let Some(ip) = ipv4 {
        lines.push_str(&format!("{ip}\t{names}\n"));
    }
    if let Some(ip6) = ipv6 {
        lines.push_str(&format!("{ip6}\t{names}\n"));
    }
    lines
}

/// A member's addresses on a network.
pub type Addresses = (Option<Ipv4Addr>, Option<Ipv6Addr>);

/// The member lists of a network as a command found them.
pub type Members = BTreeMap<String, Addresses>;

/// Every name `network` resolves (members on other hosts too) with its addresses, and its
/// `vip` services with their virtual IPs.
pub fn members_of(network: &Network) -> Members {
    let services = network
        .services
        .iter()
        .filter(|s| s.vip4.is_some() || s.vip6.is_some())
        .map(|s| (s.name.clone(), (s.vip4, s.vip6)));
    network
        .named_members()
        .into_iter()
        .map(|name| (name.clone(), network.addresses_of(name)))
        .chain(services)
        .collect()
}

/// Builds many sandboxes' `hosts` files: each network's lines are formatted once, and a
/// sandbox's file is a copy of its networks' blocks (without its own line). A disconnect
/// rewrites every neighbour's file; formatting each network again per neighbour made that
/// quadratic in formatting work, this leaves only the copying.
pub struct HostsFiles<'a> {
    networks: &'a [Network],
    /// Per network (by index): all member lines, and where each member's line is.
    blocks: std::cell::RefCell<BTreeMap<usize, Block>>,
}

struct Block {
    text: String,
    spans: std::collections::HashMap<String, (usize, usize)>,
}

impl<'a> HostsFiles<'a> {
    pub fn new(networks: &'a [Network]) -> HostsFiles<'a> {
        HostsFiles {
            networks,
            blocks: Default::default(),
        }
    }

    pub fn file(&self, sandbox: &str) -> String {
        let mut text = format!(
            "# Written by ctnet for sandbox {sandbox}: the sandboxes on its networks.\n\
             # Rewritten on every connect and disconnect; edits are lost.\n\
             127.0.0.1\tlocalhost\n\
             ::1\tlocalhost ip6-localhost ip6-loopback\n"
        );
        // Its own addresses first, so a lookup of its own name finds them.
        for network in self.networks {
            text.push_str(&member_line(network, sandbox));
        }
        let mut blocks = self.blocks.borrow_mut();
        for (index, network) in self.networks.iter().enumerate() {
            if !resolves_names(network) || !network.has_member(sandbox) {
                continue;
            }
            let block = blocks.entry(index).or_insert_with(|| Block::new(network));
            let (from, to) = block.spans[sandbox];
            text.push_str(&block.text[..from]);
            text.push_str(&block.text[to..]);
        }
        text
    }
}

impl Block {
    fn new(network: &Network) -> Block {
        let mut block = Block {
            text: String::new(),
            spans: Default::default(),
        };
        for member in network.named_members() {
            let from = block.text.len();
            block.text.push_str(&member_line(network, member));
            block.spans.insert(member.clone(), (from, block.text.len()));
        }
        for service in network.services.iter() {
            block.text.push_str(&member_line(network, &service.name));
        }
        block
    }
}

/// What the host's resolver configuration offers a sandbox.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Upstream {
    pub nameservers: Vec<IpAddr>,
    pub search: Vec<String>,
    pub options: Vec<String>,
}

/// Docker's fallback when the host has no usable server.
const FALLBACK_SERVERS: [Ipv4Addr; 2] = [Ipv4Addr::new(8, 8, 8, 8), Ipv4Addr::new(8, 8, 4, 4)];

/// Reads a resolv.conf, keeping the servers that work from another namespace: a loopback
/// server (systemd-resolved's 127.0.0.53, a local dnsmasq) is the host's own, unreachable
/// from a sandbox.
pub fn parse_resolv_conf(text: &str) -> Upstream {
    let mut upstream = Upstream::default();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some("nameserver") => {
                if let Some(ip) = words.next().and_then(|w| w.parse::<IpAddr>().ok())
                    && !ip.is_loopback()
                {
                    upstream.nameservers.push(ip);
                }
            }
            // The last search (or domain) line wins, as in glibc.
            Some("search" | "domain") => upstream.search = words.map(String::from).collect(),
            Some("options") => upstream.options = words.map(String::from).collect(),
            _ => {}
        }
    }
    upstream
}

/// The upstream servers for sandboxes, from the host's `/etc/resolv.conf`, or from
/// systemd-resolved's list of real servers when the host file only names its stub.
pub fn upstream(etc_resolv: &str, systemd_resolv: Option<&str>) -> Upstream {
    let mut upstream = parse_resolv_conf(etc_resolv);
    if upstream.nameservers.is_empty()
        && let Some(text) = systemd_resolv
    {
        let resolved = parse_resolv_conf(text);
        upstream.nameservers = resolved.nameservers;
        if upstream.search.is_empty() {
            upstream.search = resolved.search;
        }
    }
    if upstream.nameservers.is_empty() {
        upstream.nameservers = FALLBACK_SERVERS.iter().map(|&ip| ip.into()).collect();
    }
    upstream
}

/// The servers, search domains and options a sandbox works from: its own servers, else
/// the `--dns` servers of its first network that has any, else the host's; its own search
/// domains and options where it gives any, else the host's.
pub fn sandbox_upstream(
    host: &Upstream,
    networks: &[Network],
    sandbox: &str,
    own: &DnsSettings,
) -> Upstream {
    let network_dns = networks
        .iter()
        .filter(|n| n.has_member(sandbox))
        .map(|n| &n.dns_servers)
        .find(|servers| !servers.is_empty());
    let or = |mine: &Vec<String>, theirs: &Vec<String>| {
        if mine.is_empty() { theirs } else { mine }.clone()
    };
    Upstream {
        nameservers: match (own.servers.is_empty(), network_dns) {
            (false, _) => own.servers.clone(),
            (true, Some(servers)) => servers.clone(),
            (true, None) => host.nameservers.clone(),
        },
        search: or(&own.search, &host.search),
        options: or(&own.options, &host.options),
    }
}

/// A sandbox's `resolv.conf`: the host's upstream servers, or ctnet's resolver at
/// `resolver` when `ctnet dns serve` runs for one of the sandbox's networks.
pub fn resolv_conf(upstream: &Upstream, resolver: Option<IpAddr>) -> String {
    let mut text = String::from("# Written by ctnet.\n");
    match resolver {
        Some(ip) => {
            let _ = writeln!(text, "nameserver {ip}");
        }
        None => {
            for ip in &upstream.nameservers {
                let _ = writeln!(text, "nameserver {ip}");
            }
        }
    }
    if !upstream.search.is_empty() {
        let _ = writeln!(text, "search {}", upstream.search.join(" "));
    }
    let mut options = upstream.options.clone();
    if resolver.is_some() && !options.iter().any(|o| o.starts_with("ndots:")) {
        // Names of other sandboxes are single labels: ask for them as they are first.
        options.push("ndots:0".into());
    }
    if !options.is_empty() {
        let _ = writeln!(text, "options {}", options.join(" "));
    }
    text
}

/// The address of ctnet's resolver for a sandbox: the gateway of its first network that
/// resolves names, where the resolver listens (`listening`: empty when it does not run).
pub fn resolver_for(
    networks: &[Network],
    sandbox: &str,
    listening: &BTreeSet<IpAddr>,
) -> Option<IpAddr> {
    networks
        .iter()
        .filter(|n| resolves_names(n) && n.has_member(sandbox))
        .flat_map(|n| {
            let v4 = n.ipam.iter().map(|c| IpAddr::V4(c.gateway));
            v4.chain(n.ipam6.iter().map(|c| IpAddr::V6(c.gateway)))
        })
        .find(|gateway| listening.contains(gateway))
}

/// A change to the name files of one sandbox.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileUpdate {
    /// Write both files of a sandbox the command changed (and link them where
    /// `ip netns exec` looks).
    Sandbox(String),
    /// Rewrite the `hosts` of a sandbox whose neighbours changed.
    Hosts(String),
    /// Add lines to the `hosts` of a sandbox that gained neighbours (a connect must not
    /// cost a rewrite of every neighbour's whole file).
    Append(String, String),
    /// Remove the files of a removed sandbox.
    Remove(String),
}

/// Which name files change when the networks go from `before` (network id → members) to
/// `after`, given the sandboxes the command itself changed (`touched`) and which of those
/// no longer exist (`removed`).
pub fn updates(
    before: &BTreeMap<String, Members>,
    after: &[Network],
    touched: &BTreeSet<String>,
    removed: &BTreeSet<String>,
) -> Vec<FileUpdate> {
    let mut rewrite: BTreeSet<String> = BTreeSet::new();
    let mut appends: BTreeMap<String, String> = BTreeMap::new();
    let empty = Members::new();
    for network in after.iter().filter(|n| resolves_names(n)) {
        let old = before.get(&network.id).unwrap_or(&empty);
        let now = members_of(network);
        let gone = old.iter().any(|(name, ip)| now.get(name) != Some(ip));
        // Each new member's line, formatted once for all its neighbours.
        let added: Vec<(&String, String)> = now
            .iter()
            .filter(|(name, ip)| old.get(*name) != Some(*ip))
            .map(|(name, _)| (name, member_line(network, name)))
            .collect();
        // Only this host's members have files here; members on other hosts only have lines.
        for peer in now
            .keys()
            .filter(|p| network.has_member(p) && !touched.contains(*p))
        {
            if gone {
                rewrite.insert(peer.clone());
            } else {
                for (_, line) in added.iter().filter(|(name, _)| *name != peer) {
                    appends.entry(peer.clone()).or_default().push_str(line);
                }
            }
        }
    }
    let mut out: Vec<FileUpdate> = touched
        .iter()
        .map(|name| match removed.contains(name) {
            true => FileUpdate::Remove(name.clone()),
            false => FileUpdate::Sandbox(name.clone()),
        })
        .collect();
    out.extend(rewrite.iter().cloned().map(FileUpdate::Hosts));
    out.extend(
        appends
            .into_iter()
            .filter(|(peer, _)| !rewrite.contains(peer))
            .map(|(peer, lines)| FileUpdate::Append(peer, lines)),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::network_with_members;

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn hosts_lists_itself_then_neighbours_on_user_networks_only() {
        let mut app =
            network_with_members("app", false, &[("web", "10.1.0.2"), ("db", "10.1.0.3")]);
        app.aliases.insert("db".into(), vec!["postgres".into()]);
        let default = network_with_members(
            "bridge",
            true,
            &[("web", "172.17.0.2"), ("x", "172.17.0.3")],
        );
        let other = network_with_members("other", false, &[("y", "10.2.0.2")]);
        let text = HostsFiles::new(&[default, app, other]).file("web");
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            body,
            [
                "127.0.0.1\tlocalhost",
                "::1\tlocalhost ip6-localhost ip6-loopback",
                "172.17.0.2\tweb",
                "10.1.0.2\tweb",
                "10.1.0.3\tdb postgres",
            ]
        );
    }

    #[test]
    fn loopback_servers_are_replaced_by_systemd_resolveds_real_ones() {
        let etc = "nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch lab.example\n";
        let resolved = "nameserver 192.0.2.1\nnameserver 2001:db8::1\nsearch corp.example\n";
        let up = upstream(etc, Some(resolved));
        assert_eq!(
            up.nameservers,
            [
                "192.0.2.1".parse::<IpAddr>().unwrap(),
                "2001:db8::1".parse().unwrap()
            ]
        );
        assert_eq!(up.search, ["lab.example"]);
        assert_eq!(up.options, ["edns0", "trust-ad"]);
        let up = upstream("nameserver 127.0.0.1\n", None);
        assert_eq!(up.nameservers.len(), 2, "Docker's fallback servers");
        let text = resolv_conf(&up, Some("10.1.0.1".parse().unwrap()));
        assert_eq!(
            text.lines()
                .filter(|l| l.starts_with("nameserver"))
                .collect::<Vec<_>>(),
            ["nameserver 10.1.0.1"]
        );
        assert!(text.contains("options ndots:0"));
    }

    #[test]
    fn a_connect_appends_to_neighbours_and_a_disconnect_rewrites_them() {
        let before_net =
            network_with_members("app", false, &[("a", "10.1.0.2"), ("b", "10.1.0.3")]);
        let before: BTreeMap<String, Members> =
            [(before_net.id.clone(), members_of(&before_net))].into();
        let mut joined = before_net.clone();
        joined
            .members
            .insert("c".into(), "10.1.0.4".parse().unwrap());
        let ups = updates(&before, &[joined], &set(&["c"]), &set(&[]));
        assert_eq!(
            ups,
            [
                FileUpdate::Sandbox("c".into()),
                FileUpdate::Append("a".into(), "10.1.0.4\tc\n".into()),
                FileUpdate::Append("b".into(), "10.1.0.4\tc\n".into()),
            ]
        );
        let mut left = before_net.clone();
        left.members.remove("b");
        let ups = updates(&before, &[left], &set(&["b"]), &set(&["b"]));
        assert_eq!(
            ups,
            [
                FileUpdate::Remove("b".into()),
                FileUpdate::Hosts("a".into())
            ]
        );
    }

    #[test]
    fn the_default_network_changes_no_neighbour() {
        let before_net = network_with_members("bridge", true, &[("a", "172.17.0.2")]);
        let before: BTreeMap<String, Members> =
            [(before_net.id.clone(), members_of(&before_net))].into();
        let mut joined = before_net.clone();
        joined
            .members
            .insert("c".into(), "172.17.0.3".parse().unwrap());
        assert_eq!(
            updates(&before, &[joined], &set(&["c"]), &set(&[])),
            [FileUpdate::Sandbox("c".into())]
        );
    }
}
