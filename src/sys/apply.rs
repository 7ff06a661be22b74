//! Carrying out one step of a plan.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, anyhow};
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, In6AddrGenMode, InfoData, InfoIpVlan, InfoKind, InfoMacVlan,
    InfoVeth, IpVlanFlags, IpVlanMode, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
    MacVlanMode,
};

use super::netlink::{self, Netlink};
use super::nft::{NFT_STDIN, apply_nft, ensure_docker_user};
use super::procfs::{enable_forwarding, write_sysctl};
use super::{Linux, ipsec::run_ip_xfrm, netns, notes};
use crate::firewall::Part;
use crate::model::{IpvlanFlag, IpvlanMode, MacvlanMode, MadeParent};
use crate::plan::{Flows, Ns, Op};

impl Linux {
    pub(super) fn run(&mut self, op: &Op) -> Result<()> {
        if self.verbose {
            eprintln!("ctnet: {op}");
        }
        match op {
            Op::CreateBridge {
                name,
                mtu,
                alias,
                mac,
            } => {
                let mut msg = LinkMessage::default();
                msg.header.flags = LinkFlags::Up;
                msg.header.change_mask = LinkFlags::Up;
                msg.attributes.push(LinkAttribute::IfName(name.clone()));
                msg.attributes
                    .push(LinkAttribute::Address(mac.octets().to_vec()));
                msg.attributes.extend(mtu.map(LinkAttribute::Mtu));
                msg.attributes
                    .push(LinkAttribute::LinkInfo(vec![LinkInfo::Kind(
                        InfoKind::Bridge,
                    )]));
                create_tagged(self.socket(&Ns::Host)?, msg, name, alias)
                    .with_context(|| format!("cannot create bridge {name}"))?;
            }
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
                let nl = self.socket(&Ns::Host)?;
                let bridge_index = nl
                    .ifindex(bridge)
                    .with_context(|| format!("bridge {bridge} is missing"))?;
                let ns_file = File::open(peer_ns).with_context(|| {
                    format!("cannot open the sandbox's namespace {}", peer_ns.display())
                })?;
                let mut peer = LinkMessage::default();
                peer.attributes
                    .push(LinkAttribute::IfName(peer_name.clone()));
                peer.attributes
                    .push(LinkAttribute::NetNsFd(std::os::fd::AsRawFd::as_raw_fd(
                        &ns_file,
                    )));
                peer.attributes
                    .extend(peer_mac.map(|m| LinkAttribute::Address(m.octets().to_vec())));
                peer.attributes.extend(mtu.map(LinkAttribute::Mtu));
                // Created down: the kernel takes the IPv6 address mode only after creation,
                // and an interface that came up first would already have its link-local.
                let mut msg = LinkMessage::default();
                msg.attributes
                    .push(LinkAttribute::IfName(host_name.clone()));
                msg.attributes.push(LinkAttribute::Controller(bridge_index));
                msg.attributes.extend(mtu.map(LinkAttribute::Mtu));
                msg.attributes.push(LinkAttribute::LinkInfo(vec![
                    LinkInfo::Kind(InfoKind::Veth),
                    LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
                ]));
                nl.create(RouteNetlinkMessage::NewLink(msg)).map_err(|e| {
                    if e.errno == nix::libc::EEXIST {
                        anyhow!("cannot create {peer_name} in the sandbox: an interface with that name (or {host_name} on the host) exists already")
                    } else {
                        anyhow!("cannot create veth {host_name}: {e}")
                    }
                })?;
                let configured = set_link_without_link_local(
                    nl,
                    host_name,
                    vec![LinkAttribute::IfAlias(alias.clone())],
                )
                .and_then(|()| {
                    if *isolated {
                        nl.isolate_bridge_port(host_name)
                    } else {
                        Ok(())
                    }
                })
                .and_then(|()| nl.link_up(host_name));
                if let Err(e) = configured {
                    let _ = nl.delete_link(host_name);
                    return Err(anyhow!("cannot configure {host_name}: {e}"));
                }
            }
            Op::CreateVethBetween { a, b, mtu } => {
                let b_ns = File::open(&b.ns).with_context(|| {
                    format!("cannot open the sandbox's namespace {}", b.ns.display())
                })?;
                let end = |end: &crate::plan::VethEnd| {
                    let mut attributes = vec![LinkAttribute::IfName(end.name.clone())];
                    attributes.extend(end.mac.map(|m| LinkAttribute::Address(m.octets().to_vec())));
                    attributes.extend(mtu.map(LinkAttribute::Mtu));
                    attributes
                };
                let mut peer = LinkMessage::default();
                peer.attributes = end(b);
                peer.attributes
                    .push(LinkAttribute::NetNsFd(std::os::fd::AsRawFd::as_raw_fd(
                        &b_ns,
                    )));
                let mut msg = LinkMessage::default();
                msg.attributes = end(a);
                msg.attributes.push(LinkAttribute::LinkInfo(vec![
                    LinkInfo::Kind(InfoKind::Veth),
                    LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
                ]));
                let nl = self.socket(&Ns::Path(a.ns.clone()))?;
                nl.create(RouteNetlinkMessage::NewLink(msg)).map_err(|e| {
                    if e.errno == nix::libc::EEXIST {
                        anyhow!("cannot create the link {} - {}: an interface with one of those names exists already", a.name, b.name)
                    } else {
                        anyhow!("cannot create the link {} - {}: {e}", a.name, b.name)
                    }
                })?;
            }
            Op::CreateMacvlan {
                parent,
                mode,
                mtu,
                peer_ns,
                name,
                mac,
            } => {
                let mode = match mode {
                    MacvlanMode::Bridge => MacVlanMode::Bridge,
                    MacvlanMode::Private => MacVlanMode::Private,
                    MacvlanMode::Vepa => MacVlanMode::Vepa,
                    MacvlanMode::Passthru => MacVlanMode::Passthrough,
                };
                let child = LanChild {
                    parent,
                    peer_ns,
                    name,
                    mtu: *mtu,
                };
                let info = vec![
                    LinkInfo::Kind(InfoKind::MacVlan),
                    LinkInfo::Data(InfoData::MacVlan(vec![InfoMacVlan::Mode(mode)])),
                ];
                child.create(self.socket(&Ns::Host)?, "macvlan", mac.as_ref(), info)?;
            }
            Op::CreateIpvlan {
                parent,
                mode,
                flag,
                mtu,
                peer_ns,
                name,
            } => {
                let mode = match mode {
                    IpvlanMode::L2 => IpVlanMode::L2,
                    IpvlanMode::L3 => IpVlanMode::L3,
                    IpvlanMode::L3s => IpVlanMode::L3S,
                };
                let flags = match flag {
                    None | Some(IpvlanFlag::Bridge) => IpVlanFlags::empty(),
                    Some(IpvlanFlag::Private) => IpVlanFlags::Private,
                    Some(IpvlanFlag::Vepa) => IpVlanFlags::Vepa,
                };
                let child = LanChild {
                    parent,
                    peer_ns,
                    name,
                    mtu: *mtu,
                };
                let info = vec![
                    LinkInfo::Kind(InfoKind::IpVlan),
                    LinkInfo::Data(InfoData::IpVlan(vec![
                        InfoIpVlan::Mode(mode),
                        InfoIpVlan::Flags(flags),
                    ])),
                ];
                child.create(self.socket(&Ns::Host)?, "ipvlan", None, info)?;
            }
            Op::CreateParent { name, made, alias } => {
                let nl = self.socket(&Ns::Host)?;
                let mut msg = LinkMessage::default();
                msg.header.flags = LinkFlags::Up;
                msg.header.change_mask = LinkFlags::Up;
                msg.attributes.push(LinkAttribute::IfName(name.clone()));
                let info = match made {
                    MadeParent::Vlan { link, id } => {
                        let index = nl
                            .ifindex(link)
                            .with_context(|| format!("{link} is missing"))?;
                        msg.attributes.push(LinkAttribute::Link(index));
                        vec![
                            LinkInfo::Kind(InfoKind::Vlan),
                            LinkInfo::Data(InfoData::Vlan(vec![
                                netlink_packet_route::link::InfoVlan::Id(*id),
                            ])),
                        ]
                    }
                    MadeParent::Dummy => vec![LinkInfo::Kind(InfoKind::Dummy)],
                };
                msg.attributes.push(LinkAttribute::LinkInfo(info));
                create_tagged(nl, msg, name, alias)
                    .with_context(|| format!("cannot create {name}"))?;
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
                let nl = self.socket(&Ns::Host)?;
                let lower = nl
                    .ifindex(underlay)
                    .with_context(|| format!("underlay {underlay} is missing"))?;
                let master = nl.ifindex(bridge)?;
                let mut msg = LinkMessage::default();
                msg.attributes.push(LinkAttribute::IfName(name.clone()));
                msg.attributes.push(LinkAttribute::Mtu(*mtu));
                msg.attributes.push(LinkAttribute::Controller(master));
                use netlink_packet_route::link::InfoVxlan;
                let mut vxlan = vec![
                    InfoVxlan::Id(*vni),
                    InfoVxlan::Port(crate::ifnames::VXLAN_PORT),
                    InfoVxlan::Link(lower),
                    InfoVxlan::Learning(vtep.is_none()),
                ];
                if let Some(vtep) = vtep {
                    vxlan.extend([InfoVxlan::Local(*vtep), InfoVxlan::Proxy(true)]);
                }
                msg.attributes.push(LinkAttribute::LinkInfo(vec![
                    LinkInfo::Kind(InfoKind::Vxlan),
                    LinkInfo::Data(InfoData::Vxlan(vxlan)),
                ]));
                nl.create(RouteNetlinkMessage::NewLink(msg))
                    .map_err(|e| anyhow!("cannot create vxlan {name} (VNI {vni}): {e}"))?;
                let attributes = vec![LinkAttribute::IfAlias(alias.clone())];
                let tagged = set_link_without_link_local(nl, name, attributes)
                    .and_then(|()| nl.link_up(name));
                if let Err(e) = tagged {
                    let _ = nl.delete_link(name);
                    return Err(anyhow!("cannot set up {name}: {e}"));
                }
            }
            Op::AddFloodEntry { dev, peer } => self
                .socket(&Ns::Host)?
                .append_flood_entry(dev, *peer)
                .map_err(|e| anyhow!("cannot add the flood entry for {peer} on {dev}: {e}"))?,
            Op::AddRemote { dev, remote } => self
                .socket(&Ns::Host)?
                .set_remote(dev, remote, true)
                .map_err(|e| anyhow!("cannot add the entries for {} on {dev}: {e}", remote.mac))?,
            Op::DeleteRemote { dev, remote } => self
                .socket(&Ns::Host)?
                .set_remote(dev, remote, false)
                .map_err(|e| {
                    anyhow!("cannot remove the entries for {} on {dev}: {e}", remote.mac)
                })?,
            Op::Xfrm { change, object } => {
                let add = *change != crate::plan::xfrm::XfrmChange::Remove;
                for command in crate::plan::xfrm::xfrm_commands(add, object) {
                    run_ip_xfrm(&command, add)?;
                }
            }
            Op::LinkUp { ns, dev } => self.socket(ns)?.link_up(dev)?,
            Op::LinkDown { ns, dev } => self.socket(ns)?.link_down(dev)?,
            Op::Impair { ns, dev, to, .. } => super::tc::set_root_qdisc(ns, dev, to.as_ref())?,
            Op::PrepareLink {
                ns,
                dev,
                alias,
                link_local,
            } => {
                let alias = vec![LinkAttribute::IfAlias(alias.clone())];
                let nl = self.socket(ns)?;
                if *link_local {
                    nl.set_link(dev, alias)?
                } else {
                    set_link_without_link_local(nl, dev, alias)?
                }
            }
            Op::AddAddress { ns, dev, addr } => self
                .socket(ns)?
                .add_address(dev, *addr)
                .with_context(|| format!("cannot add {addr} to {dev}"))?,
            Op::DeleteAddress { ns, dev, addr } => {
                match self.socket(ns)?.delete_address(dev, *addr) {
                    // Gone already (with its link, or by hand): what the step wants.
                    Err(e)
                        if e.errno == nix::libc::EADDRNOTAVAIL || e.errno == nix::libc::ENODEV => {}
                    other => other.with_context(|| format!("cannot delete {addr} from {dev}"))?,
                }
            }
            Op::AddDefaultRoute6 {
                ns,
                dev,
                gateway,
                replace,
            } => self
                .socket(ns)?
                .add_default_route(dev, true, gateway.map(Into::into), *replace)
                .map_err(|e| anyhow!("cannot add an IPv6 default route on {dev}: {e}"))?,
            Op::AddDefaultRoute {
                ns,
                dev,
                gateway,
                replace,
            } => self
                .socket(ns)?
                .add_default_route(dev, false, gateway.map(Into::into), *replace)
                .map_err(|e| {
                    if e.errno == nix::libc::EEXIST {
                        anyhow!(
                            "cannot add a default route{}: the sandbox already has a default route",
                            via(gateway)
                        )
                    } else {
                        anyhow!("cannot add a default route{}: {e}", via(gateway))
                    }
                })?,
            Op::DeleteLink { ns, dev } => {
                // A namespace that is gone took its links with it.
                let nl = match self.socket(ns) {
                    Ok(nl) => nl,
                    Err(_) if matches!(ns, Ns::Path(p) if !p.exists()) => return Ok(()),
                    Err(e) => return Err(e),
                };
                match nl.delete_link(dev) {
                    Err(e) if e.errno != nix::libc::ENODEV => {
                        return Err(anyhow!("cannot delete {dev}: {e}"));
                    }
                    // A link a crash left untagged goes with its birth note.
                    _ if *ns == Ns::Host => notes::born(dev),
                    _ => {}
                }
            }
            Op::CreateNetns { name } => netns::create_named(name)
                .with_context(|| format!("cannot create network namespace {name}"))?,
            Op::DeleteNetns { name } => {
                self.sockets.remove(&Ns::Path(netns::named_path(name)));
                netns::delete_named(name)
                    .with_context(|| format!("cannot delete network namespace {name}"))?
            }
            Op::Sysctl { key, value } => write_sysctl(key, value)?,
            Op::SysctlIn { ns, key, value } => {
                // /proc/sys/net answers for the namespace of the thread that opens it.
                let key = key.replace('.', "/");
                super::netns::with_netns(ns, || write_sysctl(&key, value))??
            }
            Op::ForgetFlows { flows } => {
                // Rare (published ports changing): a socket of its own. It follows steps
                // that cannot be undone (a link deleted), so a failure here must not undo
                // the rest: the flows would only time out on their own.
                // Whose flows a port's are depends on this host's addresses; an address's
                // flows need no lookup.
                let local = match flows {
                    Flows::ToUdpPorts(_) => self
                        .socket(&Ns::Host)?
                        .local_addresses()
                        .unwrap_or_default(),
                    Flows::Of(_) => Vec::new(),
                };
                let forgotten =
                    Netlink::open_netfilter().and_then(|mut nl| nl.forget_flows(flows, &local));
                if let Err(e) = forgotten {
                    eprintln!(
                        "ctnet: warning: cannot forget tracked flows ({e}): they expire by themselves"
                    );
                }
            }
            Op::AttachToBridge {
                dev,
                bridge,
                isolated,
            } => {
                let nl = self.socket(&Ns::Host)?;
                let index = nl
                    .ifindex(bridge)
                    .with_context(|| format!("bridge {bridge} is missing"))?;
                nl.set_link(dev, vec![LinkAttribute::Controller(index)])
                    .map_err(|e| anyhow!("cannot put {dev} on {bridge}: {e}"))?;
                if *isolated {
                    nl.isolate_bridge_port(dev)?;
                }
            }
            Op::EnableForwarding { ipv6 } => enable_forwarding(*ipv6)?,
            Op::DisableForwarding { ipv6 } => {
                let _ = std::fs::remove_file(notes::forwarding(*ipv6));
                write_sysctl(crate::plan::forwarding_key(*ipv6), "0")?
            }
            Op::DockerUser { bridges, .. } => ensure_docker_user(bridges)?,
            Op::Firewall { ruleset, .. } => {
                for part in &ruleset.parts {
                    match part {
                        Part::Text(text) => apply_nft(&["-f", NFT_STDIN], text)?,
                        Part::Json { json, .. } => apply_nft(&["-j", "-f", NFT_STDIN], json)?,
                    }
                }
            }
        }
        Ok(())
    }
}

/// A macvlan or ipvlan child of a host link, born inside a sandbox.
struct LanChild<'a> {
    parent: &'a str,
    peer_ns: &'a Path,
    name: &'a str,
    mtu: Option<u32>,
}

impl LanChild<'_> {
    fn create(
        &self,
        nl: &mut Netlink,
        kind: &str,
        mac: Option<&crate::model::Mac>,
        info: Vec<LinkInfo>,
    ) -> Result<()> {
        let (parent, name) = (self.parent, self.name);
        let parent_index = nl
            .ifindex(parent)
            .with_context(|| format!("parent {parent} is missing"))?;
        let ns_file = File::open(self.peer_ns).with_context(|| {
            format!(
                "cannot open the sandbox's namespace {}",
                self.peer_ns.display()
            )
        })?;
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.to_string()));
        msg.attributes.push(LinkAttribute::Link(parent_index));
        msg.attributes
            .push(LinkAttribute::NetNsFd(std::os::fd::AsRawFd::as_raw_fd(
                &ns_file,
            )));
        msg.attributes
            .extend(mac.map(|m| LinkAttribute::Address(m.octets().to_vec())));
        msg.attributes.extend(self.mtu.map(LinkAttribute::Mtu));
        msg.attributes.push(LinkAttribute::LinkInfo(info));
        nl.create(RouteNetlinkMessage::NewLink(msg)).map_err(|e| {
            if e.errno == nix::libc::EEXIST {
                anyhow!("cannot create {name} in the sandbox: an interface with that name exists already")
            } else {
                anyhow!("cannot create {kind} {name} on {parent}: {e}")
            }
        })
    }
}

/// Creates a host link and tags it with ctnet's alias, which marks it as ctnet's so that
/// leaks are found by asking the kernel. The kernel takes no alias at creation; a link
/// that cannot be tagged is removed again.
fn create_tagged(nl: &mut Netlink, msg: LinkMessage, name: &str, alias: &str) -> Result<()> {
    notes::birth(name)?;
    let tagged = nl.create(RouteNetlinkMessage::NewLink(msg)).and_then(|()| {
        crate::faults::crash_point("creating a link, before its tag");
        nl.set_link(name, vec![LinkAttribute::IfAlias(alias.to_string())])
            .inspect_err(|_| drop(nl.delete_link(name)))
    });
    notes::born(name);
    tagged.map_err(|e| anyhow!("cannot tag it as ctnet's: {e}"))
}

fn via(gateway: &Option<std::net::Ipv4Addr>) -> String {
    gateway.map(|g| format!(" via {g}")).unwrap_or_default()
}

/// No IPv6 link-local address on either end of an IPv4 endpoint, as Docker does for
/// IPv4-only networks. Besides being tidy, it matters for speed: every new link-local
/// address sends DAD and router solicitations that the bridge floods to every port, so
/// attach cost would grow with the number of endpoints.
fn no_ipv6_link_local() -> LinkAttribute {
    LinkAttribute::AfSpecUnspec(vec![AfSpecUnspec::Inet6(vec![AfSpecInet6::AddrGenMode(
        In6AddrGenMode::None,
    )])])
}

/// Sets `attributes` and turns off IPv6 link-local addresses in one request. A link with no
/// IPv6 at all (MTU below 1280, or IPv6 disabled at boot) refuses the second part with
/// EAFNOSUPPORT; it has no link-local address to avoid, so the rest is set alone.
fn set_link_without_link_local(
    nl: &mut Netlink,
    dev: &str,
    attributes: Vec<LinkAttribute>,
) -> netlink::Result<()> {
    let mut with_mode = attributes.clone();
    with_mode.push(no_ipv6_link_local());
    match nl.set_link(dev, with_mode) {
        Err(e) if e.errno == nix::libc::EAFNOSUPPORT => nl.set_link(dev, attributes),
        other => other,
    }
}
