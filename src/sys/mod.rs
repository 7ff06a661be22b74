//! The only layer that talks to the kernel: it carries out plans (netlink, namespaces,
//! sysctls, nft) and answers the few questions commands ask of the host.

pub mod netlink;
pub mod netns;
pub mod nftables;
mod notes;

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use ipnet::Ipv4Net;
use netlink_packet_route::RouteNetlinkMessage;
use netlink_packet_route::link::{
    AfSpecInet6, AfSpecUnspec, In6AddrGenMode, InfoData, InfoIpVlan, InfoKind, InfoMacVlan,
    InfoVeth, IpVlanFlags, IpVlanMode, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
    MacVlanMode,
};

use crate::firewall::Part;
use crate::ifnames;
use crate::model::{IpvlanFlag, IpvlanMode, MacvlanMode, MadeParent};
use crate::plan::{Ns, Op};
use crate::ports::Proto;
use netlink::Netlink;
use std::net::Ipv4Addr;

/// What commands need from the kernel. Tests above `sys` use a fake that records plans.
pub trait Kernel {
    /// Carries out `plan` in order. On failure undoes what it did and returns the error;
    /// on success returns the steps that would undo it (for a failed save).
    fn apply(&mut self, plan: &[Op]) -> Result<Vec<Op>>;
    /// Best-effort undo, newest step first.
    fn undo(&mut self, undo: Vec<Op>);
    /// IPv4 subnets the host namespace already uses (addresses and routes).
    fn host_ipv4_in_use(&mut self) -> Result<Vec<Ipv4Net>>;
    /// The subnets of the host's own IPv4 addresses (the networks it is directly on).
    fn host_ipv4_addresses(&mut self) -> Result<Vec<Ipv4Net>>;
    /// The host interface traffic to `peer` leaves by, its MTU and the source address
    /// (the overlay's underlay).
    fn route_to(&mut self, peer: Ipv4Addr) -> Result<Option<Underlay>>;
    /// The host interface that holds `ip` as its own address (for a store on this host).
    fn link_with_address(&mut self, ip: Ipv4Addr) -> Result<Option<Underlay>>;
    /// Which of these link kinds (labels as `probe_link_kinds` has them) this kernel cannot
    /// make.
    fn missing_link_kinds(&mut self, kinds: &[&str]) -> Vec<&'static str>;
    /// Whether a host link exists (`None`) and, if so, is a port of a bridge.
    fn link_enslaved(&mut self, name: &str) -> Result<Option<bool>>;
    /// A bridge as the host's kernel has it, or `None` if there is no such link.
    fn describe_bridge(&mut self, name: &str) -> Result<Option<BridgeView>>;
    /// Whether the namespace has a link by that name.
    fn has_link(&mut self, ns: &Ns, name: &str) -> bool;
    /// Bytes that identify this host for good (its machine-id, else its hostname): the
    /// seed of its unique-local IPv6 prefix.
    fn machine_id(&self) -> Vec<u8>;
    /// A link in the namespace that carries ctnet's mark, if any.
    fn tagged_link(&mut self, ns: &Ns) -> Option<String>;
    /// Links in the host namespace that are ctnet's, as (name, id from the mark): those
    /// with ctnet's mark, and untagged ones a crash left between creating and tagging
    /// (see `ifnames`): with a birth note, or a port on a marked bridge. The id is empty
    /// when there is no mark.
    fn marked_links(&mut self) -> Result<Vec<(String, String)>>;
    /// True if `path` is a network namespace file.
    fn is_netns(&self, path: &Path) -> bool;
    /// The inode of the network namespace at `path`, if it is one.
    fn netns_inode(&self, path: &Path) -> Option<u64>;
    /// True if `path` is the namespace ctnet itself runs in.
    fn is_host_netns(&self, path: &Path) -> bool;
    /// When process `pid` started (clock ticks after boot), or `None` if there is none.
    fn process_start(&self, pid: u32) -> Option<u64>;
    /// Whether forwarding of a family is on, and if so whether ctnet turned it on this boot.
    fn forwarding(&self, ipv6: bool) -> Forwarding;
    /// Whether ctnet's nftables table is there as this ctnet makes it (a flushed ruleset has
    /// lost it; an older ctnet made it without the newest chains).
    fn firewall_table(&mut self) -> Result<TableState>;
    /// The other tables' chains on this host, and whether bridged frames pass the IP hooks.
    fn host_firewall(&mut self) -> Result<crate::hostfw::HostFirewall>;
    /// Why a host port cannot be published (a process listens on it, or the address is
    /// not this host's), or `None` if it can.
    fn host_port_unavailable(
        &self,
        ip: Option<std::net::IpAddr>,
        proto: Proto,
        port: u16,
    ) -> Option<String>;
}

pub use netlink::{BridgeView, Underlay};

/// ctnet's table in the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableState {
    Current,
    /// Made by an older ctnet: its skeleton lacks chains and sets this one uses.
    Outdated,
    Missing,
}

/// A family's forwarding, and who turned it on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forwarding {
    Off,
    /// On, and not by ctnet: the admin, Docker or libvirt routes on this host.
    OnByOthers,
    /// On because ctnet turned it on this boot.
    OnByCtnet,
}

fn enable_forwarding(ipv6: bool) -> Result<()> {
    let key = crate::plan::forwarding_key(ipv6);
    if read_sysctl(key).is_some_and(|v| v == "1") {
        return Ok(());
    }
    notes::write_forwarding(ipv6)?;
    write_sysctl(key, "1")
}

fn read_sysctl(key: &str) -> Option<String> {
    std::fs::read_to_string(Path::new("/proc/sys").join(key))
        .ok()
        .map(|v| v.trim().to_string())
}

/// Brings Docker's DOCKER-USER chains (where they exist) to ctnet's rules for `bridges`,
/// in one nft transaction.
fn ensure_docker_user(bridges: &[String]) -> Result<()> {
    let host = host_firewall()?;
    let mut commands = Vec::new();
    for family in host.docker_user_families() {
        let listing = nft_json(&[
            "list",
            "chain",
            family,
            "filter",
            crate::hostfw::DOCKER_USER,
        ])
        .map_err(|e| anyhow!("cannot read Docker's {family} DOCKER-USER chain: {e}"))?;
        commands.extend(crate::hostfw::docker_user_commands(
            family, &listing, bridges,
        ));
    }
    if commands.is_empty() {
        return Ok(());
    }
    let json = serde_json::json!({ "nftables": commands }).to_string();
    apply_nft(&["-j", "-f", NFT_STDIN], &json).context("cannot update Docker's DOCKER-USER chain")
}

fn host_firewall() -> Result<crate::hostfw::HostFirewall> {
    let listed = nftables::chains().context("cannot list the host's nftables chains")?;
    let chains = listed
        .into_iter()
        .map(|c| crate::hostfw::Chain {
            family: c.family.to_string(),
            table: c.table,
            name: c.name,
            hook: c.hook.map(str::to_string),
            policy: c.policy.map(str::to_string),
        })
        .collect();
    Ok(crate::hostfw::HostFirewall {
        chains,
        bridge_netfilter: read_sysctl("net/bridge/bridge-nf-call-iptables")
            .is_some_and(|v| v == "1"),
    })
}

/// Runs one `ip xfrm` command (as `plan::xfrm_commands` spells it) through `ip -batch -`,
/// so that a key is never in a command line other users can read. Adding what exists, or
/// removing what is gone, is not an error: the state says what should be there.
fn run_ip_xfrm(command: &str, add: bool) -> Result<()> {
    let line = command.strip_prefix("ip ").unwrap_or(command);
    let mut child = Command::new("ip")
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run ip")?;
    if let Some(mut stdin) = child.stdin.take() {
        std::io::Write::write_all(&mut stdin, format!("{line}\n").as_bytes())
            .context("cannot write to ip")?;
    }
    let output = child.wait_with_output().context("cannot run ip")?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let benign = if add {
        stderr.contains("File exists")
    } else {
        stderr.contains("No such") || stderr.contains("not found")
    };
    if benign {
        return Ok(());
    }
    bail!("`{}` failed: {}", redact(command), redact(stderr.trim()))
}

/// A command with its key hidden (for error messages).
pub fn redact(command: &str) -> String {
    command
        .split_whitespace()
        .map(|w| {
            if w.len() > 20 && w.starts_with("0x") {
                "0x<key>"
            } else {
                w
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The real kernel, through netlink sockets opened per namespace on first use.
pub struct Linux {
    verbose: bool,
    sockets: HashMap<Ns, Netlink>,
}

impl Linux {
    pub fn new(verbose: bool) -> Linux {
        Linux {
            verbose,
            sockets: HashMap::new(),
        }
    }

    fn socket(&mut self, ns: &Ns) -> Result<&mut Netlink> {
        if !self.sockets.contains_key(ns) {
            let socket = match ns {
                Ns::Host => Netlink::open()?,
                Ns::Path(path) => netns::with_netns(path, Netlink::open)??,
            };
            self.sockets.insert(ns.clone(), socket);
        }
        Ok(self.sockets.get_mut(ns).expect("inserted above"))
    }

    fn run(&mut self, op: &Op) -> Result<()> {
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
                let add = *change != crate::esp::XfrmChange::Remove;
                for command in crate::plan::xfrm_commands(add, object) {
                    run_ip_xfrm(&command, add)?;
                }
            }
            Op::LinkUp { ns, dev } => self.socket(ns)?.link_up(dev)?,
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

impl Kernel for Linux {
    fn apply(&mut self, plan: &[Op]) -> Result<Vec<Op>> {
        let mut undo = Vec::new();
        for op in plan {
            if let Err(e) = self.run(op) {
                self.undo(undo);
                return Err(e);
            }
            undo.extend(op.undo());
            crate::faults::crash_point("a kernel step");
        }
        Ok(undo)
    }

    fn undo(&mut self, undo: Vec<Op>) {
        for op in undo.into_iter().rev() {
            if let Err(e) = self.run(&op) {
                eprintln!("ctnet: warning: could not undo `{op}`: {e:#}");
            }
        }
    }

    fn host_ipv4_in_use(&mut self) -> Result<Vec<Ipv4Net>> {
        Ok(self.socket(&Ns::Host)?.ipv4_in_use()?)
    }

    fn host_ipv4_addresses(&mut self) -> Result<Vec<Ipv4Net>> {
        Ok(self.socket(&Ns::Host)?.ipv4_address_subnets()?)
    }

    fn route_to(&mut self, peer: Ipv4Addr) -> Result<Option<Underlay>> {
        Ok(self.socket(&Ns::Host)?.route_to(peer)?)
    }

    fn link_with_address(&mut self, ip: Ipv4Addr) -> Result<Option<Underlay>> {
        Ok(self.socket(&Ns::Host)?.link_with_address(ip)?)
    }

    fn missing_link_kinds(&mut self, kinds: &[&str]) -> Vec<&'static str> {
        probe_link_kinds()
            .into_iter()
            .filter(|(label, _, error)| error.is_some() && kinds.contains(label))
            .map(|(label, _, _)| label)
            .collect()
    }

    fn link_enslaved(&mut self, name: &str) -> Result<Option<bool>> {
        Ok(self
            .socket(&Ns::Host)?
            .link_controller(name)?
            .map(|c| c.is_some()))
    }

    fn describe_bridge(&mut self, name: &str) -> Result<Option<BridgeView>> {
        Ok(self.socket(&Ns::Host)?.describe_bridge(name)?)
    }

    fn machine_id(&self) -> Vec<u8> {
        std::fs::read("/etc/machine-id")
            .or_else(|_| std::fs::read("/proc/sys/kernel/hostname"))
            .unwrap_or_default()
    }

    fn tagged_link(&mut self, ns: &Ns) -> Option<String> {
        let links = self.socket(ns).ok()?.links().ok()?;
        links
            .into_iter()
            .find(|l| ifnames::marked_id(&l.alias).is_some())
            .map(|l| l.name)
    }

    fn has_link(&mut self, ns: &Ns, name: &str) -> bool {
        self.socket(ns).is_ok_and(|nl| nl.ifindex(name).is_ok())
    }

    fn marked_links(&mut self) -> Result<Vec<(String, String)>> {
        let links = self.socket(&Ns::Host)?.links()?;
        // A port is born on its bridge, before it is tagged: an untagged one counts as
        // ctnet's only on a bridge that carries ctnet's mark, never a user's look-alike.
        let marked_masters: std::collections::HashSet<u32> = links
            .iter()
            .filter(|l| ifnames::marked_id(&l.alias).is_some())
            .map(|l| l.index)
            .collect();
        let unfinished = notes::unfinished_births();
        // A note whose link is gone is of no more use (this runs under the state lock, so
        // no command is between noting and tagging).
        for name in &unfinished {
            if !links.iter().any(|l| &l.name == name) {
                notes::born(name);
            }
        }
        Ok(links
            .into_iter()
            .filter_map(|link| match ifnames::marked_id(&link.alias) {
                Some(id) => Some((link.name, id.to_string())),
                None if unfinished.contains(&link.name) => Some((link.name, String::new())),
                None if ifnames::is_port(&link.name)
                    && link.master.is_some_and(|m| marked_masters.contains(&m)) =>
                {
                    Some((link.name, String::new()))
                }
                None => None,
            })
            .collect())
    }

    fn is_netns(&self, path: &Path) -> bool {
        netns::is_netns(path)
    }

    fn netns_inode(&self, path: &Path) -> Option<u64> {
        if !netns::is_netns(path) {
            return None;
        }
        nix::sys::stat::stat(path).ok().map(|st| st.st_ino)
    }

    fn process_start(&self, pid: u32) -> Option<u64> {
        process_start(pid)
    }

    fn forwarding(&self, ipv6: bool) -> Forwarding {
        if read_sysctl(crate::plan::forwarding_key(ipv6)).is_none_or(|v| v != "1") {
            Forwarding::Off
        } else if notes::forwarding(ipv6).exists() {
            Forwarding::OnByCtnet
        } else {
            Forwarding::OnByOthers
        }
    }

    fn firewall_table(&mut self) -> Result<TableState> {
        let ask = |chain| {
            nftables::chain_exists(nftables::FAMILY_INET, "ctnet", chain)
                .context("cannot ask nftables for table inet ctnet")
        };
        // The newest chain first: a table that has it is current, in one request.
        Ok(if ask(crate::firewall::NEWEST_CHAIN)? {
            TableState::Current
        } else if ask("forward")? {
            TableState::Outdated
        } else {
            TableState::Missing
        })
    }

    fn host_firewall(&mut self) -> Result<crate::hostfw::HostFirewall> {
        host_firewall()
    }

    fn is_host_netns(&self, path: &Path) -> bool {
        netns::same_netns(path, Path::new("/proc/thread-self/ns/net"))
    }

    /// Binding the port ourselves is the kernel's own answer. TCP binds with SO_REUSEADDR
    /// (std's default), so only a listener conflicts, not connections in TIME_WAIT. SCTP
    /// has no std socket and is not checked.
    fn host_port_unavailable(
        &self,
        ip: Option<std::net::IpAddr>,
        proto: Proto,
        port: u16,
    ) -> Option<String> {
        let ip = ip.unwrap_or(std::net::IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let addr = std::net::SocketAddr::from((ip, port));
        let result = match proto {
            Proto::Tcp => std::net::TcpListener::bind(addr).map(drop),
            Proto::Udp => std::net::UdpSocket::bind(addr).map(drop),
            Proto::Sctp => Ok(()),
        };
        match result {
            Ok(()) => None,
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => Some(format!(
                "a process on this host is already using {}/{}",
                port,
                proto.name()
            )),
            Err(e) if e.kind() == std::io::ErrorKind::AddrNotAvailable => {
                Some(format!("{} is not an address of this host", addr.ip()))
            }
            Err(e) => Some(format!("cannot check {addr}: {e}")),
        }
    }
}

/// No IPv6 link-local address on either end of an IPv4 endpoint, as Docker does for
/// IPv4-only networks. Besides being tidy, it matters for speed: every new link-local
/// address sends DAD and router solicitations that the bridge floods to every port, so
/// attach cost would grow with the number of endpoints.
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

/// Which link kinds this kernel can create, tried for real in a throw-away namespace (a
/// thread that unshares its network namespace, which vanishes with the thread).
pub fn probe_link_kinds() -> Vec<(&'static str, &'static str, Option<String>)> {
    let probe = || -> Vec<(&'static str, &'static str, Option<String>)> {
        if let Err(e) = nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET) {
            return vec![("namespaces", "CONFIG_NET_NS", Some(e.to_string()))];
        }
        let Ok(mut nl) = Netlink::open() else {
            return vec![(
                "netlink",
                "CONFIG_NET",
                Some("cannot open a netlink socket".into()),
            )];
        };
        // A veth pair first: it is needed, and it is the parent the other kinds hang on.
        let mut parent = LinkMessage::default();
        parent
            .attributes
            .push(LinkAttribute::IfName("probe-parent".into()));
        let mut peer = LinkMessage::default();
        peer.attributes
            .push(LinkAttribute::IfName("probe-peer".into()));
        parent.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::Kind(InfoKind::Veth),
            LinkInfo::Data(InfoData::Veth(InfoVeth::Peer(peer))),
        ]));
        let veth = nl
            .create(RouteNetlinkMessage::NewLink(parent))
            .err()
            .map(|e| e.to_string());
        // ipvlan and macvlan refuse to share a parent (EBUSY): each end of the pair is one.
        let parent_index = nl.ifindex("probe-parent").ok();
        let peer_index = nl.ifindex("probe-peer").ok();
        let mut out_all = vec![("veth", "CONFIG_VETH", veth)];
        let mut out = Vec::new();
        let mut try_kind =
            |label, option, kind: InfoKind, data: Option<InfoData>, on_parent: bool| {
                let mut msg = LinkMessage::default();
                msg.attributes
                    .push(LinkAttribute::IfName(format!("probe{}", out.len())));
                if on_parent {
                    let lower = if kind == InfoKind::IpVlan {
                        peer_index
                    } else {
                        parent_index
                    };
                    let Some(index) = lower else {
                        out.push((label, option, Some("no veth to try it on".to_string())));
                        return;
                    };
                    msg.attributes.push(LinkAttribute::Link(index));
                }
                let mut info = vec![LinkInfo::Kind(kind)];
                info.extend(data.map(LinkInfo::Data));
                msg.attributes.push(LinkAttribute::LinkInfo(info));
                let result = nl
                    .create(RouteNetlinkMessage::NewLink(msg))
                    .err()
                    .map(|e| e.to_string());
                out.push((label, option, result));
            };
        try_kind("bridge", "CONFIG_BRIDGE", InfoKind::Bridge, None, false);
        try_kind("dummy", "CONFIG_DUMMY", InfoKind::Dummy, None, false);
        try_kind("macvlan", "CONFIG_MACVLAN", InfoKind::MacVlan, None, true);
        try_kind("ipvlan", "CONFIG_IPVLAN", InfoKind::IpVlan, None, true);
        try_kind(
            "802.1q vlan",
            "CONFIG_VLAN_8021Q",
            InfoKind::Vlan,
            Some(InfoData::Vlan(vec![
                netlink_packet_route::link::InfoVlan::Id(10),
            ])),
            true,
        );
        try_kind(
            "vxlan",
            "CONFIG_VXLAN",
            InfoKind::Vxlan,
            Some(InfoData::Vxlan(vec![
                netlink_packet_route::link::InfoVxlan::Id(42),
                netlink_packet_route::link::InfoVxlan::Port(crate::ifnames::VXLAN_PORT),
            ])),
            false,
        );
        out_all.extend(out);
        out_all
    };
    std::thread::spawn(probe).join().unwrap_or_default()
}

/// Runs `nft -c` (check only, but with the kernel's verdict) on `ruleset` inside a fresh
/// network namespace, so the host's tables are never involved.
/// Where nft reads a ruleset piped to it. `-f -` makes nft open /dev/stdin, a link that
/// a bare devtmpfs (a minimal VM, an initramfs) lacks; /proc is always there.
const NFT_STDIN: &str = "/proc/self/fd/0";

pub fn nft_accepts_in_scratch_namespace(
    ruleset: &str,
    json: bool,
) -> std::result::Result<(), String> {
    use std::os::unix::process::CommandExt;
    let mut command = Command::new("nft");
    command
        .args(if json {
            &["-j", "-c", "-f", NFT_STDIN][..]
        } else {
            &["-c", "-f", NFT_STDIN][..]
        })
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: unshare(2) is async-signal-safe and changes only the child.
    unsafe {
        command.pre_exec(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)
        });
    }
    let mut child = command
        .spawn()
        .map_err(|e| format!("cannot run nft: {e}"))?;
    let _ = child
        .stdin
        .take()
        .expect("piped")
        .write_all(ruleset.as_bytes());
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        Err(err
            .lines()
            .find(|l| l.starts_with("Error") || l.contains("rror"))
            .unwrap_or("rejected")
            .to_string())
    }
}

/// When process `pid` started, in clock ticks after boot (field 22 of /proc/PID/stat,
/// counted after the command name, which may hold spaces and parentheses).
pub fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // A zombie (killed, not yet reaped) has ended all the same.
    if matches!(fields.next()?, "Z" | "X") {
        return None;
    }
    fields.nth(18)?.parse().ok()
}

/// The process holding an flock on `file`, from /proc/locks (to name it when a command has
/// to wait), or `None` if it cannot be told.
pub fn lock_holder(file: &File) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata().ok()?;
    let (major, minor) = (
        nix::sys::stat::major(meta.dev()),
        nix::sys::stat::minor(meta.dev()),
    );
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    locks.lines().find_map(|line| {
        // "1: FLOCK  ADVISORY  WRITE 4242 00:2f:1234 0 EOF": pid, then major:minor:inode.
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (pid, id) = (fields.get(4)?, fields.get(5)?);
        let mut parts = id.split(':');
        let maj = u64::from_str_radix(parts.next()?, 16).ok()?;
        let min = u64::from_str_radix(parts.next()?, 16).ok()?;
        let ino: u64 = parts.next()?.parse().ok()?;
        (maj == major && min == minor && ino == meta.ino())
            .then(|| pid.parse().ok())
            .flatten()
    })
}

/// The host's whole ruleset as nft JSON, or why it cannot be read.
pub fn nft_ruleset_json() -> std::result::Result<serde_json::Value, String> {
    nft_json(&["list", "ruleset"])
}

/// What `nft -j ARGS` prints, parsed, or why it failed.
fn nft_json(args: &[&str]) -> std::result::Result<serde_json::Value, String> {
    let out = Command::new("nft")
        .arg("-j")
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

fn write_sysctl(key: &str, value: &str) -> Result<()> {
    let path = Path::new("/proc/sys").join(key);
    // Writing is cheap but not free, and reading tells whether it is needed at all.
    if std::fs::read_to_string(&path).is_ok_and(|v| v.trim() == value) {
        return Ok(());
    }
    std::fs::write(&path, value).with_context(|| format!("cannot set {key}={value}"))
}

/// Runs nft once with the whole input (text or, with -j, JSON): one nft transaction.
fn apply_nft(args: &[&str], ruleset: &str) -> Result<()> {
    let mut child = Command::new("nft")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => anyhow!("nft not found: install the nftables package"),
            _ => anyhow!("cannot run nft: {e}"),
        })?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(ruleset.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first = stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(anyhow!("nft rejected the ruleset: {first}"));
    }
    Ok(())
}
