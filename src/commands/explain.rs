//! `ctnet network inspect --explain`: the Linux objects behind a network, read back from
//! the kernel (not from the state): its bridge, the veths on it, addresses, routes, and
//! the elements of `inet ctnet` that concern it. For people learning what Docker builds.

use anyhow::Result;
use serde_json::Value;

use super::{Ctx, Tx};
use crate::model::{Network, State};

/// nft's JSON for one set or map element, written back as nft text (`a . b : c`).
fn element_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        Value::Array(pair) if pair.len() == 2 => {
            format!("{} : {}", element_text(&pair[0]), element_text(&pair[1]))
        }
        Value::Object(map) => {
            if let Some(parts) = map.get("concat").and_then(Value::as_array) {
                parts
                    .iter()
                    .map(element_text)
                    .collect::<Vec<_>>()
                    .join(" . ")
            } else if let Some(prefix) = map.get("prefix") {
                format!(
                    "{}/{}",
                    element_text(&prefix["addr"]),
                    element_text(&prefix["len"])
                )
            } else if let Some(elem) = map.get("elem") {
                element_text(&elem["val"])
            } else {
                // A verdict: {"accept": null}.
                map.keys().next().cloned().unwrap_or_default()
            }
        }
        other => other.to_string(),
    }
}

/// The lines of `inet ctnet`'s sets and maps that mention any of `needles`.
fn firewall_lines(ruleset: &Value, needles: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for item in ruleset["nftables"].as_array().into_iter().flatten() {
        let Some(set) = item.get("set").or_else(|| item.get("map")) else {
            continue;
        };
        if set["table"] != "ctnet" {
            continue;
        }
        for elem in set["elem"].as_array().into_iter().flatten() {
            let text = element_text(elem);
            let words: Vec<&str> = text.split([' ', '/']).collect();
            if needles.iter().any(|n| words.contains(&n.as_str())) {
                out.push(format!(
                    "{} {{ {text} }}",
                    set["name"].as_str().unwrap_or("?")
                ));
            }
        }
    }
    out
}

/// A network's services, and how the kernel balances them.
fn explain_services(ctx: &mut Ctx, net: &Network) -> Result<()> {
    for service in &net.services {
        writeln!(
            ctx.out,
            "    {}: connections spread over its tasks (on every host of a cluster overlay) by nft maps service_vips and service_ports (251 slots, dealt by Maglev hashing)",
            super::graph::service_line(net, service)
        )?;
    }
    Ok(())
}

fn explain_network(ctx: &mut Ctx, state: &State, net: &Network) -> Result<()> {
    writeln!(
        ctx.out,
        "network {} ({}), as the kernel has it:",
        net.name,
        net.driver.name()
    )?;
    let Some(bridge) = &net.bridge else {
        if let Some(overlay) = &net.overlay {
            writeln!(
                ctx.out,
                "  bridge {} with VXLAN port {} (VNI {}, UDP 4789 over {}, MTU {}), present while \
                 this host has endpoints on it; static peers: {}",
                overlay.bridge,
                overlay.vxlan,
                overlay.vni,
                overlay.underlay,
                overlay.mtu,
                overlay
                    .peers
                    .iter()
                    .map(|p| p.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
            if let Some(mesh) = overlay.mesh {
                writeln!(
                    ctx.out,
                    "    routing mesh: this host's address {mesh} on the bridge (claimed in the store), \
                     and {} other host(s)' mesh addresses programmed; what this host balances to a task \
                     on another host is masqueraded to {mesh} (nft chain routing_mesh), so the answer \
                     comes back through it",
                    overlay.mesh_peers.len()
                )?;
            }
            explain_services(ctx, net)?;
        } else if let Some(lan) = net.lan() {
            writeln!(
                ctx.out,
                "  no bridge: each endpoint is a {} child ({} mode) of {} inside its sandbox{}",
                net.driver.name(),
                lan.mode,
                lan.parent,
                match &lan.made_parent {
                    Some(crate::model::MadeParent::Vlan { link, id }) =>
                        format!("\n  {} is VLAN {id} on {link}, made by ctnet", lan.parent),
                    Some(crate::model::MadeParent::Dummy) => format!(
                        "\n  {} is a dummy interface made by ctnet: the network is internal",
                        lan.parent
                    ),
                    None => String::new(),
                }
            )?;
        } else if net.p2p.is_some() {
            let ends: Vec<&String> = net.member_names().into_iter().collect();
            writeln!(
                ctx.out,
                "  no bridge: a veth pair straight between the two sandboxes ({}), made when the second joins; no gateway, no default route, no ports",
                match ends[..] {
                    [a, b] => format!("{a} and {b}, linked"),
                    [a] => format!("{a}, waiting for the other end"),
                    _ => "none yet".to_string(),
                }
            )?;
        } else {
            writeln!(
                ctx.out,
                "  no kernel objects: the {} network is the host's own or none",
                net.name
            )?;
        }
        return Ok(());
    };
    let view = ctx.kernel.describe_bridge(&bridge.ifname)?;
    let Some(view) = view else {
        writeln!(
            ctx.out,
            "  bridge {} is MISSING (ctnet gc or ctnet restore makes it again)",
            bridge.ifname
        )?;
        return Ok(());
    };
    writeln!(
        ctx.out,
        "  bridge {}: {}, mtu {}, alias {}",
        bridge.ifname, view.state, view.mtu, view.alias
    )?;
    for addr in &view.addresses {
        writeln!(ctx.out, "    address {addr} (the network's gateway)")?;
    }
    explain_services(ctx, net)?;
    for (v6, family, present) in [
        (false, "IPv4", !net.ipam.is_empty()),
        (true, "IPv6", net.ipam6.is_some()),
    ] {
        if present {
            let mode = bridge.gateway_mode(v6);
            writeln!(
                ctx.out,
                "    {family} gateway mode {}: {}",
                mode.name(),
                mode.meaning()
            )?;
        }
    }
    for route in &view.routes {
        writeln!(ctx.out, "    route {route} dev {}", bridge.ifname)?;
    }
    for (port, alias) in &view.ports {
        let endpoint = state.endpoints.iter().find(|e| &e.host_ifname == port);
        let who = endpoint
            .and_then(|e| Some((e, state.sandbox_by_id(&e.sandbox_id)?)))
            .map(|(e, s)| {
                format!(
                    "veth to sandbox {} ({} {} in {})",
                    s.name,
                    e.ifname,
                    e.addresses_text(),
                    s.netns.display()
                )
            })
            .unwrap_or_else(|| "unknown to the state (ctnet gc removes it)".into());
        writeln!(ctx.out, "    port {port} [{alias}]: {who}")?;
    }
    let mut needles = vec![bridge.ifname.clone()];
    needles.extend(net.ipam.iter().map(|c| c.subnet.addr().to_string()));
    needles.extend(
        state
            .endpoints_of_network(&net.id)
            .flat_map(|e| e.addresses().map(|a| a.addr().to_string())),
    );
    match ctx.kernel.ruleset() {
        Ok(ruleset) => {
            writeln!(ctx.out, "  nftables, table inet ctnet:")?;
            for line in firewall_lines(&ruleset, &needles) {
                writeln!(ctx.out, "    {line}")?;
            }
        }
        Err(e) => writeln!(ctx.out, "  nftables: cannot read the ruleset: {e}")?,
    }
    Ok(())
}

pub fn explain(ctx: &mut Ctx, keys: &[String]) -> Result<()> {
    let state = Tx::read(ctx, true)?;
    for key in keys {
        let net = state.network(key)?.clone();
        explain_network(ctx, &state, &net)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nft_json_elements_read_as_nft_text() {
        let ruleset = json!({"nftables": [
            {"map": {"table": "ctnet", "name": "dnat_any", "elem": [[{"concat": ["tcp", 8080]}, {"concat": ["10.9.0.2", 80]}]]}},
            {"map": {"table": "ctnet", "name": "icc", "elem": [[{"concat": ["br0", "br0"]}, {"accept": null}]]}},
            {"set": {"table": "ctnet", "name": "egress_nets", "elem": [{"prefix": {"addr": "10.9.0.0", "len": 24}}]}},
            {"set": {"table": "other", "name": "x", "elem": ["br0"]}},
        ]});
        let needles = vec![
            "br0".to_string(),
            "10.9.0.2".to_string(),
            "10.9.0.0".to_string(),
        ];
        assert_eq!(
            firewall_lines(&ruleset, &needles),
            [
                "dnat_any { tcp . 8080 : 10.9.0.2 . 80 }",
                "icc { br0 . br0 : accept }",
                "egress_nets { 10.9.0.0/24 }",
            ]
        );
    }
}
