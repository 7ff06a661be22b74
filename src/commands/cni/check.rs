//! CHECK (is the container's attachment what ADD reported, in the state and in the
//! kernel?) and STATUS (can this network take ADDs now?).

use std::collections::BTreeSet;

use anyhow::Result;
use ipnet::IpNet;

use super::{Request, Tx, network_exists, sandbox_of_container};
use crate::cni::{CniError, Code};
use crate::commands::{Ctx, sandbox_alive};
use crate::drivers;
use crate::plan::Ns;
use crate::state::consistency::Lists;
use crate::state::store::Store;
use crate::sys::TableState;

pub fn check(ctx: &mut Ctx, request: &Request) -> Result<()> {
    let (id, ifname) = (request.container_id(), request.ifname());
    let Some(previous) = &request.conf.prev_result else {
        return Err(CniError::new(Code::InvalidConfig, "CHECK needs prevResult").into());
    };
    let unknown =
        |msg: String| -> anyhow::Error { CniError::new(Code::UnknownContainer, msg).into() };
    if !network_exists(ctx, request.network)? {
        return Err(unknown(format!("network {} not found", request.network)));
    }
    let state = {
        let mut tx = Tx::begin_for_one_member(ctx)?;
        let pod_name = request.call.args.pod_name.as_deref();
        let sandbox = sandbox_of_container(&mut tx, id, pod_name)?;
        (sandbox, tx.state)
    };
    let (Some(sandbox), state) = state else {
        return Err(unknown(format!("container {id} has no sandbox of ctnet's")));
    };
    let network = state.network(request.network)?;
    let Some(endpoint) = state
        .endpoint(&network.id, &sandbox.id)
        .filter(|e| e.ifname == ifname)
    else {
        return Err(unknown(format!(
            "container {id} has no {ifname} on network {}",
            network.name
        )));
    };
    let failed = |msg: String| -> anyhow::Error { CniError::new(Code::Failed, msg).into() };
    if !sandbox_alive(ctx.kernel, &sandbox) {
        return Err(failed(format!(
            "the namespace {} is gone",
            sandbox.netns.display()
        )));
    }
    let inside = Ns::Path(sandbox.netns.clone());
    if !ctx.kernel.has_link(&inside, ifname) {
        return Err(failed(format!(
            "{ifname} is missing from {}",
            sandbox.netns.display()
        )));
    }
    if !endpoint.host_ifname.is_empty() && !ctx.kernel.has_link(&Ns::Host, &endpoint.host_ifname) {
        return Err(failed(format!(
            "the host end {} is missing",
            endpoint.host_ifname
        )));
    }
    let wanted: BTreeSet<IpNet> = [endpoint.ipv4.map(IpNet::V4), endpoint.ipv6.map(IpNet::V6)]
        .into_iter()
        .flatten()
        .collect();
    let in_kernel: BTreeSet<IpNet> = ctx
        .kernel
        .link_addresses(&inside, ifname)?
        .into_iter()
        .collect();
    if let Some(missing) = wanted.difference(&in_kernel).next() {
        return Err(failed(format!("{ifname} lacks its address {missing}")));
    }
    // What ADD reported for this interface must be what ctnet has.
    let reported: BTreeSet<IpNet> = previous
        .ips
        .iter()
        .filter(|ip| {
            ip.interface
                .and_then(|i| previous.interfaces.get(i))
                .is_some_and(|i| i.name == ifname && i.sandbox.is_some())
        })
        .map(|ip| ip.address)
        .collect();
    if reported != wanted {
        return Err(failed(format!(
            "prevResult reports {} on {ifname}; ctnet has {}",
            list(&reported),
            list(&wanted)
        )));
    }
    Ok(())
}

fn list(addresses: &BTreeSet<IpNet>) -> String {
    if addresses.is_empty() {
        return "no address".into();
    }
    addresses
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn status(ctx: &mut Ctx, request: &Request) -> Result<()> {
    let not_available =
        |msg: String| -> anyhow::Error { CniError::new(Code::NotAvailable, msg).into() };
    if !network_exists(ctx, request.network)? {
        return Err(not_available(format!(
            "network {} does not exist: create it with 'ctnet network create'",
            request.network
        )));
    }
    let state_json = ctx.global.state_dir.join("state.json");
    let networks = Store::peek_networks(&state_json, Lists::CheckParsed)?;
    let network = networks
        .iter()
        .find(|n| n.name == request.network || n.id == request.network)
        .expect("checked above");
    let state = crate::model::State {
        networks: vec![network.clone()],
        ..crate::model::State::new()
    };
    let missing =
        drivers::missing_network_links(&state, |link| ctx.kernel.has_link(&Ns::Host, link));
    if let Some((_, link)) = missing.first() {
        return Err(not_available(format!(
            "{link} of network {} is missing: run 'ctnet restore'",
            network.name
        )));
    }
    if drivers::routes(network) && ctx.kernel.firewall_table()? == TableState::Missing {
        return Err(not_available(
            "ctnet's nftables table is gone: run 'ctnet restore'".into(),
        ));
    }
    Ok(())
}
