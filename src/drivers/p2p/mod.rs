//! The p2p driver: a point-to-point link, the primitive of every routing lab. A p2p
//! network holds two endpoints at most. The veth between their sandboxes is made when the
//! second joins (the first waits until then, its address settled and no interface yet) and
//! goes when either leaves; the other end waits again. No bridge, no gateway, no default
//! route, no published ports: what lies beyond the link is the sandboxes' own routing.

mod options;

use anyhow::Result;

pub use options::P2pOptions;

use super::sandbox::configure_in_sandbox;
use super::{Egress, Host, NetworkDriver, NetworkRequest};
use crate::model::{Endpoint, Network, P2pSettings, Sandbox};
use crate::plan::{Op, VethEnd};

pub struct P2p;

/// A p2p network's endpoints at most.
pub const ENDS: usize = 2;

impl NetworkDriver for P2p {
    /// Its MTU. Its subnets have no gateway: both ends of a /30 are the endpoints'.
    fn settle(
        &self,
        request: &NetworkRequest,
        network: &mut Network,
        _host: &mut Host,
    ) -> Result<()> {
        let opts = P2pOptions::parse(&request.options)?;
        // Its ends find each other by their addresses (the network's members).
        if !request.has_subnet() {
            crate::refuse!("a p2p link needs a --subnet (a /30 holds its two ends)");
        }
        // (The subnet's own address stands for "no gateway": it is never handed out.)
        if let Some(config) = network.ipam.first_mut()
            && request.ipv4.as_ref().is_none_or(|p| p.gateway.is_none())
        {
            config.gateway = config.subnet.network();
        }
        if let Some(config) = network.ipam6.as_mut()
            && request.ipv6.as_ref().is_none_or(|p| p.gateway.is_none())
        {
            config.gateway = config.subnet.network();
        }
        network.p2p = Some(P2pSettings { mtu: opts.mtu });
        Ok(())
    }

    fn host_link<'a>(&self, _network: &'a Network) -> Option<&'a str> {
        None
    }

    fn egress(&self) -> Egress {
        Egress::None
    }

    fn pairs(&self) -> bool {
        true
    }

    fn create(&self, _network: &Network) -> Vec<Op> {
        Vec::new()
    }

    fn delete(&self, _network: &Network) -> Vec<Op> {
        Vec::new()
    }

    fn join(&self, network: &Network, endpoint: &Endpoint, sandbox: &Sandbox) -> Vec<Op> {
        self.join_beside(network, endpoint, sandbox, None)
    }

    /// Nothing while alone; beside the other end, the link between them, each end then
    /// configured in its sandbox.
    fn join_beside(
        &self,
        network: &Network,
        endpoint: &Endpoint,
        sandbox: &Sandbox,
        peer: Option<(&Endpoint, &Sandbox)>,
    ) -> Vec<Op> {
        let Some((other, other_sandbox)) = peer else {
            return Vec::new();
        };
        let end = |ep: &Endpoint, sb: &Sandbox| VethEnd {
            ns: sb.netns.clone(),
            name: ep.ifname.clone(),
            mac: ep.mac,
        };
        let mut plan = vec![Op::CreateVethBetween {
            a: end(endpoint, sandbox),
            b: end(other, other_sandbox),
            mtu: network.p2p.as_ref().and_then(|p| p.mtu),
        }];
        plan.extend(configure_in_sandbox(network, endpoint, sandbox));
        plan.extend(configure_in_sandbox(network, other, other_sandbox));
        plan
    }

    /// The link goes (both ends: a veth's ends live and die together), if it was there.
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
