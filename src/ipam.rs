//! IP address management: picking subnets from the default pools and addresses within a subnet.
//! Pure functions over the model; the kernel's view (host routes and addresses) is passed in.

use std::collections::{BTreeMap, HashSet};
use std::net::Ipv4Addr;

use ipnet::Ipv4Net;

use crate::config::AddressPool;
use crate::error::UserError;
use crate::model::{IpamConfig, State};
use crate::refuse;

/// Docker's default address pools: 172.17-31.0.0/16, then 192.168.0-240.0/20.
pub fn default_pool_candidates() -> Vec<Ipv4Net> {
    let mut pools: Vec<Ipv4Net> = (17..=31)
        .map(|b| Ipv4Net::new(Ipv4Addr::new(172, b, 0, 0), 16).unwrap())
        .collect();
    pools.extend((0..16).map(|i| Ipv4Net::new(Ipv4Addr::new(192, 168, i * 16, 0), 20).unwrap()));
    pools
}

fn overlaps(a: &Ipv4Net, b: &Ipv4Net) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// A subnet that a candidate must not overlap, and why.
pub struct Occupied {
    pub net: Ipv4Net,
    pub reason: String,
}

/// Everything already using address space: other networks, plus what the host reports.
pub fn occupied(state: &State, host: &[Ipv4Net]) -> Vec<Occupied> {
    let mut out: Vec<Occupied> = state
        .networks
        .iter()
        .flat_map(|n| {
            n.ipam.iter().map(move |c| Occupied {
                net: c.subnet,
                reason: format!("network {}", n.name),
            })
        })
        .collect();
    out.extend(
        host.iter()
            // A default route overlaps everything and says nothing about local use.
            .filter(|net| net.prefix_len() > 0)
            .map(|net| Occupied {
                net: *net,
                reason: "a host route or address".into(),
            }),
    );
    out
}

/// The first subnet of the configured pools (`default-address-pools`) that overlaps nothing
/// in use; without configured pools, the first of Docker's defaults.
pub fn pick_subnet(
    occupied: &[Occupied],
    pools: &[AddressPool<Ipv4Net>],
) -> Result<Ipv4Net, UserError> {
    if !pools.is_empty() {
        return pick_from_pools(occupied, pools);
    }
    let mut blocked = Vec::new();
    for candidate in default_pool_candidates() {
        match occupied.iter().find(|o| overlaps(&o.net, &candidate)) {
            None => return Ok(candidate),
            Some(o) => blocked.push(format!("{candidate} ({} {})", o.reason, o.net)),
        }
    }
    refuse!(
        "all default address pools are in use: {}; choose one with --subnet",
        blocked.join(", ")
    )
}

fn pick_from_pools(
    occupied: &[Occupied],
    pools: &[AddressPool<Ipv4Net>],
) -> Result<Ipv4Net, UserError> {
    for pool in pools {
        let subnets = pool
            .base
            .subnets(pool.size)
            .expect("sizes are checked on load");
        if let Some(free) = subnets
            .into_iter()
            .find(|candidate| !occupied.iter().any(|o| overlaps(&o.net, candidate)))
        {
            return Ok(free);
        }
    }
    let names: Vec<String> = pools.iter().map(|p| p.to_string()).collect();
    refuse!(
        "the default address pools are used up: {} {} no free subnet left; choose one with --subnet, or add a pool",
        names.join(", "),
        if pools.len() == 1 { "has" } else { "have" }
    )
}

/// IPv4 space no network may use.
const UNUSABLE: [(&str, &str); 5] = [
    ("0.0.0.0/8", "this network"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved, with the broadcast address"),
];

/// The user's `--subnet`, `--gateway`, `--ip-range` and `--aux-address`, checked and completed.
pub fn build_config(
    subnet: Ipv4Net,
    gateway: Option<Ipv4Addr>,
    ip_range: Option<Ipv4Net>,
    aux: &[(String, Ipv4Addr)],
) -> Result<IpamConfig, UserError> {
    if subnet.addr() != subnet.network() {
        refuse!("invalid subnet {subnet}: it should be {}", subnet.trunc());
    }
    // Overlapping, not just starting in: 192.0.0.0/2 starts in unicast space and covers
    // multicast and the reserved range.
    if let Some(bad) = UNUSABLE
        .iter()
        .map(|(net, what)| (net.parse::<Ipv4Net>().expect("constant"), what))
        .find(|(net, _)| net.contains(&subnet.network()) || subnet.contains(&net.network()))
    {
        refuse!(
            "subnet {subnet} is not usable for a network: it overlaps {} ({})",
            bad.0,
            bad.1
        );
    }
    if subnet.prefix_len() > 30 {
        refuse!(
            "subnet {subnet} is too small: it needs room for a gateway and an endpoint (at most /30)"
        );
    }
    let usable =
        |ip: &Ipv4Addr| subnet.contains(ip) && *ip != subnet.network() && *ip != subnet.broadcast();
    let gateway = match gateway {
        Some(gw) if !usable(&gw) => {
            refuse!("gateway {gw} is not a usable address of subnet {subnet}")
        }
        Some(gw) => gw,
        None => subnet.hosts().next().expect("a /30 or larger has hosts"),
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
    Ok(IpamConfig {
        subnet,
        gateway,
        ip_range,
        aux_addresses,
    })
}

/// The lowest number in `first..=last` that is not `blocked`. One of the first
/// `blocked.len() + 1` numbers always is, so only those are looked at: one pass over the
/// list, with neither sorting nor hashing (a network's 1,000 members cost a connect that).
pub fn lowest_free(first: u128, last: u128, blocked: &[u128]) -> Option<u128> {
    let window = (blocked.len() as u128 + 1).min(last.saturating_sub(first).saturating_add(1));
    let mut used = vec![false; window as usize];
    for &n in blocked {
        if let Some(slot) = n.checked_sub(first).filter(|i| *i < window) {
            used[slot as usize] = true;
        }
    }
    (used.iter().position(|u| !u)).map(|i| first + i as u128)
}

/// The first address that `allocate` would hand out, searched from `from` on (the
/// network's `free_from4`, below which no address is free) and no further than `tries`
/// addresses: `None` if none of them is free, and the caller asks `allocate`. `taken`
/// answers for one address, so a connect to a network of 1,000 members looks at the one
/// or two addresses after the last one handed out rather than at every member's.
pub fn first_free_from(
    config: &IpamConfig,
    from: Option<Ipv4Addr>,
    tries: u32,
    taken: impl Fn(Ipv4Addr) -> bool,
) -> Option<Ipv4Net> {
    let subnet = config.subnet;
    let range = config.ip_range.unwrap_or(subnet);
    let (first, last) = (u32::from(range.network()), u32::from(range.broadcast()));
    let reserved = |ip: Ipv4Addr| {
        ip == subnet.network()
            || ip == subnet.broadcast()
            || ip == config.gateway
            || config.aux_addresses.values().any(|aux| *aux == ip)
    };
    let from = from.map(|ip| u32::from(ip).into());
    first_free_in(first.into(), last.into(), from, tries, |n| {
        let ip = Ipv4Addr::from(n as u32);
        !reserved(ip) && !taken(ip)
    })
    .map(|n| Ipv4Net::new(Ipv4Addr::from(n as u32), subnet.prefix_len()).expect("a prefix"))
}

/// The first address number from `from` (at the earliest `first`) to `last` that is `free`,
/// looking at no more than `tries` of them (both families' `first_free_from`).
pub fn first_free_in(
    first: u128,
    last: u128,
    from: Option<u128>,
    tries: u32,
    free: impl Fn(u128) -> bool,
) -> Option<u128> {
    let start = first.max(from.unwrap_or(0));
    let end = last.min(start.saturating_add(u128::from(tries) - 1));
    (start..=end).find(|n| free(*n))
}

/// Addresses of a pool that no endpoint may take: the gateway and the aux addresses.
fn reserved(config: &IpamConfig) -> HashSet<Ipv4Addr> {
    let mut set: HashSet<Ipv4Addr> = config.aux_addresses.values().copied().collect();
    set.insert(config.gateway);
    set
}

/// How full one subnet is, for `network inspect` and `ls --format json`: a script sees a
/// network filling up before a connect fails. Counts saturate at 2^64-1 (an IPv6 /64 and
/// larger), so they stay JSON numbers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddressUsage {
    pub subnet: String,
    /// Addresses an interface can have in the subnet.
    pub size: u64,
    /// Those taken: the gateway, aux addresses and every member's address.
    pub used: u64,
    /// Those the allocator can still hand out (from the ip-range, if there is one).
    pub free: u64,
}

/// Counts in a range of addresses given as numbers, with `taken` the addresses (as numbers)
/// that are not free; shared by both families.
pub fn usage_of(
    subnet: String,
    size: u128,
    pool: std::ops::RangeInclusive<u128>,
    taken_in_subnet: &std::collections::BTreeSet<u128>,
) -> AddressUsage {
    let saturate = |n: u128| u64::try_from(n).unwrap_or(u64::MAX);
    let pool_size = pool.end() - pool.start() + 1;
    let taken_in_pool = taken_in_subnet.range(pool).count() as u128;
    AddressUsage {
        subnet,
        size: saturate(size),
        used: saturate(taken_in_subnet.len() as u128),
        free: saturate(pool_size.saturating_sub(taken_in_pool)),
    }
}

/// The usage of one IPv4 pool with `members` holding addresses in it.
pub fn usage(config: &IpamConfig, members: impl Iterator<Item = Ipv4Addr>) -> AddressUsage {
    let subnet = config.subnet;
    let (first, last) = (u32::from(subnet.network()), u32::from(subnet.broadcast()));
    // The network and broadcast addresses are no interface's, but in a /31 or /32.
    let (low, high) = if subnet.prefix_len() >= 31 {
        (first, last)
    } else {
        (first + 1, last - 1)
    };
    let range = config.ip_range.unwrap_or(subnet);
    let pool = u32::from(range.network()).max(low)..=u32::from(range.broadcast()).min(high);
    let taken: std::collections::BTreeSet<u128> = reserved(config)
        .into_iter()
        .chain(members)
        .map(u32::from)
        .filter(|ip| (low..=high).contains(ip))
        .map(u128::from)
        .collect();
    let size = u128::from(high - low) + 1;
    usage_of(
        subnet.to_string(),
        size,
        u128::from(*pool.start())..=u128::from(*pool.end()),
        &taken,
    )
}

/// Picks an endpoint's address: the requested one if it is free, else the lowest free one
/// in the ip-range (or the whole subnet).
pub fn allocate(
    config: &IpamConfig,
    taken: &[Ipv4Addr],
    requested: Option<Ipv4Addr>,
    network_name: &str,
) -> Result<Ipv4Net, UserError> {
    let subnet = config.subnet;
    let reserved = reserved(config);
    let with_prefix = |ip| Ipv4Net::new(ip, subnet.prefix_len()).unwrap();
    if let Some(ip) = requested {
        if !subnet.contains(&ip) || ip == subnet.network() || ip == subnet.broadcast() {
            refuse!("address {ip} is not a usable address of network {network_name} ({subnet})");
        }
        if reserved.contains(&ip) {
            refuse!("address {ip} is reserved in network {network_name} (gateway or aux-address)");
        }
        if taken.contains(&ip) {
            refuse!("address {ip} is already in use in network {network_name}");
        }
        return Ok(with_prefix(ip));
    }
    let range = config.ip_range.unwrap_or(subnet);
    // In order from the start of the range, as Docker hands them out.
    let blocked: Vec<u128> = (taken.iter().chain(&reserved))
        .chain(&[subnet.network(), subnet.broadcast()])
        .map(|ip| u32::from(*ip).into())
        .collect();
    let (first, last) = (u32::from(range.network()), u32::from(range.broadcast()));
    lowest_free(first.into(), last.into(), &blocked)
        .map(|n| with_prefix(Ipv4Addr::from(n as u32)))
        .ok_or_else(|| {
            UserError::new(format!(
                "no free address left in network {network_name} ({range}): disconnect a sandbox or create a larger network"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Ipv4Net {
        s.parse().unwrap()
    }
    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn pools_skip_host_routes_and_other_networks() {
        let occ = vec![
            Occupied {
                net: net("172.17.0.0/16"),
                reason: "network bridge".into(),
            },
            Occupied {
                net: net("172.18.5.0/24"),
                reason: "a host route or address".into(),
            },
        ];
        assert_eq!(pick_subnet(&occ, &[]).unwrap(), net("172.19.0.0/16"));
        // A wide host route covering every 172 pool sends us to 192.168.
        let occ = vec![Occupied {
            net: net("172.16.0.0/12"),
            reason: "vpn".into(),
        }];
        assert_eq!(pick_subnet(&occ, &[]).unwrap(), net("192.168.0.0/20"));
    }

    #[test]
    fn default_route_does_not_block_pools() {
        let state = State::new();
        let occ = occupied(&state, &[net("0.0.0.0/0"), net("10.0.2.0/24")]);
        assert_eq!(pick_subnet(&occ, &[]).unwrap(), net("172.17.0.0/16"));
    }

    #[test]
    fn exhausted_pools_name_what_blocked_them() {
        let occ = vec![
            Occupied {
                net: net("172.16.0.0/12"),
                reason: "a host route or address".into(),
            },
            Occupied {
                net: net("192.168.0.0/16"),
                reason: "network lab".into(),
            },
        ];
        let err = pick_subnet(&occ, &[]).unwrap_err().message;
        assert!(
            err.contains("172.31.0.0/16 (a host route or address 172.16.0.0/12)"),
            "{err}"
        );
        assert!(err.contains("network lab"), "{err}");
        assert!(err.contains("--subnet"), "{err}");
    }

    #[test]
    fn the_search_from_a_hint_agrees_with_allocate() {
        let aux = [("x".to_string(), ip("10.1.0.5"))];
        let c = build_config(net("10.1.0.0/24"), None, None, &aux).unwrap();
        let taken = [
            ip("10.1.0.2"),
            ip("10.1.0.3"),
            ip("10.1.0.4"),
            ip("10.1.0.7"),
        ];
        let is_taken = |ip: Ipv4Addr| taken.contains(&ip);
        let lowest = allocate(&c, &taken, None, "n").unwrap();
        assert_eq!(lowest.addr(), ip("10.1.0.6"));
        // From the pool's start, or a hint at or below the lowest free address: the same.
        for from in [None, Some(ip("10.1.0.2")), Some(ip("10.1.0.6"))] {
            assert_eq!(first_free_from(&c, from, 16, is_taken), Some(lowest));
        }
        // Past the gateway, aux address and taken ones; none within the tries: `None`.
        assert_eq!(first_free_from(&c, None, 5, is_taken), None);
        assert_eq!(
            first_free_from(&c, Some(ip("10.1.0.7")), 16, is_taken).map(|n| n.addr()),
            Some(ip("10.1.0.8"))
        );
        // Never the broadcast address, nor beyond the range.
        let full = |ip: Ipv4Addr| ip < Ipv4Addr::new(10, 1, 0, 255);
        assert_eq!(first_free_from(&c, Some(ip("10.1.0.250")), 16, full), None);
    }

    #[test]
    fn config_defaults_gateway_and_checks_bounds() {
        let c = build_config(net("10.1.0.0/24"), None, None, &[]).unwrap();
        assert_eq!(c.gateway, ip("10.1.0.1"));
        assert!(build_config(net("10.1.0.5/24"), None, None, &[]).is_err());
        assert!(build_config(net("10.1.0.0/24"), Some(ip("10.2.0.1")), None, &[]).is_err());
        assert!(build_config(net("10.1.0.0/24"), Some(ip("10.1.0.255")), None, &[]).is_err());
        assert!(build_config(net("10.1.0.0/24"), None, Some(net("10.1.1.0/28")), &[]).is_err());
        assert!(
            build_config(
                net("10.1.0.0/24"),
                None,
                None,
                &[("a".into(), ip("10.9.0.1"))]
            )
            .is_err()
        );
        assert!(
            build_config(
                net("10.1.0.0/24"),
                None,
                None,
                &[("a".into(), ip("10.1.0.1"))]
            )
            .is_err()
        );
        assert!(build_config(net("10.1.0.0/31"), None, None, &[]).is_err());
    }

    #[test]
    fn allocation_honours_range_reservations_and_requests() {
        let c = build_config(
            net("10.1.0.0/24"),
            Some(ip("10.1.0.254")),
            Some(net("10.1.0.0/30")),
            &[("router".into(), ip("10.1.0.1"))],
        )
        .unwrap();
        let mut taken = Vec::new();
        // The range 10.1.0.0/30 holds .0-.3; .0 is the subnet's own address, .1 is aux.
        let a = allocate(&c, &taken, None, "n").unwrap();
        assert_eq!(a, net("10.1.0.2/24"));
        taken.push(a.addr());
        assert_eq!(allocate(&c, &taken, None, "n").unwrap(), net("10.1.0.3/24"));
        taken.push(ip("10.1.0.3"));
        assert!(
            allocate(&c, &taken, None, "n")
                .unwrap_err()
                .message
                .contains("no free address")
        );
        // A static address may lie outside the range but inside the subnet.
        assert_eq!(
            allocate(&c, &taken, Some(ip("10.1.0.100")), "n").unwrap(),
            net("10.1.0.100/24")
        );
        for bad in [
            "10.1.0.2",
            "10.1.0.254",
            "10.1.0.1",
            "10.1.0.255",
            "10.2.0.1",
        ] {
            assert!(
                allocate(&c, &taken, Some(ip(bad)), "n").is_err(),
                "{bad} accepted"
            );
        }
    }

    #[test]
    fn usage_counts_reserved_members_and_the_range() {
        let config = build_config(
            net("10.77.0.0/16"),
            Some(ip("10.77.0.254")),
            Some(net("10.77.5.0/24")),
            &[("router".into(), ip("10.77.5.1"))],
        )
        .unwrap();
        let usage = usage(&config, [ip("10.77.5.0"), ip("10.77.9.9")].into_iter());
        // Gateway, aux and two members used; the range loses the aux and one member.
        assert_eq!((usage.size, usage.used, usage.free), (65534, 4, 254));
        let small = build_config(net("10.1.0.0/30"), None, None, &[]).unwrap();
        assert_eq!(super::usage(&small, std::iter::empty()).free, 1);
    }

    #[test]
    fn released_addresses_are_reused() {
        let c = build_config(net("10.1.0.0/29"), None, None, &[]).unwrap();
        let taken: Vec<_> = [ip("10.1.0.3")].into();
        assert_eq!(allocate(&c, &taken, None, "n").unwrap(), net("10.1.0.2/29"));
    }

    #[test]
    fn the_lowest_free_number_is_found_by_looking_only_at_the_first_few() {
        assert_eq!(lowest_free(10, 20, &[]), Some(10));
        assert_eq!(lowest_free(10, 20, &[10, 11, 13]), Some(12));
        // Blocked numbers outside the range and repeats change nothing.
        assert_eq!(lowest_free(10, 20, &[3, 10, 10, 99, 11]), Some(12));
        assert_eq!(lowest_free(10, 12, &[10, 11, 12]), None);
        assert_eq!(lowest_free(10, 12, &[12, 11]), Some(10));
        let many: Vec<u128> = (0..1000).collect();
        assert_eq!(lowest_free(0, u128::MAX, &many), Some(1000));
    }
}
