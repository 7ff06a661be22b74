//! The bridge driver's options (`-o`), with Docker's long spellings accepted as aliases.

use std::collections::BTreeMap;

use crate::error::UserError;
use crate::model::GatewayMode;
use crate::netopts::parse_mtu;
use crate::refuse;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct BridgeOptions {
    pub name: Option<String>,
    pub mtu: Option<u32>,
    pub icc: Option<bool>,
    pub masquerade: Option<bool>,
    pub host_binding_ipv4: Option<std::net::Ipv4Addr>,
    pub gateway_mode_ipv4: Option<GatewayMode>,
    pub gateway_mode_ipv6: Option<GatewayMode>,
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
    (
        "gateway_mode_ipv4",
        "com.docker.network.bridge.gateway_mode_ipv4",
    ),
    (
        "gateway_mode_ipv6",
        "com.docker.network.bridge.gateway_mode_ipv6",
    ),
];

fn parse_gateway_mode(key: &str, value: &str) -> Result<GatewayMode, UserError> {
    GatewayMode::parse(value).ok_or_else(|| {
        let known: Vec<&str> = GatewayMode::ALL.iter().map(|m| m.name()).collect();
        UserError::new(format!(
            "option {key}={value}: expected one of {}",
            known.join(", ")
        ))
    })
}

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
                "gateway_mode_ipv4" => {
                    out.gateway_mode_ipv4 = Some(parse_gateway_mode(key, value)?)
                }
                "gateway_mode_ipv6" => {
                    out.gateway_mode_ipv6 = Some(parse_gateway_mode(key, value)?)
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
    use crate::netopts::parse_map;

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
        let o = opts(&[
            "gateway_mode_ipv4=routed",
            "com.docker.network.bridge.gateway_mode_ipv6=nat-unprotected",
        ])
        .unwrap();
        assert_eq!(o.gateway_mode_ipv4, Some(GatewayMode::Routed));
        assert_eq!(o.gateway_mode_ipv6, Some(GatewayMode::NatUnprotected));
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
            &["gateway_mode_ipv4=direct"],
        ] {
            assert!(opts(bad).is_err(), "{bad:?} accepted");
        }
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use crate::netopts::parse_map;
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
