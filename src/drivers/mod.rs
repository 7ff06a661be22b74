//! Network drivers. Each turns the model into kernel steps; none touches the kernel itself.

pub mod bridge;
pub mod lan;
pub mod overlay;

use crate::error::UserError;
use crate::model::{Driver, Endpoint, Network, Sandbox};
use crate::plan::Op;
use crate::refuse;

pub trait NetworkDriver {
    /// Steps that bring a new network into the kernel.
    fn create(&self, network: &Network) -> Vec<Op>;
    /// Steps that remove a network with no endpoints left.
    fn delete(&self, network: &Network) -> Vec<Op>;
    /// Steps that put an endpoint into a sandbox.
    fn join(&self, network: &Network, endpoint: &Endpoint, sandbox: &Sandbox) -> Vec<Op>;
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

/// The host link a network owns: its bridge, or the parent ctnet made for it. For an
/// overlay, only while this host has endpoints on it (`state` has every sandbox loaded).
pub fn host_link<'a>(state: &crate::model::State, network: &'a Network) -> Option<&'a str> {
    if let Some(overlay) = &network.overlay {
        let here = state.endpoints.iter().any(|e| e.network_id == network.id);
        return here.then_some(overlay.bridge.as_str());
    }
    match (&network.bridge, network.lan()) {
        (Some(bridge), _) => Some(&bridge.ifname),
        (None, Some(lan)) if lan.made_parent.is_some() => Some(&lan.parent),
        _ => None,
    }
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
        let (bridge, isolated) = match (&network.bridge, &network.overlay) {
            (Some(b), _) => (b.ifname.clone(), !b.icc),
            (None, Some(o)) => (o.bridge.clone(), false),
            _ => continue,
        };
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

/// The driver behind a network, or why sandboxes cannot join it.
pub fn for_network(network: &Network) -> Result<&'static dyn NetworkDriver, UserError> {
    match network.driver {
        Driver::Bridge => Ok(&bridge::Bridge),
        Driver::Macvlan | Driver::Ipvlan => Ok(&lan::Lan),
        Driver::Overlay => Ok(&overlay::Overlay),
        Driver::Host => refuse!(
            "a sandbox cannot join the host network: run the process in the host's own namespace instead"
        ),
        Driver::Null => refuse!(
            "the none network has no interfaces: a sandbox connected to no network already has only lo"
        ),
    }
}
