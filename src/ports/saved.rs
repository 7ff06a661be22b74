//! A published port as state.json and the sandbox files keep it: the text of `docker ps`
//! (`0.0.0.0:8080->80/tcp`), read with a cursor over its bytes and written into a buffer on
//! the stack; the arrays older versions saved still load.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};

use serde::{Deserialize, Serialize};

use super::{PortMapping, Proto};

/// How the every-address case is written.
const EVERY_ADDRESS: &str = "0.0.0.0";

impl PortMapping {
    /// The saved text (at most 78 bytes: a bracketed IPv6 address and two ranges).
    pub(super) fn saved(&self) -> SavedText {
        use fmt::Write;
        let mut text = SavedText::default();
        match self.host_ip {
            None => text.push(EVERY_ADDRESS),
            Some(IpAddr::V4(ip)) => write!(text, "{ip}").expect("fits"),
            Some(IpAddr::V6(ip)) => write!(text, "[{ip}]").expect("fits"),
        }
        text.push(":");
        text.range(self.host_port, self.count);
        text.push("->");
        text.range(self.container_port, self.count);
        text.push("/");
        text.push(self.proto.name());
        text
    }

    /// Reads `saved`'s text; `None` if it is not one. A cursor over the bytes: the
    /// standard library's string searches cost more than the rest of a command's work
    /// per port here.
    pub(super) fn from_saved(text: &str) -> Option<PortMapping> {
        let mut at = Cursor(text);
        let host_ip = if at.eat_str(EVERY_ADDRESS) {
            None
        } else if at.eat(b'[') {
            Some(IpAddr::V6(at.until(b']')?.parse().ok()?))
        } else {
            Some(IpAddr::V4(at.until_before(b':')?.parse().ok()?))
        };
        at.eat(b':').then_some(())?;
        let (host_port, count) = at.range()?;
        at.eat_str("->").then_some(())?;
        let (container_port, container_count) = at.range()?;
        at.eat(b'/').then_some(())?;
        let proto = Proto::from_name(at.0)?;
        (count == container_count).then_some(PortMapping {
            proto,
            host_ip,
            host_port,
            container_port,
            count,
        })
    }
}

/// What is left of a mapping's text to read. Kept as text, split only at ASCII bytes: the
/// pieces need no UTF-8 check of their own.
struct Cursor<'a>(&'a str);

impl<'a> Cursor<'a> {
    fn eat(&mut self, byte: u8) -> bool {
        if self.0.as_bytes().first() == Some(&byte) {
            self.0 = &self.0[1..];
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, text: &str) -> bool {
        match self.0.strip_prefix(text) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    /// The text up to `end` (ASCII), which is passed.
    fn until(&mut self, end: u8) -> Option<&'a str> {
        let text = self.until_before(end)?;
        self.0 = &self.0[1..];
        Some(text)
    }

    /// The text up to `end` (ASCII), which is not passed.
    fn until_before(&mut self, end: u8) -> Option<&'a str> {
        let i = self.0.bytes().position(|b| b == end)?;
        let (text, rest) = self.0.split_at(i);
        self.0 = rest;
        Some(text)
    }

    /// A port number: 1 to 5 digits, at most 65535.
    fn number(&mut self) -> Option<u16> {
        let bytes = self.0.as_bytes();
        let mut value = 0u32;
        let mut digits = 0;
        while let Some(digit) = bytes.get(digits).filter(|b| b.is_ascii_digit()) {
            value = value * 10 + u32::from(digit - b'0');
            digits += 1;
            if digits > 5 {
                return None;
            }
        }
        self.0 = &self.0[digits..];
        u16::try_from(value).ok().filter(|_| digits > 0)
    }

    /// `first` or `first-last`: the first port and how many.
    fn range(&mut self) -> Option<(u16, u16)> {
        let first = self.number()?;
        // A '-' followed by a digit continues the range; "->" does not.
        let last = match self.0.as_bytes() {
            [b'-', next, ..] if next.is_ascii_digit() => {
                self.0 = &self.0[1..];
                self.number()?
            }
            _ => first,
        };
        Some((first, last.checked_sub(first)?.checked_add(1)?))
    }
}

/// A mapping's text, built in place.
pub(super) struct SavedText {
    bytes: [u8; 80],
    len: usize,
}

impl Default for SavedText {
    fn default() -> Self {
        SavedText {
            bytes: [0; 80],
            len: 0,
        }
    }
}

impl SavedText {
    fn push(&mut self, text: &str) {
        self.push_bytes(text.as_bytes());
    }

    fn push_bytes(&mut self, bytes: &[u8]) {
        self.bytes[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }

    fn number(&mut self, mut n: u16) {
        let mut digits = [0u8; 5];
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push_bytes(&digits[i..]);
    }

    /// `first`, or `first-last` for a range of `count` ports.
    fn range(&mut self, first: u16, count: u16) {
        self.number(first);
        if count > 1 {
            self.push("-");
            self.number(first.saturating_add(count - 1));
        }
    }

    pub(super) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.bytes[..self.len]).expect("ASCII and addresses")
    }
}

impl fmt::Write for SavedText {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if self.len + text.len() > self.bytes.len() {
            return Err(fmt::Error);
        }
        self.push(text);
        Ok(())
    }
}

impl Serialize for PortMapping {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.saved().as_str())
    }
}

impl<'de> Deserialize<'de> for PortMapping {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(MappingVisitor)
    }
}

struct MappingVisitor;

impl<'de> serde::de::Visitor<'de> for MappingVisitor {
    type Value = PortMapping;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a published port such as \"0.0.0.0:8080->80/tcp\"")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<PortMapping, E> {
        PortMapping::from_saved(text)
            .ok_or_else(|| E::custom(format!("invalid published port {text:?}")))
    }

    /// Older versions saved `["tcp", "0.0.0.0", 8080, 80, 1]` (protocol, host address,
    /// host port, container port, count).
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<PortMapping, A::Error> {
        use serde::de::Error;
        let missing = |i| A::Error::invalid_length(i, &MappingVisitor);
        let proto: String = seq.next_element()?.ok_or_else(|| missing(0))?;
        let host_ip: IpAddr = seq.next_element()?.ok_or_else(|| missing(1))?;
        let host_port = seq.next_element()?.ok_or_else(|| missing(2))?;
        let container_port = seq.next_element()?.ok_or_else(|| missing(3))?;
        let count: u16 = seq.next_element()?.ok_or_else(|| missing(4))?;
        Ok(PortMapping {
            proto: Proto::from_name(&proto)
                .ok_or_else(|| A::Error::custom(format!("unknown protocol {proto:?}")))?,
            host_ip: Some(host_ip).filter(|ip| *ip != IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            host_port,
            container_port,
            count: count.max(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Saved as `docker ps` shows them; the arrays older versions saved still load.
    #[test]
    fn mappings_on_disk() {
        let text = r#"["0.0.0.0:8080->80/tcp","[::]:53-54->53-54/udp","10.0.0.1:9->9/sctp"]"#;
        let mappings: Vec<PortMapping> = serde_json::from_str(text).unwrap();
        let web = PortMapping {
            proto: Proto::Tcp,
            host_ip: None,
            host_port: 8080,
            container_port: 80,
            count: 1,
        };
        assert_eq!(mappings[0], web);
        assert_eq!(mappings[1].host_ip, Some("::".parse().unwrap()));
        assert_eq!((mappings[1].proto, mappings[1].count), (Proto::Udp, 2));
        assert_eq!(mappings[2].host_ip, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(serde_json::to_string(&mappings).unwrap(), text);
        let old = r#"[["tcp","0.0.0.0",8080,80,1],["udp","::",53,53,2],["sctp","10.0.0.1",9,9,0]]"#;
        let from_old: Vec<PortMapping> = serde_json::from_str(old).unwrap();
        assert_eq!(from_old, mappings);
        for bad in [
            r#""0.0.0.0:8080->80/icmp""#,
            r#""nowhere:8080->80/tcp""#,
            r#""0.0.0.0:8080-8081->80/tcp""#,
            r#""0.0.0.0:8081-8080->80-79/tcp""#,
            r#""0.0.0.0:70000->80/tcp""#,
            r#""8080->80/tcp""#,
            r#"["tcp","0.0.0.0",1,1]"#,
            r#"["icmp","0.0.0.0",1,1,1]"#,
        ] {
            assert!(serde_json::from_str::<PortMapping>(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv6Addr;

    proptest! {
        /// Every mapping reads back from the text it is saved as.
        #[test]
        fn saved_mappings_read_back(
            ip in proptest::option::of(prop_oneof![
                any::<[u8; 4]>().prop_map(|o| IpAddr::V4(Ipv4Addr::from(o))),
                any::<[u16; 8]>().prop_map(|s| IpAddr::V6(Ipv6Addr::from(s))),
            ]).prop_filter("0.0.0.0 is no address", |ip| *ip != Some(IpAddr::V4(Ipv4Addr::UNSPECIFIED))),
            host in 1u16..60000,
            container in 1u16..60000,
            count in 1u16..5000,
            proto in prop_oneof![Just(Proto::Tcp), Just(Proto::Udp), Just(Proto::Sctp)],
        ) {
            let count = count.min(65535 - host.max(container) + 1);
            let mapping = PortMapping { proto, host_ip: ip, host_port: host, container_port: container, count };
            let text = serde_json::to_string(&mapping).unwrap();
            prop_assert_eq!(serde_json::from_str::<PortMapping>(&text).unwrap(), mapping);
        }

        #[test]
        fn saved_text_never_panics(text in "\\PC{0,40}") {
            let _ = PortMapping::from_saved(&text);
        }
    }
}
