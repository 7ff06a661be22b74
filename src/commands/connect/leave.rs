//! An endpoint leaving: its driver's steps, the default route moving to the next network,
//! and what goes with the last endpoint (the gateway bridge's, an overlay's links).

use super::*;

/// Removes `endpoint` from the state and returns the steps that take it out of the kernel.
/// If it carried the sandbox's default route, the next non-internal network takes over.
/// `alive`: the sandbox's namespace is still there (else no route is added in it).
pub fn plan_disconnect(state: &mut State, endpoint: &Endpoint, alive: bool) -> Result<Vec<Op>> {
    let network = state
        .network_by_id(&endpoint.network_id)
        .cloned()
        .expect("endpoints belong to known networks");
    let sandbox = state
        .sandbox_by_id(&endpoint.sandbox_id)
        .cloned()
        .expect("endpoints belong to known sandboxes");
    let driver = drivers::for_network(&network)?;
    let leave = driver.leave(&network, endpoint, &sandbox, alive);
    let mut plan = Vec::new();
    state.endpoints.retain(|e| e.id != endpoint.id);
    // Each family's default route moves to the next network that has that family (never
    // an internal one, nor one whose gateway is on no host).
    for v6 in [false, true] {
        let had = if v6 {
            endpoint.default_route6
        } else {
            endpoint.default_route
        };
        if !had {
            continue;
        }
        let successor = state
            .endpoints_of_sandbox(&sandbox.id)
            .find(|e| {
                let family = if v6 {
                    e.ipv6.is_some()
                } else {
                    e.ipv4.is_some()
                };
                family
                    && state
                        .network_by_id(&e.network_id)
                        .is_some_and(|n| !n.internal && egress(n).gateway_here())
            })
            .map(|e| e.id.clone());
        let Some(id) = successor else { continue };
        let ep = state
            .endpoints
            .iter_mut()
            .find(|e| e.id == id)
            .expect("found above");
        // Only the family that moves: the other one's route stays as it is.
        let mut moving = ep.clone();
        if v6 {
            ep.default_route6 = true;
        } else {
            ep.default_route = true;
        }
        moving.default_route = !v6;
        moving.default_route6 = v6;
        let net = state
            .network_by_id(&moving.network_id)
            .expect("known network");
        // Replacing the route before the old interface goes keeps a failure undoable.
        if alive {
            plan.extend(drivers::sandbox::default_routes(
                net, &moving, &sandbox, true,
            ));
        }
    }
    plan.extend(leave);
    // The flows to its published ports, or to it as a service's task, go with it (`commit`
    // puts this after the firewall stops translating to it).
    let task = (endpoint.aliases.iter()).any(|a| network.services.iter().any(|s| &s.name == a));
    if !endpoint.ports.is_empty() || task {
        let v4 = endpoint.ipv4.map(|a| std::net::IpAddr::V4(a.addr()));
        let v6 = endpoint.ipv6.map(|a| std::net::IpAddr::V6(a.addr()));
        plan.extend(v4.into_iter().chain(v6).map(|addr| Op::ForgetFlows {
            flows: crate::plan::Flows::Of(addr),
        }));
    }
    // A sandbox that leaves its last network that goes out through the gateway bridge
    // leaves the gateway bridge too.
    if driver.egress() == Egress::GatewayBridge {
        let overlays_left = state.endpoints_of_sandbox(&sandbox.id).any(|e| {
            state
                .network_by_id(&e.network_id)
                .is_some_and(|n| egress(n) == Egress::GatewayBridge)
        });
        let gateway = state
            .endpoints_of_sandbox(&sandbox.id)
            .find(|e| {
                state
                    .network_by_id(&e.network_id)
                    .is_some_and(|n| n.name == crate::drivers::bridge::GATEWAY_BRIDGE)
            })
            .cloned();
        if let (false, Some(gateway)) = (overlays_left, gateway) {
            plan.extend(plan_disconnect(state, &gateway, alive)?);
        }
    }
    // Links that follow endpoints (an overlay's bridge and VXLAN device) go with the last
    // endpoint on this host, unless the routing mesh keeps them.
    if driver.links_follow_endpoints() && !network.meshed_here() {
        let remaining = network.member_names().into_iter().any(|name| {
            match state.sandboxes.iter().find(|s| &s.name == name) {
                // Loaded by this command: still there only if it still has an endpoint.
                Some(s) => state
                    .endpoints_of_sandbox(&s.id)
                    .any(|e| e.network_id == network.id),
                None => true,
            }
        });
        if !remaining {
            plan.extend(driver.delete(&network));
            // The other hosts' entries went with the VXLAN device (and so do their names).
            if let Some(overlay) = state
                .networks
                .iter_mut()
                .find(|n| n.id == network.id)
                .and_then(|n| n.overlay.as_mut())
            {
                overlay.remotes.clear();
            }
        }
    }
    Ok(plan)
}

/// How a network's endpoints reach the world (`Lan` for networks no driver has: they
/// have no endpoints).
fn egress(network: &Network) -> Egress {
    drivers::for_network(network).map_or(Egress::Lan, |d| d.egress())
}
