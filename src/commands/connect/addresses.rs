//! A new endpoint's addresses and MAC: free on its network (and, for a cluster network,
//! on every host), and a MAC no other interface on the network has.

use super::*;

/// The MACs on a network's link, each with whose it is: the bridge's (made from its
/// gateway) and every member's, its own or its address's.
pub(super) fn macs_in_use(network: &Network) -> Vec<(String, Mac)> {
    let bridge = network.bridge.as_ref().map(|_| {
        let mac = crate::drivers::bridge::bridge_mac(network);
        ("the bridge's".to_string(), mac)
    });
    let members = network.member_names().into_iter().filter_map(|name| {
        let mac = match network.macs.get(name) {
            Some(own) => *own,
            None => {
                let (ipv4, ipv6) = network.addresses_of(name);
                Mac::of_addresses(ipv4, ipv6)?
            }
        };
        Some((format!("in use by {name}"), mac))
    });
    bridge.into_iter().chain(members).collect()
}

/// The addresses and MAC a new endpoint gets: the requested ones, or the first free ones
/// (free here, and not in `elsewhere`: what other hosts of a cluster network hold), and a
/// MAC that is none of `in_use`'s (see `macs_in_use`); no MAC for ipvlan.
pub(super) fn pick_addresses(
    network: &Network,
    requested: Option<Ipv4Addr>,
    requested6: Option<Ipv6Addr>,
    mac: Option<Mac>,
    in_use: &[(String, Mac)],
    elsewhere: &HashSet<IpAddr>,
) -> Result<(Option<Ipv4Net>, Option<Ipv6Net>, Option<Mac>)> {
    let ipv4 = match network.ipam.first() {
        Some(config) => {
            let mut taken: HashSet<_> = network.members.values().copied().collect();
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
        Some(config) => {
            let mut taken: HashSet<_> = network.members6.values().copied().collect();
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
    if let Some((who, _)) = in_use.iter().find(|(_, m)| *m == mac) {
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
