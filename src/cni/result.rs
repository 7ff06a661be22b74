//! What goes back on stdout after an ADD (and comes in again as `prevResult`), shaped by
//! spec version.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{SUPPORTED, SpecVersion};

/// A result: what ADD made, in the spec's terms. Also read back as `prevResult`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct CniResult {
    #[serde(default)]
    pub interfaces: Vec<Interface>,
    #[serde(default)]
    pub ips: Vec<IpConfig>,
    #[serde(default)]
    pub routes: Vec<Route>,
    #[serde(default)]
    pub dns: Dns,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Interface {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mac: Option<String>,
    /// The namespace path, for an interface in the container.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct IpConfig {
    pub address: IpNet,
    #[serde(default)]
    pub gateway: Option<IpAddr>,
    /// An index into `interfaces`.
    #[serde(default)]
    pub interface: Option<usize>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Route {
    pub dst: IpNet,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gw: Option<IpAddr>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Dns {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nameservers: Vec<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub search: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

impl Dns {
    fn is_empty(&self) -> bool {
        *self == Dns::default()
    }
}

impl CniResult {
    /// This result after `previous` (an earlier plugin's, in a chain): its entries first,
    /// ours after them, our interface indexes shifted to match. Our DNS wins where we
    /// have any.
    pub fn after(self, previous: Option<CniResult>) -> CniResult {
        let Some(mut merged) = previous else {
            return self;
        };
        let shift = merged.interfaces.len();
        merged.interfaces.extend(self.interfaces);
        merged.ips.extend(self.ips.into_iter().map(|ip| IpConfig {
            interface: ip.interface.map(|i| i + shift),
            ..ip
        }));
        merged.routes.extend(self.routes);
        if !self.dns.is_empty() {
            merged.dns = self.dns;
        }
        merged
    }

    /// The result as `version` shapes it: 0.4.0 marks each address with its family.
    pub fn to_json(&self, version: SpecVersion) -> Value {
        #[derive(Serialize)]
        struct Ip<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            version: Option<&'static str>,
            address: &'a IpNet,
            #[serde(skip_serializing_if = "Option::is_none")]
            gateway: Option<IpAddr>,
            #[serde(skip_serializing_if = "Option::is_none")]
            interface: Option<usize>,
        }
        #[derive(Serialize)]
        struct Shape<'a> {
            #[serde(rename = "cniVersion")]
            cni_version: &'static str,
            interfaces: &'a [Interface],
            ips: Vec<Ip<'a>>,
            #[serde(skip_serializing_if = "<[Route]>::is_empty")]
            routes: &'a [Route],
            #[serde(skip_serializing_if = "Dns::is_empty")]
            dns: &'a Dns,
        }
        let ips = self
            .ips
            .iter()
            .map(|ip| Ip {
                version: (version == SpecVersion::V0_4).then_some(match ip.address {
                    IpNet::V4(_) => "4",
                    IpNet::V6(_) => "6",
                }),
                address: &ip.address,
                gateway: ip.gateway,
                interface: ip.interface,
            })
            .collect();
        serde_json::to_value(Shape {
            cni_version: version.as_str(),
            interfaces: &self.interfaces,
            ips,
            routes: &self.routes,
            dns: &self.dns,
        })
        .expect("plain data serialises")
    }
}

/// VERSION's answer.
pub fn version_json(asked: &str) -> Value {
    let version = SpecVersion::parse(asked).map_or(SUPPORTED[2], SpecVersion::as_str);
    serde_json::json!({ "cniVersion": version, "supportedVersions": SUPPORTED })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CniResult {
        CniResult {
            interfaces: vec![
                Interface {
                    name: "vctn1".into(),
                    mac: None,
                    sandbox: None,
                },
                Interface {
                    name: "eth0".into(),
                    mac: Some("02:42:0a:01:00:05".into()),
                    sandbox: Some("/run/netns/c1".into()),
                },
            ],
            ips: vec![IpConfig {
                address: "10.1.0.5/24".parse().unwrap(),
                gateway: Some("10.1.0.1".parse().unwrap()),
                interface: Some(1),
            }],
            routes: vec![Route {
                dst: "0.0.0.0/0".parse().unwrap(),
                gw: Some("10.1.0.1".parse().unwrap()),
            }],
            dns: Dns::default(),
        }
    }

    #[test]

    fn results_take_each_versions_shape() {
        let old = sample().to_json(SpecVersion::V0_4);
        assert_eq!(old["cniVersion"], "0.4.0");
        assert_eq!(old["ips"][0]["version"], "4");
        let new = sample().to_json(SpecVersion::V1_0);
        assert_eq!(new["ips"][0].get("version"), None);
        assert_eq!(new["ips"][0]["address"], "10.1.0.5/24");
        assert_eq!(new["interfaces"][1]["sandbox"], "/run/netns/c1");
        assert_eq!(new.get("dns"), None);
        // A result reads back as a prevResult.
        let back: CniResult = serde_json::from_value(old).unwrap();
        assert_eq!(back, sample());
    }

    #[test]

    fn a_result_after_another_shifts_its_interface_indexes() {
        let merged = sample().after(Some(sample()));
        assert_eq!(merged.interfaces.len(), 4);
        assert_eq!(merged.ips[1].interface, Some(3));
        assert_eq!(merged.routes.len(), 2);
    }
}
