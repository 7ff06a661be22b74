//! The CNM objects ctnet keeps in `state.json`: networks, sandboxes, endpoints.

use std::path::PathBuf;

use ipnet::{Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

use crate::error::UserError;
use crate::ports::{PortList, PortMapping};

/// Names for modes and flags as the options and the state file spell them.
macro_rules! named {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &[$name] = &[$($name::$variant),+];

            pub fn name(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.name() == text)
            }
        }
    };
}

mod esp_keys;
pub mod impair;
mod index;
mod mac;
mod members;
mod network;
pub mod plain_text;
mod service;

pub use esp_keys::EspKeys;
pub use impair::{Impairment, LinkImpairment};
pub use index::Index;
pub use mac::Mac;
pub use members::Members;
pub use network::{
    BridgeSettings, GatewayMode, Ipam6Config, IpamConfig, IpvlanFlag, IpvlanMode, LanMode,
    LanSettings, MacvlanMode, MadeParent, Network, OverlaySettings, P2pSettings, RemoteEndpoint,
};
pub use service::{EndpointMode, Service, ServicePort};

/// Bumped whenever the on-disk layout changes incompatibly (2: one file per sandbox; 3:
/// published ports in a ports file per sandbox, which an older ctnet would not see and so
/// free). A state from `OLDEST_STATE_VERSION` on is taken over and saved as this version.
pub const STATE_VERSION: u32 = 3;
pub const OLDEST_STATE_VERSION: u32 = 2;

/// What a command sees: every network, and the sandboxes (with their endpoints) it loaded.
/// `store` keeps networks in state.json and each sandbox in a file of its own.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct State {
    pub version: u32,
    pub networks: Vec<Network>,
    pub sandboxes: Vec<Sandbox>,
    pub endpoints: Vec<Endpoint>,
    /// Every published port on the host (from state.json, all sandboxes).
    pub published: PublishedIndex,
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
    /// A point-to-point link: a veth straight between two sandboxes.
    P2p,
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
            "p2p" => Driver::P2p,
            other => {
                return Err(UserError::new(format!(
                    "unknown driver {other:?}: use bridge, macvlan, ipvlan, overlay, p2p, host or none"
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
            Driver::P2p => "p2p",
        }
    }
}

/// What a lab asked of one of its sandboxes: what `lab up` compares a file with.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct LabMark {
    pub name: String,
    /// Sysctls set inside, as the file gave them.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub sysctls: std::collections::BTreeMap<String, String>,
    /// Commands run inside once it was up.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exec: Vec<String>,
    /// Each network's attachment as the file asked it (a digest): a change reconnects.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub attachments: std::collections::BTreeMap<String, String>,
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
    /// The container a CNI runtime made this sandbox for (its `CNI_CONTAINERID`): what
    /// the runtime's DEL, CHECK and GC name it by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    /// Its own DNS settings (`--dns`, `--dns-search`, `--dns-option`).
    #[serde(default, skip_serializing_if = "DnsSettings::is_empty")]
    pub dns: DnsSettings,
    /// The lab that made this sandbox (`ctnet lab up`), with what it asked of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<LabMark>,
    /// Its `hosts` is a file of its own for good: it was on several networks that resolve
    /// names at once. Going back to one network's shared file would leave a process that
    /// bind-mounted the own file (`ip netns exec`, `ctnet run`) on a file nobody updates.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_hosts: bool,
}

/// A sandbox's own DNS settings, Docker's `--dns`, `--dns-search` and `--dns-option`: its
/// `resolv.conf` says them, and the resolver forwards its other queries to its servers.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct DnsSettings {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub servers: Vec<std::net::IpAddr>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

impl DnsSettings {
    pub fn is_empty(&self) -> bool {
        *self == DnsSettings::default()
    }

    /// These settings with `newer`'s in place of each kind `newer` gives.
    pub fn updated(&self, newer: &DnsSettings) -> DnsSettings {
        fn pick<T: Clone>(new: &[T], old: &[T]) -> Vec<T> {
            if new.is_empty() { old } else { new }.to_vec()
        }
        DnsSettings {
            servers: pick(&newer.servers, &self.servers),
            search: pick(&newer.search, &self.search),
            options: pick(&newer.options, &self.options),
        }
    }
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
    /// `None` for ipvlan, whose interfaces share their parent's.
    #[serde(with = "mac::or_empty")]
    pub mac: Option<Mac>,
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
    /// Host ports forwarded to this endpoint: saved in the sandbox's ports file, not in
    /// its JSON (which older versions kept them in: still read here).
    #[serde(default, skip_serializing)]
    pub ports: PortList,
    /// Delay, loss, rate limits and a link taken down (`ctnet impair`), kept across
    /// restores.
    #[serde(default, skip_serializing_if = "LinkImpairment::is_none")]
    pub impair: LinkImpairment,
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

/// One sandbox's file (`sandboxes/NAME.json`): the sandbox and every endpoint in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxFile {
    pub sandbox: Sandbox,
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
}

/// The host-wide index of published ports kept in state.json: the host ports each sandbox
/// takes, as `ports::bindings` merges them (a range's container side repeats its host side:
/// where a port leads is in the sandbox's file). A new port is checked against it without
/// reading any sandbox file, and a command replaces the entries of the sandboxes it changed
/// only.
pub type PublishedIndex = Index<String, Vec<PortMapping>>;

/// A published port and the sandbox that holds it (older state files kept a list of these).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Published {
    pub sandbox: String,
    pub mapping: PortMapping,
}

impl Published {
    /// The index holding `ports`, grouped by sandbox in the order given.
    pub fn index(ports: impl IntoIterator<Item = Published>) -> PublishedIndex {
        let mut by_sandbox = std::collections::BTreeMap::<String, Vec<PortMapping>>::new();
        for port in ports {
            by_sandbox
                .entry(port.sandbox)
                .or_default()
                .push(port.mapping);
        }
        by_sandbox.into()
    }
}

/// Every mapping of `index` with the sandbox that holds it.
pub fn published_ports(index: &PublishedIndex) -> impl Iterator<Item = (&str, &PortMapping)> {
    index
        .iter()
        .flat_map(|(sandbox, mappings)| mappings.iter().map(move |m| (sandbox.as_str(), m)))
}

impl State {
    /// Every port published on the host, with the sandbox that holds it.
    pub fn published_ports(&self) -> impl Iterator<Item = (&str, &PortMapping)> {
        published_ports(&self.published)
    }

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
        Network::blank(id.into(), name, Driver::Bridge, String::new())
    }

    /// A bridge network on `bridge` with `subnet` (gateway its first address) and a valid
    /// id made from its name, for tests elsewhere.
    pub fn bridge_network(name: &str, bridge: &str, subnet: &str, icc: bool) -> Network {
        let subnet: ipnet::Ipv4Net = subnet.parse().unwrap();
        let id: String = name.bytes().map(|b| format!("{b:02x}")).collect();
        let mut network = net(name, &format!("{id:0<64}"));
        network.ipam = vec![IpamConfig {
            subnet,
            gateway: subnet.hosts().next().unwrap(),
            ip_range: None,
            aux_addresses: Default::default(),
        }];
        network.bridge = Some(BridgeSettings {
            ifname: bridge.into(),
            mtu: None,
            icc,
            masquerade: true,
            host_binding: None,
            gateway_mode4: Default::default(),
            gateway_mode6: Default::default(),
        });
        network
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
            lab: None,
            own_hosts: false,
            container: None,
            dns: Default::default(),
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
}
