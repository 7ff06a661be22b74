//! Cluster mode without a store: syncing remotes, snapshots, what an endpoint holds.

use std::collections::BTreeMap;

use super::*;
use crate::model::{OverlaySettings, RemoteEndpoint};
use crate::plan::Op;

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
        mesh: None,
        mesh_peers: BTreeMap::new(),
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
