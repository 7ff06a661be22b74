//! Checks on state read from disk: a file edited by hand into something ctnet could never
//! have written is reported precisely, and nothing is done until it is fixed.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::model::SandboxFile;
use crate::model::{Driver, LanMode, Network, PublishedIndex, validate_ifname, validate_name};
use crate::ports::PortMapping;

/// ctnet's ids are 64 lowercase hex characters; names of links and MACs are made from
/// them.
fn id_shape(id: &str) -> Result<(), String> {
    let hex = id
        .bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if id.len() != 64 || !hex {
        return Err(format!("id {id:?} is not 64 lowercase hex characters"));
    }
    Ok(())
}

/// A network carries its own driver's settings and no other's: drivers rely on it.
fn settings_fit_driver(net: &Network) -> Result<(), String> {
    let has = [
        ("bridge", net.bridge.is_some()),
        ("macvlan", net.macvlan.is_some()),
        ("ipvlan", net.ipvlan.is_some()),
        ("overlay", net.overlay.is_some()),
        ("p2p", net.p2p.is_some()),
    ];
    let needs = match net.driver {
        Driver::Bridge => Some("bridge"),
        Driver::Macvlan => Some("macvlan"),
        Driver::Ipvlan => Some("ipvlan"),
        Driver::Overlay => Some("overlay"),
        Driver::P2p => Some("p2p"),
        Driver::Host | Driver::Null => None,
    };
    for (kind, present) in has {
        if present != (needs == Some(kind)) {
            let verb = if present { "has" } else { "lacks" };
            return Err(format!(
                "a {} network that {verb} {kind} settings",
                net.driver.name()
            ));
        }
    }
    let mode_fits = matches!(
        (net.driver, net.lan().map(|l| l.mode)),
        (Driver::Macvlan, Some(LanMode::Macvlan(_)))
            | (Driver::Ipvlan, Some(LanMode::Ipvlan(_)))
            | (_, None)
    );
    if !mode_fits {
        return Err(format!(
            "a {} network with another driver's mode",
            net.driver.name()
        ));
    }
    Ok(())
}

/// An address two members hold, with their names: the addresses alone sorted as plain
/// numbers, not hashed (a network's 1,000 members are checked on every load); the names are
/// looked for only when there is a pair.
fn held_twice<A: Copy, N: Ord + Copy>(
    members: &BTreeMap<String, A>,
    number: impl Fn(A) -> N,
) -> Option<(A, &String, &String)> {
    let mut numbers: Vec<N> = members.values().map(|ip| number(*ip)).collect();
    numbers.sort_unstable();
    let twice = numbers.windows(2).find(|pair| pair[0] == pair[1])?[0];
    let mut holders = members.iter().filter(|(_, ip)| number(**ip) == twice);
    let (first, ip) = holders.next()?;
    let (second, _) = holders.next()?;
    Some((*ip, first, second))
}

/// How much of the networks' member lists `check_networks` checks.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Lists {
    /// All: parsed whole for it.
    CheckAll,
    /// Those already parsed (a connect or disconnect leaves the rest unread: see `Members`).
    CheckParsed,
}

/// What is wrong with the networks in state.json, if anything.
pub fn check_networks(
    networks: &[Network],
    published: &PublishedIndex,
    lists: Lists,
) -> Result<(), String> {
    let mut names = HashSet::new();
    let mut ids = HashSet::new();
    let mut bridges = HashMap::new();
    for net in networks {
        // Every name ctnet writes was validated when it was given: one that fails now was
        // edited in, and could reach a file path (a member key `../../x`) or nft's text.
        if lists == Lists::CheckAll {
            let parsed = [
                net.members.parse().err(),
                net.members6.parse().err(),
                net.aliases.parse().err(),
                net.macs.parse().err(),
                net.own_hosts.parse().err(),
            ];
            if let Some(why) = parsed.into_iter().flatten().next() {
                return Err(format!("network {:?}: {why}", net.name));
            }
        }
        let checked = |members_parsed: bool| lists == Lists::CheckAll || members_parsed;
        let (members, members6) = (
            checked(net.members.is_parsed()).then_some(&net.members),
            checked(net.members6.is_parsed()).then_some(&net.members6),
        );
        let name_checks = [validate_name("network", &net.name).err()]
            .into_iter()
            .chain(
                (members.into_iter().flat_map(|m| m.keys()))
                    .chain(members6.into_iter().flat_map(|m| m.keys()))
                    .map(|m| validate_name("sandbox", m).err()),
            )
            .chain(
                net.aliases
                    .keys()
                    .map(|m| validate_name("sandbox", m).err()),
            )
            .chain(
                net.bridge
                    .iter()
                    .map(|b| validate_ifname("bridge", &b.ifname).err()),
            )
            .chain(net.overlay.iter().flat_map(|o| {
                [
                    validate_ifname("bridge", &o.bridge).err(),
                    validate_ifname("vxlan device", &o.vxlan).err(),
                ]
            }))
            .chain(
                net.lan()
                    .map(|l| validate_ifname("parent", &l.parent).err()),
            );
        if let Some(bad) = name_checks.flatten().next() {
            return Err(format!("network {:?}: {bad}", net.name));
        }
        if let Err(bad) = id_shape(&net.id).and_then(|()| settings_fit_driver(net)) {
            return Err(format!("network {:?}: {bad}", net.name));
        }
        if !names.insert(&net.name) {
            return Err(format!("two networks are named {}", net.name));
        }
        if !ids.insert(&net.id) {
            return Err(format!("two networks have the id {}", net.id));
        }
        if let Some(bridge) = &net.bridge
            && let Some(other) = bridges.insert(&bridge.ifname, &net.name)
        {
            return Err(format!(
                "networks {other} and {} share the bridge {}",
                net.name, bridge.ifname
            ));
        }
        if let Some((ip, a, b)) = members.and_then(|m| held_twice(m, u32::from)) {
            return Err(format!(
                "address {ip} of network {} is held by both {a} and {b}",
                net.name
            ));
        }
        if let Some((ip, a, b)) = members6.and_then(|m| held_twice(m, u128::from)) {
            return Err(format!(
                "address {ip} of network {} is held by both {a} and {b}",
                net.name
            ));
        }
        if let Some((sandbox, ip)) = (members.into_iter().flat_map(|m| m.iter()))
            .find(|(_, ip)| !net.ipam.iter().any(|c| c.subnet.contains(*ip)))
        {
            return Err(format!(
                "address {ip} of {sandbox} is outside network {}",
                net.name
            ));
        }
        if let Some((sandbox, ip)) = (members6.into_iter().flat_map(|m| m.iter()))
            .find(|(_, ip)| !net.ipam6.as_ref().is_some_and(|c| c.subnet.contains(*ip)))
        {
            return Err(format!(
                "address {ip} of {sandbox} is outside network {}",
                net.name
            ));
        }
        if let Some(sandbox) = net.own_hosts.keys().find(|s| !net.has_member(s)) {
            return Err(format!(
                "network {} lists {sandbox} as keeping its own hosts file, but it is not on it",
                net.name
            ));
        }
        for sandbox in net.macs.keys() {
            if !net.has_member(sandbox) {
                return Err(format!(
                    "network {} has a MAC for {sandbox}, which is not on it",
                    net.name
                ));
            }
        }
        for (sandbox, aliases) in &net.aliases {
            if !net.has_member(sandbox) {
                return Err(format!(
                    "network {} has aliases for {sandbox}, which is not on it",
                    net.name
                ));
            }
            if let Some(bad) = aliases.iter().find(|a| validate_name("alias", a).is_err()) {
                return Err(format!("alias {bad:?} of {sandbox} is not a valid name"));
            }
        }
    }
    for (i, a) in networks.iter().enumerate() {
        for b in &networks[i + 1..] {
            for ca in &a.ipam {
                for cb in &b.ipam {
                    if ca.subnet.contains(&cb.subnet.network())
                        || cb.subnet.contains(&ca.subnet.network())
                    {
                        return Err(format!(
                            "subnet {} of network {} overlaps subnet {} of network {}",
                            ca.subnet, a.name, cb.subnet, b.name
                        ));
                    }
                }
            }
            if let (Some(ca), Some(cb)) = (&a.ipam6, &b.ipam6)
                && (ca.subnet.contains(&cb.subnet.network())
                    || cb.subnet.contains(&ca.subnet.network()))
            {
                return Err(format!(
                    "subnet {} of network {} overlaps subnet {} of network {}",
                    ca.subnet, a.name, cb.subnet, b.name
                ));
            }
        }
    }
    // By protocol and first port: a mapping can only collide with those after it that start
    // within its range (5,000 ports compared pairwise took 140 M instructions).
    let mut order: Vec<(&str, &PortMapping)> = crate::model::published_ports(published).collect();
    order.sort_unstable_by_key(|(_, m)| (m.proto, m.host_port));
    for (i, (a_sandbox, a)) in order.iter().enumerate() {
        let last = a.host_port.saturating_add(a.count - 1);
        let mut candidates = order[i + 1..]
            .iter()
            .take_while(|(_, b)| b.proto == a.proto && b.host_port <= last);
        if let Some((b_sandbox, _)) = candidates.find(|(_, b)| b.collides(a)) {
            return Err(format!(
                "host port {}/{} is published by both {a_sandbox} and {b_sandbox}",
                a.host_port,
                a.proto.name(),
            ));
        }
    }
    Ok(())
}

/// What is wrong with one sandbox's file, if anything.
pub fn check_sandbox(file: &SandboxFile, name: &str, networks: &[Network]) -> Result<(), String> {
    if file.sandbox.name != name {
        return Err(format!(
            "it describes sandbox {}, not {name}",
            file.sandbox.name
        ));
    }
    validate_name("sandbox", &file.sandbox.name).map_err(|e| e.to_string())?;
    id_shape(&file.sandbox.id)?;
    let mut ifnames = HashSet::new();
    for ep in &file.endpoints {
        id_shape(&ep.id).map_err(|e| format!("endpoint {}: {e}", ep.ifname))?;
        validate_ifname("interface name", &ep.ifname).map_err(|e| e.to_string())?;
        if !ep.host_ifname.is_empty() {
            validate_ifname("host interface name", &ep.host_ifname).map_err(|e| e.to_string())?;
        }
        if ep.sandbox_id != file.sandbox.id {
            return Err(format!("endpoint {} belongs to another sandbox", ep.id));
        }
        let Some(net) = networks.iter().find(|n| n.id == ep.network_id) else {
            return Err(format!(
                "endpoint {} is on a network that does not exist",
                ep.ifname
            ));
        };
        let inside4 = match ep.ipv4 {
            Some(ip) => net.ipam.iter().any(|c| c.subnet.contains(&ip.addr())),
            None => net.ipam.is_empty(),
        };
        let inside6 = match (ep.ipv6, &net.ipam6) {
            (Some(ip), Some(c)) => c.subnet.contains(&ip.addr()),
            (None, _) => true,
            (Some(_), None) => false,
        };
        if !inside4 || !inside6 || ep.addresses().next().is_none() {
            return Err(format!(
                "{} has {:?}, which does not fit network {}",
                ep.ifname,
                ep.addresses_text(),
                net.name
            ));
        }
        if !ifnames.insert(&ep.ifname) {
            return Err(format!("two endpoints are called {}", ep.ifname));
        }
        // What ctnet would never write, and what would end up in neighbours' hosts files or
        // panic a driver: bad aliases, a MAC that does not parse (ipvlan has none).
        if let Some(bad) = ep
            .aliases
            .iter()
            .find(|a| validate_name("alias", a).is_err())
        {
            return Err(format!(
                "alias {bad:?} of {} is not a valid name",
                ep.ifname
            ));
        }
        let needs_mac = net.driver != crate::model::Driver::Ipvlan;
        if needs_mac != ep.mac.is_some() {
            return Err(format!(
                "{} {} a MAC on a {} network",
                ep.ifname,
                if needs_mac { "lacks" } else { "has" },
                net.driver.name()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Published;

    fn net(name: &str, br: &str, subnet: &str) -> Network {
        crate::model::tests::bridge_network(name, br, subnet, true)
    }

    #[test]
    fn hand_edited_mistakes_are_named() {
        assert!(
            check_networks(
                &[
                    net("a", "br-a", "10.0.0.0/24"),
                    net("b", "br-b", "10.0.1.0/24")
                ],
                &Default::default(),
                Lists::CheckAll
            )
            .is_ok()
        );
        let err = check_networks(
            &[
                net("a", "br-a", "10.0.0.0/16"),
                net("b", "br-b", "10.0.1.0/24"),
            ],
            &Default::default(),
            Lists::CheckAll,
        )
        .unwrap_err();
        assert_eq!(
            err,
            "subnet 10.0.0.0/16 of network a overlaps subnet 10.0.1.0/24 of network b"
        );
        let err = check_networks(
            &[net("a", "br", "10.0.0.0/24"), net("b", "br", "10.0.1.0/24")],
            &Default::default(),
            Lists::CheckAll,
        )
        .unwrap_err();
        assert!(err.contains("share the bridge br"), "{err}");
        let mut dup = net("a", "br-a", "10.0.0.0/24");
        dup.members
            .edit()
            .insert("x".into(), "10.0.0.2".parse().unwrap());
        dup.members
            .edit()
            .insert("y".into(), "10.0.0.2".parse().unwrap());
        let err = check_networks(&[dup], &Default::default(), Lists::CheckAll).unwrap_err();
        assert_eq!(err, "address 10.0.0.2 of network a is held by both x and y");
        assert!(
            check_networks(
                &[net("a", "x", "10.0.0.0/24"), net("a", "y", "10.0.1.0/24")],
                &Default::default(),
                Lists::CheckAll
            )
            .is_err()
        );
    }

    /// Drivers and link names rely on these: a state edited against them is refused at
    /// load, never reaches a driver's `expect` or a slice of a short id.
    #[test]
    fn settings_must_fit_the_driver_and_ids_their_shape() {
        let mut no_settings = net("a", "br-a", "10.0.0.0/24");
        no_settings.bridge = None;
        let err = check_networks(&[no_settings], &Default::default(), Lists::CheckAll).unwrap_err();
        assert!(
            err.contains("a bridge network that lacks bridge settings"),
            "{err}"
        );
        let mut two = net("a", "br-a", "10.0.0.0/24");
        two.driver = Driver::Macvlan;
        let err = check_networks(&[two], &Default::default(), Lists::CheckAll).unwrap_err();
        assert!(err.contains("has bridge settings"), "{err}");
        let mut wrong_mode = net("a", "br-a", "10.0.0.0/24");
        wrong_mode.driver = Driver::Ipvlan;
        wrong_mode.bridge = None;
        wrong_mode.ipvlan = Some(crate::model::LanSettings {
            parent: "eth0".into(),
            mode: LanMode::Macvlan(crate::model::MacvlanMode::Bridge),
            flag: None,
            mtu: None,
            made_parent: None,
        });
        let err = check_networks(&[wrong_mode], &Default::default(), Lists::CheckAll).unwrap_err();
        assert!(err.contains("another driver's mode"), "{err}");
        let mut short = net("a", "br-a", "10.0.0.0/24");
        short.id = "ab".into();
        let err = check_networks(&[short], &Default::default(), Lists::CheckAll).unwrap_err();
        assert!(err.contains("not 64 lowercase hex"), "{err}");
    }

    #[test]
    fn a_published_range_that_covers_a_later_port_is_a_clash_and_other_addresses_are_not() {
        use crate::ports::{PortMapping, Proto};
        let publish = |sandbox: &str, ip: Option<&str>, port: u16, count: u16| Published {
            sandbox: sandbox.into(),
            mapping: PortMapping {
                proto: Proto::Tcp,
                host_ip: ip.map(|ip| ip.parse().unwrap()),
                host_port: port,
                container_port: 80,
                count,
            },
        };
        let fine = [
            publish("a", Some("192.0.2.1"), 8080, 1),
            publish("b", Some("192.0.2.2"), 8080, 1),
            publish("c", None, 8081, 1),
        ];
        assert!(check_networks(&[], &Published::index(fine), Lists::CheckAll).is_ok());
        let clash = [
            publish("d", None, 9005, 1),
            publish("a", None, 8000, 1),
            publish("c", None, 9000, 10),
        ];
        assert_eq!(
            check_networks(&[], &Published::index(clash), Lists::CheckAll).unwrap_err(),
            "host port 9000/tcp is published by both c and d"
        );
    }
}
