//! The p2p driver's options (`-o`).

use std::collections::BTreeMap;

use crate::error::UserError;
use crate::netopts::parse_mtu;
use crate::refuse;

/// `mtu`, the link's.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct P2pOptions {
    pub mtu: Option<u32>,
}

impl P2pOptions {
    pub fn parse(options: &BTreeMap<String, String>) -> Result<P2pOptions, UserError> {
        let mut out = P2pOptions::default();
        for (key, value) in options {
            match key.as_str() {
                "mtu" | "com.docker.network.driver.mtu" => out.mtu = Some(parse_mtu(value)?),
                _ => refuse!("unknown p2p option {key:?}: the known option is mtu"),
            }
        }
        Ok(out)
    }
}
