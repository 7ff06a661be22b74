//! Cluster mode of overlay networks: what lives in etcd, and how a host follows it.
//!
//! The store holds, under `/ctnet/`:
//! - `networks/NAME`: the network as its creator planned it (JSON, without anything that
//!   is one host's own: members, underlay, VTEP);
//! - `vnis/VNI`: the name of the network that holds the VNI (one network per VNI);
//! - `endpoints/NAME/SANDBOX`: an endpoint (a [`RemoteEndpoint`]: VTEP, MAC, addresses,
//!   aliases), so sandbox names are unique on a network across hosts;
//! - `ipam/NAME/IP`: the sandbox that holds the address;
//! - `keys/NAME`: an encrypted network's IPsec keys.
//!
//! An endpoint's record and its addresses are written in one transaction that succeeds
//! only if none of those keys exists and the network does: two hosts never hold one
//! address, and a removed network takes no new endpoints. Everything else a host knows
//! about the cluster (the other hosts' endpoints it programmed) is a cache in state.json.

pub mod esp;
pub mod kv;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};

use anyhow::{Context, Result, bail};
use ipnet::IpNet;

use crate::cluster::kv::{Entry, Kv};
use crate::model::{Network, OverlaySettings, RemoteEndpoint};
use crate::plan::Op;
use crate::refuse;
use crate::sys::{Kernel, Underlay};

/// Everything ctnet keeps in the store is under this prefix.
pub const ROOT: &str = "/ctnet/";

/// How often a connect re-reads and retries when another host took its address first.
const CLAIM_TRIES: usize = 100;

pub fn network_key(name: &str) -> String {
    format!("{ROOT}networks/{name}")
}

pub fn vni_key(vni: u32) -> String {
    format!("{ROOT}vnis/{vni}")
}

pub fn endpoints_prefix(network: &str) -> String {
    format!("{ROOT}endpoints/{network}/")
}

pub fn endpoint_key(network: &str, sandbox: &str) -> String {
    format!("{}{sandbox}", endpoints_prefix(network))
}

/// An encrypted network's keys (`esp::EspKeys`).
pub fn keys_key(network: &str) -> String {
    format!("{ROOT}keys/{network}")
}

pub fn ipam_prefix(network: &str) -> String {
    format!("{ROOT}ipam/{network}/")
}

pub fn ipam_key(network: &str, ip: IpAddr) -> String {
    format!("{}{ip}", ipam_prefix(network))
}

/// The keys an endpoint holds: its record and its addresses.
pub fn endpoint_keys(
    network: &str,
    sandbox: &str,
    addresses: impl IntoIterator<Item = IpAddr>,
) -> Vec<String> {
    let mut keys = vec![endpoint_key(network, sandbox)];
    keys.extend(addresses.into_iter().map(|ip| ipam_key(network, ip)));
    keys
}

/// The store's URL of a cluster network (`None` for every other network).
pub fn store_of(network: &Network) -> Option<&str> {
    network.overlay.as_ref()?.store.as_deref()
}

/// What the store keeps of a network: nothing that belongs to one host.
pub fn network_record(network: &Network) -> Result<Vec<u8>> {
    let mut shared = network.clone();
    shared.members.clear();
    shared.members6.clear();
    shared.aliases.clear();
    if let Some(overlay) = shared.overlay.as_mut() {
        overlay.vtep = None;
        overlay.underlay.clear();
        overlay.remotes.clear();
        overlay.keys = None;
    }
    Ok(serde_json::to_vec(&shared)?)
}

/// A subnet of `b` that overlaps one of `a` (either family). CIDR blocks overlap only
/// when one holds the other.
fn overlapping(a: &Network, b: &Network) -> Option<String> {
    let subnets = |n: &Network| -> Vec<IpNet> {
        (n.ipam.iter().map(|c| IpNet::V4(c.subnet)))
            .chain(n.ipam6.iter().map(|c| IpNet::V6(c.subnet)))
            .collect()
    };
    let theirs = subnets(b);
    subnets(a).into_iter().find_map(|x| {
        theirs
            .iter()
            .find(|y| x.contains(*y) || y.contains(&x))
            .map(|y| y.to_string())
    })
}

/// Makes a new network the cluster's: its record and its VNI, both only if nobody has
/// them, in one transaction.
pub fn publish_network(kv: &mut Kv, network: &Network) -> Result<()> {
    let vni = network
        .overlay
        .as_ref()
        .expect("cluster networks are overlays")
        .vni;
    let (records, _) = kv.list(&format!("{ROOT}networks/"))?;
    for record in records {
        let Ok(other) = serde_json::from_slice::<Network>(&record.value) else {
            continue;
        };
        if other.name == network.name {
            refuse!(
                "network with name {} already exists in the cluster",
                network.name
            );
        }
        if let Some(subnet) = overlapping(network, &other) {
            refuse!(
                "the subnet overlaps with cluster network {} ({subnet})",
                other.name
            );
        }
    }
    let mut entries = vec![
        Entry {
            key: network_key(&network.name),
            value: network_record(network)?,
        },
        Entry {
            key: vni_key(vni),
            value: network.name.as_bytes().to_vec(),
        },
    ];
    if let Some(keys) = network.overlay.as_ref().and_then(|o| o.keys.as_ref()) {
        entries.push(Entry {
            key: keys_key(&network.name),
            value: serde_json::to_vec(keys)?,
        });
    }
    if !kv.create(&entries, &[])? {
        if kv.get(&network_key(&network.name))?.is_some() {
            refuse!(
                "network with name {} already exists in the cluster",
                network.name
            );
        }
        let holder = kv.get(&vni_key(vni))?.unwrap_or_default();
        refuse!(
            "VNI {vni} is already used by cluster network {}; pick another with -o vni=N",
            String::from_utf8_lossy(&holder)
        );
    }
    Ok(())
}

/// Takes a network's record and VNI out of the store (after it was removed, or when its
/// creation failed on this host).
pub fn withdraw_network(kv: &mut Kv, name: &str, vni: u32) -> Result<()> {
    kv.delete(&[network_key(name), vni_key(vni), keys_key(name)], &[])
}

/// Removes a cluster network from the store, refusing while any host has an endpoint on
/// it: one transaction deletes it only if no endpoint record exists.
pub fn remove_network(kv: &mut Kv, network: &Network) -> Result<()> {
    let vni = network
        .overlay
        .as_ref()
        .expect("cluster networks are overlays")
        .vni;
    let name = &network.name;
    // Gone, or made again since: only this host's copy is removed.
    if store_has_same(kv, network)? != Some(true) {
        return Ok(());
    }
    let removed = kv.delete_if_empty(
        &network_key(name),
        &endpoints_prefix(name),
        &[network_key(name), vni_key(vni), keys_key(name)],
        &[ipam_prefix(name)],
    )?;
    if removed {
        return Ok(());
    }
    let attached = endpoints(kv, name)?;
    if attached.is_empty() {
        // Removed from the store already (on another host): only this host's copy is left.
        return Ok(());
    }
    let names: Vec<String> = attached
        .iter()
        .map(|(sandbox, r)| format!("{sandbox} on {}", r.vtep))
        .collect();
    refuse!(
        "network {name} has active endpoints in the cluster ({}): disconnect them first",
        names.join(", ")
    );
}

/// A cluster network this host has not used yet, from the store, with this host's own
/// underlay and VTEP. `None` if the store has no network by that name.
pub fn adopt(
    kv: &mut Kv,
    name: &str,
    state: &crate::model::State,
    kernel: &mut dyn Kernel,
) -> Result<Option<Network>> {
    let Some(bytes) = kv.get(&network_key(name))? else {
        return Ok(None);
    };
    let mut network: Network = serde_json::from_slice(&bytes)
        .with_context(|| format!("the store's record of network {name} is not ctnet's"))?;
    for other in &state.networks {
        if other.id == network.id || other.name == network.name {
            refuse!("network {name} exists here already, as a local network");
        }
        if let Some(subnet) = overlapping(&network, other) {
            refuse!(
                "cluster network {name} overlaps with network {} ({subnet}) on this host",
                other.name
            );
        }
        if other.overlay.as_ref().map(|o| o.vni) == network.overlay.as_ref().map(|o| o.vni) {
            refuse!(
                "cluster network {name} has the VNI of network {} on this host",
                other.name
            );
        }
    }
    let underlay = underlay_towards(kernel, kv.url())?;
    let Some(overlay) = network.overlay.as_mut() else {
        bail!("the store's record of network {name} is not an overlay");
    };
    overlay.vtep = Some(local_vtep(&underlay));
    overlay.underlay = underlay.dev;
    overlay.store = Some(kv.url().to_string());
    refresh_keys(kv, &mut network)?;
    Ok(Some(network))
}

/// An encrypted network's keys as the store has them now.
pub fn refresh_keys(kv: &mut Kv, network: &mut Network) -> Result<()> {
    let name = network.name.clone();
    let Some(overlay) = network.overlay.as_mut().filter(|o| o.encrypted) else {
        return Ok(());
    };
    let Some(bytes) = kv.get(&keys_key(&name))? else {
        bail!("the store has no keys for encrypted network {name}");
    };
    overlay.keys = Some(
        serde_json::from_slice(&bytes)
            .with_context(|| format!("the store's keys of network {name} are not ctnet's"))?,
    );
    Ok(())
}

/// Where this host's VXLAN traffic leaves from: the route towards the store. Its source
/// address is this host's VTEP, the address the other hosts send to. When the store runs
/// on this host, the link holding its address is the underlay.
pub fn underlay_towards(kernel: &mut dyn Kernel, url: &str) -> Result<Underlay> {
    let endpoints = crate::cluster::kv::parse_url(url)?;
    let hostport = endpoints[0].trim_start_matches("http://");
    let ip = hostport
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve the store's host {hostport}"))?
        .find_map(|addr| match addr.ip() {
            IpAddr::V4(v4) => Some(v4),
            IpAddr::V6(_) => None,
        });
    let Some(ip) = ip else {
        refuse!("the store {url} has no IPv4 address: VTEPs are IPv4");
    };
    let Some(underlay) = kernel.route_to(ip)? else {
        refuse!("no route to the store at {ip}");
    };
    // The store runs on this host: its address is this host's VTEP, on the link that holds
    // it (a store on 127.0.0.1 says nothing about the underlay).
    let underlay = match underlay.dev.as_str() {
        "lo" => match kernel.link_with_address(ip)? {
            Some(link) if link.dev != "lo" => link,
            _ => refuse!(
                "the store {url} is on this host's loopback: give it by the address the other hosts reach it at, on the underlay"
            ),
        },
        _ => underlay,
    };
    if underlay.source.is_none() {
        refuse!(
            "{} has no IPv4 address to send VXLAN traffic from",
            underlay.dev
        );
    }
    Ok(underlay)
}

/// The other hosts' endpoints on one network, as the store has them.
pub fn endpoints(kv: &mut Kv, network: &str) -> Result<BTreeMap<String, RemoteEndpoint>> {
    let prefix = endpoints_prefix(network);
    let (entries, _) = kv.list(&prefix)?;
    Ok(entries
        .iter()
        .filter_map(|e| {
            let sandbox = e.key.strip_prefix(&prefix)?;
            Some((sandbox.to_string(), parse_endpoint(sandbox, &e.value)?))
        })
        .collect())
}

/// The record of `sandbox`'s endpoint (`endpoints/NAME/SANDBOX`); `None` for one ctnet
/// cannot use.
fn parse_endpoint(sandbox: &str, value: &[u8]) -> Option<RemoteEndpoint> {
    let remote: RemoteEndpoint = serde_json::from_slice(value).ok()?;
    // A record the kernel would refuse (a bad MAC fails to parse above) must not stop
    // every other endpoint's entries.
    crate::model::validate_name("sandbox", sandbox).ok()?;
    // Aliases reach every sandbox's hosts file: a name with a newline in it must not.
    for alias in &remote.aliases {
        crate::model::validate_name("alias", alias).ok()?;
    }
    Some(remote)
}

/// The whole cluster as one listing of `/ctnet/` shows it: the networks that exist, and
/// every endpoint by network.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Snapshot {
    pub networks: BTreeSet<String>,
    pub endpoints: BTreeMap<String, BTreeMap<String, RemoteEndpoint>>,
    pub keys: BTreeMap<String, crate::model::EspKeys>,
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

/// Whether the store's network of this name is `network` (not another one made after it
/// was removed): `None` if the store has no network of that name.
fn store_has_same(kv: &mut Kv, network: &Network) -> Result<Option<bool>> {
    let Some(bytes) = kv.get(&network_key(&network.name))? else {
        return Ok(None);
    };
    let id = serde_json::from_slice::<serde_json::Value>(&bytes)
        .ok()
        .and_then(|v| v.get("id")?.as_str().map(String::from));
    Ok(Some(id.as_deref() == Some(network.id.as_str())))
}

/// Every address the store holds on a network, from `ipam/` (so that an endpoint record
/// ctnet cannot read still keeps its addresses).
fn held_addresses(kv: &mut Kv, network: &str) -> Result<HashSet<IpAddr>> {
    let prefix = ipam_prefix(network);
    let (entries, _) = kv.list(&prefix)?;
    Ok(entries
        .iter()
        .filter_map(|e| e.key.strip_prefix(&prefix)?.parse().ok())
        .collect())
}

/// Claims addresses and the sandbox's name on a cluster network: `choose` picks addresses
/// given those the store holds (it is called again after losing a race), and the record
/// is written only if nobody took any of its keys meanwhile. Returns the record and the
/// endpoints the store had. `dry_run`: choose, but write nothing.
pub fn claim(
    kv: &mut Kv,
    network: &Network,
    sandbox: &str,
    dry_run: bool,
    mut choose: impl FnMut(&HashSet<IpAddr>) -> Result<RemoteEndpoint>,
) -> Result<(RemoteEndpoint, BTreeMap<String, RemoteEndpoint>)> {
    let name = &network.name;
    match store_has_same(kv, network)? {
        None => refuse!(
            "network {name} is not in the store any more (removed on another host): 'ctnet network rm {name}' removes this host's copy"
        ),
        Some(false) => refuse!(
            "the store's network {name} is another network of that name (made again after this host's copy): 'ctnet network rm {name}' removes the copy"
        ),
        Some(true) => {}
    }
    for _ in 0..CLAIM_TRIES {
        let existing = endpoints(kv, name)?;
        if let Some(other) = existing.get(sandbox) {
            refuse!(
                "a sandbox named {sandbox} is already on network {name} (on the host with VTEP {})",
                other.vtep
            );
        }
        let mut taken = held_addresses(kv, name)?;
        taken.extend(existing.values().flat_map(RemoteEndpoint::addresses));
        let record = choose(&taken)?;
        if dry_run {
            return Ok((record, existing));
        }
        let mut entries = vec![Entry {
            key: endpoint_key(name, sandbox),
            value: serde_json::to_vec(&record)?,
        }];
        entries.extend(record.addresses().map(|ip| Entry {
            key: ipam_key(name, ip),
            value: sandbox.as_bytes().to_vec(),
        }));
        if kv.create(&entries, &[network_key(name)])? {
            return Ok((record, existing));
        }
        if kv.get(&network_key(name))?.is_none() {
            refuse!("network {name} was removed from the cluster");
        }
    }
    bail!("could not claim an address on network {name}: other hosts kept taking them first")
}

/// The steps that bring this host's VXLAN entries from what it programmed (`overlay.
/// remotes`) to what the store says, and the new list. `full`: program every entry again
/// (after a restart: the kernel may have lost them).
pub fn sync_remotes(
    overlay: &OverlaySettings,
    store: &BTreeMap<String, RemoteEndpoint>,
    full: bool,
) -> (Vec<Op>, BTreeMap<String, RemoteEndpoint>) {
    let wanted: BTreeMap<String, RemoteEndpoint> = store
        .iter()
        .filter(|(_, r)| Some(r.vtep) != overlay.vtep)
        .map(|(n, r)| (n.clone(), r.clone()))
        .collect();
    let dev = || overlay.vxlan.clone();
    let mut plan: Vec<Op> = overlay
        .remotes
        .iter()
        .filter(|(name, old)| wanted.get(*name) != Some(old))
        .map(|(_, old)| Op::DeleteRemote {
            dev: dev(),
            remote: old.clone(),
        })
        .collect();
    plan.extend(
        wanted
            .iter()
            .filter(|(name, new)| full || overlay.remotes.get(*name) != Some(new))
            .map(|(_, new)| Op::AddRemote {
                dev: dev(),
                remote: new.clone(),
            }),
    );
    (plan, wanted)
}

/// This host's VTEP for the overlays of `url` (from the route to the store).
pub fn local_vtep(underlay: &Underlay) -> Ipv4Addr {
    underlay.source.expect("checked by underlay_towards")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(vtep: &str, ip: &str) -> RemoteEndpoint {
        let ip: Ipv4Addr = ip.parse().unwrap();
        RemoteEndpoint {
            vtep: vtep.parse().unwrap(),
            mac: crate::model::Mac::from_ipv4(ip),
            ipv4: Some(ip),
            ipv6: None,
            aliases: vec![],
        }
    }

    fn overlay(vtep: &str, remotes: &[(&str, RemoteEndpoint)]) -> OverlaySettings {
        OverlaySettings {
            vni: 4242,
            peers: vec![],
            bridge: "cto-x".into(),
            vxlan: "ctv-x".into(),
            underlay: "eth0".into(),
            mtu: 1450,
            store: Some("etcd://10.0.0.9:2379".into()),
            vtep: Some(vtep.parse().unwrap()),
            remotes: remotes
                .iter()
                .map(|(n, r)| (n.to_string(), r.clone()))
                .collect(),
            encrypted: false,
            keys: None,
        }
    }

    #[test]
    fn sync_adds_new_removes_gone_and_skips_this_hosts_own() {
        let a = remote("10.0.0.2", "10.9.0.2");
        let b = remote("10.0.0.3", "10.9.0.3");
        let mine = remote("10.0.0.1", "10.9.0.4");
        let current = overlay("10.0.0.1", &[("a", a.clone())]);
        let store: BTreeMap<String, RemoteEndpoint> =
            [("b".to_string(), b.clone()), ("me".to_string(), mine)].into();
        let (plan, remotes) = sync_remotes(&current, &store, false);
        assert_eq!(
            plan,
            vec![
                Op::DeleteRemote {
                    dev: "ctv-x".into(),
                    remote: a
                },
                Op::AddRemote {
                    dev: "ctv-x".into(),
                    remote: b.clone()
                },
            ]
        );
        assert_eq!(remotes, [("b".to_string(), b.clone())].into());
        // Nothing to do when the cache matches; everything again when asked for.
        let synced = overlay("10.0.0.1", &[("b", b.clone())]);
        assert!(sync_remotes(&synced, &store, false).0.is_empty());
        assert_eq!(sync_remotes(&synced, &store, true).0.len(), 1);
    }

    #[test]
    fn a_moved_endpoint_is_replaced() {
        let before = remote("10.0.0.2", "10.9.0.2");
        let after = remote("10.0.0.3", "10.9.0.2");
        let current = overlay("10.0.0.1", &[("a", before.clone())]);
        let store = [("a".to_string(), after.clone())].into();
        let (plan, _) = sync_remotes(&current, &store, false);
        assert!(matches!(&plan[0], Op::DeleteRemote { remote, .. } if *remote == before));
        assert!(matches!(&plan[1], Op::AddRemote { remote, .. } if *remote == after));
    }

    #[test]
    fn snapshot_follows_puts_and_deletes() {
        let a = remote("10.0.0.2", "10.9.0.2");
        let entries = vec![
            Entry {
                key: network_key("ov"),
                value: b"{}".to_vec(),
            },
            Entry {
                key: endpoint_key("ov", "a"),
                value: serde_json::to_vec(&a).unwrap(),
            },
            Entry {
                key: ipam_key("ov", "10.9.0.2".parse().unwrap()),
                value: b"a".to_vec(),
            },
        ];
        let mut snapshot = Snapshot::from_entries(&entries);
        assert!(snapshot.networks.contains("ov"));
        assert_eq!(snapshot.endpoints["ov"]["a"], a);
        snapshot.apply(&endpoint_key("ov", "a"), None);
        snapshot.apply(&network_key("ov"), None);
        assert!(snapshot.endpoints["ov"].is_empty());
        assert!(snapshot.networks.is_empty());
    }

    #[test]
    fn an_endpoint_holds_its_record_and_its_addresses() {
        let a = remote("10.0.0.2", "10.9.0.2");
        assert_eq!(
            endpoint_keys("ov", "a", a.addresses()),
            vec!["/ctnet/endpoints/ov/a", "/ctnet/ipam/ov/10.9.0.2"]
        );
    }
}
