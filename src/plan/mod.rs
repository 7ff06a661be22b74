//! A plan is the list of kernel operations a command needs, as data. `sys` carries it out
//! (undoing on failure); `--dry-run` and `-v` print each step as the `ip`/`nft` command
//! that would do the same.

mod display;
mod explain;
pub mod xfrm;

use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use ipnet::IpNet;

use crate::model::{MadeParent, RemoteEndpoint};
use xfrm::{Xfrm, XfrmChange};

/// Which network namespace an operation runs in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ns {
    Host,
    Path(PathBuf),
}

/// One end of a veth between two sandboxes: where, its name there, its MAC.
#[derive(Debug, Clone, PartialEq)]
pub struct VethEnd {
    pub ns: PathBuf,
    pub name: String,
    pub mac: Option<crate::model::Mac>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// A Linux bridge, up, tagged with `alias`. Its MAC is set once: a bridge left to pick
    /// its own takes the lowest of its ports', which changes as endpoints come and go, and
    /// every sandbox's ARP entry for the gateway goes stale for seconds each time.
    CreateBridge {
        name: String,
        mtu: Option<u32>,
        alias: String,
        mac: crate::model::Mac,
    },
    /// A veth pair whose sandbox end is born inside the sandbox (never moved: moving costs
    /// 7-36 ms, creating in place well under 1 ms). The host end is enslaved, without an
    /// IPv6 link-local address, and up.
    CreateVeth {
        host_name: String,
        bridge: String,
        alias: String,
        mtu: Option<u32>,
        /// Keeps endpoints of an icc=false network from reaching each other on the bridge.
        isolated: bool,
        peer_ns: PathBuf,
        peer_name: String,
        /// `None` only for a hand-edited state: the kernel then picks one.
        peer_mac: Option<crate::model::Mac>,
    },
    /// A veth straight between two sandboxes (a p2p link), each end born inside its own.
    CreateVethBetween {
        a: VethEnd,
        b: VethEnd,
        mtu: Option<u32>,
    },
    /// A macvlan child of `parent` (a host link), born inside the sandbox.
    CreateMacvlan {
        parent: String,
        mode: crate::model::MacvlanMode,
        mtu: Option<u32>,
        peer_ns: PathBuf,
        name: String,
        mac: Option<crate::model::Mac>,
    },
    /// An ipvlan child of `parent`, born inside the sandbox; it shares the parent's MAC.
    CreateIpvlan {
        parent: String,
        mode: crate::model::IpvlanMode,
        flag: Option<crate::model::IpvlanFlag>,
        mtu: Option<u32>,
        peer_ns: PathBuf,
        name: String,
    },
    /// A parent interface ctnet makes on the host for a macvlan or ipvlan network (an
    /// 802.1q sub-interface, or a dummy), up, tagged with `alias`.
    CreateParent {
        name: String,
        made: MadeParent,
        alias: String,
    },
    /// A VXLAN device (VNI `vni`, UDP 4789, over `underlay`) as a port of `bridge`, up,
    /// tagged with `alias`. Static mode learns MACs from traffic; with a `vtep` (cluster
    /// mode) the store says where each MAC lives, so learning is off and the device answers
    /// ARP and neighbour solicitations itself from its neighbour table (`proxy`).
    CreateVxlan {
        name: String,
        vni: u32,
        underlay: String,
        mtu: u32,
        bridge: String,
        alias: String,
        vtep: Option<Ipv4Addr>,
    },
    /// An endpoint on another host: its MAC lives behind that host's VTEP (FDB), and its
    /// addresses have that MAC (neighbour entries the VXLAN device answers ARP from).
    AddRemote {
        dev: String,
        remote: RemoteEndpoint,
    },
    DeleteRemote {
        dev: String,
        remote: RemoteEndpoint,
    },
    /// IPsec for an encrypted overlay: a policy pair or a security association, added or
    /// removed (see `esp`).
    Xfrm {
        change: XfrmChange,
        object: Xfrm,
    },
    /// A flood entry: frames for unknown MACs (and broadcasts) also go to VTEP `peer`.
    AddFloodEntry {
        dev: String,
        peer: Ipv4Addr,
    },
    LinkUp {
        ns: Ns,
        dev: String,
    },
    /// A link taken down (a lab's flap); undone by bringing it up.
    LinkDown {
        ns: Ns,
        dev: String,
    },
    /// An interface's root qdisc from `from` to `to` (`None`: the kernel's default):
    /// delay, loss, corruption and rate limits on what leaves it.
    Impair {
        ns: Ns,
        dev: String,
        to: Option<crate::model::Impairment>,
        from: Option<crate::model::Impairment>,
    },
    /// Tags a sandbox-side link as ctnet's and, on an IPv4-only endpoint, gives it no IPv6
    /// link-local address; done before it comes up.
    PrepareLink {
        ns: Ns,
        dev: String,
        alias: String,
        /// Keep the kernel's IPv6 link-local address (a dual-stack endpoint).
        link_local: bool,
    },
    /// An address; IPv6 ones skip duplicate address detection, so they work at once.
    AddAddress {
        ns: Ns,
        dev: String,
        addr: IpNet,
    },
    /// Takes an address off a link (a service's virtual IP off its bridge).
    DeleteAddress {
        ns: Ns,
        dev: String,
        addr: IpNet,
    },
    AddDefaultRoute {
        /// Replace an existing default route instead of refusing to add a second one.
        replace: bool,
        ns: Ns,
        dev: String,
        /// `None`: a route through the device itself (ipvlan l3, where the parent routes).
        gateway: Option<Ipv4Addr>,
    },
    /// The IPv6 default route through the network's IPv6 gateway (`None`: through the
    /// device, for ipvlan l3).
    AddDefaultRoute6 {
        replace: bool,
        ns: Ns,
        dev: String,
        gateway: Option<Ipv6Addr>,
    },
    /// Removing either end of a veth removes both. A link already gone counts as done.
    DeleteLink {
        ns: Ns,
        dev: String,
    },
    /// A named network namespace at /run/netns/NAME with lo up, as `ip netns add` makes.
    CreateNetns {
        name: String,
    },
    DeleteNetns {
        name: String,
    },
    /// Forgets tracked flows in the host namespace. A client that keeps sending to a
    /// published UDP port keeps its flow, and with it where the flow was translated to:
    /// the address of an endpoint that went, or the host itself while nothing was
    /// published. Cannot be undone, nor needs to be.
    ForgetFlows {
        flows: Flows,
    },
    /// Writes a value under /proc/sys; not undone (forwarding stays on, as with Docker).
    Sysctl {
        key: String,
        value: String,
    },
    /// A sysctl inside a sandbox (a lab node's `sysctls`): `key` as `sysctl` spells it
    /// (`net.ipv4.ip_forward`). It goes with the namespace.
    SysctlIn {
        ns: PathBuf,
        key: String,
        value: String,
    },
    /// Puts an endpoint's host veth back on its network's bridge (a bridge deleted by hand
    /// and made again has no ports), isolated again for icc=false.
    AttachToBridge {
        dev: String,
        bridge: String,
        isolated: bool,
    },
    /// Turns on IPv4 (or IPv6) forwarding, noting first that ctnet did it this boot: the
    /// forwarding guard in ctnet's table follows that note. Planned only where forwarding is
    /// off, so its undo (a failed command) turns it off again.
    EnableForwarding {
        ipv6: bool,
    },
    DisableForwarding {
        ipv6: bool,
    },
    /// Makes Docker's `DOCKER-USER` chains (in `ip filter` and `ip6 filter`, where Docker
    /// made them) accept traffic from and to exactly these bridges, so that Docker's FORWARD
    /// policy of DROP spares them; ctnet's own table still decides. Nothing where Docker
    /// has no such chain. `previous` is what undo puts back.
    DockerUser {
        bridges: Vec<String>,
        previous: Vec<String>,
    },
    /// Changes the `inet ctnet` table; `previous` is what undo puts back.
    Firewall {
        ruleset: crate::firewall::Script,
        previous: crate::firewall::Script,
    },
}

impl Op {
    /// The operation that reverts this one, if it needs reverting.
    pub fn undo(&self) -> Option<Op> {
        match self {
            Op::CreateBridge { name, .. } => Some(Op::DeleteLink {
                ns: Ns::Host,
                dev: name.clone(),
            }),
            Op::CreateVeth { host_name, .. } => Some(Op::DeleteLink {
                ns: Ns::Host,
                dev: host_name.clone(),
            }),
            Op::CreateNetns { name } => Some(Op::DeleteNetns { name: name.clone() }),
            Op::LinkDown { ns, dev } => Some(Op::LinkUp {
                ns: ns.clone(),
                dev: dev.clone(),
            }),
            Op::Impair { ns, dev, to, from } => Some(Op::Impair {
                ns: ns.clone(),
                dev: dev.clone(),
                to: *from,
                from: *to,
            }),
            Op::CreateVethBetween { a, .. } => Some(Op::DeleteLink {
                ns: Ns::Path(a.ns.clone()),
                dev: a.name.clone(),
            }),
            Op::CreateMacvlan { peer_ns, name, .. } | Op::CreateIpvlan { peer_ns, name, .. } => {
                Some(Op::DeleteLink {
                    ns: Ns::Path(peer_ns.clone()),
                    dev: name.clone(),
                })
            }
            Op::CreateVxlan { name, .. } => Some(Op::DeleteLink {
                ns: Ns::Host,
                dev: name.clone(),
            }),
            // Flood entries go with their device.
            Op::AddFloodEntry { .. } => None,
            Op::AddRemote { dev, remote } => Some(Op::DeleteRemote {
                dev: dev.clone(),
                remote: remote.clone(),
            }),
            Op::DeleteRemote { dev, remote } => Some(Op::AddRemote {
                dev: dev.clone(),
                remote: remote.clone(),
            }),
            Op::Xfrm { change, object } => Some(Op::Xfrm {
                change: match change {
                    XfrmChange::Add => XfrmChange::Remove,
                    XfrmChange::Remove => XfrmChange::Add,
                    XfrmChange::Ensure => return None,
                },
                object: object.clone(),
            }),
            Op::CreateParent { name, .. } => Some(Op::DeleteLink {
                ns: Ns::Host,
                dev: name.clone(),
            }),
            Op::EnableForwarding { ipv6 } => Some(Op::DisableForwarding { ipv6: *ipv6 }),
            Op::DockerUser { bridges, previous } => Some(Op::DockerUser {
                bridges: previous.clone(),
                previous: bridges.clone(),
            }),
            Op::Firewall { ruleset, previous } => Some(Op::Firewall {
                ruleset: previous.clone(),
                previous: ruleset.clone(),
            }),
            Op::DeleteAddress { ns, dev, addr } => Some(Op::AddAddress {
                ns: ns.clone(),
                dev: dev.clone(),
                addr: *addr,
            }),
            // A service's virtual IP on a bridge that stays: taken off again.
            Op::AddAddress {
                ns: Ns::Host,
                dev,
                addr,
            } if addr.max_prefix_len() == addr.prefix_len() => Some(Op::DeleteAddress {
                ns: Ns::Host,
                dev: dev.clone(),
                addr: *addr,
            }),
            // Addresses, routes and link state vanish with the links they belong to.
            Op::LinkUp { .. }
            | Op::PrepareLink { .. }
            | Op::AddAddress { .. }
            | Op::AddDefaultRoute { .. }
            | Op::AddDefaultRoute6 { .. } => None,
            Op::DeleteLink { .. }
            | Op::DeleteNetns { .. }
            | Op::Sysctl { .. }
            | Op::SysctlIn { .. }
            | Op::ForgetFlows { .. }
            | Op::AttachToBridge { .. }
            | Op::DisableForwarding { .. } => None,
        }
    }
}

/// Which tracked flows `Op::ForgetFlows` forgets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flows {
    /// Every flow an address sent or was translated to: an endpoint that goes.
    Of(std::net::IpAddr),
    /// UDP flows to these host port ranges: ports published, or no longer published.
    ToUdpPorts(Vec<std::ops::RangeInclusive<u16>>),
}

/// The sysctl behind each family's forwarding, as a path under /proc/sys.
pub fn forwarding_key(ipv6: bool) -> &'static str {
    if ipv6 {
        "net/ipv6/conf/all/forwarding"
    } else {
        "net/ipv4/ip_forward"
    }
}
