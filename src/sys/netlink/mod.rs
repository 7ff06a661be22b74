//! A small synchronous rtnetlink client over a blocking netlink-sys socket: one request,
//! one acknowledgement (or a dump), no async runtime for a command that lives milliseconds.

mod conntrack;
mod fdb;
mod links;
mod routes;

use std::io;
use std::net::IpAddr;

use ipnet::Ipv4Net;
use netlink_packet_core::{
    NLM_F_ACK, NLM_F_APPEND, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL, NLM_F_REPLACE, NLM_F_REQUEST,
    NetlinkDeserializable, NetlinkHeader, NetlinkMessage, NetlinkPayload, NetlinkSerializable,
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
    /// Opens an rtnetlink socket in the calling thread's current network namespace; it
    /// stays bound to that namespace for its whole life.
    pub fn open() -> Result<Netlink> {
        Netlink::open_for(NETLINK_ROUTE)
    }

    /// A socket for another netlink family (`netlink_sys::protocols`).
    fn open_for(protocol: isize) -> Result<Netlink> {
        let mut socket = Socket::new(protocol)?;
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

    fn send<M: NetlinkSerializable>(&mut self, message: M, flags: u16) -> Result<u32> {
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
    fn receive<M: NetlinkDeserializable>(&mut self, seq: u32) -> Result<Vec<M>> {
        let mut out = Vec::new();
        loop {
            self.buf.clear();
            let len = self.socket.recv(&mut self.buf, 0)?;
            let mut offset = 0;
            while offset < len {
                let bytes = &self.buf[offset..len];
                let packet = NetlinkMessage::<M>::deserialize(bytes).map_err(|e| NetlinkError {
                    errno: nix::libc::EBADMSG,
                    message: Some(format!("cannot decode a netlink reply: {e}")),
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
        self.receive::<RouteNetlinkMessage>(seq).map(|_| ())
    }

    pub fn dump(&mut self, message: RouteNetlinkMessage) -> Result<Vec<RouteNetlinkMessage>> {
        let seq = self.send(message, NLM_F_REQUEST | NLM_F_DUMP)?;
        self.receive(seq)
    }

    pub fn create(&mut self, message: RouteNetlinkMessage) -> Result<()> {
        self.request(message, NLM_F_CREATE | NLM_F_EXCL)
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
