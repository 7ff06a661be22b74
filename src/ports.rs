//! Published ports: Docker's `-p` syntax, and which host ports are free.
//! `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/tcp|udp|sctp]`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::error::UserError;
use crate::refuse;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    Tcp,
    Udp,
    Sctp,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
            Proto::Sctp => "sctp",
        }
    }

    pub fn from_name(name: &str) -> Option<Proto> {
        [Proto::Tcp, Proto::Udp, Proto::Sctp]
            .into_iter()
            .find(|p| p.name() == name)
    }
}

/// Docker's ephemeral range for ports published without a host port.
pub const RANDOM_PORTS: std::ops::RangeInclusive<u16> = 32768..=60999;

/// A parsed `-p` spec; `host_port` is `None` when a free one is to be picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortSpec {
    pub proto: Proto,
    /// `None`: every host address of both families (Docker's default); `::` every IPv6
    /// one; else one address.
    pub host_ip: Option<IpAddr>,
    pub host_port: Option<u16>,
    pub container_port: u16,
    /// How many consecutive ports (a range), at least 1.
    pub count: u16,
}

/// A published range as stored on the endpoint and in state.json's index: the text of
/// `docker ps`, `0.0.0.0:8080->80/tcp`, `[::1]:9000-9009->9000-9009/udp` (`0.0.0.0`
/// is every address of both families, `[::]` every IPv6 one). One string per mapping,
/// read and written by hand (see `impl Serialize` below): a host with thousands of
/// published ports pays this per port in every command that touches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortMapping {
    pub proto: Proto,
    pub host_ip: Option<IpAddr>,
    pub host_port: u16,
    pub container_port: u16,
    pub count: u16,
}

/// How the every-address case is written.
const EVERY_ADDRESS: &str = "0.0.0.0";

impl PortMapping {
    /// The saved text (at most 78 bytes: a bracketed IPv6 address and two ranges).
    fn saved(&self) -> SavedText {
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
    fn from_saved(text: &str) -> Option<PortMapping> {
        let mut at = Cursor(text.as_bytes());
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
        let proto = Proto::from_name(std::str::from_utf8(at.0).ok()?)?;
        (count == container_count).then_some(PortMapping {
            proto,
            host_ip,
            host_port,
            container_port,
            count,
        })
    }
}

/// What is left of a mapping's text to read.
struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn eat(&mut self, byte: u8) -> bool {
        match self.0.split_first() {
            Some((first, rest)) if *first == byte => {
                self.0 = rest;
                true
            }
            _ => false,
        }
    }

    fn eat_str(&mut self, text: &str) -> bool {
        match self.0.strip_prefix(text.as_bytes()) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    /// The text up to `end`, which is passed.
    fn until(&mut self, end: u8) -> Option<&'a str> {
        let text = self.until_before(end)?;
        self.0 = &self.0[1..];
        Some(text)
    }

    /// The text up to `end`, which is not passed.
    fn until_before(&mut self, end: u8) -> Option<&'a str> {
        let i = self.0.iter().position(|b| *b == end)?;
        let (text, rest) = self.0.split_at(i);
        self.0 = rest;
        std::str::from_utf8(text).ok()
    }

    /// A port number: 1 to 5 digits, at most 65535.
    fn number(&mut self) -> Option<u16> {
        let mut value = 0u32;
        let mut digits = 0;
        while let Some(digit) = self.0.get(digits).filter(|b| b.is_ascii_digit()) {
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
        let last = match self.0 {
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
struct SavedText {
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
        self.bytes[self.len..self.len + text.len()].copy_from_slice(text.as_bytes());
        self.len += text.len();
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
        let digits = &digits[i..];
        self.bytes[self.len..self.len + digits.len()].copy_from_slice(digits);
        self.len += digits.len();
    }

    /// `first`, or `first-last` for a range of `count` ports.
    fn range(&mut self, first: u16, count: u16) {
        self.number(first);
        if count > 1 {
            self.push("-");
            self.number(first.saturating_add(count - 1));
        }
    }

    fn as_str(&self) -> &str {
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

impl PortMapping {
    /// Each (host port, container port) pair of the range.
    pub fn pairs(&self) -> impl Iterator<Item = (u16, u16)> + '_ {
        (0..self.count).map(|i| (self.host_port + i, self.container_port + i))
    }

    /// Two bindings collide when protocol and ports overlap and either covers every host
    /// address or both name the same one.
    pub fn collides(&self, other: &PortMapping) -> bool {
        let ips = match (self.host_ip, other.host_ip) {
            (Some(a), Some(b)) => {
                a == b || (a.is_ipv6() && b.is_ipv6() && (a.is_unspecified() || b.is_unspecified()))
            }
            _ => true,
        };
        let overlap = self.host_port <= other.host_port.saturating_add(other.count - 1)
            && other.host_port <= self.host_port.saturating_add(self.count - 1);
        self.proto == other.proto && ips && overlap
    }
}

/// Docker's `docker port` line for one pair: `80/tcp -> 0.0.0.0:8080`.
pub fn describe(mapping: &PortMapping) -> Vec<String> {
    let ip = host_ip_text(mapping.host_ip);
    mapping
        .pairs()
        .map(|(host, container)| format!("{container}/{} -> {ip}:{host}", mapping.proto.name()))
        .collect()
}

/// A host address as it prefixes a port: `0.0.0.0`, `1.2.3.4`, `[::]`, `[2001:db8::1]`.
pub fn host_ip_text(ip: Option<IpAddr>) -> String {
    match ip {
        None => "0.0.0.0".into(),
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => format!("[{v6}]"),
    }
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host_ip.is_some() {
            write!(f, "{}:", host_ip_text(self.host_ip))?;
        }
        let range = |start: u16| match self.count {
            1 => start.to_string(),
            n => format!("{start}-{}", start + (n - 1)),
        };
        if let Some(port) = self.host_port {
            write!(f, "{}:", range(port))?;
        } else if self.host_ip.is_some() {
            write!(f, ":")?;
        }
        write!(f, "{}/{}", range(self.container_port), self.proto.name())
    }
}

/// `START[-END]` as (start, count).
fn parse_range(spec: &str, text: &str) -> Result<(u16, u16), UserError> {
    let port = |p: &str| -> Result<u16, UserError> {
        // Digits only: Rust's parser would take "+80" as 80.
        if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
            refuse!("invalid port spec {spec:?}: {p:?} is not a port number");
        }
        match p.parse::<u32>() {
            Ok(n) if (1..=65535).contains(&n) => Ok(n as u16),
            Ok(_) => refuse!("invalid port spec {spec:?}: port {p} is outside 1-65535"),
            Err(_) => refuse!("invalid port spec {spec:?}: {p:?} is not a port number"),
        }
    };
    match text.split_once('-') {
        None => Ok((port(text)?, 1)),
        Some((a, b)) => {
            let (start, end) = (port(a)?, port(b)?);
            if end < start {
                refuse!("invalid port spec {spec:?}: range {text} ends before it starts");
            }
            Ok((start, end - start + 1))
        }
    }
}

pub fn parse(spec: &str) -> Result<PortSpec, UserError> {
    let (rest, proto) = match spec.rsplit_once('/') {
        None => (spec, Proto::Tcp),
        Some((rest, name)) => match Proto::from_name(name) {
            Some(proto) => (rest, proto),
            None => {
                refuse!("invalid port spec {spec:?}: unknown protocol {name:?} (tcp, udp or sctp)")
            }
        },
    };
    // An IPv6 host address is written in brackets: [2001:db8::1]:8080:80, [::]::80.
    let (ip6, rest) = match rest.strip_prefix('[') {
        Some(bracketed) => {
            let Some((ip, after)) = bracketed.split_once("]:") else {
                refuse!("invalid port spec {spec:?}: expected [IPV6]:[HOST_PORT]:CONTAINER_PORT");
            };
            let ip: Ipv6Addr = ip.parse().map_err(|_| {
                UserError::new(format!(
                    "invalid port spec {spec:?}: {ip:?} is not an IPv6 address"
                ))
            })?;
            if ip.to_ipv4_mapped().is_some() {
                refuse!(
                    "invalid port spec {spec:?}: [{ip}] is an IPv4 address in IPv6 form; write it as IPv4"
                );
            }
            if ip.is_unicast_link_local() || ip.is_multicast() {
                refuse!(
                    "invalid port spec {spec:?}: [{ip}] is a link-local or multicast address, which a published port cannot use"
                );
            }
            if ip.is_loopback() {
                refuse!(
                    "invalid port spec {spec:?}: [::1] cannot be published in the kernel (IPv6 has no \
                     route_localnet, and ctnet runs no userland proxy); publish on [::] or 127.0.0.1"
                );
            }
            if !after.contains(':') {
                refuse!("invalid port spec {spec:?}: expected [IPV6]:[HOST_PORT]:CONTAINER_PORT");
            }
            (Some(ip), after)
        }
        None => (None, rest),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (ip, host, container) = match (ip6, parts.as_slice()) {
        (Some(_), [host, container]) => (None, Some(*host).filter(|h| !h.is_empty()), *container),
        (None, [container]) => (None, None, *container),
        (None, [host, container]) => (None, Some(*host), *container),
        (None, [ip, host, container]) => {
            (Some(*ip), Some(*host).filter(|h| !h.is_empty()), *container)
        }
        _ => refuse!(
            "invalid port spec {spec:?}: expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]"
        ),
    };
    let host_ip = match (ip6, ip) {
        (Some(v6), _) => Some(IpAddr::V6(v6)),
        (None, None | Some("0.0.0.0")) => None,
        (None, Some(ip)) => Some(IpAddr::V4(ip.parse::<Ipv4Addr>().map_err(|_| {
            UserError::new(format!(
                "invalid port spec {spec:?}: {ip:?} is not an IPv4 address"
            ))
        })?)),
    };
    let (container_port, count) = parse_range(spec, container)?;
    let host_port = match host {
        None => None,
        Some(host) => {
            let (start, host_count) = parse_range(spec, host)?;
            if host_count != count {
                refuse!(
                    "invalid port spec {spec:?}: the host range has {host_count} ports and the container range {count}"
                );
            }
            Some(start)
        }
    };
    Ok(PortSpec {
        proto,
        host_ip,
        host_port,
        container_port,
        count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(spec: &str) -> PortSpec {
        parse(spec).unwrap_or_else(|e| panic!("{spec}: {e}"))
    }

    #[test]
    fn dockers_forms() {
        let p = ok("8080:80");
        assert_eq!(
            (p.host_ip, p.host_port, p.container_port, p.count, p.proto),
            (None, Some(8080), 80, 1, Proto::Tcp)
        );
        let p = ok("127.0.0.1:8080:80/udp");
        assert_eq!(
            (p.host_ip, p.host_port, p.proto),
            (
                Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
                Some(8080),
                Proto::Udp
            )
        );
        let p = ok("8000-8010:80-90");
        assert_eq!(
            (p.host_port, p.container_port, p.count),
            (Some(8000), 80, 11)
        );
        let p = ok("80");
        assert_eq!((p.host_port, p.container_port), (None, 80));
        let p = ok("127.0.0.1::80");
        assert_eq!(
            (p.host_ip, p.host_port),
            (Some(IpAddr::V4(Ipv4Addr::LOCALHOST)), None)
        );
        let p = ok("[2001:db8::1]:8080:80");
        assert_eq!(
            (p.host_ip, p.host_port),
            (Some("2001:db8::1".parse().unwrap()), Some(8080))
        );
        let p = ok("[::]::80/udp");
        assert_eq!(
            (p.host_ip, p.host_port),
            (Some("::".parse().unwrap()), None)
        );
        assert_eq!(p.to_string(), "[::]::80/udp");
        assert_eq!(ok("0.0.0.0:1:2/sctp").host_ip, None);
        assert_eq!(ok("127.0.0.1::80-81").to_string(), "127.0.0.1::80-81/tcp");
        assert_eq!(ok("8000-8001:80-81/udp").to_string(), "8000-8001:80-81/udp");
    }

    #[test]
    fn bad_specs_are_refused() {
        for (spec, why) in [
            ("", "not a port number"),
            ("0", "outside 1-65535"),
            ("65536", "outside 1-65535"),
            ("8080:80/icmp", "unknown protocol"),
            ("8000-8010:80", "host range has 11 ports"),
            ("90-80", "ends before"),
            ("a:b:c:d", "expected"),
            ("300.1.1.1:80:80", "not an IPv4 address"),
            ("[::1]:8080:80", "route_localnet"),
            ("[::g]:8080:80", "not an IPv6 address"),
            ("[::]8080:80", "expected [IPV6]"),
            ("http", "not a port number"),
        ] {
            let err = parse(spec).unwrap_err().message;
            assert!(err.contains(why), "{spec:?}: {err}");
        }
    }

    #[test]
    fn collisions_follow_ip_protocol_and_overlap() {
        let m = |ip: Option<IpAddr>, port, count, proto| PortMapping {
            proto,
            host_ip: ip,
            host_port: port,
            container_port: 80,
            count,
        };
        let lo = Some(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let other = Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
        let all6 = Some(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        let one6 = Some("2001:db8::1".parse().unwrap());
        assert!(m(all6, 8080, 1, Proto::Tcp).collides(&m(one6, 8080, 1, Proto::Tcp)));
        assert!(!m(all6, 8080, 1, Proto::Tcp).collides(&m(lo, 8080, 1, Proto::Tcp)));
        assert!(m(None, 8080, 1, Proto::Tcp).collides(&m(one6, 8080, 1, Proto::Tcp)));
        assert!(m(None, 8080, 1, Proto::Tcp).collides(&m(lo, 8080, 1, Proto::Tcp)));
        assert!(!m(other, 8080, 1, Proto::Tcp).collides(&m(lo, 8080, 1, Proto::Tcp)));
        assert!(!m(None, 8080, 1, Proto::Tcp).collides(&m(None, 8080, 1, Proto::Udp)));
        assert!(m(None, 8000, 11, Proto::Tcp).collides(&m(None, 8010, 1, Proto::Tcp)));
        assert!(!m(None, 8000, 11, Proto::Tcp).collides(&m(None, 8011, 5, Proto::Tcp)));
    }

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

    proptest! {
        #[test]
        fn parse_never_panics(text in "\\PC{0,40}") {
            let _ = parse(&text);
        }

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

        #[test]
        fn printed_specs_parse_back(
            ip in proptest::option::of(any::<[u8; 4]>().prop_filter("not 0.0.0.0", |o| *o != [0; 4])),
            host in proptest::option::of(1u16..60000),
            container in 1u16..60000,
            count in 1u16..100,
            proto in prop_oneof![Just(Proto::Tcp), Just(Proto::Udp), Just(Proto::Sctp)],
        ) {
            let spec = PortSpec { proto, host_ip: ip.map(|o| IpAddr::V4(Ipv4Addr::from(o))), host_port: host, container_port: container, count };
            prop_assert_eq!(parse(&spec.to_string()).unwrap(), spec);
        }
    }
}
