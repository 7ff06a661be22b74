//! The gateway bridge endpoint of a sandbox on an overlay: its way out and its ports.

use super::*;

/// Gives a sandbox on an overlay its interface on the gateway bridge (made on first use):
/// its way out, its default route if it has none, and where its ports are published.
pub(super) fn attach_gateway_bridge(
    tx: &mut Tx,
    kernel: &mut dyn Kernel,
    config: &crate::config::Config,
    sandbox: &Sandbox,
    specs: &[crate::ports::PortSpec],
) -> Result<Vec<Op>> {
    let (gateway, mut plan) = network::gateway_bridge(&tx.state, kernel, config)?;
    if plan.is_empty() && tx.state.endpoint(&gateway.id, &sandbox.id).is_some() {
        if !specs.is_empty() {
            refuse!(
                "sandbox {} already has its ports on {}: publish them with 'ctnet publish'",
                sandbox.name,
                crate::drivers::bridge::GATEWAY_BRIDGE
            );
        }
        return Ok(plan);
    }
    if !plan.is_empty() {
        tx.state.networks.push(gateway.clone());
    }
    let in_sandbox: Vec<&Endpoint> = tx.state.endpoints_of_sandbox(&sandbox.id).collect();
    let ifname = (0..)
        .map(|i| format!("eth{i}"))
        .find(|n| !in_sandbox.iter().any(|e| &e.ifname == n))
        .expect("an unused ethN exists");
    let default_route = !in_sandbox.iter().any(|e| e.default_route);
    let taken: Vec<_> = gateway.members.values().copied().collect();
    let ipv4 = ipam::allocate(&gateway.ipam[0], &taken, None, &gateway.name)?;
    let id = new_id()?;
    let endpoint = Endpoint {
        impair: Default::default(),
        host_ifname: ifnames::veth(&id),
        id,
        network_id: gateway.id.clone(),
        sandbox_id: sandbox.id.clone(),
        ifname,
        mac: Some(Mac::from_ipv4(ipv4.addr())),
        ipv4: Some(ipv4),
        ipv6: None,
        aliases: vec![],
        default_route,
        default_route6: false,
        ports: if specs.is_empty() {
            PortList::default()
        } else {
            publish::allocate(&tx.state, kernel, &gateway, specs)?.into()
        },
    };
    plan.extend(bridge::Bridge.join(&gateway, &endpoint, sandbox));
    tx.state.endpoints.push(endpoint);
    Ok(plan)
}
