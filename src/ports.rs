//! Published ports: Docker's `-p` syntax, and which host ports are free.
//! `[HOST_IP:][HOST_PORT[-END]:]CONTAINER_PORT[-END][/tcp|udp|sctp]`.

use std::fmt;
use std::net::Ipv4Addr;

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
}

/// Docker's ephemeral range for ports published without a host port.
pub const RANDOM_PORTS: std::ops::RangeInclusive<u16> = 32768..=60999;

/// A parsed `-p` spec; `host_port` is `None` when a free one is to be picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortSpec {
    pub proto: Proto,
    /// `None`: every host address (Docker's 0.0.0.0).
    pub host_ip: Option<Ipv4Addr>,
    pub host_port: Option<u16>,
    pub container_port: u16,
    /// How many consecutive ports (a range), at least 1.
    pub count: u16,
}

/// A published range as stored on the endpoint. On disk it is a short array,
/// `["tcp", "0.0.0.0", 8080, 80, 1]` (protocol, host address, host port, container port,
/// count): a host with a thousand published ports keeps reading and writing it cheaply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(from = "MappingOnDisk", into = "MappingOnDisk")]
pub struct PortMapping {
    pub proto: Proto,
    pub host_ip: Option<Ipv4Addr>,
    pub host_port: u16,
    pub container_port: u16,
    pub count: u16,
}

#[derive(Serialize, Deserialize)]
struct MappingOnDisk(Proto, Ipv4Addr, u16, u16, u16);

impl From<MappingOnDisk> for PortMapping {
    fn from(d: MappingOnDisk) -> PortMapping {
        PortMapping {
            proto: d.0,
            host_ip: Some(d.1).filter(|ip| !ip.is_unspecified()),
            host_port: d.2,
            container_port: d.3,
            count: d.4.max(1),
        }
    }
}

impl From<PortMapping> for MappingOnDisk {
    fn from(m: PortMapping) -> MappingOnDisk {
        MappingOnDisk(
            m.proto,
            m.host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED),
            m.host_port,
            m.container_port,
            m.count,
        )
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
            (Some(a), Some(b)) => a == b,
            _ => true,
        };
        let overlap = self.host_port <= other.host_port.saturating_add(other.count - 1)
            && other.host_port <= self.host_port.saturating_add(self.count - 1);
        self.proto == other.proto && ips && overlap
    }
}

/// Docker's `docker port` line for one pair: `80/tcp -> 0.0.0.0:8080`.
pub fn describe(mapping: &PortMapping) -> Vec<String> {
    let ip = mapping.host_ip.unwrap_or(Ipv4Addr::UNSPECIFIED);
    mapping
        .pairs()
        .map(|(host, container)| format!("{container}/{} -> {ip}:{host}", mapping.proto.name()))
        .collect()
}

impl fmt::Display for PortSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(ip) = self.host_ip {
            write!(f, "{ip}:")?;
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
        Some((rest, "tcp")) => (rest, Proto::Tcp),
        Some((rest, "udp")) => (rest, Proto::Udp),
        Some((rest, "sctp")) => (rest, Proto::Sctp),
        Some((_, other)) => {
            refuse!("invalid port spec {spec:?}: unknown protocol {other:?} (tcp, udp or sctp)")
        }
    };
    // An IPv6 host address is written in brackets: [::1]:8080:80.
    if rest.starts_with('[') {
        refuse!(
            "invalid port spec {spec:?}: IPv6 host addresses need an IPv6 network, which ctnet does not support yet"
        );
    }
    let parts: Vec<&str> = rest.split(':').collect();
    let (ip, host, container) = match parts.as_slice() {
        [container] => (None, None, *container),
        [host, container] => (None, Some(*host), *container),
        [ip, host, container] => (Some(*ip), Some(*host).filter(|h| !h.is_empty()), *container),
        _ => refuse!(
            "invalid port spec {spec:?}: expected [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]"
        ),
    };
    let host_ip = match ip {
        None => None,
        Some("0.0.0.0") => None,
        Some(ip) => Some(ip.parse::<Ipv4Addr>().map_err(|_| {
            UserError::new(format!(
                "invalid port spec {spec:?}: {ip:?} is not an IPv4 address"
            ))
        })?),
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
            (Some(Ipv4Addr::LOCALHOST), Some(8080), Proto::Udp)
        );
        let p = ok("8000-8010:80-90");
        assert_eq!(
            (p.host_port, p.container_port, p.count),
            (Some(8000), 80, 11)
        );
        let p = ok("80");
        assert_eq!((p.host_port, p.container_port), (None, 80));
        let p = ok("127.0.0.1::80");
        assert_eq!((p.host_ip, p.host_port), (Some(Ipv4Addr::LOCALHOST), None));
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
            ("[::1]:8080:80", "IPv6"),
            ("http", "not a port number"),
        ] {
            let err = parse(spec).unwrap_err().message;
            assert!(err.contains(why), "{spec:?}: {err}");
        }
    }

    #[test]
    fn collisions_follow_ip_protocol_and_overlap() {
        let m = |ip: Option<Ipv4Addr>, port, count, proto| PortMapping {
            proto,
            host_ip: ip,
            host_port: port,
            container_port: 80,
            count,
        };
        let lo = Some(Ipv4Addr::LOCALHOST);
        let other = Some(Ipv4Addr::new(10, 0, 0, 1));
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
            let spec = PortSpec { proto, host_ip: ip.map(Ipv4Addr::from), host_port: host, container_port: container, count };
            prop_assert_eq!(parse(&spec.to_string()).unwrap(), spec);
        }
    }
}
