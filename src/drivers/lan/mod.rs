//! The macvlan and ipvlan drivers: containers on the LAN itself. Each endpoint is a child of
//! the network's parent interface, born inside the sandbox with its own address (and, for
//! macvlan, its own MAC); the LAN's router is the gateway. Nothing of the network lives on
//! the host but a parent ctnet may have made (a VLAN sub-interface, a dummy), and no NAT.

mod options;

use anyhow::Result;

pub use options::LanOptions;

use super::sandbox::configure_in_sandbox;
use super::{Egress, Host, NetworkDriver, NetworkRequest};
use crate::ifnames;
use crate::model::{Driver, Endpoint, LanMode, LanSettings, MadeParent, Network, Sandbox};
use crate::plan::{Ns, Op};
use crate::refuse;

pub struct Lan;

fn settings(network: &Network) -> &LanSettings {
    network
        .lan()
        .expect("macvlan and ipvlan networks carry their settings")
}

impl NetworkDriver for Lan {
    /// Refuses what cannot work here: no subnet (it must be the LAN's), a parent that is
    /// missing, a bridge port or another network's, a kernel without the link kinds.
    fn settle(
        &self,
        request: &NetworkRequest,
        network: &mut Network,
        host: &mut Host,
    ) -> Result<()> {
        let kind = request.driver.name();
        let opts = LanOptions::parse(request.driver, &request.options)?;
        if !request.has_subnet() {
            refuse!(
                "a {kind} network is on the LAN: give its --subnet (and --gateway, the LAN's router)"
            );
        }
        let routed = matches!(opts.mode, LanMode::Ipvlan(m) if m != crate::model::IpvlanMode::L2);
        if routed && request.has_gateway() {
            refuse!(
                "an ipvlan {} network takes no --gateway: the host routes for it, and each sandbox's \
                 default route goes out of its interface",
                opts.mode
            );
        }
        if request.internal && opts.parent.is_some() {
            refuse!(
                "--internal does not apply to {kind} on a parent: its containers are on the LAN"
            );
        }
        let mut needs = vec![(kind, kernel_option(request.driver))];
        let (parent, made_parent) = match opts.parent {
            // Without a parent the network sits on a dummy interface and is internal, as
            // in Docker.
            None => {
                needs.push(("dummy", "CONFIG_DUMMY"));
                network.internal = true;
                (ifnames::dummy_parent(&network.id), Some(MadeParent::Dummy))
            }
            Some(parent) => {
                let made = check_parent(&parent, kind, host, &mut needs)?;
                (parent, made)
            }
        };
        if let Some(bridge) = host
            .state
            .networks
            .iter()
            .find(|n| n.bridge.as_ref().is_some_and(|b| b.ifname == parent))
        {
            refuse!("parent {parent} is the bridge of network {}", bridge.name);
        }
        if let Some(other) = host
            .state
            .networks
            .iter()
            .find(|n| n.lan().is_some_and(|l| l.parent == parent))
        {
            refuse!(
                "parent {parent} is already used by network {} (one network per parent, as in Docker; \
                 use a VLAN sub-interface such as {parent}.10 for another)",
                other.name
            );
        }
        let kinds: Vec<&str> = needs.iter().map(|(k, _)| *k).collect();
        let missing = host.kernel.missing_link_kinds(&kinds);
        if let Some((label, option)) = needs.iter().find(|(k, _)| missing.contains(k)) {
            refuse!("this kernel cannot make {label} interfaces ({option} is not set)");
        }
        let settings = LanSettings {
            parent,
            mode: opts.mode,
            flag: opts.flag,
            mtu: opts.mtu,
            made_parent,
        };
        match request.driver {
            Driver::Ipvlan => network.ipvlan = Some(settings),
            _ => network.macvlan = Some(settings),
        }
        Ok(())
    }

    fn host_link<'a>(&self, network: &'a Network) -> Option<&'a str> {
        let lan = network.lan()?;
        lan.made_parent.as_ref().map(|_| lan.parent.as_str())
    }

    fn egress(&self) -> Egress {
        Egress::Lan
    }

    fn own_macs(&self, network: &Network) -> bool {
        network.driver != Driver::Ipvlan
    }

    fn create(&self, network: &Network) -> Vec<Op> {
        let lan = settings(network);
        lan.made_parent
            .iter()
            .map(|made| Op::CreateParent {
                name: lan.parent.clone(),
                made: made.clone(),
                alias: crate::ifnames::mark(&network.id),
            })
            .collect()
    }

    fn delete(&self, network: &Network) -> Vec<Op> {
        let lan = settings(network);
        lan.made_parent
            .iter()
            .map(|_| Op::DeleteLink {
                ns: Ns::Host,
                dev: lan.parent.clone(),
            })
            .collect()
    }

    fn join(&self, network: &Network, endpoint: &Endpoint, sandbox: &Sandbox) -> Vec<Op> {
        let lan = settings(network);
        let child = match lan.mode {
            LanMode::Ipvlan(mode) => Op::CreateIpvlan {
                parent: lan.parent.clone(),
                mode,
                flag: lan.flag,
                mtu: lan.mtu,
                peer_ns: sandbox.netns.clone(),
                name: endpoint.ifname.clone(),
            },
            LanMode::Macvlan(mode) => Op::CreateMacvlan {
                parent: lan.parent.clone(),
                mode,
                mtu: lan.mtu,
                peer_ns: sandbox.netns.clone(),
                name: endpoint.ifname.clone(),
                mac: endpoint.mac,
            },
        };
        let mut plan = vec![child];
        plan.extend(configure_in_sandbox(network, endpoint, sandbox));
        plan
    }

    fn leave(
        &self,
        _network: &Network,
        endpoint: &Endpoint,
        sandbox: &Sandbox,
        alive: bool,
    ) -> Vec<Op> {
        super::sandbox::leave_inside(endpoint, sandbox, alive)
    }
}

/// A parent the user named: there and free (a bridge port cannot be one), or a VLAN
/// sub-interface (`eth0.10`) for ctnet to make on a link that is. Adds the link kinds it
/// needs to `needs`.
fn check_parent(
    parent: &str,
    kind: &str,
    host: &mut Host,
    needs: &mut Vec<(&str, &'static str)>,
) -> Result<Option<MadeParent>> {
    if parent == "lo" {
        refuse!("parent lo is the loopback interface: {kind} needs an interface on a LAN");
    }
    match host.kernel.link_enslaved(parent)? {
        Some(true) => {
            refuse!("parent {parent} is a port of a bridge: {kind} needs an interface of its own")
        }
        Some(false) => Ok(None),
        None => {
            let Some((link, id)) = vlan_of(parent) else {
                refuse!("parent {parent} does not exist");
            };
            match host.kernel.link_enslaved(&link)? {
                None => refuse!("parent {parent} does not exist, nor does {link} to make it on"),
                Some(true) => {
                    refuse!("{link} is a port of a bridge: VLAN {id} cannot be made on it")
                }
                Some(false) => {}
            }
            needs.push(("802.1q vlan", "CONFIG_VLAN_8021Q"));
            Ok(Some(MadeParent::Vlan { link, id }))
        }
    }
}

/// The kernel option behind a driver.
fn kernel_option(driver: Driver) -> &'static str {
    match driver {
        Driver::Ipvlan => "CONFIG_IPVLAN",
        _ => "CONFIG_MACVLAN",
    }
}

/// `eth0.10` → (`eth0`, 10): the parent names a VLAN sub-interface to make.
fn vlan_of(parent: &str) -> Option<(String, u16)> {
    let (link, id) = parent.rsplit_once('.')?;
    let id: u16 = id.parse().ok().filter(|id| (1..=4094).contains(id))?;
    (!link.is_empty()).then(|| (link.to_string(), id))
}
