//! IPv6 address management: a network's /64 from ctnet's unique-local /48, its gateway and
//! its endpoints' addresses. Pure, like `ipam`.
//!
//! The /48 is `fd` followed by 40 bits taken from this host's machine-id (RFC 4193's
//! "global ID"): the same on every run of this host, and different between hosts, so two
//! hosts' container networks rarely collide when they are joined by a VPN.

use std::collections::BTreeMap;
use std::net::Ipv6Addr;

use ipnet::Ipv6Net;

use crate::config::AddressPool;
use crate::error::UserError;
use crate::model::Ipam6Config;
use crate::refuse;

/// How far into a range allocation looks (a /64 has 2^64 addresses; a network never holds
/// more than a few thousand endpoints).
const SEARCH_LIMIT: u128 = 1 << 20;

/// ctnet's unique-local /48 for a host whose machine-id is `seed`.
pub fn ula_prefix(seed: &[u8]) -> Ipv6Net {
    // FNV-1a: stable across releases, unlike std's hasher.
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in seed {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    let global_id = (hash & 0xff_ffff_ffff) as u128;
    let prefix = (0xfd_u128 << 120) | (global_id << 80);
    Ipv6Net::new(Ipv6Addr::from(prefix), 48).expect("48 is a valid prefix")
}

/// The first subnet of the configured pools that no subnet in `used` overlaps; without
/// configured pools, the first /64 of `ula`.
pub fn pick_subnet(
    ula: Ipv6Net,
    used: &[Ipv6Net],
    pools: &[AddressPool<Ipv6Net>],
) -> Result<Ipv6Net, UserError> {
    let free = |candidate: &Ipv6Net| {
        !used
            .iter()
            .any(|u| u.contains(&candidate.network()) || candidate.contains(&u.network()))
    };
    if !pools.is_empty() {
        for pool in pools {
            let subnets = pool
                .base
                .subnets(pool.size)
                .expect("sizes are checked on load");
            if let Some(subnet) = subnets.take(1 << 16).find(free) {
                return Ok(subnet);
            }
        }
        let names: Vec<String> = pools.iter().map(|p| p.to_string()).collect();
        return Err(UserError::new(format!(
            "the default IPv6 address pools are used up: {} {} no free subnet left; give the network an IPv6 --subnet, or add a pool",
            names.join(", "),
            if pools.len() == 1 { "has" } else { "have" }
        )));
    }
    ula.subnets(64)
        .expect("a /48 has /64s")
        .take(1 << 16)
        .find(free)
        .ok_or_else(|| {
            UserError::new(format!(
                "every /64 of {ula} is in use: give the network an IPv6 --subnet"
            ))
        })
}

/// IPv6 space no network may use.
const UNUSABLE: [(&str, &str); 5] = [
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("::ffff:0:0/96", "IPv4-mapped"),
    ("fe80::/10", "link-local"),
    ("ff00::/8", "multicast"),
];

/// A network's IPv6 pool, checked.
pub fn build_config(
    subnet: Ipv6Net,
    gateway: Option<Ipv6Addr>,
    ip_range: Option<Ipv6Net>,
    aux: &[(String, Ipv6Addr)],
) -> Result<Ipam6Config, UserError> {
    if subnet.addr() != subnet.network() {
        refuse!("invalid subnet {subnet}: it should be {}", subnet.trunc());
    }
    // Overlapping, not just starting in: 8000::/1 starts in unicast space and covers
    // link-local and multicast.
    if let Some(bad) = UNUSABLE
        .iter()
        .map(|(net, what)| (net.parse::<Ipv6Net>().expect("constant"), what))
        .find(|(net, _)| net.contains(&subnet.network()) || subnet.contains(&net.network()))
    {
        refuse!(
            "subnet {subnet} is not usable for a network: it overlaps {} ({})",
            bad.0,
            bad.1
        );
    }
    if subnet.prefix_len() > 124 {
        refuse!("subnet {subnet} is too small: a network needs at most a /124");
    }
    // The subnet's first address is its routers' anycast address; ::1 is the gateway.
    let usable = |ip: &Ipv6Addr| subnet.contains(ip) && *ip != subnet.network();
    let gateway = match gateway {
        Some(gw) if !usable(&gw) => {
            refuse!("gateway {gw} is not a usable address of subnet {subnet}")
        }
        Some(gw) => gw,
        None => Ipv6Addr::from(u128::from(subnet.network()) + 1),
    };
    if let Some(range) = ip_range {
        if range.addr() != range.network() {
            refuse!("invalid ip-range {range}: it should be {}", range.trunc());
        }
        if !subnet.contains(&range) {
            refuse!("ip-range {range} is not inside subnet {subnet}");
        }
    }
    let mut aux_addresses = BTreeMap::new();
    for (name, ip) in aux {
        if !usable(ip) {
            refuse!("aux-address {name}={ip} is not a usable address of subnet {subnet}");
        }
        if *ip == gateway {
            refuse!("aux-address {name}={ip} is the gateway");
        }
        if aux_addresses.insert(name.clone(), *ip).is_some() {
            refuse!("aux-address {name} is given twice");
        }
    }
    Ok(Ipam6Config {
        subnet,
        gateway,
        ip_range,
        aux_addresses,
    })
}

/// The usage of the IPv6 pool with `members` holding addresses in it (see
/// `ipam::AddressUsage`; the subnet's first address is no interface's, as in `allocate`).
pub fn usage(
    config: &Ipam6Config,
    members: impl Iterator<Item = Ipv6Addr>,
) -> crate::ipam::AddressUsage {
    let subnet = config.subnet;
    let (low, high) = (
        u128::from(subnet.network()) + 1,
        u128::from(subnet.broadcast()),
    );
    let range = config.ip_range.unwrap_or(subnet);
    let pool = u128::from(range.network()).max(low)..=u128::from(range.broadcast()).min(high);
    let taken: std::collections::BTreeSet<u128> = std::iter::once(config.gateway)
        .chain(config.aux_addresses.values().copied())
        .chain(members)
        .map(u128::from)
        .filter(|ip| (low..=high).contains(ip))
        .collect();
    crate::ipam::usage_of(subnet.to_string(), high - low + 1, pool, &taken)
}

/// An endpoint's IPv6 address: the requested one if free, else the lowest free one in the
/// ip-range (or the subnet).
pub fn allocate(
    config: &Ipam6Config,
    taken: &[Ipv6Addr],
    requested: Option<Ipv6Addr>,
    network_name: &str,
) -> Result<Ipv6Net, UserError> {
    let subnet = config.subnet;
    let reserved = |ip: &Ipv6Addr| {
        *ip == config.gateway
            || *ip == subnet.network()
            || config.aux_addresses.values().any(|a| a == ip)
    };
    let with_prefix = |ip| Ipv6Net::new(ip, subnet.prefix_len()).expect("valid prefix");
    if let Some(ip) = requested {
        if !subnet.contains(&ip) || ip == subnet.network() {
            refuse!("address {ip} is not a usable address of network {network_name} ({subnet})");
        }
        if reserved(&ip) {
            refuse!("address {ip} is reserved in network {network_name} (gateway or aux-address)");
        }
        if taken.contains(&ip) {
            refuse!("address {ip} is already in use in network {network_name}");
        }
        return Ok(with_prefix(ip));
    }
    let range = config.ip_range.unwrap_or(subnet);
    let start = u128::from(range.network());
    let end = u128::from(range.broadcast()).min(start.saturating_add(SEARCH_LIMIT));
    let blocked: Vec<u128> = (taken.iter().chain(config.aux_addresses.values()))
        .chain(&[config.gateway, subnet.network()])
        .map(|ip| u128::from(*ip))
        .collect();
    crate::ipam::lowest_free(start, end, &blocked)
        .map(|n| with_prefix(Ipv6Addr::from(n)))
        .ok_or_else(|| {
            UserError::new(format!(
                "no free IPv6 address left in network {network_name} ({range})"
            ))
        })
}

/// The first address `allocate` would hand out, searched from `from` (the network's
/// `free_from6`) and no further than `tries` addresses: as `ipam::first_free_from`.
pub fn first_free_from(
    config: &Ipam6Config,
    from: Option<Ipv6Addr>,
    tries: u32,
    taken: impl Fn(Ipv6Addr) -> bool,
) -> Option<Ipv6Net> {
    let subnet = config.subnet;
    let range = config.ip_range.unwrap_or(subnet);
    let start = u128::from(range.network());
    let end = u128::from(range.broadcast()).min(start.saturating_add(SEARCH_LIMIT));
    let reserved = |ip: Ipv6Addr| {
        ip == config.gateway
            || ip == subnet.network()
            || config.aux_addresses.values().any(|a| *a == ip)
    };
    crate::ipam::first_free_in(start, end, from.map(u128::from), tries, |n| {
        !reserved(Ipv6Addr::from(n)) && !taken(Ipv6Addr::from(n))
    })
    .map(|n| Ipv6Net::new(Ipv6Addr::from(n), subnet.prefix_len()).expect("valid prefix"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ula_prefix_is_stable_per_host_and_differs_between_hosts() {
        let a = ula_prefix(b"0123456789abcdef0123456789abcdef\n");
        assert_eq!(a, ula_prefix(b"0123456789abcdef0123456789abcdef\n"));
        assert_ne!(a, ula_prefix(b"fedcba9876543210fedcba9876543210\n"));
        assert_eq!(a.prefix_len(), 48);
        assert_eq!(a.network().segments()[0] >> 8, 0xfd);
    }

    #[test]
    fn the_search_from_a_hint_agrees_with_allocate() {
        let ip = |s: &str| s.parse::<Ipv6Addr>().unwrap();
        let aux = [("r".to_string(), ip("fd00:1::3"))];
        let config = build_config("fd00:1::/64".parse().unwrap(), None, None, &aux).unwrap();
        let taken = [ip("fd00:1::2"), ip("fd00:1::4")];
        let lowest = allocate(&config, &taken, None, "n").unwrap();
        assert_eq!(lowest.addr(), ip("fd00:1::5"));
        for from in [None, Some(ip("fd00:1::2")), Some(ip("fd00:1::5"))] {
            let found = first_free_from(&config, from, 16, |a| taken.contains(&a));
            assert_eq!(found, Some(lowest));
        }
        assert_eq!(
            first_free_from(&config, None, 5, |a| taken.contains(&a)),
            None
        );
    }

    #[test]
    fn subnets_skip_used_ones_and_addresses_follow_the_gateway() {
        let ula: Ipv6Net = "fd12:3456:789a::/48".parse().unwrap();
        let first = pick_subnet(ula, &[], &[]).unwrap();
        assert_eq!(first.to_string(), "fd12:3456:789a::/64");
        let second = pick_subnet(ula, &[first], &[]).unwrap();
        assert_eq!(second.to_string(), "fd12:3456:789a:1::/64");
        let config = build_config(
            second,
            None,
            None,
            &[("r".into(), "fd12:3456:789a:1::2".parse().unwrap())],
        )
        .unwrap();
        assert_eq!(config.gateway.to_string(), "fd12:3456:789a:1::1");
        let taken: Vec<Ipv6Addr> = vec!["fd12:3456:789a:1::3".parse().unwrap()];
        let got = allocate(&config, &taken, None, "n").unwrap();
        assert_eq!(got.to_string(), "fd12:3456:789a:1::4/64");
        assert!(
            allocate(
                &config,
                &taken,
                Some("fd12:3456:789a:1::3".parse().unwrap()),
                "n"
            )
            .is_err()
        );
        assert!(allocate(&config, &taken, Some("fd00::9".parse().unwrap()), "n").is_err());
    }

    #[test]
    fn usage_counts_the_gateway_and_members_and_saturates() {
        let small = build_config("fd00:1::/120".parse().unwrap(), None, None, &[]).unwrap();
        let member: Ipv6Addr = "fd00:1::5".parse().unwrap();
        let usage = super::usage(&small, std::iter::once(member));
        assert_eq!((usage.size, usage.used, usage.free), (255, 2, 253));
        let wide = build_config("fd00:2::/64".parse().unwrap(), None, None, &[]).unwrap();
        assert_eq!(super::usage(&wide, std::iter::empty()).size, u64::MAX);
    }

    #[test]
    fn bad_pools_are_refused() {
        let subnet: Ipv6Net = "fd00:1::/64".parse().unwrap();
        assert!(build_config(subnet, Some("fd00:2::1".parse().unwrap()), None, &[]).is_err());
        assert!(build_config("fd00:1::5/64".parse().unwrap(), None, None, &[]).is_err());
        assert!(build_config("fe80::/64".parse().unwrap(), None, None, &[]).is_err());
        assert!(build_config(subnet, None, Some("fd00:2::/80".parse().unwrap()), &[]).is_err());
    }
}
