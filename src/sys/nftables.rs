//! One question to nftables over netlink: does a table exist? Asked by every command that
//! relies on ctnet's table (`nft flush ruleset`, which `systemctl restart nftables` runs,
//! removes it silently). Spawning `nft` costs about 2 ms; this request costs microseconds,
//! so a connect can afford it. The request is one fixed message, too small to need a crate:
//! a netlink header, nftables' `nfgenmsg` and the table's name.

use std::io;

use netlink_sys::{Socket, SocketAddr, protocols::NETLINK_NETFILTER};

const NFNL_SUBSYS_NFTABLES: u16 = 10;
const NFT_MSG_NEWTABLE: u16 = 0;
const NFT_MSG_GETTABLE: u16 = 1;
const NFTA_TABLE_NAME: u16 = 1;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
/// `NFPROTO_INET`, the family of `inet` tables.
pub const FAMILY_INET: u8 = 1;

/// The GETTABLE request for `name` in `family`, with sequence number `seq`.
fn request(family: u8, name: &str, seq: u32) -> Vec<u8> {
    let mut attribute = name.as_bytes().to_vec();
    attribute.push(0);
    let attribute_len = 4 + attribute.len();
    let padded = (attribute_len + 3) & !3;
    let total = 16 + 4 + padded;
    let mut out = Vec::with_capacity(total);
    out.extend((total as u32).to_ne_bytes());
    out.extend(((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE).to_ne_bytes());
    out.extend((NLM_F_REQUEST | NLM_F_ACK).to_ne_bytes());
    out.extend(seq.to_ne_bytes());
    out.extend(0u32.to_ne_bytes());
    // nfgenmsg: family, version 0, resource id 0 (big endian, like every nfnetlink id).
    out.extend([family, 0, 0, 0]);
    out.extend((attribute_len as u16).to_ne_bytes());
    out.extend(NFTA_TABLE_NAME.to_ne_bytes());
    out.extend(attribute);
    out.resize(total, 0);
    out
}

/// What the kernel's first reply says: `Some(true)` a table came back, `Some(false)` it has
/// none by that name, `None` a message this does not decide on (read on).
fn verdict(reply: &[u8]) -> io::Result<Option<bool>> {
    if reply.len() < 16 {
        return Err(io::Error::other("short nftables netlink reply"));
    }
    let kind = u16::from_ne_bytes([reply[4], reply[5]]);
    if kind == (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWTABLE {
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

/// Whether the table `name` of `family` exists in this network namespace.
pub fn table_exists(family: u8, name: &str) -> io::Result<bool> {
    let mut socket = Socket::new(NETLINK_NETFILTER)?;
    socket.bind_auto()?;
    socket.connect(&SocketAddr::new(0, 0))?;
    socket.send(&request(family, name, 1), 0)?;
    let mut buf = Vec::with_capacity(8192);
    // The table comes first and its acknowledgement after; an error comes alone.
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
    fn request_is_a_padded_gettable_for_the_name() {
        let bytes = request(FAMILY_INET, "ctnet", 7);
        assert_eq!(bytes.len(), 32);
        assert_eq!(u32::from_ne_bytes(bytes[0..4].try_into().unwrap()), 32);
        assert_eq!(u16::from_ne_bytes([bytes[4], bytes[5]]), 0x0a01);
        assert_eq!(&bytes[16..20], &[1, 0, 0, 0]);
        assert_eq!(u16::from_ne_bytes([bytes[20], bytes[21]]), 10);
        assert_eq!(&bytes[24..30], b"ctnet\0");
    }

    #[test]
    fn replies_decide_presence() {
        let mut table = vec![0u8; 20];
        table[4..6].copy_from_slice(&0x0a00u16.to_ne_bytes());
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
