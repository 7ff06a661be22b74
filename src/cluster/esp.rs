//! Encrypted overlays (`-o encrypted`): IPsec ESP in transport mode between each pair of
//! VTEPs for their VXLAN traffic (UDP 4789), AES-GCM (rfc4106, 128-bit key and 32-bit
//! salt), with the keys in the cluster store.
//!
//! What the kernel should hold follows from the state alone, like the firewall: for every
//! encrypted overlay with endpoints on another host, a pair of policies that require ESP
//! for VXLAN to and from that host (so nothing crosses in plaintext, even with no key), an
//! inbound security association per key, and an outbound one for the primary key. A
//! command compares that set before and after and adds or removes the difference.
//!
//! Rotation (`overlay rotate-key`) is three store updates, each applied by every host: a
//! new key that hosts accept, then the new key as the one they send with, then the old
//! key gone. Every host accepts a key before any host sends with it, so no packet is
//! dropped.
//!
//! The policies match VXLAN between two hosts, not one network: two hosts that share an
//! encrypted overlay encrypt all their overlays' traffic.

use std::collections::BTreeSet;
use std::net::Ipv4Addr;

use crate::model::Network;
use crate::plan::xfrm::Xfrm;

/// The SPI of one direction of one key of one network: every host derives the same one.
/// (FNV-1a; SPIs below 256 are reserved.)
pub fn spi(network_id: &str, src: Ipv4Addr, dst: Ipv4Addr, key_id: u32) -> u32 {
    let mut hash: u32 = 0x811c9dc5;
    let bytes = network_id
        .bytes()
        .chain(src.octets())
        .chain(dst.octets())
        .chain(key_id.to_be_bytes());
    for byte in bytes {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x01000193);
    }
    hash.max(0x100)
}

/// Everything the kernel should hold for the encrypted overlays among `networks`.
pub fn wanted(networks: &[Network]) -> BTreeSet<Xfrm> {
    let mut out = BTreeSet::new();
    for network in networks {
        let Some(overlay) = &network.overlay else {
            continue;
        };
        let (true, Some(local)) = (overlay.encrypted, overlay.vtep) else {
            continue;
        };
        let remotes: BTreeSet<Ipv4Addr> = overlay.programmed().map(|r| r.vtep).collect();
        for remote in remotes {
            // The policies whatever the keys: without a key VXLAN to that host is dropped,
            // never sent in plaintext.
            out.insert(Xfrm::Policy { local, remote });
            for key in overlay.keys.iter().flat_map(|k| &k.keys) {
                let keys = overlay.keys.as_ref().expect("iterating its keys");
                out.insert(Xfrm::Sa {
                    src: remote,
                    dst: local,
                    spi: spi(&network.id, remote, local, key.id),
                    key: key.key.clone(),
                });
                if key.id == keys.primary {
                    out.insert(Xfrm::Sa {
                        src: local,
                        dst: remote,
                        spi: spi(&network.id, local, remote, key.id),
                        key: key.key.clone(),
                    });
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EspKeys, OverlaySettings, RemoteEndpoint};

    fn encrypted(keys: EspKeys, remotes: &[&str]) -> Network {
        let mut network = crate::model::tests::network_with_members("sec", false, &[]);
        network.overlay = Some(OverlaySettings {
            vni: 5000,
            peers: vec![],
            bridge: "cto-x".into(),
            vxlan: "ctv-x".into(),
            underlay: "eth0".into(),
            mtu: 1450,
            store: Some("etcd://10.0.0.9:2379".into()),
            vtep: Some("10.0.0.1".parse().unwrap()),
            remotes: remotes
                .iter()
                .enumerate()
                .map(|(i, vtep)| {
                    let remote = RemoteEndpoint {
                        vtep: vtep.parse().unwrap(),
                        mac: "02:42:0a:00:00:02".parse().unwrap(),
                        ipv4: None,
                        ipv6: None,
                        aliases: vec![],
                    };
                    (format!("c{i}"), remote)
                })
                .collect(),
            encrypted: true,
            keys: Some(keys),
            mesh: None,
            mesh_peers: Default::default(),
        });
        network
    }

    fn count(set: &BTreeSet<Xfrm>) -> (usize, usize) {
        let policies = set
            .iter()
            .filter(|x| matches!(x, Xfrm::Policy { .. }))
            .count();
        (policies, set.len() - policies)
    }

    #[test]
    fn one_policy_pair_per_remote_host_and_a_sa_per_direction() {
        let keys = EspKeys::new(&[7; 20]);
        // Two endpoints behind one host, one behind another: two hosts.
        let network = encrypted(keys, &["10.0.0.2", "10.0.0.2", "10.0.0.3"]);
        assert_eq!(count(&wanted(&[network])), (2, 4));
    }

    #[test]
    fn rotation_accepts_then_sends_then_forgets() {
        let keys = EspKeys::new(&[1; 20]);
        let [accepted, sending, alone] = keys.rotation(&[2; 20]);
        let sas = |keys: &EspKeys| wanted(&[encrypted(keys.clone(), &["10.0.0.2"])]);
        // Accepting: inbound for both keys, outbound still with the old one.
        assert_eq!(count(&sas(&accepted)), (1, 3));
        assert!(sas(&accepted).is_superset(&sas(&keys)));
        // Sending: the outbound SA moves to the new key; both are still accepted.
        let moved: Vec<_> = sas(&sending).difference(&sas(&accepted)).cloned().collect();
        assert!(
            matches!(&moved[..], [Xfrm::Sa { src, .. }] if *src == "10.0.0.1".parse::<Ipv4Addr>().unwrap())
        );
        // Alone: only the new key, both ways.
        assert_eq!(count(&sas(&alone)), (1, 2));
        assert_eq!(alone.keys.len(), 1);
        assert_eq!(alone.primary, 2);
    }

    #[test]
    fn both_hosts_derive_each_others_spis() {
        let (a, b): (Ipv4Addr, Ipv4Addr) =
            ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        assert_eq!(spi("n", a, b, 1), spi("n", a, b, 1));
        assert_ne!(spi("n", a, b, 1), spi("n", b, a, 1));
        assert_ne!(spi("n", a, b, 1), spi("n", a, b, 2));
        assert!(spi("n", a, b, 1) >= 0x100);
    }

    #[test]
    fn unencrypted_or_lonely_overlays_want_nothing() {
        let keys = EspKeys::new(&[7; 20]);
        assert!(wanted(&[encrypted(keys, &[])]).is_empty());
        let mut plain = encrypted(EspKeys::new(&[7; 20]), &["10.0.0.2"]);
        plain.overlay.as_mut().unwrap().encrypted = false;
        assert!(wanted(&[plain]).is_empty());
    }

    #[test]
    fn without_keys_the_policies_stay_and_nothing_goes_in_plaintext() {
        let mut keyless = encrypted(EspKeys::new(&[7; 20]), &["10.0.0.2"]);
        keyless.overlay.as_mut().unwrap().keys = None;
        assert_eq!(count(&wanted(&[keyless])), (1, 0));
    }
}
