//! Renders ctnet's whole nftables table, `inet ctnet`, from the state. The policy is Docker's:
//! open within a network (unless icc=false), closed between networks and from outside,
//! egress masqueraded, nothing in or out of an internal network.
//!
//! The table is written as nft's own text rather than JSON: the golden file reads like
//! `nft list table`, `--dry-run` can print it verbatim, and nft 1.0.6 needs text for maps
//! with concatenated data anyway (published ports).

use std::fmt::Write;

use crate::model::{Driver, Network, State};

pub const TABLE: &str = "inet ctnet";

fn bridge_networks(state: &State) -> impl Iterator<Item = (&Network, &str)> {
    state
        .networks
        .iter()
        .filter(|n| n.driver == Driver::Bridge)
        .filter_map(|n| n.bridge.as_ref().map(|b| (n, b.ifname.as_str())))
}

/// The `nft -f` input that replaces the table with one rendered from `state` (or removes it
/// when no network needs rules). Creating the table first makes the delete safe when it
/// does not exist yet; nft applies the whole input as one transaction.
pub fn render(state: &State) -> String {
    let mut out = format!("table {TABLE}\ndelete table {TABLE}\n");
    let networks: Vec<_> = bridge_networks(state).collect();
    if networks.is_empty() {
        return out;
    }
    let bridges: Vec<String> = networks.iter().map(|(_, br)| format!("\"{br}\"")).collect();
    let _ = writeln!(out, "table {TABLE} {{");

    out.push_str("\tchain forward {\n\t\ttype filter hook forward priority filter; policy accept;\n");
    out.push_str("\t\tct state established,related accept\n");
    for (net, br) in &networks {
        let icc = net.bridge.as_ref().is_some_and(|b| b.icc);
        // Comments name the network, so `nft list ruleset` explains itself to a learner.
        let tag = format!("network {} ({})", net.name, short_id(&net.id));
        // Same-bridge traffic only reaches this hook when routed through the gateway.
        let verdict = if icc { "accept" } else { "drop" };
        let _ = writeln!(out, "\t\tiifname \"{br}\" oifname \"{br}\" {verdict} comment \"{tag}: icc\"");
        if net.internal {
            let _ = writeln!(out, "\t\tiifname \"{br}\" drop comment \"{tag}: internal\"");
        }
    }
    // Whatever else heads into a network: another network, or a host that routes the
    // container subnet through us. Published ports will be accepted before this rule.
    let _ = writeln!(out, "\t\toifname {{ {} }} drop comment \"isolation and no ingress\"", bridges.join(", "));
    out.push_str("\t}\n");

    out.push_str("\tchain postrouting {\n\t\ttype nat hook postrouting priority 100; policy accept;\n");
    for (net, br) in &networks {
        let masquerade = net.bridge.as_ref().is_some_and(|b| b.masquerade);
        if net.internal || !masquerade {
            continue;
        }
        for config in &net.ipam {
            let _ = writeln!(
                out,
                "\t\tip saddr {} oifname != \"{br}\" masquerade comment \"network {}: egress\"",
                config.subnet, net.name
            );
        }
    }
    out.push_str("\t}\n}\n");
    out
}

fn short_id(id: &str) -> &str {
    &id[..id.len().min(12)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BridgeSettings, IpamConfig};

    fn bridge_net(name: &str, id: &str, br: &str, subnet: &str, internal: bool, icc: bool) -> Network {
        let subnet: ipnet::Ipv4Net = subnet.parse().unwrap();
        Network {
            id: id.into(),
            name: name.into(),
            driver: Driver::Bridge,
            created: String::new(),
            ipam: vec![IpamConfig {
                subnet,
                gateway: subnet.hosts().next().unwrap(),
                ip_range: None,
                aux_addresses: Default::default(),
            }],
            internal,
            enable_ipv6: false,
            labels: Default::default(),
            options: Default::default(),
            builtin: false,
            bridge: Some(BridgeSettings { ifname: br.into(), mtu: None, icc, masquerade: true }),
        }
    }

    /// The rendered table is pinned by a golden file: a change to the policy shows up as a
    /// diff of that file in review.
    #[test]
    fn ruleset_matches_golden_file() {
        let mut state = State::new();
        state.networks.push(bridge_net("bridge", "0123456789abcdef", "ctnet0", "172.17.0.0/16", false, true));
        state.networks.push(bridge_net("back", "fedcba9876543210", "ctn-fedcba9876", "172.18.0.0/16", true, true));
        state.networks.push(bridge_net("quiet", "aaaabbbbccccdddd", "ctn-aaaabbbbcc", "172.19.0.0/16", false, false));
        let rendered = render(&state);
        let golden_path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/ruleset.nft");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(golden_path, &rendered).unwrap();
        }
        let golden = std::fs::read_to_string(golden_path).unwrap();
        assert_eq!(rendered, golden, "rerun with UPDATE_GOLDEN=1 if the change is intended");
    }

    #[test]
    fn no_networks_removes_the_table() {
        assert_eq!(render(&State::new()), "table inet ctnet\ndelete table inet ctnet\n");
    }
}
