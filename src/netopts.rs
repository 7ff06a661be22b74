//! Driver options (`-o K=V`) and labels: parsing, Docker's aliases, validation.

use std::collections::BTreeMap;

use crate::error::UserError;
use crate::model::Driver;
use crate::refuse;

/// Splits `K=V`; `what` names the flag in the error.
pub fn parse_key_value(what: &str, text: &str) -> Result<(String, String), UserError> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => refuse!("invalid {what} {text:?}: expected KEY=VALUE"),
    }
}

/// Labels may be a bare key, as Docker allows (`--label env`); options may not.
/// An `mtu` option: IPv4's minimum (68) to the largest a link takes.
fn parse_mtu(value: &str) -> Result<u32, UserError> {
    value
        .parse()
        .ok()
        .filter(|m| (68..=65535).contains(m))
        .ok_or_else(|| {
            UserError::new(format!(
                "invalid mtu {value:?}: expected a number from 68 to 65535"
            ))
        })
}

pub fn parse_map(what: &str, items: &[String]) -> Result<BTreeMap<String, String>, UserError> {
    let mut map = BTreeMap::new();
    for item in items {
        let (k, v) = match (what, item.contains('=')) {
            ("label", false) if !item.is_empty() => (item.clone(), String::new()),
            // Docker's overlay flag takes no value: `-o encrypted`.
            ("option", false) if item == "encrypted" => (item.clone(), String::new()),
            _ => parse_key_value(what, item)?,
        };
        if map.insert(k.clone(), v).is_some() {
            refuse!("{what} {k} is given twice");
        }
    }
    Ok(map)
}

/// The bridge driver's options, with Docker's long spellings accepted as aliases.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BridgeOptions {
    pub name: Option<String>,
    pub mtu: Option<u32>,
    pub icc: Option<bool>,
    pub masquerade: Option<bool>,
    pub host_binding_ipv4: Option<std::net::Ipv4Addr>,
}

const BRIDGE_KEYS: &[(&str, &str)] = &[
    ("bridge.name", "com.docker.network.bridge.name"),
    ("mtu", "com.docker.network.driver.mtu"),
    ("icc", "com.docker.network.bridge.enable_icc"),
    (
        "masquerade",
        "com.docker.network.bridge.enable_ip_masquerade",
    ),
    (
        "host_binding_ipv4",
        "com.docker.network.bridge.host_binding_ipv4",
    ),
];

fn canonical_key(key: &str) -> Option<&'static str> {
    BRIDGE_KEYS
        .iter()
        .find(|(short, long)| key == *short || key == *long)
        .map(|(short, _)| *short)
}

fn parse_bool(key: &str, value: &str) -> Result<bool, UserError> {
    match value {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => refuse!("option {key}={value}: expected true or false"),
    }
}

impl BridgeOptions {
    pub fn parse(options: &BTreeMap<String, String>) -> Result<BridgeOptions, UserError> {
        let mut out = BridgeOptions::default();
        let mut seen = Vec::new();
        for (key, value) in options {
            let Some(canonical) = canonical_key(key) else {
                let known: Vec<&str> = BRIDGE_KEYS.iter().map(|(s, _)| *s).collect();
                refuse!(
                    "unknown bridge option {key:?}: known options are {}",
                    known.join(", ")
                );
            };
            if seen.contains(&canonical) {
                refuse!("option {canonical} is given twice (once under Docker's name)");
            }
            seen.push(canonical);
            match canonical {
                "bridge.name" => {
                    crate::model::validate_ifname("bridge.name", value)?;
                    out.name = Some(value.clone());
                }
                "mtu" => out.mtu = Some(parse_mtu(value)?),
                "icc" => out.icc = Some(parse_bool(key, value)?),
                "masquerade" => out.masquerade = Some(parse_bool(key, value)?),
                "host_binding_ipv4" => {
                    out.host_binding_ipv4 = Some(value.parse().map_err(|_| {
                        UserError::new(format!(
                            "invalid host_binding_ipv4 {value:?}: expected an IPv4 address"
                        ))
                    })?)
                }
                _ => unreachable!("every canonical key is handled"),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[&str]) -> Result<BridgeOptions, UserError> {
        let items: Vec<String> = pairs.iter().map(|s| s.to_string()).collect();
        BridgeOptions::parse(&parse_map("option", &items)?)
    }

    #[test]
    fn short_and_docker_spellings() {
        let o = opts(&[
            "bridge.name=br-lab",
            "com.docker.network.driver.mtu=1400",
            "icc=false",
        ])
        .unwrap();
        assert_eq!(o.name.as_deref(), Some("br-lab"));
        assert_eq!(o.mtu, Some(1400));
        assert_eq!(o.icc, Some(false));
        let o = opts(&["com.docker.network.bridge.enable_ip_masquerade=false"]).unwrap();
        assert_eq!(o.masquerade, Some(false));
    }

    #[test]
    fn bad_options_are_refused() {
        for bad in [
            &["mtu=9"][..],
            &["mtu=abc"],
            &["icc=maybe"],
            &["bridge.name=waytoolongbridgename"],
            &["colour=blue"],
            &["mtu=1400", "com.docker.network.driver.mtu=1500"],
            &["novalue"],
            &["icc=true", "icc=false"],
        ] {
            assert!(opts(bad).is_err(), "{bad:?} accepted");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn options_and_cidrs_never_panic(items in proptest::collection::vec("\\PC{0,30}", 0..4), cidr in "\\PC{0,24}") {
            if let Ok(map) = parse_map("option", &items) {
                let _ = BridgeOptions::parse(&map);
            }
            let _ = cidr.parse::<ipnet::Ipv4Net>().map(|net| crate::ipam::build_config(net.trunc(), None, None, &[]));
        }
    }
}

/// The macvlan and ipvlan drivers' options: `parent`, `macvlan_mode` (macvlan),
/// `ipvlan_mode` and `ipvlan_flag` (ipvlan), `mtu`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LanOptions {
    pub parent: Option<String>,
    pub mode: String,
    pub flag: Option<String>,
    pub mtu: Option<u32>,
}

impl LanOptions {
    pub fn parse(
        driver: Driver,
        options: &BTreeMap<String, String>,
    ) -> Result<LanOptions, UserError> {
        let ipvlan = driver == Driver::Ipvlan;
        let mut out = LanOptions {
            mode: if ipvlan { "l2" } else { "bridge" }.into(),
            ..LanOptions::default()
        };
        for (key, value) in options {
            match (key.as_str(), ipvlan) {
                ("parent", _) => {
                    crate::model::validate_ifname("parent", value)?;
                    out.parent = Some(value.clone());
                }
                ("macvlan_mode", false) => match value.as_str() {
                    "bridge" | "private" | "vepa" | "passthru" => out.mode = value.clone(),
                    _ => refuse!(
                        "invalid macvlan_mode {value:?}: use bridge, private, vepa or passthru"
                    ),
                },
                ("ipvlan_mode", true) => match value.as_str() {
                    "l2" | "l3" | "l3s" => out.mode = value.clone(),
                    _ => refuse!("invalid ipvlan_mode {value:?}: use l2, l3 or l3s"),
                },
                ("ipvlan_flag", true) => match value.as_str() {
                    "bridge" | "private" | "vepa" => out.flag = Some(value.clone()),
                    _ => refuse!("invalid ipvlan_flag {value:?}: use bridge, private or vepa"),
                },
                ("mtu" | "com.docker.network.driver.mtu", _) => out.mtu = Some(parse_mtu(value)?),
                _ if ipvlan => refuse!(
                    "unknown ipvlan option {key:?}: known options are parent, ipvlan_mode, ipvlan_flag, mtu"
                ),
                _ => refuse!(
                    "unknown macvlan option {key:?}: known options are parent, macvlan_mode, mtu"
                ),
            }
        }
        Ok(out)
    }
}

/// The overlay driver's options: `vni`, `peer` (comma-separated VTEP addresses),
/// `encrypted`, `mtu`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OverlayOptions {
    pub vni: Option<u32>,
    pub peers: Vec<std::net::Ipv4Addr>,
    pub encrypted: bool,
    pub mtu: Option<u32>,
}

impl OverlayOptions {
    pub fn parse(options: &BTreeMap<String, String>) -> Result<OverlayOptions, UserError> {
        let mut out = OverlayOptions::default();
        for (key, value) in options {
            match key.as_str() {
                "vni" | "com.docker.network.driver.overlay.vxlanid_list" => {
                    out.vni = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|v| (1..=16_777_215).contains(v))
                            .ok_or_else(|| {
                                UserError::new(format!(
                                    "invalid vni {value:?}: expected a number from 1 to 16777215"
                                ))
                            })?,
                    )
                }
                "peer" => {
                    for peer in value.split(',').filter(|p| !p.is_empty()) {
                        let ip = peer.parse().map_err(|_| {
                            UserError::new(format!(
                                "invalid peer {peer:?}: expected an IPv4 address"
                            ))
                        })?;
                        if !out.peers.contains(&ip) {
                            out.peers.push(ip);
                        }
                    }
                }
                "encrypted" => out.encrypted = value.is_empty() || value == "true",
                "mtu" | "com.docker.network.driver.mtu" => out.mtu = Some(parse_mtu(value)?),
                _ => refuse!(
                    "unknown overlay option {key:?}: known options are vni, peer, encrypted, mtu"
                ),
            }
        }
        Ok(out)
    }
}
