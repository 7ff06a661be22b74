//! A small synchronous rtnetlink client over a blocking netlink-sys socket: one request,
//! one acknowledgement (or a dump), no async runtime for a command that lives milliseconds.

use std::io;
use std::net::IpAddr;

use ipnet::Ipv4Net;
use netlink_packet_core::{
    NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST,
    NetlinkHeader, NetlinkMessage, NetlinkPayload,
};
use netlink_packet_route::address::{AddressAttribute, AddressFlags, AddressMessage};
use netlink_packet_route::link::{
    InfoBridgePort, InfoPortData, InfoPortKind, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use netlink_packet_route::route::{
    RouteAddress, RouteAttribute, RouteHeader, RouteMessage, RouteProtocol, RouteScope, RouteType,
};
use netlink_packet_route::{AddressFamily, RouteNetlinkMessage};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_ROUTE};

/// A failed request: the errno and, when the kernel gave one, its extended-ack text.
#[derive(Debug)]
pub struct NetlinkError {
    pub errno: i32,
    pub message: Option<String>,
}

impl std::fmt::Display for NetlinkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let os = io::Error::from_raw_os_error(self.errno);
        match &self.message {
            Some(m) => write!(f, "{m} ({os})"),
            None => write!(f, "{os}"),
        }
    }
}

impl std::error::Error for NetlinkError {}

impl From<io::Error> for NetlinkError {
    fn from(e: io::Error) -> Self {
        NetlinkError {
            errno: e.raw_os_error().unwrap_or(nix::libc::EIO),
            message: Some(e.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, NetlinkError>;

/// What `describe_bridge` reads back.
#[derive(Debug, Clone, PartialEq)]
pub struct BridgeView {
    pub state: String,
    pub mtu: u32,
    pub alias: String,
    pub addresses: Vec<Ipv4Net>,
    pub routes: Vec<Ipv4Net>,
    /// The links enslaved to it: (name, alias).
    pub ports: Vec<(String, String)>,
}

/// Where traffic to an address leaves the host (an overlay's underlay).
#[derive(Debug, Clone, PartialEq)]
pub struct Underlay {
    pub dev: String,
    pub mtu: u32,
    /// The address the kernel would send from: this host's VTEP address.
    pub source: Option<std::net::Ipv4Addr>,
}

/// One link as a dump lists it: what tells ctnet's links from others.
#[derive(Debug, Clone, Default)]
pub struct LinkSummary {
    pub index: u32,
    pub name: String,
    pub alias: String,
    /// The bridge it is a port of.
    pub master: Option<u32>,
    pub mac: Vec<u8>,
}

pub struct Netlink {
    socket: Socket,
    seq: u32,
    buf: Vec<u8>,
    /// Link indexes looked up by name on this socket (a connect needs eth0's twice: for its
    /// address and for its route). Forgotten when the link is deleted through this socket.
    indexes: std::collections::HashMap<String, u32>,
}

/// Kernel message type of a netlink error whose payload carries extended-ack attributes.
const NLMSGERR_ATTR_MSG: u16 = 1;
const NLM_F_ACK_TLVS: u16 = 0x200;
const RT_TABLE_LOCAL: u8 = 255;

impl Netlink {
    /// Opens a socket in the calling thread's current network namespace; it stays bound
    /// to that namespace for its whole life.
    pub fn open() -> Result<Netlink> {
        let mut socket = Socket::new(NETLINK_ROUTE)?;
        socket.bind_auto()?;
        socket.connect(&SocketAddr::new(0, 0))?;
        // Short acks (no echo of our request) followed by the kernel's error text.
        socket.set_cap_ack(true)?;
        socket.set_ext_ack(true)?;
        Ok(Netlink {
            socket,
            seq: 0,
            buf: Vec::with_capacity(64 * 1024),
            indexes: Default::default(),
        })
    }

    fn send(&mut self, message: RouteNetlinkMessage, flags: u16) -> Result<u32> {
        self.seq = self.seq.wrapping_add(1);
        let mut header = NetlinkHeader::default();
        header.flags = flags;
        header.sequence_number = self.seq;
        let mut packet = NetlinkMessage::new(header, NetlinkPayload::InnerMessage(message));
        packet.finalize();
        let mut bytes = vec![0u8; packet.buffer_len()];
        packet.serialize(&mut bytes);
        self.socket.send(&bytes, 0)?;
        Ok(self.seq)
    }

    /// Reads replies to `seq` until an ack, an error or the end of a dump; collects inner messages.
    fn receive(&mut self, seq: u32) -> Result<Vec<RouteNetlinkMessage>> {
        let mut out = Vec::new();
        loop {
            self.buf.clear();
            let len = self.socket.recv(&mut self.buf, 0)?;
            let mut offset = 0;
            while offset < len {
                let bytes = &self.buf[offset..len];
                let packet =
                    NetlinkMessage::<RouteNetlinkMessage>::deserialize(bytes).map_err(|e| {
                        NetlinkError {
                            errno: nix::libc::EBADMSG,
                            message: Some(format!("cannot decode a netlink reply: {e}")),
                        }
                    })?;
                let length = packet.header.length as usize;
                offset += (length + 3) & !3;
                if packet.header.sequence_number != seq {
                    continue;
                }
                match packet.payload {
                    NetlinkPayload::Error(err) => {
                        if err.code.is_none() {
                            return Ok(out);
                        }
                        let message = (packet.header.flags & NLM_F_ACK_TLVS != 0)
                            .then(|| extack_message(&err.header))
                            .flatten();
                        return Err(NetlinkError {
                            errno: -err.raw_code(),
                            message,
                        });
                    }
                    NetlinkPayload::Done(_) => return Ok(out),
                    NetlinkPayload::InnerMessage(inner) => out.push(inner),
                    _ => {}
                }
                if length == 0 {
                    break;
                }
            }
        }
    }

    /// Sends a request that changes something and waits for the kernel's ack.
    pub fn request(&mut self, message: RouteNetlinkMessage, extra_flags: u16) -> Result<()> {
        let seq = self.send(message, NLM_F_REQUEST | NLM_F_ACK | extra_flags)?;
        self.receive(seq).map(|_| ())
    }

    pub fn dump(&mut self, message: RouteNetlinkMessage) -> Result<Vec<RouteNetlinkMessage>> {
        let seq = self.send(message, NLM_F_REQUEST | NLM_F_DUMP)?;
        self.receive(seq)
    }

    pub fn create(&mut self, message: RouteNetlinkMessage) -> Result<()> {
        self.request(message, NLM_F_CREATE | NLM_F_EXCL)
    }

    /// The index of the link called `name`.
    pub fn ifindex(&mut self, name: &str) -> Result<u32> {
        if let Some(index) = self.indexes.get(name) {
            return Ok(*index);
        }
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.into()));
        let seq = self.send(RouteNetlinkMessage::GetLink(msg), NLM_F_REQUEST | NLM_F_ACK)?;
        let replies = self.receive(seq).map_err(|e| named(e, name))?;
        let index = replies
            .into_iter()
            .find_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => Some(link.header.index),
                _ => None,
            })
            .ok_or_else(|| NetlinkError {
                errno: nix::libc::ENODEV,
                message: Some(format!("no link named {name}")),
            })?;
        self.indexes.insert(name.to_string(), index);
        Ok(index)
    }

    /// Sets a link up, addressed by name.
    pub fn link_up(&mut self, name: &str) -> Result<()> {
        let mut msg = LinkMessage::default();
        msg.header.flags = LinkFlags::Up;
        msg.header.change_mask = LinkFlags::Up;
        msg.attributes.push(LinkAttribute::IfName(name.into()));
        self.request(RouteNetlinkMessage::SetLink(msg), 0)
            .map_err(|e| named(e, name))
    }

    pub fn set_link(&mut self, name: &str, attributes: Vec<LinkAttribute>) -> Result<()> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.into()));
        msg.attributes.extend(attributes);
        self.request(RouteNetlinkMessage::SetLink(msg), 0)
            .map_err(|e| named(e, name))
    }

    /// Keeps a bridge port from talking to other isolated ports (icc=false). Port settings
    /// are taken by RTM_NEWLINK on an existing link; RTM_SETLINK ignores them.
    pub fn isolate_bridge_port(&mut self, name: &str) -> Result<()> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.into()));
        msg.attributes.push(LinkAttribute::LinkInfo(vec![
            LinkInfo::PortKind(InfoPortKind::Bridge),
            LinkInfo::PortData(InfoPortData::BridgePort(vec![InfoBridgePort::Isolated(
                true,
            )])),
        ]));
        self.request(RouteNetlinkMessage::NewLink(msg), 0)
            .map_err(|e| named(e, name))
    }

    pub fn delete_link(&mut self, name: &str) -> Result<()> {
        self.indexes.remove(name);
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.into()));
        self.request(RouteNetlinkMessage::DelLink(msg), 0)
    }

    pub fn add_address(&mut self, dev: &str, addr: ipnet::IpNet) -> Result<()> {
        let index = self.ifindex(dev)?;
        let mut msg = AddressMessage::default();
        msg.header.prefix_len = addr.prefix_len();
        msg.header.index = index;
        match addr {
            ipnet::IpNet::V4(addr) => {
                msg.header.family = AddressFamily::Inet;
                let ip = IpAddr::V4(addr.addr());
                msg.attributes.push(AddressAttribute::Local(ip));
                msg.attributes.push(AddressAttribute::Address(ip));
                if addr.prefix_len() < 31 {
                    msg.attributes
                        .push(AddressAttribute::Broadcast(addr.broadcast()));
                }
            }
            ipnet::IpNet::V6(addr) => {
                msg.header.family = AddressFamily::Inet6;
                msg.attributes
                    .push(AddressAttribute::Address(IpAddr::V6(addr.addr())));
                // Usable the moment the command returns: no duplicate address detection
                // (IPAM already made the address unique on the network).
                msg.attributes
                    .push(AddressAttribute::Flags(AddressFlags::Nodad));
            }
        }
        self.create(RouteNetlinkMessage::NewAddress(msg))
    }

    /// The default route (of `gateway`'s family, or IPv6 if `v6`) out of `dev`, via
    /// `gateway`, or through the device itself when there is none (ipvlan l3).
    pub fn add_default_route(
        &mut self,
        dev: &str,
        v6: bool,
        gateway: Option<IpAddr>,
        replace: bool,
    ) -> Result<()> {
        let index = self.ifindex(dev)?;
        let mut msg = RouteMessage::default();
        msg.header.address_family = if v6 {
            AddressFamily::Inet6
        } else {
            AddressFamily::Inet
        };
        msg.header.table = RouteHeader::RT_TABLE_MAIN;
        msg.header.protocol = RouteProtocol::Boot;
        msg.header.kind = RouteType::Unicast;
        msg.header.scope = RouteScope::Universe;
        match gateway {
            Some(IpAddr::V4(gateway)) => msg
                .attributes
                .push(RouteAttribute::Gateway(RouteAddress::Inet(gateway))),
            Some(IpAddr::V6(gateway)) => msg
                .attributes
                .push(RouteAttribute::Gateway(RouteAddress::Inet6(gateway))),
            // An IPv4 device route is link-scoped; IPv6 has no such distinction.
            None if !v6 => msg.header.scope = RouteScope::Link,
            None => {}
        }
        msg.attributes.push(RouteAttribute::Oif(index));
        let flags = if replace {
            NLM_F_CREATE | NLM_F_REPLACE
        } else {
            NLM_F_CREATE | NLM_F_EXCL
        };
        self.request(RouteNetlinkMessage::NewRoute(msg), flags)
    }

    /// The interface the kernel would send a packet to `dst` by, its MTU, and the source
    /// address it would pick.
    pub fn route_to(&mut self, dst: std::net::Ipv4Addr) -> Result<Option<Underlay>> {
        let mut msg = RouteMessage::default();
        msg.header.address_family = AddressFamily::Inet;
        msg.header.destination_prefix_length = 32;
        msg.attributes
            .push(RouteAttribute::Destination(RouteAddress::Inet(dst)));
        let seq = self.send(
            RouteNetlinkMessage::GetRoute(msg),
            NLM_F_REQUEST | NLM_F_ACK,
        )?;
        let replies = match self.receive(seq) {
            Err(e) if e.errno == nix::libc::ENETUNREACH || e.errno == nix::libc::EHOSTUNREACH => {
                return Ok(None);
            }
            other => other?,
        };
        let (mut index, mut source) = (None, None);
        for reply in replies {
            if let RouteNetlinkMessage::NewRoute(route) = reply {
                for attribute in route.attributes {
                    match attribute {
                        RouteAttribute::Oif(i) => index = Some(i),
                        RouteAttribute::PrefSource(RouteAddress::Inet(ip)) => source = Some(ip),
                        _ => {}
                    }
                }
            }
        }
        let Some(index) = index else { return Ok(None) };
        self.underlay_of(index, source)
    }

    /// The link that holds `ip` as one of its own addresses (as an underlay, `ip` its
    /// source), if any.
    pub fn link_with_address(&mut self, ip: std::net::Ipv4Addr) -> Result<Option<Underlay>> {
        let mut addr = AddressMessage::default();
        addr.header.family = AddressFamily::Inet;
        let mut index = None;
        for reply in self.dump(RouteNetlinkMessage::GetAddress(addr))? {
            if let RouteNetlinkMessage::NewAddress(a) = reply
                && a.attributes
                    .contains(&AddressAttribute::Local(IpAddr::V4(ip)))
            {
                index = Some(a.header.index);
            }
        }
        match index {
            Some(index) => self.underlay_of(index, Some(ip)),
            None => Ok(None),
        }
    }

    /// Link `index`'s name and MTU, as an underlay sending from `source`.
    fn underlay_of(
        &mut self,
        index: u32,
        source: Option<std::net::Ipv4Addr>,
    ) -> Result<Option<Underlay>> {
        let mut link = LinkMessage::default();
        link.header.index = index;
        let seq = self.send(
            RouteNetlinkMessage::GetLink(link),
            NLM_F_REQUEST | NLM_F_ACK,
        )?;
        let (mut name, mut mtu) = (None, None);
        for reply in self.receive(seq)? {
            if let RouteNetlinkMessage::NewLink(link) = reply {
                for attribute in link.attributes {
                    match attribute {
                        LinkAttribute::IfName(n) => name = Some(n),
                        LinkAttribute::Mtu(m) => mtu = Some(m),
                        _ => {}
                    }
                }
            }
        }
        Ok(name
            .zip(mtu)
            .map(|(dev, mtu)| Underlay { dev, mtu, source }))
    }

    /// `bridge fdb append 00:00:00:00:00:00 dev DEV dst PEER`: another VTEP to flood to.
    pub fn append_flood_entry(&mut self, dev: &str, peer: std::net::Ipv4Addr) -> Result<()> {
        use netlink_packet_route::neighbour::{
            NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
        };
        let index = self.ifindex(dev)?;
        let mut msg = NeighbourMessage::default();
        msg.header.family = AddressFamily::Bridge;
        msg.header.ifindex = index;
        msg.header.state = NeighbourState::Permanent;
        msg.header.flags = NeighbourFlags::Own;
        msg.attributes
            .push(NeighbourAttribute::LinkLayerAddress(vec![0; 6]));
        msg.attributes
            .push(NeighbourAttribute::Destination(NeighbourAddress::Inet(
                peer,
            )));
        self.request(
            RouteNetlinkMessage::NewNeighbour(msg),
            NLM_F_CREATE | NLM_F_APPEND,
        )
    }

    /// Adds (or replaces) or removes what a VXLAN device needs for an endpoint on another
    /// host: the FDB entry sending its MAC to that host's VTEP, and a neighbour entry per
    /// address so that the device answers ARP and neighbour solicitations for it. Removing
    /// what is already gone is not an error.
    pub fn set_remote(
        &mut self,
        dev: &str,
        remote: &crate::model::RemoteEndpoint,
        add: bool,
    ) -> Result<()> {
        use netlink_packet_route::neighbour::{
            NeighbourAddress, NeighbourAttribute, NeighbourFlags, NeighbourMessage, NeighbourState,
        };
        let index = self.ifindex(dev)?;
        let mac = remote.mac.octets().to_vec();
        let entry = |family, flags, destination| {
            let mut msg = NeighbourMessage::default();
            msg.header.family = family;
            msg.header.ifindex = index;
            msg.header.state = NeighbourState::Permanent;
            msg.header.flags = flags;
            msg.attributes
                .push(NeighbourAttribute::LinkLayerAddress(mac.clone()));
            msg.attributes
                .push(NeighbourAttribute::Destination(destination));
            msg
        };
        let mut messages = vec![entry(
            AddressFamily::Bridge,
            NeighbourFlags::Own,
            NeighbourAddress::Inet(remote.vtep),
        )];
        for ip in remote.addresses() {
            messages.push(match ip {
                std::net::IpAddr::V4(v4) => entry(
                    AddressFamily::Inet,
                    NeighbourFlags::empty(),
                    NeighbourAddress::Inet(v4),
                ),
                std::net::IpAddr::V6(v6) => entry(
                    AddressFamily::Inet6,
                    NeighbourFlags::empty(),
                    NeighbourAddress::Inet6(v6),
                ),
            });
        }
        for msg in messages {
            if add {
                self.request(
                    RouteNetlinkMessage::NewNeighbour(msg),
                    NLM_F_CREATE | NLM_F_REPLACE,
                )?;
            } else {
                match self.request(RouteNetlinkMessage::DelNeighbour(msg), 0) {
                    Err(e) if e.errno == nix::libc::ENOENT => {}
                    other => other?,
                }
            }
        }
        Ok(())
    }

    /// `None` if there is no link called `name`; else its bridge (or bond) master's index.
    pub fn link_controller(&mut self, name: &str) -> Result<Option<Option<u32>>> {
        let mut msg = LinkMessage::default();
        msg.attributes.push(LinkAttribute::IfName(name.into()));
        let seq = self.send(RouteNetlinkMessage::GetLink(msg), NLM_F_REQUEST | NLM_F_ACK)?;
        match self.receive(seq) {
            Err(e) if e.errno == nix::libc::ENODEV => Ok(None),
            Err(e) => Err(e),
            Ok(replies) => Ok(Some(replies.into_iter().find_map(|m| match m {
                RouteNetlinkMessage::NewLink(link) => {
                    link.attributes.into_iter().find_map(|a| match a {
                        LinkAttribute::Controller(index) => Some(index),
                        _ => None,
                    })
                }
                _ => None,
            }))),
        }
    }

    /// A bridge as the kernel has it: state, MTU, alias, addresses, the routes through it
    /// and its ports (name, alias). `None` if there is no such link.
    pub fn describe_bridge(&mut self, name: &str) -> Result<Option<BridgeView>> {
        let mut bridge = None;
        let mut ports = Vec::new();
        let mut links = Vec::new();
        for reply in self.dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))? {
            if let RouteNetlinkMessage::NewLink(link) = reply {
                links.push(link);
            }
        }
        let attr = |link: &LinkMessage, pick: fn(&LinkAttribute) -> Option<String>| {
            link.attributes.iter().find_map(pick).unwrap_or_default()
        };
        let ifname = |a: &LinkAttribute| match a {
            LinkAttribute::IfName(n) => Some(n.clone()),
            _ => None,
        };
        let alias = |a: &LinkAttribute| match a {
            LinkAttribute::IfAlias(n) => Some(n.clone()),
            _ => None,
        };
        for link in &links {
            if attr(link, ifname) == name {
                let mtu = link.attributes.iter().find_map(|a| match a {
                    LinkAttribute::Mtu(m) => Some(*m),
                    _ => None,
                });
                let up = link.header.flags.contains(LinkFlags::Up);
                bridge = Some((link.header.index, mtu.unwrap_or(0), up, attr(link, alias)));
            }
        }
        let Some((index, mtu, up, bridge_alias)) = bridge else {
            return Ok(None);
        };
        for link in &links {
            let controller = link.attributes.iter().find_map(|a| match a {
                LinkAttribute::Controller(c) => Some(*c),
                _ => None,
            });
            if controller == Some(index) {
                ports.push((attr(link, ifname), attr(link, alias)));
            }
        }
        let mut addresses = Vec::new();
        let mut addr = AddressMessage::default();
        addr.header.family = AddressFamily::Inet;
        for reply in self.dump(RouteNetlinkMessage::GetAddress(addr))? {
            if let RouteNetlinkMessage::NewAddress(a) = reply {
                if a.header.index != index {
                    continue;
                }
                for attribute in &a.attributes {
                    if let AddressAttribute::Local(IpAddr::V4(ip)) = attribute {
                        addresses.extend(Ipv4Net::new(*ip, a.header.prefix_len).ok());
                    }
                }
            }
        }
        let mut routes = Vec::new();
        let mut route = RouteMessage::default();
        route.header.address_family = AddressFamily::Inet;
        for reply in self.dump(RouteNetlinkMessage::GetRoute(route))? {
            if let RouteNetlinkMessage::NewRoute(r) = reply {
                let oif = r.attributes.iter().find_map(|a| match a {
                    RouteAttribute::Oif(o) => Some(*o),
                    _ => None,
                });
                let dst = r.attributes.iter().find_map(|a| match a {
                    RouteAttribute::Destination(RouteAddress::Inet(ip)) => Some(*ip),
                    _ => None,
                });
                if oif == Some(index)
                    && r.header.table != RT_TABLE_LOCAL
                    && let Some(net) =
                        dst.and_then(|ip| Ipv4Net::new(ip, r.header.destination_prefix_length).ok())
                {
                    routes.push(net);
                }
            }
        }
        Ok(Some(BridgeView {
            state: if up { "up".into() } else { "down".into() },
            mtu,
            alias: bridge_alias,
            addresses,
            routes,
            ports,
        }))
    }

    /// Every link of the namespace as (name, alias); the alias is empty when unset.
    pub fn links(&mut self) -> Result<Vec<LinkSummary>> {
        let mut out = Vec::new();
        for reply in self.dump(RouteNetlinkMessage::GetLink(LinkMessage::default()))? {
            if let RouteNetlinkMessage::NewLink(link) = reply {
                let mut summary = LinkSummary {
                    index: link.header.index,
                    ..LinkSummary::default()
                };
                for attr in link.attributes {
                    match attr {
                        LinkAttribute::IfName(n) => summary.name = n,
                        LinkAttribute::IfAlias(a) => summary.alias = a,
                        LinkAttribute::Controller(m) => summary.master = Some(m),
                        LinkAttribute::Address(mac) => summary.mac = mac,
                        _ => {}
                    }
                }
                out.push(summary);
            }
        }
        Ok(out)
    }

    /// Every IPv4 subnet the namespace uses: its addresses' subnets and its routes'
    /// destinations (all tables but `local`, whose entries mirror the addresses).
    pub fn ipv4_in_use(&mut self) -> Result<Vec<Ipv4Net>> {
        let mut nets = self.ipv4_address_subnets()?;
        let mut route = RouteMessage::default();
        route.header.address_family = AddressFamily::Inet;
        for reply in self.dump(RouteNetlinkMessage::GetRoute(route))? {
            if let RouteNetlinkMessage::NewRoute(r) = reply {
                if r.header.table == RT_TABLE_LOCAL {
                    continue;
                }
                let dst = r.attributes.iter().find_map(|a| match a {
                    RouteAttribute::Destination(RouteAddress::Inet(ip)) => Some(*ip),
                    _ => None,
                });
                if let Some(ip) = dst {
                    nets.extend(
                        Ipv4Net::new(ip, r.header.destination_prefix_length)
                            .ok()
                            .map(|n| n.trunc()),
                    );
                }
            }
        }
        Ok(nets)
    }

    /// The subnets of the namespace's IPv4 addresses: the networks it is directly on.
    pub fn ipv4_address_subnets(&mut self) -> Result<Vec<Ipv4Net>> {
        let mut nets = Vec::new();
        let mut addr = AddressMessage::default();
        addr.header.family = AddressFamily::Inet;
        for reply in self.dump(RouteNetlinkMessage::GetAddress(addr))? {
            if let RouteNetlinkMessage::NewAddress(a) = reply {
                for attr in &a.attributes {
                    if let AddressAttribute::Local(IpAddr::V4(ip)) = attr {
                        nets.extend(
                            Ipv4Net::new(*ip, a.header.prefix_len)
                                .ok()
                                .map(|n| n.trunc()),
                        );
                    }
                }
            }
        }
        Ok(nets)
    }
}

/// Adds the link's name to a "no such device" error, which otherwise names nothing.
fn named(mut e: NetlinkError, name: &str) -> NetlinkError {
    if e.errno == nix::libc::ENODEV && e.message.is_none() {
        e.message = Some(format!("no link named {name}"));
    }
    e
}

/// The kernel's error text from an extended ack. With NETLINK_CAP_ACK the echoed request
/// is just its 16-byte header; the attributes follow it.
fn extack_message(payload: &[u8]) -> Option<String> {
    let mut rest = payload.get(16..)?;
    while rest.len() >= 4 {
        let len = u16::from_ne_bytes([rest[0], rest[1]]) as usize;
        let kind = u16::from_ne_bytes([rest[2], rest[3]]) & 0x3fff;
        if len < 4 || len > rest.len() {
            return None;
        }
        if kind == NLMSGERR_ATTR_MSG {
            let text = &rest[4..len];
            let text = text.split(|b| *b == 0).next().unwrap_or_default();
            return Some(String::from_utf8_lossy(text).into_owned());
        }
        rest = &rest[((len + 3) & !3).min(rest.len())..];
    }
    None
}
