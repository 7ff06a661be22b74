//! Checks on state read from disk: a file edited by hand into something ctnet could never
//! have written is reported precisely, and nothing is done until it is fixed.

use std::collections::{HashMap, HashSet};

use crate::model::{Network, Published, validate_ifname, validate_name};
use crate::store::SandboxFile;

/// What is wrong with the networks in state.json, if anything.
pub fn check_networks(networks: &[Network], published: &[Published]) -> Result<(), String> {
    let mut names = HashSet::new();
    let mut ids = HashSet::new();
    let mut bridges = HashMap::new();
    for net in networks {
        // Every name ctnet writes was validated when it was given: one that fails now was
        // edited in, and could reach a file path (a member key `../../x`) or nft's text.
        let name_checks = [validate_name("network", &net.name).err()]
            .into_iter()
            .chain(
                (net.members.keys().chain(net.members6.keys()))
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
        let mut seen = HashMap::new();
        for (sandbox, ip) in &net.members {
            if let Some(other) = seen.insert(ip, sandbox) {
                return Err(format!(
                    "address {ip} of network {} is held by both {other} and {sandbox}",
                    net.name
                ));
            }
            if !net.ipam.iter().any(|c| c.subnet.contains(ip)) {
                return Err(format!(
                    "address {ip} of {sandbox} is outside network {}",
                    net.name
                ));
            }
        }
        let mut seen6 = HashMap::new();
        for (sandbox, ip) in &net.members6 {
            if let Some(other) = seen6.insert(ip, sandbox) {
                return Err(format!(
                    "address {ip} of network {} is held by both {other} and {sandbox}",
                    net.name
                ));
            }
            if !net.ipam6.as_ref().is_some_and(|c| c.subnet.contains(ip)) {
                return Err(format!(
                    "address {ip} of {sandbox} is outside network {}",
                    net.name
                ));
            }
        }
        for (sandbox, mac) in &net.macs {
            if !net.has_member(sandbox) {
                return Err(format!(
                    "network {} has a MAC for {sandbox}, which is not on it",
                    net.name
                ));
            }
            if crate::model::parse_mac(mac).is_err() {
                return Err(format!("{sandbox} has an invalid MAC {mac:?}"));
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
    for (i, a) in published.iter().enumerate() {
        if let Some(b) = published[i + 1..]
            .iter()
            .find(|b| b.mapping.collides(&a.mapping))
        {
            return Err(format!(
                "host port {}/{} is published by both {} and {}",
                a.mapping.host_port,
                a.mapping.proto.name(),
                a.sandbox,
                b.sandbox
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
    let mut ifnames = HashSet::new();
    for ep in &file.endpoints {
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
        if needs_mac && crate::model::parse_mac(&ep.mac).is_err() {
            return Err(format!("{} has an invalid MAC {:?}", ep.ifname, ep.mac));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BridgeSettings, Driver, IpamConfig};

    fn net(name: &str, br: &str, subnet: &str) -> Network {
        let subnet: ipnet::Ipv4Net = subnet.parse().unwrap();
        Network {
            id: format!("{name}-id"),
            name: name.into(),
            driver: Driver::Bridge,
            created: String::new(),
            ipam: vec![IpamConfig {
                subnet,
                gateway: subnet.hosts().next().unwrap(),
                ip_range: None,
                aux_addresses: Default::default(),
            }],
            internal: false,
            enable_ipv6: false,
            ipam6: None,
            labels: Default::default(),
            options: Default::default(),
            builtin: false,
            bridge: Some(BridgeSettings {
                ifname: br.into(),
                mtu: None,
                icc: true,
                masquerade: true,
                host_binding: None,
            }),
            macvlan: None,
            ipvlan: None,
            overlay: None,
            members: Default::default(),
            aliases: Default::default(),
            members6: Default::default(),
            macs: Default::default(),
        }
    }

    #[test]
    fn hand_edited_mistakes_are_named() {
        assert!(
            check_networks(
                &[
                    net("a", "br-a", "10.0.0.0/24"),
                    net("b", "br-b", "10.0.1.0/24")
                ],
                &[]
            )
            .is_ok()
        );
        let err = check_networks(
            &[
                net("a", "br-a", "10.0.0.0/16"),
                net("b", "br-b", "10.0.1.0/24"),
            ],
            &[],
        )
        .unwrap_err();
        assert_eq!(
            err,
            "subnet 10.0.0.0/16 of network a overlaps subnet 10.0.1.0/24 of network b"
        );
        let err = check_networks(
            &[net("a", "br", "10.0.0.0/24"), net("b", "br", "10.0.1.0/24")],
            &[],
        )
        .unwrap_err();
        assert!(err.contains("share the bridge br"), "{err}");
        let mut dup = net("a", "br-a", "10.0.0.0/24");
        dup.members.insert("x".into(), "10.0.0.2".parse().unwrap());
        dup.members.insert("y".into(), "10.0.0.2".parse().unwrap());
        let err = check_networks(&[dup], &[]).unwrap_err();
        assert_eq!(err, "address 10.0.0.2 of network a is held by both x and y");
        assert!(
            check_networks(
                &[net("a", "x", "10.0.0.0/24"), net("a", "y", "10.0.1.0/24")],
                &[]
            )
            .is_err()
        );
    }
}
