//! A plan is the list of kernel operations a command needs, as data. `sys` carries it out
//! (undoing on failure); `--dry-run` and `-v` print each step as the `ip`/`nft` command
//! that would do the same.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use ipnet::IpNet;

use crate::esp::{Xfrm, XfrmChange};
use crate::model::{MadeParent, RemoteEndpoint};

/// Which network namespace an operation runs in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Ns {
    Host,
    Path(PathBuf),
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
    /// Writes a value under /proc/sys; not undone (forwarding stays on, as with Docker).
    Sysctl {
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
            // Addresses, routes and link state vanish with the links they belong to.
            Op::LinkUp { .. }
            | Op::PrepareLink { .. }
            | Op::AddAddress { .. }
            | Op::AddDefaultRoute { .. }
            | Op::AddDefaultRoute6 { .. } => None,
            Op::DeleteLink { .. }
            | Op::DeleteNetns { .. }
            | Op::Sysctl { .. }
            | Op::AttachToBridge { .. }
            | Op::DisableForwarding { .. } => None,
        }
    }
}

impl Op {
    /// Which CNM step this is and why, one line for `--dry-run`, so the plan reads as a
    /// lesson: what Docker's concept becomes in Linux.
    pub fn explain(&self) -> &'static str {
        match self {
            Op::CreateBridge { .. } => "network: a Linux bridge is the network's switch",
            Op::CreateVeth { .. } => {
                "endpoint: a veth pair, one end on the bridge, the other born inside the sandbox"
            }
            Op::CreateMacvlan { .. } => {
                "endpoint: a macvlan child of the LAN interface, inside the sandbox, with its own MAC"
            }
            Op::CreateVxlan { .. } => {
                "network: a VXLAN port joins this host's bridge to the other hosts' (UDP 4789)"
            }
            Op::AddFloodEntry { .. } => {
                "network: broadcasts and unknown MACs also go to this peer host (static mode)"
            }
            Op::AddRemote { .. } => {
                "network: an endpoint on another host, from the store: its MAC behind that host's VTEP, its address answered here"
            }
            Op::DeleteRemote { .. } => "remove: an endpoint that left another host",
            Op::Xfrm {
                change: XfrmChange::Remove,
                ..
            } => "remove: IPsec no longer needed (or an old key)",
            Op::Xfrm {
                object: Xfrm::Policy { .. },
                ..
            } => "encryption: VXLAN to and from this host must be IPsec ESP (never plaintext)",
            Op::Xfrm {
                object: Xfrm::Sa { .. },
                ..
            } => "encryption: an ESP security association (AES-GCM) with a key from the store",
            Op::CreateIpvlan { .. } => {
                "endpoint: an ipvlan child of the LAN interface, inside the sandbox, sharing its MAC"
            }
            Op::CreateParent {
                made: MadeParent::Vlan { .. },
                ..
            } => "network: an 802.1q sub-interface puts the network on its VLAN",
            Op::CreateParent {
                made: MadeParent::Dummy,
                ..
            } => "network: no parent given, so an internal network on a dummy interface",
            Op::PrepareLink {
                link_local: true, ..
            } => "endpoint: tag the interface as ctnet's",
            Op::PrepareLink { .. } => {
                "endpoint: tag the interface as ctnet's; no IPv6 link-local on an IPv4 network"
            }
            Op::LinkUp { dev, .. } if dev == "lo" => "sandbox: loopback up",
            Op::LinkUp { .. } => "endpoint: interface up",
            Op::AddAddress { ns: Ns::Host, .. } => {
                "network: the gateway address lives on the bridge"
            }
            Op::AddAddress { .. } => "endpoint: the address IPAM picked",
            Op::AddDefaultRoute6 { .. } => {
                "endpoint: IPv6 default route through the network's IPv6 gateway"
            }
            Op::AddDefaultRoute { gateway: None, .. } => {
                "endpoint: default route through the interface (the parent routes in l3 mode)"
            }
            Op::AddDefaultRoute { .. } => "endpoint: default route through the network's gateway",
            Op::DeleteLink { .. } => "remove: deleting one end of a veth removes both",
            Op::CreateNetns { .. } => "sandbox: a named network namespace",
            Op::DeleteNetns { .. } => "remove: the sandbox's namespace",
            Op::Sysctl { .. } => "network: let the kernel route for the network",
            Op::EnableForwarding { .. } => {
                "host: let the kernel route for ctnet's networks (ctnet's table forwards nothing else)"
            }
            Op::DisableForwarding { .. } => "undo: forwarding off again, as it was",
            Op::AttachToBridge { .. } => "repair: the endpoint's veth back on its network's bridge",
            Op::DockerUser { .. } => {
                "coexistence: Docker's DOCKER-USER chain lets ctnet's bridges past Docker's FORWARD policy"
            }
            Op::Firewall { .. } => {
                "policy: isolation, masquerade and published ports in table inet ctnet"
            }
        }
    }
}

/// The sysctl behind each family's forwarding, as a path under /proc/sys.
pub fn forwarding_key(ipv6: bool) -> &'static str {
    if ipv6 {
        "net/ipv6/conf/all/forwarding"
    } else {
        "net/ipv4/ip_forward"
    }
}

/// The `ip xfrm` commands that add or remove an IPsec object: what `-v` prints, and what
/// `sys` runs (the kernel's XFRM netlink family has no maintained crate that matches the
/// netlink crates ctnet uses; iproute2 is ctnet's dependency anyway).
pub fn xfrm_commands(add: bool, object: &Xfrm) -> Vec<String> {
    let vxlan = format!("proto udp dport {}", crate::ifnames::VXLAN_PORT);
    let vxlan = vxlan.as_str();
    match (add, object) {
        (true, Xfrm::Policy { local, remote }) => vec![
            format!(
                "ip xfrm policy update src {local}/32 dst {remote}/32 {vxlan} dir out \
                 tmpl src {local} dst {remote} proto esp mode transport"
            ),
            format!(
                "ip xfrm policy update src {remote}/32 dst {local}/32 {vxlan} dir in \
                 tmpl src {remote} dst {local} proto esp mode transport"
            ),
        ],
        (false, Xfrm::Policy { local, remote }) => vec![
            format!("ip xfrm policy delete src {local}/32 dst {remote}/32 {vxlan} dir out"),
            format!("ip xfrm policy delete src {remote}/32 dst {local}/32 {vxlan} dir in"),
        ],
        (true, Xfrm::Sa { src, dst, spi, key }) => vec![format!(
            "ip xfrm state add src {src} dst {dst} proto esp spi {spi:#010x} mode transport \
             aead rfc4106(gcm(aes)) 0x{key} 128"
        )],
        (false, Xfrm::Sa { src, dst, spi, .. }) => vec![format!(
            "ip xfrm state delete src {src} dst {dst} proto esp spi {spi:#010x}"
        )],
    }
}

/// `ip -n NAME` for named namespaces, `nsenter --net=PATH ip` for the rest.
fn ip_in(ns: &Ns) -> String {
    match ns {
        Ns::Host => "ip".into(),
        Ns::Path(path) => match netns_name(path) {
            Some(name) => format!("ip -n {name}"),
            None => format!("nsenter --net={} ip", path.display()),
        },
    }
}

fn netns_name(path: &std::path::Path) -> Option<String> {
    let name = path.strip_prefix("/run/netns").ok()?;
    Some(name.to_str()?.to_string())
}

fn address_arg(mac: &Option<crate::model::Mac>) -> String {
    mac.map(|m| format!(" address {m}")).unwrap_or_default()
}

fn mtu_arg(mtu: &Option<u32>) -> String {
    mtu.map(|m| format!(" mtu {m}")).unwrap_or_default()
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Op::CreateBridge {
                name,
                mtu,
                alias,
                mac,
            } => write!(
                f,
                "ip link add {name}{} address {} type bridge && ip link set {name} alias {alias} up",
                mtu_arg(mtu),
                mac
            ),
            Op::CreateVeth {
                host_name,
                bridge,
                alias,
                mtu,
                isolated,
                peer_ns,
                peer_name,
                peer_mac,
            } => {
                let netns = netns_name(peer_ns).unwrap_or_else(|| peer_ns.display().to_string());
                write!(
                    f,
                    "ip link add {host_name}{mtu} master {bridge} type veth peer name {peer_name} netns {netns}\
                     {}{mtu} && ip link set {host_name} alias {alias} addrgenmode none up",
                    address_arg(peer_mac),
                    mtu = mtu_arg(mtu)
                )?;
                if *isolated {
                    write!(f, " && bridge link set dev {host_name} isolated on")?;
                }
                Ok(())
            }
            Op::CreateMacvlan {
                parent,
                mode,
                mtu,
                peer_ns,
                name,
                mac,
            } => {
                let netns = netns_name(peer_ns).unwrap_or_else(|| peer_ns.display().to_string());
                write!(
                    f,
                    "ip link add {name} link {parent} netns {netns}{}{} type macvlan mode {}",
                    address_arg(mac),
                    mtu_arg(mtu),
                    mode.name()
                )
            }
            Op::CreateIpvlan {
                parent,
                mode,
                flag,
                mtu,
                peer_ns,
                name,
            } => {
                let netns = netns_name(peer_ns).unwrap_or_else(|| peer_ns.display().to_string());
                let flag = flag.map(|f| format!(" {}", f.name())).unwrap_or_default();
                write!(
                    f,
                    "ip link add {name} link {parent} netns {netns}{} type ipvlan mode {}{flag}",
                    mtu_arg(mtu),
                    mode.name()
                )
            }
            Op::CreateVxlan {
                name,
                vni,
                underlay,
                mtu,
                bridge,
                alias,
                vtep,
            } => {
                write!(
                    f,
                    "ip link add {name} mtu {mtu} type vxlan id {vni} dstport {} dev {underlay} ",
                    crate::ifnames::VXLAN_PORT
                )?;
                match vtep {
                    Some(vtep) => write!(f, "local {vtep} nolearning proxy")?,
                    None => write!(f, "learning")?,
                }
                write!(
                    f,
                    " && ip link set {name} master {bridge} alias {alias} addrgenmode none up"
                )
            }
            Op::AddRemote { dev, remote } => {
                let mac = &remote.mac;
                write!(
                    f,
                    "bridge fdb replace {mac} dev {dev} dst {} self permanent",
                    remote.vtep
                )?;
                for ip in remote.addresses() {
                    write!(
                        f,
                        " && ip neigh replace {ip} lladdr {mac} dev {dev} nud permanent"
                    )?;
                }
                Ok(())
            }
            // Keys stay out of logs and dry runs.
            Op::Xfrm { change, object } => {
                let commands: Vec<String> = xfrm_commands(*change != XfrmChange::Remove, object)
                    .iter()
                    .map(|c| crate::sys::redact(c))
                    .collect();
                write!(f, "{}", commands.join(" && "))
            }
            Op::DeleteRemote { dev, remote } => {
                write!(f, "bridge fdb del {} dev {dev} self", remote.mac)?;
                for ip in remote.addresses() {
                    write!(f, " && ip neigh del {ip} dev {dev}")?;
                }
                Ok(())
            }
            Op::AddFloodEntry { dev, peer } => {
                write!(
                    f,
                    "bridge fdb append 00:00:00:00:00:00 dev {dev} dst {peer}"
                )
            }
            Op::CreateParent { name, made, alias } => {
                match made {
                    MadeParent::Vlan { link, id } => {
                        write!(f, "ip link add {name} link {link} type vlan id {id}")?
                    }
                    MadeParent::Dummy => write!(f, "ip link add {name} type dummy")?,
                }
                write!(f, " && ip link set {name} alias {alias} up")
            }
            Op::LinkUp { ns, dev } => write!(f, "{} link set {dev} up", ip_in(ns)),
            Op::PrepareLink {
                ns,
                dev,
                alias,
                link_local,
            } => {
                let mode = if *link_local { "" } else { " addrgenmode none" };
                write!(f, "{} link set {dev} alias {alias}{mode}", ip_in(ns))
            }
            Op::AddAddress { ns, dev, addr } => {
                let nodad = if matches!(addr, IpNet::V6(_)) {
                    " nodad"
                } else {
                    ""
                };
                write!(f, "{} addr add {addr} dev {dev}{nodad}", ip_in(ns))
            }
            Op::AddDefaultRoute6 {
                ns,
                dev,
                gateway,
                replace,
            } => {
                let verb = if *replace { "replace" } else { "add" };
                let via = gateway.map(|g| format!(" via {g}")).unwrap_or_default();
                write!(f, "{} -6 route {verb} default{via} dev {dev}", ip_in(ns))
            }
            Op::AddDefaultRoute {
                ns,
                dev,
                gateway,
                replace,
            } => {
                let verb = if *replace { "replace" } else { "add" };
                let via = gateway.map(|g| format!(" via {g}")).unwrap_or_default();
                write!(f, "{} route {verb} default{via} dev {dev}", ip_in(ns))
            }
            Op::DeleteLink { ns, dev } => write!(f, "{} link del {dev}", ip_in(ns)),
            Op::CreateNetns { name } => {
                write!(f, "ip netns add {name} && ip -n {name} link set lo up")
            }
            Op::DeleteNetns { name } => write!(f, "ip netns del {name}"),
            Op::Sysctl { key, value } => write!(f, "sysctl -w {key}={value}"),
            Op::EnableForwarding { ipv6 } => write!(f, "sysctl -w {}=1", forwarding_key(*ipv6)),
            Op::DisableForwarding { ipv6 } => write!(f, "sysctl -w {}=0", forwarding_key(*ipv6)),
            Op::AttachToBridge {
                dev,
                bridge,
                isolated,
            } => {
                write!(f, "ip link set {dev} master {bridge}")?;
                if *isolated {
                    write!(f, " && bridge link set dev {dev} isolated on")?;
                }
                Ok(())
            }
            Op::DockerUser { bridges, .. } => write!(
                f,
                "# where Docker's chain exists: iptables -I DOCKER-USER -i BRIDGE -j ACCEPT, and -o, for {}",
                if bridges.is_empty() {
                    "no bridge (ctnet's rules go)".to_string()
                } else {
                    bridges.join(", ")
                }
            ),
            // Keys are paths under /proc/sys (slashes, since interface names may hold dots);
            // sysctl(8) takes that form too.
            Op::Firewall { ruleset, .. } => write!(f, "nft -f - <<'EOF'\n{}EOF", ruleset),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_print_as_ip_commands() {
        let op = Op::CreateVeth {
            host_name: "vctnabc".into(),
            bridge: "ctnet0".into(),
            alias: "ctnet:abc".into(),
            mtu: Some(1400),
            isolated: false,
            peer_ns: "/run/netns/web".into(),
            peer_name: "eth0".into(),
            peer_mac: "02:42:ac:11:00:02".parse().ok(),
        };
        assert_eq!(
            op.to_string(),
            "ip link add vctnabc mtu 1400 master ctnet0 type veth peer name eth0 netns web \
             address 02:42:ac:11:00:02 mtu 1400 && ip link set vctnabc alias ctnet:abc addrgenmode none up"
        );
        let route = Op::AddDefaultRoute {
            replace: false,
            ns: Ns::Path("/proc/42/ns/net".into()),
            dev: "eth0".into(),
            gateway: Some("172.17.0.1".parse().unwrap()),
        };
        assert_eq!(
            route.to_string(),
            "nsenter --net=/proc/42/ns/net ip route add default via 172.17.0.1 dev eth0"
        );
    }

    #[test]
    fn creations_undo_to_deletions() {
        let op = Op::CreateBridge {
            name: "ctn-x".into(),
            mtu: None,
            alias: "ctnet:x".into(),
            mac: "02:42:0a:00:00:01".parse().unwrap(),
        };
        assert_eq!(
            op.undo(),
            Some(Op::DeleteLink {
                ns: Ns::Host,
                dev: "ctn-x".into()
            })
        );
        use crate::firewall::{Part, Script};
        let script = |t: &str| Script {
            parts: vec![Part::Text(t.into())],
        };
        let fw = Op::Firewall {
            ruleset: script("new"),
            previous: script("old"),
        };
        assert_eq!(
            fw.undo(),
            Some(Op::Firewall {
                ruleset: script("old"),
                previous: script("new")
            })
        );
    }
}
