//! The whole cluster as a listing or a watch shows it.

use std::collections::{BTreeMap, BTreeSet};

use std::net::Ipv4Addr;

use super::endpoints::parse_endpoint;
use super::keys::ROOT;
use super::kv::Entry;
use super::mesh::{parse_mesh, parse_service};
use crate::model::{RemoteEndpoint, Service};

/// The whole cluster as one listing of `/ctnet/` shows it: the networks that exist, and
/// every endpoint by network.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Snapshot {
    pub networks: BTreeSet<String>,
    pub endpoints: BTreeMap<String, BTreeMap<String, RemoteEndpoint>>,
    pub keys: BTreeMap<String, crate::model::EspKeys>,
    /// Every service by network, by name.
    pub services: BTreeMap<String, BTreeMap<String, Service>>,
    /// Every host's mesh address by network, by VTEP.
    pub mesh: BTreeMap<String, BTreeMap<Ipv4Addr, RemoteEndpoint>>,
    /// Networks whose deletion a watch saw (a listing cannot tell a deleted network from
    /// one made after it was read).
    pub removed: BTreeSet<String>,
}
impl Snapshot {
    pub fn from_entries(entries: &[Entry]) -> Snapshot {
        let mut snapshot = Snapshot::default();
        for entry in entries {
            snapshot.apply(&entry.key, Some(&entry.value));
        }
        snapshot
    }

    /// Follows one change of the store (`value: None` for a deletion).
    pub fn apply(&mut self, key: &str, value: Option<&[u8]>) {
        let Some(rest) = key.strip_prefix(ROOT) else {
            return;
        };
        if let Some(name) = rest.strip_prefix("keys/") {
            match value.and_then(|v| serde_json::from_slice(v).ok()) {
                Some(keys) => self.keys.insert(name.to_string(), keys),
                None => self.keys.remove(name),
            };
        } else if let Some(name) = rest.strip_prefix("networks/") {
            match value {
                Some(_) => {
                    self.removed.remove(name);
                    self.networks.insert(name.to_string())
                }
                None => {
                    self.removed.insert(name.to_string());
                    self.networks.remove(name)
                }
            };
        } else if let Some((network, service)) = rest
            .strip_prefix("services/")
            .and_then(|r| r.split_once('/'))
        {
            let on_network = self.services.entry(network.to_string()).or_default();
            match value.and_then(parse_service) {
                Some(record) => on_network.insert(service.to_string(), record),
                None => on_network.remove(service),
            };
        } else if let Some((network, vtep)) =
            rest.strip_prefix("mesh/").and_then(|r| r.split_once('/'))
        {
            let on_network = self.mesh.entry(network.to_string()).or_default();
            match value.and_then(|v| parse_mesh(vtep, v)) {
                Some((vtep, record)) => on_network.insert(vtep, record),
                None => vtep.parse().ok().and_then(|vtep| on_network.remove(&vtep)),
            };
        } else if let Some((network, sandbox)) = rest
            .strip_prefix("endpoints/")
            .and_then(|r| r.split_once('/'))
        {
            let on_network = self.endpoints.entry(network.to_string()).or_default();
            match value.and_then(|v| parse_endpoint(sandbox, v)) {
                Some(remote) => {
                    on_network.insert(sandbox.to_string(), remote);
                }
                None => {
                    on_network.remove(sandbox);
                }
            }
        }
    }
}
