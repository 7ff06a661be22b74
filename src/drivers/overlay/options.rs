//! The overlay driver's options (`-o`).

use std::collections::BTreeMap;

use crate::error::UserError;
use crate::netopts::parse_mtu;
use crate::refuse;

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
