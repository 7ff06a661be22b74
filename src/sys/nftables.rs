//! One question to nftables over netlink: does a chain exist (and so its table)? Asked by
//! every command that relies on ctnet's table (`nft flush ruleset`, which `systemctl restart nftables` runs,
//! removes it silently). Spawning `nft` costs about 2 ms; this request costs microseconds,
//! so a connect can afford it. The request is one fixed message, too small to need a crate:
//! a netlink header, nftables' `nfgenmsg`, the table's name and the chain's.

use std::io;

use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_NETFILTER};

const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFT_MSG_NEWCHAIN: u16 = 3;
const NFT_MSG_GETCHAIN: u16 = 4;
const NFTA_CHAIN_TABLE: u16 = 1;
const NFTA_CHAIN_NAME: u16 = 3;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
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

/// What the kernel's first reply says: `Some(true)` the chain came back, `Some(false)` there
/// is no such chain (or table), `None` a message this does not decide on (read on).
fn verdict(reply: &[u8]) -> io::Result<Option<bool>> {
    if reply.len() < 16 {
        return Err(io::Error::other("short nftables netlink reply"));
    }
    let kind = u16::from_ne_bytes([reply[4], reply[5]]);
    if kind == (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN {
        return Ok(Some(true));
    }
    if kind == NLMSG_ERROR && reply.len() >= 20 {
        let errno = -i32::from_ne_bytes([reply[16], reply[17], reply[18], reply[19]]);
        return match errno {
            0 => Ok(None),
            nix::libc::ENOENT => Ok(Some(false)),
            errno => Err(io::Error::from_raw_os_error(errno)),
        };
    }
    Ok(None)
}

/// Whether `chain` of `table` in `family` exists in this network namespace.
pub fn chain_exists(family: u8, table: &str, chain: &str) -> io::Result<bool> {
    let mut socket = Socket::new(NETLINK_NETFILTER)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    socket.send(&request(family, table, chain, 1), 0)?;
    let mut buf = Vec::with_capacity(8192);
    // The chain comes first and its acknowledgement after; an error comes alone.
    for _ in 0..4 {
        buf.clear();
        let len = socket.recv(&mut buf, 0)?;
        let mut offset = 0;
        while offset + 16 <= len {
            let message_len =
                u32::from_ne_bytes(buf[offset..offset + 4].try_into().expect("4 bytes")) as usize;
            if let Some(found) = verdict(&buf[offset..len])? {
                return Ok(found);
            }
            if message_len < 16 {
                break;
            }
            offset += (message_len + 3) & !3;
        }
    }
    Err(io::Error::other("no answer from nftables over netlink"))
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
    fn replies_decide_presence() {
        let mut table = vec![0u8; 20];
        table[4..6].copy_from_slice(&0x0a03u16.to_ne_bytes());
        assert_eq!(verdict(&table).unwrap(), Some(true));
        let mut missing = vec![0u8; 20];
        missing[4..6].copy_from_slice(&NLMSG_ERROR.to_ne_bytes());
        missing[16..20].copy_from_slice(&(-nix::libc::ENOENT).to_ne_bytes());
        assert_eq!(verdict(&missing).unwrap(), Some(false));
        let mut ack = missing.clone();
        ack[16..20].copy_from_slice(&0i32.to_ne_bytes());
        assert_eq!(verdict(&ack).unwrap(), None);
    }
}
