//! Services of cluster overlays and the routing mesh, as the store holds them: each
//! service's record (its virtual IP's address held in `ipam/` beside it), and each host's
//! mesh address, the address its bridge on the network has while services need it.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

use anyhow::{Context, Result, bail};

use super::endpoints::held_addresses;
use super::kv::{Entry, Kv};
use super::{
    CLAIM_TRIES, ipam_key, mesh_key, mesh_prefix, network_key, service_key, services_prefix,
};
use crate::model::{Mac, Network, RemoteEndpoint, Service};
use crate::refuse;

/// The services of a cluster network, as the store has them (records ctnet cannot read
/// are skipped: one bad record must not stop the others).
pub fn services(kv: &mut Kv, network: &str) -> Result<Vec<Service>> {
    let (entries, _) = kv.list(&services_prefix(network))?;
    Ok(entries
        .iter()
        .filter_map(|e| parse_service(&e.value))
        .collect())
}

pub(super) fn parse_service(value: &[u8]) -> Option<Service> {
    let service: Service = serde_json::from_slice(value).ok()?;
    crate::model::validate_name("service", &service.name).ok()?;
    Some(service)
}

/// Every host's mesh address on a network, by VTEP.
pub fn mesh_peers(kv: &mut Kv, network: &str) -> Result<BTreeMap<Ipv4Addr, RemoteEndpoint>> {
    let prefix = mesh_prefix(network);
    let (entries, _) = kv.list(&prefix)?;
    Ok(entries
        .iter()
        .filter_map(|e| parse_mesh(e.key.strip_prefix(&prefix)?, &e.value))
        .collect())
}

/// A mesh record (`mesh/NAME/VTEP`), if it is one ctnet can use: its key names its VTEP.
pub(super) fn parse_mesh(vtep: &str, value: &[u8]) -> Option<(Ipv4Addr, RemoteEndpoint)> {
    let record: RemoteEndpoint = serde_json::from_slice(value).ok()?;
    let vtep: Ipv4Addr = vtep.parse().ok()?;
    (record.vtep == vtep && record.ipv4.is_some()).then_some((vtep, record))
}

/// The addresses the store holds on a network, IPv4 only, with `also`.
fn taken4(kv: &mut Kv, network: &str, also: Vec<Ipv4Addr>) -> Result<Vec<Ipv4Addr>> {
    let held = held_addresses(kv, network)?;
    Ok(also
        .into_iter()
        .chain(held.into_iter().filter_map(|ip| match ip {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        }))
        .collect())
}

/// A free address of a cluster network for a service's virtual IP: neither held in the
/// store nor used here.
pub fn virtual_ip(kv: &mut Kv, network: &Network) -> Result<Ipv4Addr> {
    let Some(config) = network.ipam.first() else {
        refuse!(
            "network {} has no IPv4 subnet for a virtual IP",
            network.name
        );
    };
    let taken = taken4(kv, &network.name, network.used4())?;
    Ok(crate::ipam::allocate(config, &taken, None, &network.name)?.addr())
}

/// Records a new service of a cluster network with its virtual IP's address, only if the
/// network still exists and neither the name nor the address is taken.
pub fn publish_service(kv: &mut Kv, network: &str, service: &Service) -> Result<()> {
    let mut entries = vec![Entry {
        key: service_key(network, &service.name),
        value: serde_json::to_vec(service)?,
    }];
    entries.extend(service.vips().map(|vip| Entry {
        key: ipam_key(network, vip),
        value: format!("service {}", service.name).into_bytes(),
    }));
    if kv.create(&entries, &[network_key(network)])? {
        return Ok(());
    }
    if kv.get(&network_key(network))?.is_none() {
        refuse!("network {network} was removed from the cluster");
    }
    if kv.get(&service_key(network, &service.name))?.is_some() {
        refuse!(
            "service {} already exists in the cluster (on network {network})",
            service.name
        );
    }
    refuse!("another host took the virtual IP meanwhile: try again")
}

/// Takes a service's record and its virtual IP's address out of the store, only if the
/// record is still this service's (not one made again by that name meanwhile, whose
/// address may be another's now). Gone already is no error.
pub fn withdraw_service(kv: &mut Kv, network: &str, service: &Service) -> Result<()> {
    let key = service_key(network, &service.name);
    let Some(stored) = kv.get(&key)? else {
        return Ok(());
    };
    if parse_service(&stored).is_none_or(|s| s.id != service.id) {
        refuse!(
            "service {} was made again in the cluster meanwhile (by another host): not removed",
            service.name
        );
    }
    let vips: Vec<String> = service.vips().map(|vip| ipam_key(network, vip)).collect();
    if !kv.delete_if_value(&key, &stored, &vips)? {
        refuse!(
            "service {} changed in the cluster meanwhile: try again",
            service.name
        );
    }
    Ok(())
}

/// The keys a host's mesh address holds on a network.
pub fn mesh_keys(network: &str, vtep: Ipv4Addr, address: Ipv4Addr) -> Vec<String> {
    vec![
        mesh_key(network, vtep),
        ipam_key(network, IpAddr::V4(address)),
    ]
}

/// This host's mesh address on a cluster network: the one the store has for its VTEP (a
/// claim from an earlier run), else a free one claimed now. `mac` is its bridge's.
/// `dry_run`: chosen, not written.
pub fn claim_mesh(
    kv: &mut Kv,
    network: &Network,
    vtep: Ipv4Addr,
    mac: Mac,
    dry_run: bool,
) -> Result<RemoteEndpoint> {
    let name = &network.name;
    let key = mesh_key(name, vtep);
    if let Some(bytes) = kv.get(&key)? {
        let existing = parse_mesh(&vtep.to_string(), &bytes)
            .with_context(|| format!("the store's record {key} is not ctnet's"))?;
        return Ok(existing.1);
    }
    let Some(config) = network.ipam.first() else {
        refuse!("network {name} has no IPv4 subnet for this host's mesh address");
    };
    for _ in 0..CLAIM_TRIES {
        let taken = taken4(kv, name, network.used4())?;
        let address = crate::ipam::allocate(config, &taken, None, name)?.addr();
        let record = RemoteEndpoint {
            vtep,
            mac,
            ipv4: Some(address),
            ipv6: None,
            aliases: Vec::new(),
        };
        if dry_run {
            return Ok(record);
        }
        let entries = [
            Entry {
                key: key.clone(),
                value: serde_json::to_vec(&record)?,
            },
            Entry {
                key: ipam_key(name, IpAddr::V4(address)),
                value: format!("mesh {vtep}").into_bytes(),
            },
        ];
        if kv.create(&entries, &[network_key(name)])? {
            return Ok(record);
        }
        if kv.get(&network_key(name))?.is_none() {
            refuse!("network {name} was removed from the cluster");
        }
    }
    bail!("could not claim a mesh address on network {name}: other hosts kept taking them first")
}
