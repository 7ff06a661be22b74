//! The only layer that talks to the kernel: it carries out plans (netlink, namespaces,
//! sysctls, nft) and answers the few questions commands ask of the host.

mod apply;
#[cfg(test)]
pub mod fake;
mod ipsec;
pub mod netlink;
pub mod netns;
mod nft;
pub mod nftables;
mod notes;
mod probes;
mod procfs;
mod tc;
pub mod trace;

use std::path::Path;

use anyhow::{Context, Result};
use ipnet::Ipv4Net;

use crate::ifnames;
use crate::plan::{Ns, Op};
use crate::ports::Proto;
use netlink::Netlink;
use nft::{host_firewall, nft_accepts_in_scratch_namespace, nft_ruleset_json};
use probes::probe_link_kinds;
use procfs::read_sysctl;
use std::collections::HashMap;
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
    /// Whether a process runs in the namespace at `path` (then deleting its name does not
    /// end it, nor its links).
    fn netns_in_use(&self, path: &Path) -> bool;
    /// The addresses on link `name` in `ns` (IPv6 link-local ones left out).
    fn link_addresses(&mut self, ns: &Ns, name: &str) -> Result<Vec<ipnet::IpNet>>;
    /// Which link kinds this kernel can make, each with its kernel option and, if it
    /// cannot, why (probed in a scratch namespace: needs root).
    fn probe_link_kinds(&mut self) -> Vec<(&'static str, &'static str, Option<String>)>;
    /// Whether nft takes `ruleset` (text, or JSON with `json`), tried in a scratch
    /// namespace.
    fn nft_accepts(&mut self, ruleset: &str, json: bool) -> std::result::Result<(), String>;
    /// The host's whole nftables ruleset, as `nft -j list ruleset`.
    fn ruleset(&mut self) -> std::result::Result<serde_json::Value, String>;
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
    /// `why --live`: one probe to `target` (a ping, or a TCP connection to `port`) from the
    /// namespace at `netns` (the host's if `None`), and what nftables traced of it in
    /// ctnet's table.
    fn probe(
        &mut self,
        netns: Option<&Path>,
        target: std::net::IpAddr,
        port: Option<(Proto, u16)>,
    ) -> Result<trace::ProbeReport>;
}

pub use netlink::{BridgeView, Underlay};
pub use procfs::{lock_holder, process_start};

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

/// The real kernel, through netlink sockets opened per namespace on first use.
pub struct Linux {
    verbose: bool,
    sockets: HashMap<Ns, Netlink>,
}

impl Linux {
    pub fn new(verbose: bool) -> Linux {
        Linux {
            verbose,
            sockets: std::collections::HashMap::new(),
        }
    }

    pub(super) fn socket(&mut self, ns: &Ns) -> Result<&mut Netlink> {
        if !self.sockets.contains_key(ns) {
            let socket = match ns {
                Ns::Host => Netlink::open()?,
                Ns::Path(path) => netns::with_netns(path, Netlink::open)??,
            };
            self.sockets.insert(ns.clone(), socket);
        }
        Ok(self.sockets.get_mut(ns).expect("inserted above"))
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

    fn probe_link_kinds(&mut self) -> Vec<(&'static str, &'static str, Option<String>)> {
        probe_link_kinds()
    }

    fn nft_accepts(&mut self, ruleset: &str, json: bool) -> std::result::Result<(), String> {
        nft_accepts_in_scratch_namespace(ruleset, json)
    }

    fn ruleset(&mut self) -> std::result::Result<serde_json::Value, String> {
        nft_ruleset_json()
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

    fn netns_in_use(&self, path: &Path) -> bool {
        netns::in_use(path)
    }

    fn has_link(&mut self, ns: &Ns, name: &str) -> bool {
        self.socket(ns).is_ok_and(|nl| nl.link_exists(name))
    }

    fn link_addresses(&mut self, ns: &Ns, name: &str) -> Result<Vec<ipnet::IpNet>> {
        self.socket(ns)?
            .link_addresses(name)
            .map_err(|e| anyhow::anyhow!("cannot read the addresses of {name}: {e}"))
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

    fn probe(
        &mut self,
        netns: Option<&Path>,
        target: std::net::IpAddr,
        port: Option<(Proto, u16)>,
    ) -> Result<trace::ProbeReport> {
        trace::probe(netns, target, port)
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
