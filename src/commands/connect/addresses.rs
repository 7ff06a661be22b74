//! A new endpoint's addresses and MAC: free on its network (and, for a cluster network,
//! on every host), and a MAC no other interface on the network has.

use super::*;

/// Whose `mac` is on the network's link, if anyone's: the bridge's (made from its
/// gateway), or a member's, its own or its address's. One pass over the members that
/// allocates nothing (connect's cost must not grow with the network).
pub(super) fn mac_owner(network: &Network, mac: Mac) -> Option<String> {
    if network.bridge.is_some() && crate::drivers::bridge::bridge_mac(network) == mac {
        return Some("the bridge's".to_string());
    }
    let own = network.macs.iter().find(|(_, m)| **m == mac);
    let by_address = || {
        let derived = |name: &String| !network.macs.contains_key(name);
        // A MAC made from an IPv4 address names it: one lookup of who holds it.
        let v4 = (mac.ipv4())
            .and_then(|ip| network.members.key_of(&ip))
            .filter(|name| derived(name));
        // An IPv6 address makes the MAC only of a member without an IPv4 one: on a network
        // with an IPv4 pool every member has one, and the list is not walked.
        v4.or_else(|| {
            if !network.ipam.is_empty() {
                return None;
            }
            (network.members6.iter())
                .find(|(name, ip)| {
                    derived(name)
                        && !network.members.contains_key(name)
                        && Mac::from_ipv6(**ip) == mac
                })
                .map(|(name, _)| name.clone())
        })
    };
    let name = own.map(|(name, _)| name.clone()).or_else(by_address)?;
    Some(format!("in use by {name}"))
}

/// How many addresses after a network's `free_from4` a connect tries one by one before it
/// lists every member's: a few are taken by static addresses or services' VIPs.
const FREE_TRIES: u32 = 16;

/// The addresses and MAC a new endpoint gets: the requested ones, or the first free ones
/// (free here, and not in `elsewhere`: what other hosts of a cluster network hold), and a
/// MAC no other interface on the network has (see `mac_owner`); no MAC for ipvlan.
pub(super) fn pick_addresses(
    network: &Network,
    requested: Option<Ipv4Addr>,
    requested6: Option<Ipv6Addr>,
    mac: Option<Mac>,
    elsewhere: &HashSet<IpAddr>,
) -> Result<(Option<Ipv4Net>, Option<Ipv6Net>, Option<Mac>)> {
    let ipv4 = match network.ipam.first() {
        Some(config) if requested.is_none() && elsewhere.is_empty() => {
            let free = ipam::first_free_from(config, network.free_from4, FREE_TRIES, |ip| {
                network.holds(IpAddr::V4(ip))
            });
            match free {
                Some(address) => Some(address),
                None => Some(ipam::allocate(
                    config,
                    &network.used4(),
                    None,
                    &network.name,
                )?),
            }
        }
        Some(config) => {
            let mut taken = network.used4();
            taken.extend(elsewhere.iter().filter_map(|ip| match ip {
                IpAddr::V4(v4) => Some(*v4),
                IpAddr::V6(_) => None,
            }));
            Some(ipam::allocate(config, &taken, requested, &network.name)?)
        }
        None if requested.is_some() => refuse!(
            "network {} is IPv6-only: give --ip6, not --ip",
            network.name
        ),
        None => None,
    };
    let ipv6 = match &network.ipam6 {
        Some(config) if requested6.is_none() && elsewhere.is_empty() => {
            let free = ipam6::first_free_from(config, network.free_from6, FREE_TRIES, |ip| {
                network.holds(IpAddr::V6(ip))
            });
            match free {
                Some(address) => Some(address),
                None => Some(ipam6::allocate(
                    config,
                    &network.used6(),
                    None,
                    &network.name,
                )?),
            }
        }
        Some(config) => {
            let mut taken = network.used6();
            taken.extend(elsewhere.iter().filter_map(|ip| match ip {
                IpAddr::V6(v6) => Some(*v6),
                IpAddr::V4(_) => None,
            }));
            Some(ipam6::allocate(config, &taken, requested6, &network.name)?)
        }
        None => None,
    };
    let own_macs = drivers::for_network(network)?.own_macs(network);
    if mac.is_some() && !own_macs {
        refuse!("--mac does not apply to ipvlan: its interfaces share the parent's MAC");
    }
    let given = mac.is_some();
    let mac = match mac {
        _ if !own_macs => return Ok((ipv4, ipv6, None)),
        Some(m) => m,
        None => Mac::of_addresses(ipv4.map(|n| n.addr()), ipv6.map(|n| n.addr()))
            .expect("a network has an IPv4 or an IPv6 pool"),
    };
    // Two interfaces with one MAC on a network take each other's frames. A derived MAC can
    // meet one too: another member's own --mac, or (IPv6 addresses make MACs from their
    // last 32 bits) a static address of the same /64.
    if let Some(who) = mac_owner(network, mac) {
        let from = ipv4.map(|n| n.addr().to_string());
        match from.or(ipv6.map(|n| n.addr().to_string())) {
            Some(address) if !given => refuse!(
                "address {address} would get the MAC {mac}, {who} on network {}: give --mac",
                network.name
            ),
            _ => refuse!("MAC address {mac} is {who} on network {}", network.name),
        }
    }
    Ok((ipv4, ipv6, Some(mac)))
}
