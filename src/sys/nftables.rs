//! Two questions to nftables over netlink, where spawning `nft` (about 2 ms, and more with
//! `-j` output to parse) would cost more than the command's own work:
//!
//! - does a chain exist (and so its table)? Asked by every command that relies on ctnet's
//!   table (`nft flush ruleset`, which `systemctl restart nftables` runs, removes it);
//! - which chains are there, with their hooks and policies? Asked by every command that
//!   changes ctnet's bridges (Docker's chain, other tables that drop forwarded traffic).
//!
//! Each request is one small fixed message (a netlink header, nftables' `nfgenmsg`, names);
//! replies are read with netlink-packet-core's buffers and attribute iterator.

use std::io;

use netlink_packet_core::{
    NLA_TYPE_MASK, NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, NLMSG_DONE, NLMSG_ERROR, NetlinkBuffer,
    NlasIterator, parse_string, parse_u32_be,
};
use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_NETFILTER};

const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFT_MSG_NEWCHAIN: u16 = 3;
const NFT_MSG_GETCHAIN: u16 = 4;
const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_NAME: u16 = 3;
const NFTA_CHAIN_HOOK: u16 = 4;
const NFTA_CHAIN_POLICY: u16 = 5;
const NFTA_HOOK_HOOKNUM: u16 = 1;
/// `NFPROTO_INET`, the family of `inet` tables.
pub const FAMILY_INET: u8 = 1;

/// The GETCHAIN request for `chain` of `table` in `family`, with sequence number `seq`.
fn request(family: u8, table: &str, chain: &str, seq: u32) -> Vec<u8> {
    let mut attributes = Vec::new();
    for (kind, value) in [(NFTA_CHAIN_TABLE, table), (NFTA_CHAIN_NAME, chain)] {
        let len = 4 + value.len() + 1;
        attributes.extend((len as u16).to_ne_bytes());
        attributes.extend(kind.to_ne_bytes());
        attributes.extend(value.as_bytes());
        attributes.push(0);
        attributes.resize((attributes.len() + 3) & !3, 0);
    }
    let total = 16 + 4 + attributes.len();
    let mut out = Vec::with_capacity(total);
    out.extend((total as u32).to_ne_bytes());
    out.extend(((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN).to_ne_bytes());
    out.extend((NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    out.extend(seq.to_ne_bytes());
    out.extend(0u32.to_ne_bytes());
    // nfgenmsg: family, version 0, resource id 0 (big endian, like every nfnetlink id).
    out.extend([family, 0, 0, 0]);
    out.extend(attributes);
    out
}

/// A socket to nftables in this network namespace.
fn open() -> io::Result<Socket> {
    let mut socket = Socket::new(NETLINK_NETFILTER)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    Ok(socket)
}

/// Reads replies until `take` has its answer (it sees each message's type and payload),
/// the kernel says it is done, or it reports an error (as the error).
fn read_replies<T>(
    socket: &mut Socket,
    mut take: impl FnMut(u16, &[u8]) -> Option<T>,
    done: impl FnOnce() -> T,
) -> io::Result<T> {
    let mut buf = Vec::with_capacity(64 * 1024);
    loop {
        buf.clear();
        let len = socket.recv(&mut buf, 0)?;
        let mut rest = &buf[..len];
        while !rest.is_empty() {
            let message = NetlinkBuffer::new_checked(rest)
                .map_err(|e| io::Error::other(format!("nftables netlink reply: {e}")))?;
            let payload = message.payload();
            match message.message_type() {
                NLMSG_DONE => return Ok(done()),
                NLMSG_ERROR => {
                    let errno = payload
                        .get(..4)
                        .map(|b| -i32::from_ne_bytes(b.try_into().expect("4 bytes")))
                        .unwrap_or(nix::libc::EIO);
                    // An acknowledgement is an error message carrying 0.
                    if errno != 0 {
                        return Err(io::Error::from_raw_os_error(errno));
                    }
                    return Ok(done());
                }
                kind => {
                    if let Some(answer) = take(kind, payload) {
                        return Ok(answer);
                    }
                }
            }
            let length = (message.length() as usize + 3) & !3;
            rest = rest.get(length..).unwrap_or_default();
        }
    }
}

const NEWCHAIN: u16 = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN;

/// Whether `chain` of `table` in `family` exists in this network namespace.
pub fn chain_exists(family: u8, table: &str, chain: &str) -> io::Result<bool> {
    let mut socket = open()?;
    socket.send(&request(family, table, chain, 1), 0)?;
    // The chain comes first (its acknowledgement after); ENOENT comes alone.
    match read_replies(
        &mut socket,
        |kind, _| (kind == NEWCHAIN).then_some(true),
        || false,
    ) {
        Err(e) if e.raw_os_error() == Some(nix::libc::ENOENT) => Ok(false),
        other => other,
    }
}

/// A chain as the kernel lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedChain {
    /// nft's name of the family: `ip`, `ip6`, `inet`, `bridge`, `arp`, `netdev`.
    pub family: &'static str,
    pub table: String,
    pub name: String,
    /// nft's name of a base chain's hook (`forward`, ...); `None` for a regular chain.
    pub hook: Option<&'static str>,
    /// A base chain's policy, `accept` or `drop`.
    pub policy: Option<&'static str>,
}

fn family_name(family: u8) -> &'static str {
    match family {
        1 => "inet",
        2 => "ip",
        3 => "arp",
        5 => "netdev",
        7 => "bridge",
        10 => "ip6",
        _ => "unknown",
    }
}

fn hook_name(family: u8, hook: u32) -> &'static str {
    match (family, hook) {
        (5, 0) => "ingress",
        (5, 1) => "egress",
        (3, _) => "arp",
        (_, 0) => "prerouting",
        (_, 1) => "input",
        (_, 2) => "forward",
        (_, 3) => "output",
        (_, 4) => "postrouting",
        _ => "other",
    }
}

/// One NEWCHAIN message's payload (`nfgenmsg` and attributes) as a chain.
fn parse_chain(payload: &[u8]) -> Option<ListedChain> {
    let family = *payload.first()?;
    let mut chain = ListedChain {
        family: family_name(family),
        table: String::new(),
        name: String::new(),
        hook: None,
        policy: None,
    };
    for nla in NlasIterator::new(payload.get(4..)?) {
        let nla = nla.ok()?;
        match nla.kind() & NLA_TYPE_MASK {
            NFTA_CHAIN_TABLE => chain.table = parse_string(nla.value()).ok()?,
            NFTA_CHAIN_NAME => chain.name = parse_string(nla.value()).ok()?,
            NFTA_CHAIN_HOOK => {
                for inner in NlasIterator::new(nla.value()).flatten() {
                    if inner.kind() & NLA_TYPE_MASK == NFTA_HOOK_HOOKNUM {
                        let hook = parse_u32_be(inner.value()).ok()?;
                        chain.hook = Some(hook_name(family, hook));
                    }
                }
            }
            NFTA_CHAIN_POLICY => {
                chain.policy = Some(match parse_u32_be(nla.value()).ok()? {
                    0 => "drop",
                    _ => "accept",
                })
            }
            _ => {}
        }
    }
    Some(chain)
}

/// Every chain of every table in this network namespace.
pub fn chains() -> io::Result<Vec<ListedChain>> {
    let mut socket = open()?;
    let mut request = Vec::with_capacity(20);
    request.extend(20u32.to_ne_bytes());
    request.extend(((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN).to_ne_bytes());
    request.extend((NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    request.extend(1u32.to_ne_bytes());
    request.extend(0u32.to_ne_bytes());
    // nfgenmsg: every family.
    request.extend([0, 0, 0, 0]);
    socket.send(&request, 0)?;
    let mut out = Vec::new();
    read_replies(
        &mut socket,
        |kind, payload| {
            if kind == NEWCHAIN {
                out.extend(parse_chain(payload));
            }
            None::<()>
        },
        || (),
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_is_a_padded_getchain_for_the_names() {
        let bytes = request(FAMILY_INET, "ctnet", "user_hook", 7);
        assert_eq!(bytes.len(), 16 + 4 + 12 + 16);
        assert_eq!(u32::from_ne_bytes(bytes[0..4].try_into().unwrap()), 48);
        assert_eq!(u16::from_ne_bytes([bytes[4], bytes[5]]), 0x0a04);
        assert_eq!(&bytes[16..20], &[1, 0, 0, 0]);
        assert_eq!(u16::from_ne_bytes([bytes[20], bytes[21]]), 10);
        assert_eq!(u16::from_ne_bytes([bytes[22], bytes[23]]), NFTA_CHAIN_TABLE);
        assert_eq!(&bytes[24..30], b"ctnet\0");
        assert_eq!(u16::from_ne_bytes([bytes[32], bytes[33]]), 14);
        assert_eq!(u16::from_ne_bytes([bytes[34], bytes[35]]), NFTA_CHAIN_NAME);
        assert_eq!(&bytes[36..46], b"user_hook\0");
    }

    #[test]
    fn a_base_chain_reads_back_with_hook_and_policy() {
        // nfgenmsg (inet), then table "filter", name "forward", hook {hooknum 2}, policy 0.
        let mut payload = vec![1, 0, 0, 0];
        let mut attr = |kind: u16, value: &[u8]| {
            let len = 4 + value.len();
            payload.extend((len as u16).to_ne_bytes());
            payload.extend(kind.to_ne_bytes());
            payload.extend(value);
            payload.resize((payload.len() + 3) & !3, 0);
        };
        attr(NFTA_CHAIN_TABLE, b"filter\0");
        attr(NFTA_CHAIN_NAME, b"forward\0");
        let mut hook = Vec::new();
        hook.extend(8u16.to_ne_bytes());
        hook.extend(NFTA_HOOK_HOOKNUM.to_ne_bytes());
        hook.extend(2u32.to_be_bytes());
        attr(NFTA_CHAIN_HOOK | 0x8000, &hook);
        attr(NFTA_CHAIN_POLICY, &0u32.to_be_bytes());
        assert_eq!(
            parse_chain(&payload),
            Some(ListedChain {
                family: "inet",
                table: "filter".into(),
                name: "forward".into(),
                hook: Some("forward"),
                policy: Some("drop"),
            })
        );
    }
}
