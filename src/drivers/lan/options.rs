//! The macvlan and ipvlan drivers' options (`-o`).

use std::collections::BTreeMap;

use crate::error::UserError;
use crate::model::{Driver, IpvlanFlag, IpvlanMode, LanMode, MacvlanMode};
use crate::netopts::parse_mtu;
use crate::refuse;

/// The macvlan and ipvlan drivers' options: `parent`, `macvlan_mode` (macvlan),
/// `ipvlan_mode` and `ipvlan_flag` (ipvlan), `mtu`.
#[derive(Debug, Clone, PartialEq)]
pub struct LanOptions {
    pub parent: Option<String>,
    pub mode: LanMode,
    pub flag: Option<IpvlanFlag>,
    pub mtu: Option<u32>,
}

impl LanOptions {
    pub fn parse(
        driver: Driver,
        options: &BTreeMap<String, String>,
    ) -> Result<LanOptions, UserError> {
        let ipvlan = driver == Driver::Ipvlan;
        let mut out = LanOptions {
            parent: None,
            mode: if ipvlan {
                LanMode::Ipvlan(IpvlanMode::L2)
            } else {
                LanMode::Macvlan(MacvlanMode::Bridge)
            },
            flag: None,
            mtu: None,
        };
        for (key, value) in options {
            match (key.as_str(), ipvlan) {
                ("parent", _) => {
                    crate::model::validate_ifname("parent", value)?;
                    out.parent = Some(value.clone());
                }
                ("macvlan_mode", false) => match MacvlanMode::parse(value) {
                    Some(mode) => out.mode = LanMode::Macvlan(mode),
                    None => refuse!(
                        "invalid macvlan_mode {value:?}: use bridge, private, vepa or passthru"
                    ),
                },
                ("ipvlan_mode", true) => match IpvlanMode::parse(value) {
                    Some(mode) => out.mode = LanMode::Ipvlan(mode),
                    None => refuse!("invalid ipvlan_mode {value:?}: use l2, l3 or l3s"),
                },
                ("ipvlan_flag", true) => match IpvlanFlag::parse(value) {
                    Some(flag) => out.flag = Some(flag),
                    None => refuse!("invalid ipvlan_flag {value:?}: use bridge, private or vepa"),
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
