//! The overlay driver: one L2 network across hosts. On each host with an endpoint on it, a
//! bridge with a VXLAN port (UDP 4789, the network's VNI) joins the endpoints' veths to the
//! other hosts' bridges. Static mode (`-o peer=`) floods unknown MACs to the listed VTEPs
//! and learns where each MAC lives from the traffic. Cluster mode (`--store`) learns
//! nothing from traffic: each host programs the other hosts' endpoints from the store
//! (see `cluster`). Nothing exists on a host until its first endpoint arrives, and it goes
//! with the last one.

pub mod mesh;
mod options;

use std::collections::BTreeMap;

use anyhow::Result;

pub use options::OverlayOptions;

use super::bridge::Bridge;
use super::sandbox::join_by_veth;
use super::{Egress, Host, NetworkDriver, NetworkRequest};
use crate::model::{Endpoint, Network, OverlaySettings, Sandbox};
use crate::plan::{Ns, Op};
use crate::{cluster, ifnames, refuse};

/// What VXLAN over IPv4 adds to a frame: the MTU inside is the underlay's minus this.
pub const VXLAN_OVERHEAD: u32 = 50;

pub struct Overlay;

pub fn settings(network: &Network) -> &OverlaySettings {
    network
        .overlay
        .as_ref()
        .expect("overlay networks carry overlay settings")
}

impl NetworkDriver for Overlay {
    /// Its VNI (given, or derived from its name, which every host of the network shares),
    /// its peers, and the underlay towards them.
    fn settle(
        &self,
        request: &NetworkRequest,
        network: &mut Network,
        host: &mut Host,
    ) -> Result<()> {
        let opts = OverlayOptions::parse(&request.options)?;
        if network.ipam.is_empty() {
            refuse!("an overlay network needs an IPv4 --subnet");
        }
        let vni = opts.vni.unwrap_or_else(|| vni_of(&network.name));
        if let Some(other) = host
            .state
            .networks
            .iter()
            .find(|n| n.overlay.as_ref().is_some_and(|o| o.vni == vni))
        {
            refuse!(
                "VNI {vni} is already used by network {}; pick another with -o vni=N",
                other.name
            );
        }
        let mut settings = OverlaySettings {
            vni,
            peers: Vec::new(),
            bridge: ifnames::overlay_bridge(&network.id),
            vxlan: ifnames::vxlan(&network.id),
            underlay: String::new(),
            mtu: 0,
            store: None,
            vtep: None,
            remotes: BTreeMap::new(),
            encrypted: false,
            keys: None,
            mesh: None,
            mesh_peers: BTreeMap::new(),
        };
        let underlay_mtu = match &request.store {
            // Cluster mode: the store knows the peers; the underlay is the way to the store.
            Some(url) if opts.peers.is_empty() => {
                let underlay = cluster::underlay_towards(host.kernel, url)?;
                settings.vtep = Some(cluster::local_vtep(&underlay));
                settings.underlay = underlay.dev;
                settings.store = Some(url.to_string());
                if opts.encrypted {
                    if !crate::cluster::kv::is_tls(url) && !request.insecure_store {
                        refuse!(
                            "-o encrypted keeps the network's keys in the store, and {url} is plain http: \
                             they would cross the network in clear; use an https:// store \
                             (--store-cacert, --store-cert, --store-key), or --insecure-store"
                        );
                    }
                    settings.encrypted = true;
                    settings.keys = Some(crate::model::EspKeys::new(&crate::ids::random_bytes()?));
                }
                underlay.mtu
            }
            None if opts.peers.is_empty() => refuse!(
                "an overlay network needs -o peer=IP[,IP...] (static mode: the other hosts' \
                 addresses) or --store etcd://HOST:PORT (cluster mode)"
            ),
            _ if opts.encrypted => refuse!(
                "-o encrypted needs cluster mode (--store etcd://HOST:PORT): the keys are held in the store"
            ),
            _ => static_peers(&opts.peers, &mut settings, host)?,
        };
        settings.mtu = opts
            .mtu
            .unwrap_or(underlay_mtu.saturating_sub(VXLAN_OVERHEAD));
        network.overlay = Some(settings);
        Ok(())
    }

    fn links_follow_endpoints(&self) -> bool {
        true
    }

    fn host_link<'a>(&self, network: &'a Network) -> Option<&'a str> {
        Some(&network.overlay.as_ref()?.bridge)
    }

    fn bridge_of<'a>(&self, network: &'a Network) -> Option<(&'a str, bool)> {
        Some((&network.overlay.as_ref()?.bridge, false))
    }

    fn egress(&self) -> Egress {
        Egress::GatewayBridge
    }

    /// The host's share of the network, made when its first endpoint arrives (and by
    /// `restore` and `gc` when it is missing).
    fn create(&self, network: &Network) -> Vec<Op> {
        let overlay = settings(network);
        // The bridge has no address (the network's gateway is not on any host) but the
        // routing mesh's, and a MAC of this host's own: hosts' bridges share one segment.
        let id = &network.id;
        let mac = mesh::bridge_mac(network);
        let mut plan = vec![
            Op::CreateBridge {
                name: overlay.bridge.clone(),
                mtu: Some(overlay.mtu),
                alias: crate::ifnames::mark(id),
                mac,
            },
            Op::CreateVxlan {
                name: overlay.vxlan.clone(),
                vni: overlay.vni,
                underlay: overlay.underlay.clone(),
                mtu: overlay.mtu,
                bridge: overlay.bridge.clone(),
                alias: crate::ifnames::mark(id),
                vtep: overlay.vtep,
            },
        ];
        plan.extend(overlay.peers.iter().map(|peer| Op::AddFloodEntry {
            dev: overlay.vxlan.clone(),
            peer: *peer,
        }));
        // Cluster mode: the other hosts' endpoints and mesh addresses, as last read from
        // the store.
        plan.extend(overlay.programmed().map(|remote| Op::AddRemote {
            dev: overlay.vxlan.clone(),
            remote: remote.clone(),
        }));
        // A published mesh port answers on the host's 127.0.0.1 (as a bridge network's).
        if overlay.store.is_some() {
            plan.push(Op::Sysctl {
                key: format!("net/ipv4/conf/{}/route_localnet", overlay.bridge),
                value: "1".into(),
            });
        }
        plan.extend(
            mesh::addresses(network)
                .into_iter()
                .map(|addr| Op::AddAddress {
                    ns: Ns::Host,
                    dev: overlay.bridge.clone(),
                    addr,
                }),
        );
        plan
    }

    /// Removing the bridge and the VXLAN device (after the last endpoint left).
    fn delete(&self, network: &Network) -> Vec<Op> {
        let overlay = settings(network);
        [&overlay.vxlan, &overlay.bridge]
            .into_iter()
            .map(|dev| Op::DeleteLink {
                ns: Ns::Host,
                dev: dev.clone(),
            })
            .collect()
    }

    fn join(&self, network: &Network, endpoint: &Endpoint, sandbox: &Sandbox) -> Vec<Op> {
        let overlay = settings(network);
        join_by_veth(
            &overlay.bridge,
            Some(overlay.mtu),
            false,
            network,
            endpoint,
            sandbox,
        )
    }

    fn leave(
        &self,
        network: &Network,
        endpoint: &Endpoint,
        sandbox: &Sandbox,
        alive: bool,
    ) -> Vec<Op> {
        Bridge.leave(network, endpoint, sandbox, alive)
    }
}

/// Static mode: the peers, each reached through one underlay (the same peer list may be
/// pasted on every host: this host's own address is dropped). Returns the underlay's MTU.
fn static_peers(
    peers: &[std::net::Ipv4Addr],
    settings: &mut OverlaySettings,
    host: &mut Host,
) -> Result<u32> {
    let mut underlay: Option<(String, u32)> = None;
    for &peer in peers {
        let Some(route) = host.kernel.route_to(peer)? else {
            refuse!(
                "no route to peer {peer}: the overlay's VXLAN traffic could not leave this host"
            );
        };
        let (dev, route_mtu) = (route.dev, route.mtu);
        if dev == "lo" {
            continue;
        }
        match &underlay {
            Some((other, _)) if *other != dev => {
                refuse!("peers are reached through {other} and {dev}: an overlay has one underlay")
            }
            Some((_, known)) if *known <= route_mtu => {}
            _ => underlay = Some((dev, route_mtu)),
        }
        settings.peers.push(peer);
    }
    let Some((dev, mtu)) = underlay else {
        refuse!("every peer is this host's own address: list the other hosts");
    };
    settings.underlay = dev;
    Ok(mtu)
}

/// Docker's overlay VNIs start at 4096; ctnet derives one from the network's name so that
/// every host that creates the network by that name agrees without asking anyone.
fn vni_of(name: &str) -> u32 {
    let mut hash: u32 = 0x811c9dc5;
    for byte in name.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x01000193);
    }
    4096 + hash % (16_777_215 - 4096)
}
