//! A network and what its driver made of it: addresses, settings, members.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};
use serde::{Deserialize, Serialize};

use super::{Driver, EndpointMode, Mac, Members, Service};

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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p2p: Option<P2pSettings>,
    /// The network's services (`ctnet service create`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<Service>,
    /// Where the resolver sends this network's sandboxes' other queries (`--dns`, as
    /// netavark's `network_dns_servers`), instead of the host's servers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns_servers: Vec<std::net::IpAddr>,
    /// The sandboxes attached, by name, with their addresses: what IPAM and `rm` need to
    /// know without reading every sandbox's file. Derived from the sandboxes at each save.
    #[serde(default, skip_serializing_if = "Members::is_empty")]
    pub members: Members<Ipv4Addr>,
    /// The `--alias` names of members that have any (member name → aliases), derived like
    /// `members`: what every neighbour's `hosts` file and the resolver need.
    #[serde(default, skip_serializing_if = "Members::is_empty")]
    pub aliases: Members<Vec<String>>,
    /// The members' IPv6 addresses, derived like `members`.
    #[serde(default, skip_serializing_if = "Members::is_empty")]
    pub members6: Members<Ipv6Addr>,
    /// The MACs of members that were given their own (`--mac`), derived like `members`:
    /// every other member's MAC is its address's (`address_mac`), so a connect knows every
    /// MAC on the network without reading every sandbox's file.
    #[serde(default, skip_serializing_if = "Members::is_empty")]
    pub macs: Members<Mac>,
    /// Members whose `hosts` is a file of their own for good (they were on several networks
    /// that resolve names: see `Sandbox::own_hosts`), derived like `members`: a change of
    /// this network's names goes to their files too.
    #[serde(default, skip_serializing_if = "Members::is_empty")]
    pub own_hosts: Members<bool>,
    /// No address of the IPv4 pool below this one is free (`None`: the pool's start): where
    /// a connect looks for the lowest free address first (`ipam::first_free_from`). Raised
    /// past each address handed out that way, lowered to each address given back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_from4: Option<Ipv4Addr>,
    /// The same for the IPv6 pool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free_from6: Option<Ipv6Addr>,
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
    /// How IPv4 and IPv6 traffic reach beyond the network (Docker's gateway modes).
    #[serde(default, skip_serializing_if = "GatewayMode::is_nat")]
    pub gateway_mode4: GatewayMode,
    #[serde(default, skip_serializing_if = "GatewayMode::is_nat")]
    pub gateway_mode6: GatewayMode,
}

impl BridgeSettings {
    /// The gateway mode of one family.
    pub fn gateway_mode(&self, v6: bool) -> GatewayMode {
        if v6 {
            self.gateway_mode6
        } else {
            self.gateway_mode4
        }
    }
}

/// What the macvlan and ipvlan drivers made of a network's options: containers on the LAN
/// through children of a host interface.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct LanSettings {
    /// The host interface on the LAN that the containers' interfaces hang off.
    pub parent: String,
    pub mode: LanMode,
    /// ipvlan only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<IpvlanFlag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
    /// The parent is ctnet's: made for this network and removed with it (one network per
    /// parent, as in Docker).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub made_parent: Option<MadeParent>,
}

/// What the p2p driver made of a network's options: a link between two sandboxes, made
/// when the second joins.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct P2pSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mtu: Option<u32>,
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
    pub keys: Option<super::EspKeys>,
    /// Cluster mode, while the network has services that publish ports or have virtual
    /// IPs: this host's own address on the network (the routing mesh's; claimed in the
    /// store), on its bridge, which then exists with or without endpoints here. Traffic
    /// this host sends to a task on another host leaves from it, so the answer comes back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mesh: Option<Ipv4Addr>,
    /// The other hosts' mesh addresses (by VTEP) as this host last programmed them, like
    /// `remotes`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub mesh_peers: BTreeMap<Ipv4Addr, RemoteEndpoint>,
}

/// An endpoint of a cluster overlay as the store records it: enough for any host to
/// reach it (MAC behind which VTEP, for which addresses) and to resolve its name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RemoteEndpoint {
    pub vtep: Ipv4Addr,
    pub mac: Mac,
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

impl OverlaySettings {
    /// Every entry of another host programmed into the VXLAN device: its endpoints and its
    /// mesh address.
    pub fn programmed(&self) -> impl Iterator<Item = &RemoteEndpoint> {
        self.remotes.values().chain(self.mesh_peers.values())
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
        matches!(self.mode, LanMode::Ipvlan(IpvlanMode::L3 | IpvlanMode::L3s))
    }
}

/// How the children of a macvlan or ipvlan network share their parent. In the state file
/// it is the mode's name, as the option takes it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum LanMode {
    Macvlan(MacvlanMode),
    Ipvlan(IpvlanMode),
}

named!(
    /// `macvlan_mode`: how children of one parent reach each other.
    MacvlanMode { Bridge = "bridge", Private = "private", Vepa = "vepa", Passthru = "passthru" }
);
named!(
    /// `ipvlan_mode`: switched (l2) or routed by the parent (l3, l3s).
    IpvlanMode { L2 = "l2", L3 = "l3", L3s = "l3s" }
);
named!(
    /// `ipvlan_flag`: how children of one parent reach each other.
    IpvlanFlag { Bridge = "bridge", Private = "private", Vepa = "vepa" }
);

named!(
    /// Docker's gateway modes, per family: `nat` masquerades egress and opens only
    /// published ports (at host addresses); `nat-unprotected` also opens every port to
    /// direct routing from outside; `routed` does no NAT and opens published ports at the
    /// container's own address; `isolated` (internal networks) puts no gateway address on
    /// the bridge, so not even the host reaches the network.
    GatewayMode { Nat = "nat", NatUnprotected = "nat-unprotected", Routed = "routed", Isolated = "isolated" }
);

// Not derived: `named!` declares the enum, and Docker's default is nat.
#[allow(clippy::derivable_impls)]
impl Default for GatewayMode {
    fn default() -> GatewayMode {
        GatewayMode::Nat
    }
}

impl GatewayMode {
    pub fn is_nat(&self) -> bool {
        *self == GatewayMode::Nat
    }

    /// Whether egress is masqueraded in this mode.
    pub fn masquerades(self) -> bool {
        matches!(self, GatewayMode::Nat | GatewayMode::NatUnprotected)
    }

    /// What the mode does, in one line (explain, graph).
    pub fn meaning(self) -> &'static str {
        match self {
            GatewayMode::Nat => {
                "egress masqueraded; from outside, only ports published on host addresses"
            }
            GatewayMode::NatUnprotected => {
                "egress masqueraded; from outside, every port of every container at its own address"
            }
            GatewayMode::Routed => {
                "no NAT: egress keeps the container's address; from outside, published ports at the container's own address, nothing else"
            }
            GatewayMode::Isolated => {
                "no gateway address on the bridge: no way to or from the host or the outside"
            }
        }
    }
}

impl std::fmt::Display for LanMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LanMode::Macvlan(mode) => mode.name(),
            LanMode::Ipvlan(mode) => mode.name(),
        })
    }
}

impl Network {
    /// A network with nothing settled yet but its identity.
    pub fn blank(id: String, name: &str, driver: Driver, created: String) -> Network {
        Network {
            id,
            name: name.to_string(),
            driver,
            created,
            ipam: Vec::new(),
            internal: false,
            enable_ipv6: false,
            ipam6: None,
            labels: BTreeMap::new(),
            options: BTreeMap::new(),
            builtin: false,
            bridge: None,
            macvlan: None,
            ipvlan: None,
            overlay: None,
            p2p: None,
            dns_servers: Vec::new(),
            services: Vec::new(),
            members: Members::default(),
            aliases: Members::default(),
            members6: Members::default(),
            macs: Members::default(),
            own_hosts: Members::default(),
            free_from4: None,
            free_from6: None,
        }
    }

    /// Whether `sandbox` has an endpoint on this network (an IPv6-only network lists its
    /// members in `members6` alone).
    pub fn has_member(&self, sandbox: &str) -> bool {
        self.members.contains_key(sandbox) || self.members6.contains_key(sandbox)
    }

    /// The names of the sandboxes on this network, sorted, each once.
    pub fn member_names(&self) -> std::collections::BTreeSet<&String> {
        self.members.keys().chain(self.members6.keys()).collect()
    }

    /// Whether this host holds the routing mesh's share of a cluster overlay (its bridge
    /// then stays without endpoints).
    pub fn meshed_here(&self) -> bool {
        self.overlay.as_ref().is_some_and(|o| o.mesh.is_some())
    }

    /// Whether any sandbox here is a member (without listing them).
    pub fn has_members(&self) -> bool {
        !self.members.is_empty() || !self.members6.is_empty()
    }

    /// Whether this host holds its share of an overlay: an endpoint here, or the mesh's.
    pub fn share_here(&self) -> bool {
        self.has_members() || self.meshed_here()
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
            return (self.members.lookup(name), self.members6.lookup(name));
        }
        self.remotes()
            .find(|(n, _)| *n == name)
            .map_or((None, None), |(_, r)| (r.ipv4, r.ipv6))
    }

    /// The `--alias` names of a member (here or on another host): one lookup, the list of
    /// every member's aliases is not parsed for it.
    pub fn aliases_of(&self, name: &str) -> Vec<String> {
        match self.aliases.lookup(name) {
            Some(aliases) => aliases,
            None => self
                .overlay
                .as_ref()
                .and_then(|o| o.remotes.get(name))
                .map_or_else(Vec::new, |r| r.aliases.clone()),
        }
    }

    /// The tasks of the service called `service`: the members that carry its name as an
    /// alias (here and, on a cluster overlay, on the other hosts), by name.
    pub fn tasks(&self, service: &str) -> BTreeMap<&String, (Option<Ipv4Addr>, Option<Ipv6Addr>)> {
        let here = (self.aliases.iter())
            .filter(|(_, aliases)| aliases.iter().any(|a| a == service))
            .map(|(member, _)| (member, self.addresses_of(member)));
        let elsewhere = (self.remotes())
            .filter(|(_, remote)| remote.aliases.iter().any(|a| a == service))
            .map(|(name, remote)| (name, (remote.ipv4, remote.ipv6)));
        here.chain(elsewhere).collect()
    }

    /// The tasks' addresses, in name order (every host of a cluster overlay deals the
    /// balancing slots in the same order).
    pub fn tasks_of(&self, service: &str) -> Vec<(Option<Ipv4Addr>, Option<Ipv6Addr>)> {
        self.tasks(service).into_values().collect()
    }

    /// The IPv4 addresses taken on the network here: members' and services' virtual IPs.
    pub fn used4(&self) -> Vec<Ipv4Addr> {
        let vips = self.services.iter().filter_map(|s| s.vip4);
        self.members.values().copied().chain(vips).collect()
    }

    /// Whether `ip` is taken on the network here, as `used4` and `used6` list them (without
    /// listing them).
    pub fn holds(&self, ip: IpAddr) -> bool {
        match ip {
            IpAddr::V4(ip) => {
                self.services.iter().any(|s| s.vip4 == Some(ip))
                    || self.members.key_of(&ip).is_some()
            }
            IpAddr::V6(ip) => {
                self.services.iter().any(|s| s.vip6 == Some(ip))
                    || self.members6.key_of(&ip).is_some()
            }
        }
    }

    /// Notes that `ip`, the lowest free address of its pool, is taken now: the next search
    /// starts after it.
    pub fn took_lowest_free(&mut self, ip: IpAddr) {
        match ip {
            IpAddr::V4(ip) => self.free_from4 = u32::from(ip).checked_add(1).map(Ipv4Addr::from),
            IpAddr::V6(ip) => self.free_from6 = u128::from(ip).checked_add(1).map(Ipv6Addr::from),
        }
    }

    /// Notes that `ip` is free again: the next search starts there at the latest.
    pub fn gave_back(&mut self, ip: IpAddr) {
        fn lower<A: Ord>(from: &mut Option<A>, ip: A) {
            if from.as_ref().is_some_and(|from| ip < *from) {
                *from = Some(ip);
            }
        }
        match ip {
            IpAddr::V4(ip) => lower(&mut self.free_from4, ip),
            IpAddr::V6(ip) => lower(&mut self.free_from6, ip),
        }
    }

    /// Lowers `free_from4` and `free_from6` to the lowest free addresses if they are past
    /// them (after a change that did not say which addresses it gave back: a repair).
    /// Walks every member.
    pub fn settle_free_from(&mut self) {
        if let (Some(_), Some(config)) = (self.free_from4, self.ipam.first())
            && let Ok(lowest) = crate::ipam::allocate(config, &self.used4(), None, &self.name)
        {
            self.gave_back(IpAddr::V4(lowest.addr()));
        }
        if let (Some(_), Some(config)) = (self.free_from6, &self.ipam6)
            && let Ok(lowest) = crate::ipam6::allocate(config, &self.used6(), None, &self.name)
        {
            self.gave_back(IpAddr::V6(lowest.addr()));
        }
    }

    /// The IPv6 addresses taken on the network here, as `used4`.
    pub fn used6(&self) -> Vec<Ipv6Addr> {
        let vips = self.services.iter().filter_map(|s| s.vip6);
        self.members6.values().copied().chain(vips).collect()
    }

    /// The `vip` service called `name`, if the network has one.
    pub fn vip_service(&self, name: &str) -> Option<&Service> {
        self.services
            .iter()
            .find(|s| s.name == name && s.mode == EndpointMode::Vip)
    }

    /// The settings of a macvlan or ipvlan network.
    pub fn lan(&self) -> Option<&LanSettings> {
        self.macvlan.as_ref().or(self.ipvlan.as_ref())
    }

    /// A bridge network whose every family is in gateway mode routed: its published ports
    /// open at the containers' addresses and take no host port.
    pub fn routed_only(&self) -> bool {
        self.bridge.as_ref().is_some_and(|b| {
            (self.ipam.is_empty() || b.gateway_mode4 == GatewayMode::Routed)
                && (self.ipam6.is_none() || b.gateway_mode6 == GatewayMode::Routed)
        })
    }
}
