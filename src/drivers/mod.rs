//! Network drivers. A driver owns its kind of network: it settles a request into a network
//! (reading its own options, checking them against the state and the host) and turns the
//! network, its endpoints and their sandboxes into kernel steps. None touches the kernel
//! itself, and nothing outside `drivers` asks which driver a network has: it asks the
//! driver.
//!
//! Adding a driver is adding a folder here (its options, its settings in `model`) and a
//! line in `for_network_driver`.

pub mod bridge;
pub mod lan;
pub mod overlay;
pub mod p2p;
mod request;
pub mod sandbox;
#[cfg(test)]
mod tests;

use anyhow::Result;

pub use request::{Host, NetworkRequest, PoolRequest, settle};

use crate::error::UserError;
use crate::model::{Driver, Endpoint, Network, Sandbox, State};
use crate::plan::Op;
use crate::refuse;

/// How a network's endpoints reach the world beyond their network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Egress {
    /// Through the network's own bridge, routed and masqueraded by this host, which
    /// publishes their ports (bridge).
    Routed,
    /// Through a second endpoint on the gateway bridge, which also takes their ports
    /// (overlay: the network's gateway is on no host).
    GatewayBridge,
    /// They are on the LAN itself, with addresses of its own: nothing to route or publish
    /// (macvlan, ipvlan).
    Lan,
    /// Nowhere: the network is a link between two sandboxes (p2p).
    None,
}

impl Egress {
    /// True if the network's gateway is on this host or its LAN, so a sandbox may take its
    /// default route through it (an overlay's is on no host, a link has none).
    pub fn gateway_here(self) -> bool {
        matches!(self, Egress::Routed | Egress::Lan)
    }

    /// True if this host forwards the network's traffic (and another table may block it).
    pub fn forwarded(self) -> bool {
        matches!(self, Egress::Routed | Egress::GatewayBridge)
    }
}

pub trait NetworkDriver {
    /// Reads the request's options and checks them against the state and the host, then
    /// writes the driver's settings into `network`, whose id and addresses are settled.
    fn settle(
        &self,
        request: &NetworkRequest,
        network: &mut Network,
        host: &mut Host,
    ) -> Result<()>;

    /// True if the network's host links come to a host with its first endpoint there and
    /// go with the last (overlay); otherwise they come and go with the network.
    fn links_follow_endpoints(&self) -> bool {
        false
    }

    /// The host link the network owns (its bridge, or the parent ctnet made for it).
    fn host_link<'a>(&self, network: &'a Network) -> Option<&'a str>;

    /// The bridge its endpoints' host ends are ports of, and whether those ports are
    /// isolated from each other; `None` where endpoints have no host end.
    fn bridge_of<'a>(&self, _network: &'a Network) -> Option<(&'a str, bool)> {
        None
    }

    fn egress(&self) -> Egress;

    /// True if its endpoints have MACs of their own (ipvlan's share their parent's).
    fn own_macs(&self, _network: &Network) -> bool {
        true
    }

    /// Steps that bring a new network into the kernel (or, where links follow endpoints,
    /// the host's share of it, for the first endpoint).
    fn create(&self, network: &Network) -> Vec<Op>;
    /// Steps that remove a network with no endpoints left (on this host).
    fn delete(&self, network: &Network) -> Vec<Op>;
    /// Steps that put an endpoint into a sandbox.
    fn join(&self, network: &Network, endpoint: &Endpoint, sandbox: &Sandbox) -> Vec<Op>;

    /// True if the network's endpoints come in pairs (p2p): at most two, and a join needs
    /// the other (`join_beside`).
    fn pairs(&self) -> bool {
        false
    }

    /// `join`, given the endpoint already on the network and its sandbox, where the driver
    /// pairs endpoints.
    fn join_beside(
        &self,
        network: &Network,
        endpoint: &Endpoint,
        sandbox: &Sandbox,
        _peer: Option<(&Endpoint, &Sandbox)>,
    ) -> Vec<Op> {
        self.join(network, endpoint, sandbox)
    }
    /// Steps that take an endpoint out again; `alive` says whether the sandbox's namespace
    /// is still the one it was (nothing may be done inside one that is not).
    fn leave(
        &self,
        network: &Network,
        endpoint: &Endpoint,
        sandbox: &Sandbox,
        alive: bool,
    ) -> Vec<Op>;
}

/// The driver of a kind of network; the host and none networks have none.
fn for_network_driver(driver: Driver) -> Result<&'static dyn NetworkDriver, UserError> {
    match driver {
        Driver::Bridge => Ok(&bridge::Bridge),
        Driver::Macvlan | Driver::Ipvlan => Ok(&lan::Lan),
        Driver::Overlay => Ok(&overlay::Overlay),
        Driver::P2p => Ok(&p2p::P2p),
        Driver::Host => refuse!(
            "a sandbox cannot join the host network: run the process in the host's own namespace instead"
        ),
        Driver::Null => refuse!(
            "the none network has no interfaces: a sandbox connected to no network already has only lo"
        ),
    }
}

/// The driver behind a network, or why sandboxes cannot join it.
pub fn for_network(network: &Network) -> Result<&'static dyn NetworkDriver, UserError> {
    for_network_driver(network.driver)
}

/// True if the network reaches the world through its own bridge (and publishes ports).
pub fn routes(network: &Network) -> bool {
    for_network(network).is_ok_and(|d| d.egress() == Egress::Routed)
}

/// The host link a network owns. Where links follow endpoints, only while this host has
/// endpoints on it (`state` has every sandbox loaded) or the routing mesh's address.
pub fn host_link<'a>(state: &State, network: &'a Network) -> Option<&'a str> {
    let driver = for_network(network).ok()?;
    if driver.links_follow_endpoints()
        && !state.endpoints.iter().any(|e| e.network_id == network.id)
        && !network.meshed_here()
    {
        return None;
    }
    driver.host_link(network)
}

/// Networks whose own host link the kernel lacks (`exists` tells, by name): the steps that
/// make each again, with a description. For gc and restore. A link of that name that is
/// there (even one ctnet did not mark) counts as there: making it again could only fail.
pub fn missing_network_links(
    state: &crate::model::State,
    mut exists: impl FnMut(&str) -> bool,
) -> Vec<(Vec<Op>, String)> {
    state
        .networks
        .iter()
        .filter_map(|n| Some((n, host_link(state, n)?)))
        .filter(|(_, link)| !exists(link))
        .filter_map(|(n, link)| {
            let steps = for_network(n).ok()?.create(n);
            Some((steps, format!("network {} (link {link})", n.name)))
        })
        .collect()
}

/// Endpoints whose host veth is there but on no bridge (their bridge was deleted and made
/// again, which leaves the ports behind): the step that puts each back, with a
/// description. `enslaved` tells, by name, whether a link is a bridge port (`None`: no
/// such link). For gc and restore.
pub fn detached_ports(
    state: &crate::model::State,
    mut enslaved: impl FnMut(&str) -> Option<bool>,
) -> Vec<(crate::plan::Op, String)> {
    let mut out = Vec::new();
    for ep in state.endpoints.iter().filter(|e| !e.host_ifname.is_empty()) {
        let Some(network) = state.network_by_id(&ep.network_id) else {
            continue;
        };
        let Some((bridge, isolated)) = for_network(network).ok().and_then(|d| d.bridge_of(network))
        else {
            continue;
        };
        let bridge = bridge.to_string();
        if enslaved(&ep.host_ifname) == Some(false) {
            let what = format!(
                "network {}: port {} back on {bridge}",
                network.name, ep.host_ifname
            );
            let op = crate::plan::Op::AttachToBridge {
                dev: ep.host_ifname.clone(),
                bridge,
                isolated,
            };
            out.push((op, what));
        }
    }
    out
}
