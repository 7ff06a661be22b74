//! `ctnet graph`: the host's topology as a picture description, for people who would
//! rather look than read: Graphviz DOT (`ctnet graph | dot -Tsvg > net.svg`) or Mermaid.

use anyhow::Result;

use super::{Ctx, Tx};
use crate::cli::Format;
use crate::model::{Network, State};
use crate::ports;

/// A node id that Graphviz and Mermaid both take as is: the object's position, since
/// names may hold characters neither accepts in an id (`-`, `.`).
fn node_id(kind: &str, names: &[&str], name: &str) -> String {
    let index = names.iter().position(|n| *n == name).unwrap_or(usize::MAX);
    format!("{kind}{index}")
}

/// The names of the networks and sandboxes drawn, in order: the source of node ids.
fn names(state: &State) -> (Vec<&str>, Vec<&str>) {
    (
        shown_networks(state).map(|n| n.name.as_str()).collect(),
        state.sandboxes.iter().map(|s| s.name.as_str()).collect(),
    )
}

fn network_label(net: &Network) -> Vec<String> {
    let mut lines = vec![format!("network {} ({})", net.name, net.driver.name())];
    if let Some(bridge) = &net.bridge {
        lines.push(format!("bridge {}", bridge.ifname));
        for (v6, family) in [(false, "IPv4"), (true, "IPv6")] {
            let mode = bridge.gateway_mode(v6);
            if !mode.is_nat() {
                lines.push(format!("{family} gateway mode {}", mode.name()));
            }
        }
    }
    if let Some(overlay) = &net.overlay {
        lines.push(format!("VXLAN {} (VNI {})", overlay.vxlan, overlay.vni));
    }
    if let Some(lan) = net.lan() {
        lines.push(format!(
            "{} on {} ({})",
            net.driver.name(),
            lan.parent,
            lan.mode
        ));
    }
    for config in &net.ipam {
        lines.push(format!("{} via {}", config.subnet, config.gateway));
    }
    if net.internal {
        lines.push("internal: nothing in or out".into());
    }
    for service in &net.services {
        lines.push(service_line(net, service));
    }
    if net.bridge.as_ref().is_some_and(|b| !b.icc) {
        lines.push("icc=false: endpoints isolated".into());
    }
    lines
}

struct Edge {
    sandbox: String,
    network: String,
    label: Vec<String>,
}

fn edges(state: &State) -> Vec<Edge> {
    state
        .endpoints
        .iter()
        .filter_map(|ep| {
            let sandbox = state.sandbox_by_id(&ep.sandbox_id)?;
            let network = state.network_by_id(&ep.network_id)?;
            let mut label = vec![format!("{} {}", ep.ifname, ep.addresses_text())];
            for mapping in &ep.ports {
                label.extend(ports::describe(mapping));
            }
            Some(Edge {
                sandbox: sandbox.name.clone(),
                network: network.name.clone(),
                label,
            })
        })
        .collect()
}

fn shown_networks(state: &State) -> impl Iterator<Item = &Network> {
    state
        .networks
        .iter()
        .filter(|n| crate::drivers::for_network(n).is_ok())
}

pub fn dot(state: &State) -> String {
    let (nets, sbs) = names(state);
    let quote = |lines: &[String]| lines.join("\\n").replace('"', "'");
    let mut out =
        String::from("digraph ctnet {\n\trankdir=LR;\n\tnode [fontname=\"sans-serif\"];\n");
    out.push_str("\tlabel=\"ctnet: networks are isolated from each other; a sandbox on two networks is the only link\";\n");
    for net in shown_networks(state) {
        out.push_str(&format!(
            "\t{} [shape=ellipse, label=\"{}\"];\n",
            node_id("net", &nets, &net.name),
            quote(&network_label(net))
        ));
    }
    for sandbox in &state.sandboxes {
        let lines = sandbox_label(sandbox);
        out.push_str(&format!(
            "\t{} [shape=box, label=\"{}\"];\n",
            node_id("sb", &sbs, &sandbox.name),
            quote(&lines)
        ));
    }
    for edge in edges(state) {
        out.push_str(&format!(
            "\t{} -> {} [dir=none, label=\"{}\"];\n",
            node_id("sb", &sbs, &edge.sandbox),
            node_id("net", &nets, &edge.network),
            quote(&edge.label)
        ));
    }
    out.push_str("}\n");
    out
}

/// A service in one line: its mode, virtual IPs, tasks and published ports.
pub fn service_line(net: &Network, service: &crate::model::Service) -> String {
    let vips: Vec<String> = service.vips().map(|v| v.to_string()).collect();
    let ports: Vec<String> = (service.ports.iter())
        .map(|p| format!(" *:{}->{}/{}", p.published, p.target, p.proto.name()))
        .collect();
    format!(
        "service {} ({}{}{}), {} task(s){}",
        service.name,
        service.mode.name(),
        if vips.is_empty() { "" } else { " " },
        vips.join(" "),
        net.tasks_of(&service.name).len(),
        ports.concat()
    )
}

/// A sandbox's lines: its name, its namespace, and the runtime's container it stands for.
fn sandbox_label(sandbox: &crate::model::Sandbox) -> Vec<String> {
    let mut lines = vec![
        format!("sandbox {}", sandbox.name),
        sandbox.netns.display().to_string(),
    ];
    if let Some(id) = &sandbox.container {
        let short: String = id.chars().take(12).collect();
        lines.push(format!("CNI container {short}"));
    }
    lines
}

pub fn mermaid(state: &State) -> String {
    let (nets, sbs) = names(state);
    let text = |lines: &[String]| lines.join("<br/>").replace('"', "'");
    let mut out = String::from("graph LR\n");
    for net in shown_networks(state) {
        out.push_str(&format!(
            "  {}((\"{}\"))\n",
            node_id("net", &nets, &net.name),
            text(&network_label(net))
        ));
    }
    for sandbox in &state.sandboxes {
        let lines = sandbox_label(sandbox);
        out.push_str(&format!(
            "  {}[\"{}\"]\n",
            node_id("sb", &sbs, &sandbox.name),
            text(&lines)
        ));
    }
    for edge in edges(state) {
        out.push_str(&format!(
            "  {} ---|\"{}\"| {}\n",
            node_id("sb", &sbs, &edge.sandbox),
            text(&edge.label),
            node_id("net", &nets, &edge.network)
        ));
    }
    out
}

pub fn graph(ctx: &mut Ctx, lab: Option<&str>) -> Result<()> {
    let mut state = Tx::read(ctx, true)?;
    // A lab's drawing: its networks and nodes, nothing else of the host.
    if let Some(lab) = lab {
        state.networks.retain(|n| {
            n.labels
                .get(crate::commands::lab::LABEL)
                .is_some_and(|l| l == lab)
        });
        state
            .sandboxes
            .retain(|s| s.lab.as_ref().is_some_and(|m| m.name == lab));
        if state.networks.is_empty() && state.sandboxes.is_empty() {
            crate::refuse!("lab {lab} not found");
        }
        let (networks, sandboxes) = (&state.networks, &state.sandboxes);
        let kept: Vec<_> = (state.endpoints.iter())
            .filter(|e| networks.iter().any(|n| n.id == e.network_id))
            .filter(|e| sandboxes.iter().any(|s| s.id == e.sandbox_id))
            .cloned()
            .collect();
        state.endpoints = kept;
    }
    let text = match ctx.format() {
        Format::Mermaid => mermaid(&state),
        _ => dot(&state),
    };
    ctx.out.write_all(text.as_bytes())?;
    Ok(())
}
