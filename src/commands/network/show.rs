//! `network ls` and `network inspect`, as Docker prints them.

use super::*;

/// Docker's `network ls --filter` keys.
pub(super) fn matches_filter(net: &Network, key: &str, value: &str) -> Result<bool, UserError> {
    Ok(match key {
        "driver" => Driver::parse(value).is_ok_and(|d| d == net.driver),
        "id" => net.id.starts_with(value),
        "name" => net.name.contains(value),
        "label" => match value.split_once('=') {
            Some((k, v)) => net.labels.get(k).is_some_and(|x| x == v),
            None => net.labels.contains_key(value),
        },
        "scope" => value == "local",
        "type" => match value {
            "builtin" => net.builtin,
            "custom" => !net.builtin,
            _ => refuse!("invalid filter type={value}: use builtin or custom"),
        },
        "dangling" => {
            let unused = !net.builtin && !net.has_members();
            match value {
                "true" | "1" => unused,
                "false" | "0" => !unused,
                _ => refuse!("invalid filter dangling={value}: use true or false"),
            }
        }
        _ => {
            refuse!("invalid filter {key:?}: use driver, id, name, label, scope, type or dangling")
        }
    })
}

pub fn ls(ctx: &mut Ctx, args: &LsArgs) -> Result<()> {
    let filters: Vec<(String, String)> = args
        .filter
        .iter()
        .map(|f| parse_key_value("filter", f))
        .collect::<Result<_, _>>()?;
    let state = Tx::read(ctx, false)?;
    // Filters with the same key widen the match, different keys narrow it, as in Docker.
    let mut shown = Vec::new();
    for net in &state.networks {
        let mut keep = true;
        for key in filters
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<std::collections::BTreeSet<_>>()
        {
            let mut any = false;
            for (_, value) in filters.iter().filter(|(k, _)| k == key) {
                any |= matches_filter(net, key, value)?;
            }
            keep &= any;
        }
        if keep {
            shown.push(net);
        }
    }
    if ctx.global.quiet {
        for net in shown {
            writeln!(ctx.out, "{}", short_id(&net.id))?;
        }
        return Ok(());
    }
    match ctx.format() {
        Format::Json => {
            // One object per line, as `docker network ls --format json` prints.
            for net in shown {
                let line = json!({
                    "CreatedAt": net.created, "Driver": net.driver.name(), "ID": short_id(&net.id),
                    "IPv6": net.enable_ipv6.to_string(), "Internal": net.internal.to_string(),
                    "Labels": net.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","),
                    "Name": net.name, "Scope": scope(net), "AddressUsage": address_usage(net),
                });
                writeln!(ctx.out, "{line}")?;
            }
        }
        Format::Table | Format::Dot | Format::Mermaid => {
            let rows: Vec<Vec<String>> = shown
                .iter()
                .map(|n| {
                    vec![
                        short_id(&n.id).into(),
                        n.name.clone(),
                        n.driver.name().into(),
                        scope(n).into(),
                    ]
                })
                .collect();
            print_table(ctx.out, &["NETWORK ID", "NAME", "DRIVER", "SCOPE"], &rows)?;
        }
    }
    Ok(())
}

/// Docker's scope: "global" for a network the cluster store holds.
pub(super) fn scope(net: &Network) -> &'static str {
    match cluster::store_of(net) {
        Some(_) => "global",
        None => "local",
    }
}

/// A network as `docker network inspect` shows it.
fn inspected<'a>(net: &'a Network, state: &'a State) -> InspectedNetwork<'a> {
    let mut configs: Vec<Value> = net
        .ipam
        .iter()
        .map(|c: &crate::model::IpamConfig| {
            let mut v = json!({ "Subnet": c.subnet.to_string(), "Gateway": c.gateway.to_string() });
            if let Some(range) = c.ip_range {
                v["IPRange"] = json!(range.to_string());
            }
            if !c.aux_addresses.is_empty() {
                v["AuxiliaryAddresses"] = json!(c.aux_addresses);
            }
            v
        })
        .collect();
    if let Some(c) = &net.ipam6 {
        let mut v = json!({ "Subnet": c.subnet.to_string(), "Gateway": c.gateway.to_string() });
        if let Some(range) = c.ip_range {
            v["IPRange"] = json!(range.to_string());
        }
        if !c.aux_addresses.is_empty() {
            v["AuxiliaryAddresses"] = json!(c.aux_addresses);
        }
        configs.push(v);
    }
    let sandboxes: std::collections::HashMap<&str, &crate::model::Sandbox> =
        (state.sandboxes.iter())
            .map(|s| (s.id.as_str(), s))
            .collect();
    let containers = state
        .endpoints_of_network(&net.id)
        .filter_map(|ep| {
            let sandbox = sandboxes.get(ep.sandbox_id.as_str())?;
            let container = InspectedContainer {
                endpoint_id: &ep.id,
                ipv4_address: ep.ipv4.map(|a| a.to_string()).unwrap_or_default(),
                ipv6_address: ep.ipv6.map(|a| a.to_string()).unwrap_or_default(),
                mac_address: ep.mac,
                name: &sandbox.name,
                ports: crate::commands::publish::ports_json(&ep.ports),
            };
            Some((sandbox.id.as_str(), container))
        })
        .collect();
    InspectedNetwork {
        address_usage: json!(address_usage(net)),
        attachable: false,
        config_from: json!({ "Network": "" }),
        config_only: false,
        containers,
        created: &net.created,
        dns_servers: &net.dns_servers,
        driver: net.driver.name(),
        enable_ipv4: drivers::for_network(net).is_ok(),
        enable_ipv6: net.enable_ipv6,
        gateway_modes: net
            .bridge
            .as_ref()
            .map(|b| json!({ "IPv4": b.gateway_mode4.name(), "IPv6": b.gateway_mode6.name() })),
        ipam: json!({ "Driver": "default", "Options": {}, "Config": configs }),
        id: &net.id,
        ingress: false,
        internal: net.internal,
        labels: &net.labels,
        name: &net.name,
        options: &net.options,
        scope: scope(net),
    }
}

/// `docker network inspect`'s object. A struct, not a JSON value: with 1,000 containers,
/// building and sorting a value tree was most of the command. Fields are in the order
/// Docker's keys sort in, as the small objects inside (JSON values) sort theirs.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct InspectedNetwork<'a> {
    address_usage: Value,
    attachable: bool,
    config_from: Value,
    config_only: bool,
    containers: std::collections::BTreeMap<&'a str, InspectedContainer<'a>>,
    created: &'a str,
    #[serde(rename = "DNSServers")]
    dns_servers: &'a [std::net::IpAddr],
    driver: &'static str,
    #[serde(rename = "EnableIPv4")]
    enable_ipv4: bool,
    #[serde(rename = "EnableIPv6")]
    enable_ipv6: bool,
    gateway_modes: Option<Value>,
    #[serde(rename = "IPAM")]
    ipam: Value,
    id: &'a str,
    ingress: bool,
    internal: bool,
    labels: &'a std::collections::BTreeMap<String, String>,
    name: &'a str,
    options: &'a std::collections::BTreeMap<String, String>,
    scope: &'static str,
}

/// A container in `InspectedNetwork`.
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct InspectedContainer<'a> {
    #[serde(rename = "EndpointID")]
    endpoint_id: &'a str,
    #[serde(rename = "IPv4Address")]
    ipv4_address: String,
    #[serde(rename = "IPv6Address")]
    ipv6_address: String,
    mac_address: Option<crate::model::Mac>,
    name: &'a str,
    ports: Value,
}

/// How full each of the network's subnets is (a ctnet addition to Docker's keys). Members
/// on other hosts of a cluster network count too.
fn address_usage(net: &Network) -> Vec<crate::ipam::AddressUsage> {
    let remote4 = || net.remotes().filter_map(|(_, r)| r.ipv4);
    let remote6 = || net.remotes().filter_map(|(_, r)| r.ipv6);
    let v4 = net
        .ipam
        .iter()
        .map(|c| crate::ipam::usage(c, net.members.values().copied().chain(remote4())));
    let v6 = net
        .ipam6
        .iter()
        .map(|c| crate::ipam6::usage(c, net.members6.values().copied().chain(remote6())));
    v4.chain(v6).collect()
}

pub fn inspect(ctx: &mut Ctx, keys: &[String]) -> Result<()> {
    let state = Tx::read(ctx, true)?;
    let mut found = Vec::new();
    for key in keys {
        found.push(inspected(state.network(key)?, &state));
    }
    serde_json::to_writer_pretty(&mut *ctx.out, &found)?;
    writeln!(ctx.out)?;
    Ok(())
}
