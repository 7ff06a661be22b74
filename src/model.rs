//! The CNM objects ctnet keeps in `state.json`: networks, sandboxes, endpoints.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use ipnet::{Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

use crate::error::UserError;
use crate::ports::PortMapping;

/// Bumped whenever the on-disk layout changes incompatibly (2: one file per sandbox).
pub const STATE_VERSION: u32 = 2;

/// What a command sees: every network, and the sandboxes (with their endpoints) it loaded.
/// `store` keeps networks in state.json and each sandbox in a file of its own.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    pub version: u32,
    pub networks: Vec<Network>,
    pub sandboxes: Vec<Sandbox>,
    pub endpoints: Vec<Endpoint>,
    /// Every published port on the host (from state.json, all sandboxes).
    pub published: Vec<Published>,
    /// The families whose forwarding ctnet turned on itself this boot (read from the
    /// kernel's side, not saved): ctnet's table then forwards only ctnet's traffic.
    pub forwarding_guard: ForwardingGuard,
}

/// Per family, whether ctnet guards the host's forwarding (see `firewall`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ForwardingGuard {
    pub ipv4: bool,
    pub ipv6: bool,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Driver {
    Bridge,
    Host,
    Null,
    Macvlan,
    Ipvlan,
    Overlay,
}

impl Driver {
    pub fn parse(name: &str) -> Result<Driver, UserError> {
        Ok(match name {
            "bridge" => Driver::Bridge,
            "host" => Driver::Host,
            // Docker's driver for the `none` network is called "null".
            "none" | "null" => Driver::Null,
            "macvlan" => Driver::Macvlan,
            "ipvlan" => Driver::Ipvlan,
            "overlay" => Driver::Overlay,
            other => {
                return Err(UserError::new(format!(
                    "unknown driver {other:?}: use bridge, macvlan, ipvlan, overlay, host or none"
                )));
            }
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Driver::Bridge => "bridge",
            Driver::Host => "host",
            Driver::Null => "null",
            Driver::Macvlan => "macvlan",
            Driver::Ipvlan => "ipvlan",
            Driver::Overlay => "overlay",
        }
    }
}

/// One IPv4 pool of a network, as Docker's `IPAM.Config[]` entry.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IpamConfig {
    pub subnet: Ipv4Net,
    pub gateway: Ipv4Addr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<Ipv4Net>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aux_addresses: BTreeMap<String, Ipv4Addr>,
}

/// A network's IPv6 pool (`--ipv6`), beside its IPv4 one.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Ipam6Config {
    pub subnet: Ipv6Net,
    pub gateway: Ipv6Addr,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_range: Option<Ipv6Net>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aux_addresses: BTreeMap<String, Ipv6Addr>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Network {
    pub id: String,
    pub name: String,
    pub driver: Driver,
    pub created: String,
    /// Empty for the host and none networks.
    #[serde(default)]
    pub ipam: Vec<IpamConfig>,
    #[serde(default)]
    pub internal: bool,
    #[serde(default)]
    pub enable_ipv6: bool,
    /// The IPv6 pool of a dual-stack network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipam6: Option<Ipam6Config>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// The `-o` options as the user gave them, shown by `inspect`.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// Created with the tool (false for bridge, host and none).
    #[serde(default)]
    pub builtin: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bridge: Option<BridgeSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub macvlan: Option<LanSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipvlan: Option<LanSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overlay: Option<OverlaySettings>,
    /// The sandboxes attached, by name, with their addresses: what IPAM and `rm` need to
    /// know without reading every sandbox's file. Derived from the sandboxes at each save.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub members: BTreeMap<String, Ipv4Addr>,
    /// The `--alias` names of members that have any (member name → aliases), derived like
    /// `members`: what every neighbour's `hosts` file and the resolver need.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub aliases: BTreeMap<String, Vec<String>>,
    /// The members' IPv6 addresses, derived like `members`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub members6: BTreeMap<String, Ipv6Addr>,
    /// The MACs of members that were given their own (`--mac`), derived like `members`:
    /// every other member's MAC is its address's (`address_mac`), so a connect knows every
    /// MAC on the network without reading every sandbox's file.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub macs: BTreeMap<String, String>,
}

/// What the bridge driver made of a network's options.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BridgeSettings {
    /// The Linux bridge device.
    pub ifname: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    pub icc: bool,
    pub masquerade: bool,
    /// Host address for ports published without one (`-o host_binding_ipv4`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_binding: Option<Ipv4Addr>,
}

/// What the macvlan and ipvlan drivers made of a network's options: containers on the LAN
/// through children of a host interface.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LanSettings {
    /// The host interface on the LAN that the containers' interfaces hang off.
    pub parent: String,
    /// macvlan: bridge, private, vepa or passthru; ipvlan: l2, l3 or l3s.
    pub mode: String,
    /// ipvlan only: bridge, private or vepa.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    /// The parent is ctnet's: made for this network and removed with it (one network per
    /// parent, as in Docker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_parent: Option<MadeParent>,
}

/// What the overlay driver made of a network's options. The kernel side (a bridge with a
/// VXLAN port) exists on this host only while it has endpoints on the network.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OverlaySettings {
    /// The VXLAN network identifier, the same on every host of the network.
    pub vni: u32,
    /// Static mode: the other hosts' VTEP addresses, flooded to for unknown MACs.
    pub peers: Vec<Ipv4Addr>,
    /// This host's bridge and VXLAN device for the network.
    pub bridge: String,
    pub vxlan: String,
    /// The host interface towards the peers, and the MTU inside the overlay: the
    /// underlay's minus VXLAN's 50 bytes, so nothing fragments.
    pub underlay: String,
    pub mtu: u32,
    /// Cluster mode: the etcd store (`etcd://HOST:PORT[,...]`) that holds the network, its
    /// address allocations and every host's endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// Cluster mode: this host's VTEP address on the underlay (its endpoints' records
    /// carry it; other hosts send their VXLAN packets for those endpoints here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vtep: Option<Ipv4Addr>,
    /// Cluster mode: the other hosts' endpoints (by sandbox name) as this host last
    /// programmed them into its VXLAN device's FDB and neighbour tables.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub remotes: BTreeMap<String, RemoteEndpoint>,
    /// `-o encrypted` (cluster mode): VXLAN between hosts goes in IPsec ESP.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub encrypted: bool,
    /// The encryption keys as this host last read them from the store (never in the
    /// store's network record; state files are readable by root only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<crate::esp::EspKeys>,
}

/// An endpoint of a cluster overlay as the store records it: enough for any host to
/// reach it (MAC behind which VTEP, for which addresses) and to resolve its name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RemoteEndpoint {
    pub vtep: Ipv4Addr,
    pub mac: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4: Option<Ipv4Addr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<Ipv6Addr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
}

impl RemoteEndpoint {
    /// The addresses it answers to.
    pub fn addresses(&self) -> impl Iterator<Item = std::net::IpAddr> + use<> {
        (self.ipv4.map(std::net::IpAddr::V4))
            .into_iter()
            .chain(self.ipv6.map(std::net::IpAddr::V6))
    }
}

/// A parent interface ctnet makes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum MadeParent {
    /// An 802.1q sub-interface (`eth0.10`) of `link`.
    Vlan { link: String, id: u16 },
    /// A dummy interface for a network without a parent: internal, as in Docker.
    Dummy,
}

impl LanSettings {
    /// ipvlan's l3 modes route through the parent: the sandbox has no gateway to reach.
    pub fn routed(&self) -> bool {
        matches!(self.mode.as_str(), "l3" | "l3s")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sandbox {
    pub id: String,
    pub name: String,
    /// The namespace file: `/run/netns/NAME`, `/proc/PID/ns/net` or a user's path.
    pub netns: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// ctnet made the named namespace, so `sandbox rm` deletes it.
    #[serde(default)]
    pub owned: bool,
    pub created: String,
    /// The namespace's inode when ctnet first saw it (sandboxes it did not make): a PID
    /// reused by another process then points at another namespace, which must not be
    /// taken for this sandbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub netns_inode: Option<u64>,
    /// The `ctnet run` whose sandbox this is: when that process is gone (even killed with
    /// SIGKILL, which leaves no chance to clean up), the sandbox is dead and gc removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_by: Option<Process>,
}

/// A process, told apart from a later one with the same pid by its start time.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub struct Process {
    pub pid: u32,
    /// Clock ticks after boot (field 22 of /proc/PID/stat).
    pub start: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Endpoint {
    pub id: String,
    pub network_id: String,
    pub sandbox_id: String,
    /// Interface name inside the sandbox (`eth0`, `eth1`, ...).
    pub ifname: String,
    /// Host end of the veth pair.
    pub host_ifname: String,
    pub mac: String,
    /// `None` on an IPv6-only network.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv4: Option<Ipv4Net>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipv6: Option<Ipv6Net>,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// This endpoint's network gives the sandbox its IPv4 default route.
    #[serde(default)]
    pub default_route: bool,
    /// ...and its IPv6 default route: the families are decided apart, so a sandbox on an
    /// IPv6-only network and an IPv4 one has both.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default_route6: bool,
    /// Host ports forwarded to this endpoint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PortMapping>,
}

impl Endpoint {
    /// Its addresses with their prefixes: IPv4 first, then IPv6.
    pub fn addresses(&self) -> impl Iterator<Item = ipnet::IpNet> + '_ {
        self.ipv4
            .map(ipnet::IpNet::V4)
            .into_iter()
            .chain(self.ipv6.map(ipnet::IpNet::V6))
    }

    /// Its addresses for people: `10.1.0.2/24 fd00::2/64`.
    pub fn addresses_text(&self) -> String {
        let all: Vec<String> = self.addresses().map(|a| a.to_string()).collect();
        all.join(" ")
    }
}

/// A published port in the host-wide index kept in state.json: which sandbox holds it.
/// Checking a new port against it needs no sandbox file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Published {
    pub sandbox: String,
    pub mapping: PortMapping,
}

impl Network {
    /// Whether `sandbox` has an endpoint on this network (an IPv6-only network lists its
    /// members in `members6` alone).
    pub fn has_member(&self, sandbox: &str) -> bool {
        self.members.contains_key(sandbox) || self.members6.contains_key(sandbox)
    }

    /// The names of the sandboxes on this network, sorted, each once.
    pub fn member_names(&self) -> std::collections::BTreeSet<&String> {
        self.members.keys().chain(self.members6.keys()).collect()
    }

    /// The other hosts' endpoints on a cluster overlay (none elsewhere).
    pub fn remotes(&self) -> impl Iterator<Item = (&String, &RemoteEndpoint)> {
        self.overlay.iter().flat_map(|o| o.remotes.iter())
    }

    /// Every name the network resolves: its members here and, on a cluster overlay, the
    /// endpoints on other hosts.
    pub fn named_members(&self) -> std::collections::BTreeSet<&String> {
        let mut names = self.member_names();
        names.extend(self.remotes().map(|(name, _)| name));
        names
    }

    /// The addresses a member (here or on another host) has on this network.
    pub fn addresses_of(&self, name: &str) -> (Option<Ipv4Addr>, Option<Ipv6Addr>) {
        if self.has_member(name) {
            return (
                self.members.get(name).copied(),
                self.members6.get(name).copied(),
            );
        }
        self.remotes()
            .find(|(n, _)| *n == name)
            .map_or((None, None), |(_, r)| (r.ipv4, r.ipv6))
    }

    /// The `--alias` names of a member (here or on another host).
    pub fn aliases_of(&self, name: &str) -> &[String] {
        match self.aliases.get(name) {
            Some(aliases) => aliases,
            None => self
                .overlay
                .as_ref()
                .and_then(|o| o.remotes.get(name))
                .map_or(&[], |r| &r.aliases),
        }
    }

    /// The settings of a macvlan or ipvlan network.
    pub fn lan(&self) -> Option<&LanSettings> {
        self.macvlan.as_ref().or(self.ipvlan.as_ref())
    }
}

impl State {
    pub fn new() -> State {
        State {
            version: STATE_VERSION,
            ..State::default()
        }
    }

    /// Finds a network by name, full id or unique id prefix (3+ characters), as Docker does.
    pub fn network(&self, key: &str) -> Result<&Network, UserError> {
        find_by_name_or_id(&self.networks, key, |n| (&n.name, &n.id))?
            .ok_or_else(|| UserError::new(format!("network {key} not found")))
    }

    /// Finds a sandbox by name, or by an id prefix of 12+ characters (Docker's short id).
    /// Shorter prefixes are not tried: a new sandbox named like a hex prefix (`f17`) would
    /// otherwise be mistaken for an existing one.
    pub fn sandbox(&self, key: &str) -> Result<Option<&Sandbox>, UserError> {
        if key.len() < 12 {
            return Ok(self.sandboxes.iter().find(|s| s.name == key));
        }
        find_by_name_or_id(&self.sandboxes, key, |s| (&s.name, &s.id))
    }

    pub fn network_by_id(&self, id: &str) -> Option<&Network> {
        self.networks.iter().find(|n| n.id == id)
    }

    pub fn sandbox_by_id(&self, id: &str) -> Option<&Sandbox> {
        self.sandboxes.iter().find(|s| s.id == id)
    }

    pub fn endpoints_of_network<'a>(
        &'a self,
        network_id: &'a str,
    ) -> impl Iterator<Item = &'a Endpoint> {
        self.endpoints
            .iter()
            .filter(move |e| e.network_id == network_id)
    }

    pub fn endpoints_of_sandbox<'a>(
        &'a self,
        sandbox_id: &'a str,
    ) -> impl Iterator<Item = &'a Endpoint> {
        self.endpoints
            .iter()
            .filter(move |e| e.sandbox_id == sandbox_id)
    }

    pub fn endpoint(&self, network_id: &str, sandbox_id: &str) -> Option<&Endpoint> {
        self.endpoints
            .iter()
            .find(|e| e.network_id == network_id && e.sandbox_id == sandbox_id)
    }
}

fn find_by_name_or_id<'a, T>(
    items: &'a [T],
    key: &str,
    keys: impl Fn(&T) -> (&String, &String),
) -> Result<Option<&'a T>, UserError> {
    // A full id wins over a name, which could otherwise shadow it ("network rm ID" must
    // remove that network); then a name; then an id prefix.
    if key.len() == 64
        && let Some(item) = items.iter().find(|i| keys(i).1 == key)
    {
        return Ok(Some(item));
    }
    if let Some(item) = items.iter().find(|i| keys(i).0 == key) {
        return Ok(Some(item));
    }
    if key.len() < 3 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let mut matches = items.iter().filter(|i| keys(i).1.starts_with(key));
    match (matches.next(), matches.next()) {
        (Some(_), Some(_)) => Err(UserError::new(format!(
            "{key} is ambiguous: several ids start with it; give more characters"
        ))),
        (found, _) => Ok(found),
    }
}

/// Names of networks and sandboxes: Docker's rule, and short enough for file names.
pub fn validate_name(kind: &str, name: &str) -> Result<(), UserError> {
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphanumeric());
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    if name.len() > 64 {
        return Err(UserError::new(format!(
            "{kind} name {name:?} is too long: at most 64 characters"
        )));
    }
    if !first_ok || !rest_ok {
        return Err(UserError::new(format!(
            "invalid {kind} name {name:?}: use 1-64 of [A-Za-z0-9_.-], starting with a letter or digit"
        )));
    }
    Ok(())
}

/// Linux interface names as ctnet accepts them: 1-15 of [A-Za-z0-9_.-], not `.` or `..`.
/// Stricter than the kernel, so every name is also safe inside nft text and file paths.
pub fn validate_ifname(what: &str, name: &str) -> Result<(), UserError> {
    let ok = (1..=15).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
        && name != "."
        && name != "..";
    if !ok {
        return Err(UserError::new(format!(
            "invalid {what} {name:?}: a Linux interface name has 1-15 of [A-Za-z0-9_.-]"
        )));
    }
    Ok(())
}

/// Docker derives a container's MAC from its IPv4 address: 02:42 then the four octets.
/// The MAC of an IPv6-only endpoint: 02:42 and the address's last four bytes, as
/// `mac_from_ipv4` makes it from an IPv4 address.
pub fn mac_from_ipv6(ip: Ipv6Addr) -> String {
    let o = ip.octets();
    format!(
        "02:42:{:02x}:{:02x}:{:02x}:{:02x}",
        o[12], o[13], o[14], o[15]
    )
}

/// The MAC an endpoint's addresses make: its IPv4 address's, or on an IPv6-only network
/// its IPv6 address's.
pub fn address_mac(ipv4: Option<Ipv4Addr>, ipv6: Option<Ipv6Addr>) -> Option<String> {
    match (ipv4, ipv6) {
        (Some(v4), _) => Some(mac_from_ipv4(v4)),
        (None, Some(v6)) => Some(mac_from_ipv6(v6)),
        (None, None) => None,
    }
}

pub fn mac_from_ipv4(ip: Ipv4Addr) -> String {
    let o = ip.octets();
    format!("02:42:{:02x}:{:02x}:{:02x}:{:02x}", o[0], o[1], o[2], o[3])
}

/// A MAC as `ip` writes it: six lowercase hex pairs.
pub fn mac_text(m: &[u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

pub fn parse_mac(text: &str) -> Result<[u8; 6], UserError> {
    let bad = || {
        UserError::new(format!(
            "invalid MAC address {text:?}: expected six hex pairs like 02:42:ac:11:00:02"
        ))
    };
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() != 6 {
        return Err(bad());
    }
    let mut mac = [0u8; 6];
    for (byte, part) in mac.iter_mut().zip(&parts) {
        // Hex digits only: the radix parser would take "+a" as 0a.
        if part.len() != 2 || !part.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        *byte = u8::from_str_radix(part, 16).map_err(|_| bad())?;
    }
    if mac == [0; 6] {
        return Err(UserError::new(format!(
            "invalid MAC address {text}: the all-zero address belongs to no interface"
        )));
    }
    if mac[0] & 1 == 1 {
        return Err(UserError::new(format!(
            "invalid MAC address {text}: it is a multicast address"
        )));
    }
    Ok(mac)
}

#[cfg(test)]
pub mod tests {
    use super::*;

    /// A network (with the given id-like name) and its members, for tests elsewhere.
    pub fn network_with_members(name: &str, builtin: bool, members: &[(&str, &str)]) -> Network {
        let mut network = net(name, &format!("{name}-id"));
        network.builtin = builtin;
        network.members = members
            .iter()
            .map(|(m, ip)| (m.to_string(), ip.parse().unwrap()))
            .collect();
        network
    }

    fn net(name: &str, id: &str) -> Network {
        Network {
            id: id.into(),
            name: name.into(),
            driver: Driver::Bridge,
            created: String::new(),
            ipam: vec![],
            internal: false,
            enable_ipv6: false,
            ipam6: None,
            labels: Default::default(),
            options: Default::default(),
            builtin: false,
            bridge: None,
            macvlan: None,
            ipvlan: None,
            overlay: None,
            members: Default::default(),
            aliases: Default::default(),
            members6: Default::default(),
            macs: Default::default(),
        }
    }

    #[test]
    fn names_follow_dockers_rule() {
        for ok in ["a", "web", "my-net_1.2", &"x".repeat(64)] {
            validate_name("network", ok).unwrap();
        }
        for bad in ["", "-a", ".a", "a b", "a/b", "ü", &"x".repeat(65)] {
            assert!(validate_name("network", bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn lookup_by_name_then_unique_id_prefix() {
        let mut state = State::new();
        state.networks.push(net("one", "abc111"));
        state.networks.push(net("two", "abc222"));
        state.networks.push(net("abc111", "fff000"));
        assert_eq!(state.network("one").unwrap().id, "abc111");
        // An exact name wins over an id prefix.
        assert_eq!(state.network("abc111").unwrap().id, "fff000");
        assert_eq!(state.network("abc2").unwrap().name, "two");
        assert!(state.network("abc").is_err(), "ambiguous prefix accepted");
        assert!(
            state.network("ab").is_err(),
            "two-character prefix accepted"
        );
        assert!(state.network("nope").is_err());
        // A whole id is never shadowed by a network named like it.
        let full = "e".repeat(64);
        state.networks.push(net("four", &full));
        state.networks.push(net(&full, "ddd000"));
        assert_eq!(state.network(&full).unwrap().name, "four");
    }

    #[test]
    fn short_hex_sandbox_names_are_names() {
        let mut state = State::new();
        state.sandboxes.push(Sandbox {
            run_by: None,
            id: format!("f17{}", "0".repeat(61)),
            name: "web".into(),
            netns: "/run/netns/web".into(),
            pid: None,
            owned: true,
            created: String::new(),
            netns_inode: None,
        });
        assert!(state.sandbox("f17").unwrap().is_none());
        assert_eq!(state.sandbox("f17000000000").unwrap().unwrap().name, "web");
    }

    #[test]
    fn mac_is_derived_from_ipv4_and_parsed_strictly() {
        assert_eq!(
            mac_from_ipv4("172.17.0.2".parse().unwrap()),
            "02:42:ac:11:00:02"
        );
        assert_eq!(
            parse_mac("02:42:ac:11:00:02").unwrap(),
            [2, 0x42, 0xac, 0x11, 0, 2]
        );
        for bad in [
            "02:42:ac:11:00",
            "zz:42:ac:11:00:02",
            "01:00:5e:00:00:01",
            "2:42:ac:11:00:02",
        ] {
            assert!(parse_mac(bad).is_err(), "{bad} accepted");
        }
    }
}
