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

/// One line of a `hosts` file: `ADDRESS\tNAME ALIAS...` (see `hostsfile`).
pub type Line = String;

/// The `hosts` lines for one member of a network: one per address it has there (IPv4,
/// IPv6, or both), each with its name and aliases. A `vip` service's name goes with its
/// virtual IPs, not with its tasks.
fn lines_of(network: &Network, member: &str) -> Vec<Line> {
    let (ipv4, ipv6) = match network.vip_service(member) {
        Some(service) => (service.vip4, service.vip6),
        None => network.addresses_of(member),
    };
    let is_vip = |alias: &str| network.vip_service(alias).is_some();
    format_lines(member, &network.aliases_of(member), is_vip, (ipv4, ipv6))
}

fn format_lines(
    member: &str,
    aliases: &[String],
    is_vip: impl Fn(&str) -> bool,
    (ipv4, ipv6): (Option<Ipv4Addr>, Option<Ipv6Addr>),
) -> Vec<Line> {
    let mut names = member.to_string();
    for alias in aliases.iter().filter(|a| !is_vip(a)) {
        names.push(' ');
        names.push_str(alias);
    }
    let v4 = ipv4.map(|ip| format!("{ip}\t{names}"));
    v4.into_iter()
        .chain(ipv6.map(|ip| format!("{ip}\t{names}")))
        .collect()
}

/// Every line of a network's shared file: its members (here and on other hosts), then its
/// `vip` services.
pub fn network_lines(network: &Network) -> Vec<Line> {
    let services = network.services.iter().map(|s| &s.name);
    (network.named_members().into_iter().chain(services))
        .flat_map(|name| lines_of(network, name))
        .collect()
}

/// The top of every `hosts` file ctnet writes, before the name lines.
fn header(whose: &str) -> String {
    format!(
        "# Written by ctnet: {whose}.\n{}\
         127.0.0.1\tlocalhost\n\
         ::1\tlocalhost ip6-localhost ip6-loopback\n",
        crate::dns::hostsfile::MARK
    )
}

/// The header of a network's shared file.
pub fn network_header(network: &Network) -> String {
    header(&format!("the names on network {}", network.name))
}

/// The header of a sandbox's own file.
pub fn own_header(sandbox: &str) -> String {
    header(&format!("the names sandbox {sandbox} sees on its networks"))
}

/// The name of a network's shared file: the network's name and the start of its id, so that
/// a network removed and made again under the same name (by `lab up`, say) never finds its
/// predecessor's file.
pub fn shared_file(network: &Network) -> String {
    let id = network.id.get(..12).unwrap_or(&network.id);
    format!("{}-{id}", network.name)
}

/// Which `hosts` file a sandbox reads.
#[derive(Debug, PartialEq)]
pub enum View<'a> {
    /// The shared file of its one network that resolves names: every member reads the same
    /// file, so a connect or disconnect changes one file, however many members there are.
    Network(&'a Network),
    /// A file of its own, when it is on none or on several such networks: itself and
    /// (on several) the union of its networks' names.
    Own,
}

/// The file `sandbox` reads, from the networks it is on (and whether it keeps a file of
/// its own for good: `Network::own_hosts`).
pub fn view<'a>(networks: &'a [Network], sandbox: &str) -> View<'a> {
    let mut resolving = (networks.iter()).filter(|n| resolves_names(n) && n.has_member(sandbox));
    match (resolving.next(), resolving.next()) {
        (Some(network), None) if !network.own_hosts.contains_key(sandbox) => View::Network(network),
        _ => View::Own,
    }
}

/// The lines of a sandbox's own file: its own addresses first (a lookup of its own name
/// finds them), then its neighbours on the networks that resolve names.
pub fn own_lines(networks: &[Network], sandbox: &str) -> Vec<Line> {
    let mut lines: Vec<Line> = (networks.iter())
        .flat_map(|network| lines_of(network, sandbox))
        .collect();
    for network in networks
        .iter()
        .filter(|n| resolves_names(n) && n.has_member(sandbox))
    {
        let mine = lines_of(network, sandbox);
        lines.extend(
            network_lines(network)
                .into_iter()
                .filter(|l| !mine.contains(l)),
        );
    }
    lines
}

/// Adds to `out` the keys whose values differ between two maps (walked side by side: a
/// command's cost stays that of comparing, with nothing copied).
fn differing<'a, V: PartialEq>(
    a: &'a BTreeMap<String, V>,
    b: &'a BTreeMap<String, V>,
    out: &mut BTreeSet<&'a str>,
) {
    let (mut a, mut b) = (a.iter().peekable(), b.iter().peekable());
    loop {
        match (a.peek(), b.peek()) {
            (None, None) => return,
            (Some((ka, va)), Some((kb, vb))) if ka == kb => {
                if va != vb {
                    out.insert(ka);
                }
                a.next();
                b.next();
            }
            (Some((ka, _)), Some((kb, _))) if ka < kb => {
                out.insert(ka);
                a.next();
            }
            (Some(_), Some((kb, _))) | (None, Some((kb, _))) => {
                out.insert(kb);
                b.next();
            }
            (Some((ka, _)), None) => {
                out.insert(ka);
                a.next();
            }
        }
    }
}

/// A `vip` service's name and virtual IPs: what decides whose lines carry which names.
type Vip = (String, Option<Ipv4Addr>, Option<Ipv6Addr>);

fn vips(network: &Network) -> Vec<Vip> {
    (network.services.iter())
        .filter(|s| s.vip4.is_some() || s.vip6.is_some())
        .map(|s| (s.name.clone(), s.vip4, s.vip6))
        .collect()
}

/// A network's names as a command loaded them, as much as it takes to tell which lines
/// the command changes without copying every member: its services, the other hosts'
/// endpoints (cluster overlays), and the lines of the members this command changes,
/// noted (`note_member`) before it changes them.
#[derive(Debug, Clone)]
pub struct Before {
    pub id: String,
    /// Its shared file's name (`shared_file`).
    pub file: String,
    vips: Vec<Vip>,
    remotes: BTreeMap<String, crate::model::RemoteEndpoint>,
    members: BTreeMap<String, Vec<Line>>,
}

impl Before {
    pub fn of(network: &Network) -> Before {
        Before {
            id: network.id.clone(),
            file: shared_file(network),
            vips: vips(network),
            remotes: network
                .remotes()
                .map(|(n, r)| (n.clone(), r.clone()))
                .collect(),
            members: BTreeMap::new(),
        }
    }

    /// Keeps `member`'s lines as they are now, the first time it is noted.
    pub fn note_member(&mut self, network: &Network, member: &str) {
        if !self.members.contains_key(member) {
            self.members
                .insert(member.to_string(), lines_of(network, member));
        }
    }

    fn lines_of(&self, member: &str) -> Vec<Line> {
        if let Some(lines) = self.members.get(member) {
            return lines.clone();
        }
        let Some(remote) = self.remotes.get(member) else {
            return Vec::new();
        };
        let is_vip = |alias: &str| self.vips.iter().any(|(name, _, _)| name == alias);
        format_lines(member, &remote.aliases, is_vip, (remote.ipv4, remote.ipv6))
    }
}

/// How a network's names change.
#[derive(Debug, PartialEq)]
pub enum Change {
    /// These lines go and these come.
    Lines(Vec<Line>, Vec<Line>),
    /// A `vip` service came or went: its name leaves or joins its tasks' lines, so every
    /// line may change (rare: the file is written whole).
    Whole,
}

/// The lines a network's names lose and gain from `before` to `after`.
pub fn line_changes(before: &Before, after: &Network) -> Change {
    if vips(after) != before.vips {
        return Change::Whole;
    }
    let mut names: BTreeSet<&str> = before.members.keys().map(String::as_str).collect();
    let none = BTreeMap::new();
    let remotes_after = after.overlay.as_ref().map_or(&none, |o| &o.remotes);
    differing(&before.remotes, remotes_after, &mut names);
    let mut old = Vec::new();
    let mut new = Vec::new();
    for name in names {
        old.extend(before.lines_of(name));
        new.extend(lines_of(after, name));
    }
    let gone = old.iter().filter(|l| !new.contains(l)).cloned().collect();
    let came = new.iter().filter(|l| !old.contains(l)).cloned().collect();
    Change::Lines(gone, came)
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

/// A change to the name files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileUpdate {
    /// A network's shared `hosts` loses and gains lines (if it has the file yet).
    Network {
        network: String,
        remove: Vec<Line>,
        add: Vec<Line>,
    },
    /// The same for the own file of a neighbour on several networks.
    Neighbour {
        sandbox: String,
        remove: Vec<Line>,
        add: Vec<Line>,
    },
    /// Write both files of a sandbox the command changed (its `hosts` becomes the file its
    /// view says), and link them where `ip netns exec` looks.
    Sandbox(String),
    /// Remove the files of a removed sandbox.
    Remove(String),
    /// Write a network's shared file whole (a repair, a `vip` service).
    WriteNetwork(String),
    /// Write a neighbour's own `hosts` whole.
    OwnHosts(String),
    /// Remove the shared file of a network that is gone.
    DropNetwork(String),
}

/// Which name files change when the networks go from `before` to `after`, given the
/// sandboxes the command itself changed (`touched`) and which of those no longer exist
/// (`removed`). A `repair` writes every network's file whole.
pub fn updates(
    before: &[Before],
    after: &[Network],
    touched: &BTreeSet<String>,
    removed: &BTreeSet<String>,
    repair: bool,
) -> Vec<FileUpdate> {
    let mut out = Vec::new();
    let resolving: Vec<&Network> = after.iter().filter(|n| resolves_names(n)).collect();
    for network in &resolving {
        let old = before.iter().find(|n| n.id == network.id);
        let change = match old {
            Some(old) if !repair => line_changes(old, network),
            // New: nobody reads its file yet; it is made when a member needs it.
            None if !repair => continue,
            _ => Change::Whole,
        };
        if change == Change::Lines(vec![], vec![]) {
            continue;
        }
        // Members here on another such network read their own file, which needs the
        // change too (members that read this network's file see it there).
        let others = resolving.iter().filter(|n| n.id != network.id);
        let neighbours: BTreeSet<&String> = (others.flat_map(|n| n.member_names()))
            .chain(network.own_hosts.keys())
            .filter(|m| network.has_member(m) && !touched.contains(*m))
            .collect();
        match change {
            Change::Lines(remove, add) => {
                out.extend(neighbours.into_iter().map(|sandbox| FileUpdate::Neighbour {
                    sandbox: sandbox.clone(),
                    remove: remove.clone(),
                    add: add.clone(),
                }));
                out.push(FileUpdate::Network {
                    network: shared_file(network),
                    remove,
                    add,
                });
            }
            Change::Whole => {
                out.extend(
                    neighbours
                        .into_iter()
                        .map(|s| FileUpdate::OwnHosts(s.clone())),
                );
                out.push(FileUpdate::WriteNetwork(shared_file(network)));
            }
        }
    }
    out.extend(touched.iter().map(|name| match removed.contains(name) {
        true => FileUpdate::Remove(name.clone()),
        false => FileUpdate::Sandbox(name.clone()),
    }));
    let gone = before
        .iter()
        .filter(|old| !resolving.iter().any(|n| n.id == old.id));
    out.extend(gone.map(|n| FileUpdate::DropNetwork(n.file.clone())));
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
    fn own_files_list_itself_then_neighbours_on_user_networks_only() {
        let mut app =
            network_with_members("app", false, &[("web", "10.1.0.2"), ("db", "10.1.0.3")]);
        app.aliases
            .edit()
            .insert("db".into(), vec!["postgres".into()]);
        let default = network_with_members(
            "bridge",
            true,
            &[("web", "172.17.0.2"), ("x", "172.17.0.3")],
        );
        let other = network_with_members("other", false, &[("y", "10.2.0.2")]);
        let networks = [default, app, other];
        assert_eq!(
            own_lines(&networks, "web"),
            ["172.17.0.2\tweb", "10.1.0.2\tweb", "10.1.0.3\tdb postgres"]
        );
        // web reads app's shared file; x (default network only) a file of its own.
        assert_eq!(view(&networks, "web"), View::Network(&networks[1]));
        assert_eq!(view(&networks, "x"), View::Own);
        assert_eq!(own_lines(&networks, "x"), ["172.17.0.3\tx"]);
        // Once on two such networks, web keeps a file of its own on one.
        let mut networks = networks;
        networks[1].own_hosts.edit().insert("web".into(), true);
        assert_eq!(view(&networks, "web"), View::Own);
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

    /// The networks as loaded, with `changed`'s lines noted on each.
    fn before(networks: &[&Network], changed: &str) -> Vec<Before> {
        (networks.iter())
            .map(|n| {
                let mut before = Before::of(n);
                before.note_member(n, changed);
                before
            })
            .collect()
    }

    #[test]
    fn a_connect_adds_one_line_a_disconnect_frees_one_and_neighbours_on_two_networks_follow() {
        let app = network_with_members("app", false, &[("a", "10.1.0.2"), ("b", "10.1.0.3")]);
        let other = network_with_members("other", false, &[("a", "10.2.0.2")]);
        let mut joined = app.clone();
        joined
            .members
            .edit()
            .insert("c".into(), "10.1.0.4".parse().unwrap());
        let after = [joined, other.clone()];
        let loaded = before(&[&app, &other], "c");
        let ups = updates(&loaded, &after, &set(&["c"]), &set(&[]), false);
        let line = |l: &str| vec![l.to_string()];
        assert_eq!(
            ups,
            [
                // a is on two networks: its own file gets the line, b reads app's file.
                FileUpdate::Neighbour {
                    sandbox: "a".into(),
                    remove: vec![],
                    add: line("10.1.0.4\tc"),
                },
                FileUpdate::Network {
                    network: "app-app-id".into(),
                    remove: vec![],
                    add: line("10.1.0.4\tc"),
                },
                FileUpdate::Sandbox("c".into()),
            ]
        );
        let mut left = app.clone();
        left.members.edit().remove("b");
        let loaded = before(&[&app, &other], "b");
        let ups = updates(
            &loaded,
            &[left, other.clone()],
            &set(&["b"]),
            &set(&["b"]),
            false,
        );
        assert_eq!(
            ups,
            [
                FileUpdate::Neighbour {
                    sandbox: "a".into(),
                    remove: line("10.1.0.3\tb"),
                    add: vec![],
                },
                FileUpdate::Network {
                    network: "app-app-id".into(),
                    remove: line("10.1.0.3\tb"),
                    add: vec![],
                },
                FileUpdate::Remove("b".into()),
            ]
        );
        // A network removed takes its shared file with it.
        let loaded = before(&[&app, &other], "nobody");
        assert_eq!(
            updates(&loaded, &[app], &set(&[]), &set(&[]), false),
            [FileUpdate::DropNetwork("other-other-id".into())]
        );
    }

    #[test]
    fn a_new_vip_service_takes_its_alias_off_its_tasks_lines() {
        let mut app = network_with_members("app", false, &[("t1", "10.1.0.2")]);
        app.aliases.edit().insert("t1".into(), vec!["api".into()]);
        let mut with_service = app.clone();
        with_service.services.push(crate::model::Service {
            id: "s1".into(),
            name: "api".into(),
            mode: crate::model::EndpointMode::Vip,
            vip4: Some("10.1.0.200".parse().unwrap()),
            vip6: None,
            ports: vec![],
            created: String::new(),
        });
        assert_eq!(
            line_changes(&Before::of(&app), &with_service),
            Change::Whole
        );
        assert_eq!(
            network_lines(&with_service),
            ["10.1.0.2\tt1", "10.1.0.200\tapi"]
        );
    }

    #[test]
    fn the_default_network_changes_no_shared_file() {
        let before_net = network_with_members("bridge", true, &[("a", "172.17.0.2")]);
        let mut joined = before_net.clone();
        joined
            .members
            .edit()
            .insert("c".into(), "172.17.0.3".parse().unwrap());
        assert_eq!(
            updates(&[], &[joined], &set(&["c"]), &set(&[]), false),
            [FileUpdate::Sandbox("c".into())]
        );
    }
}
