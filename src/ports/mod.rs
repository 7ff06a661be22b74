//! Published ports: Docker's `-p` syntax, and which host ports are free.
//! `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/tcp|udp|sctp]`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};

use crate::error::UserError;

pub mod bindings;
mod list;
mod saved;
use crate::refuse;
pub use list::PortList;

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
/// read and written by hand (`saved`): a host with thousands of published ports pays
/// this per port in every command that touches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortMapping {
    pub proto: Proto,
    pub host_ip: Option<IpAddr>,
    pub host_port: u16,
    pub container_port: u16,
    pub count: u16,
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
