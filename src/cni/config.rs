//! The network configuration on stdin: what a runtime asks for.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::CniResult;

/// The network configuration a runtime sends on stdin (one plugin of a conflist, with
/// the list's name and version filled in).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NetConf {
    pub cni_version: String,
    #[serde(default)]
    pub name: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The ctnet network this configuration stands for.
    #[serde(default)]
    pub network: Option<String>,
    #[serde(default)]
    pub runtime_config: RuntimeConfig,
    #[serde(default)]
    pub prev_result: Option<CniResult>,
    /// GC: the attachments the runtime still has (on this network).
    #[serde(rename = "cni.dev/valid-attachments", default)]
    pub valid_attachments: Option<Vec<Attachment>>,
    /// ctnet manages its own addresses; a configuration that names an IPAM plugin
    /// expects something ctnet would not do.
    #[serde(default)]
    pub ipam: Option<Value>,
}

/// What the runtime passes for the capabilities ctnet's configurations declare.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeConfig {
    #[serde(default)]
    pub port_mappings: Vec<PortMap>,
    #[serde(default)]
    pub ips: Vec<String>,
    #[serde(default)]
    pub mac: Option<String>,
    #[serde(default)]
    pub aliases: Option<Aliases>,
}

/// One `portMappings` entry.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PortMap {
    pub host_port: u16,
    pub container_port: u16,
    #[serde(default = "tcp")]
    pub protocol: String,
    #[serde(rename = "hostIP", default)]
    pub host_ip: String,
}

fn tcp() -> String {
    "tcp".into()
}

/// `aliases`: a list, or (as podman sends it, for the dnsname plugin) a map from network
/// name to list.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Aliases {
    List(Vec<String>),
    PerNetwork(BTreeMap<String, Vec<String>>),
}

impl Aliases {
    /// The aliases for the network the runtime calls `network`.
    pub fn for_network(&self, network: &str) -> Vec<String> {
        match self {
            Aliases::List(list) => list.clone(),
            Aliases::PerNetwork(map) => map.get(network).cloned().unwrap_or_default(),
        }
    }
}

/// One of GC's valid attachments.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Attachment {
    #[serde(rename = "containerID")]
    pub container_id: String,
    pub ifname: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]

    fn config_reads_capabilities_in_both_alias_shapes() {
        let conf: NetConf = serde_json::from_value(json!({
            "cniVersion": "1.0.0", "name": "front", "type": "ctnet", "network": "front",
            "runtimeConfig": {
                "portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "udp", "hostIP": "127.0.0.1"}],
                "aliases": {"front": ["web"]},
                "ips": ["10.1.0.5/24"]
            }
        }))
        .unwrap();
        let rc = &conf.runtime_config;
        assert_eq!(rc.port_mappings[0].protocol, "udp");
        assert_eq!(rc.port_mappings[0].host_ip, "127.0.0.1");
        assert_eq!(rc.aliases.as_ref().unwrap().for_network("front"), ["web"]);
        assert_eq!(
            Aliases::List(vec!["a".into()]).for_network("x"),
            vec!["a".to_string()]
        );
    }
}
