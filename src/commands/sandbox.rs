//! `ctnet sandbox create | ls | inspect | rm`: sandboxes are network namespaces.

use anyhow::Result;
use serde_json::{Value, json};

use super::{Ctx, Tx, connect, print_table};
use crate::cli::DnsArgs;
use crate::cli::Format;
use crate::error::UserError;
use crate::ids::{new_id, now, short_id};
use crate::model::{DnsSettings, Process, Sandbox, State, validate_name};
use crate::plan::{Ns, Op};
use crate::refuse;
use crate::sys::Kernel;
use crate::sys::netns;

pub fn create(ctx: &mut Ctx, name: &str, dns: &DnsArgs) -> Result<()> {
    let dns = dns_settings(dns)?;
    create_for(ctx, name, None, dns)
}

/// `--dns`, `--dns-search` and `--dns-option`, checked: each goes into a resolv.conf line,
/// so none may carry a space or a line break.
pub fn dns_settings(args: &DnsArgs) -> Result<DnsSettings, UserError> {
    let servers = crate::commands::network::parse_dns_servers(&args.servers)?;
    let word = |what: &str, text: &String| -> Result<String, UserError> {
        let ok = !text.is_empty()
            && text.len() <= 253
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-:".contains(&b));
        if !ok {
            refuse!("invalid {what} {text:?}: use letters, digits and . _ - :");
        }
        Ok(text.clone())
    };
    Ok(DnsSettings {
        servers,
        search: (args.search.iter())
            .map(|s| word("--dns-search", s))
            .collect::<Result<_, _>>()?,
        options: (args.options.iter())
            .map(|o| word("--dns-option", o))
            .collect::<Result<_, _>>()?,
    })
}

/// A sandbox that lives as long as the process `run_by` (for `ctnet run`), or until it is
/// removed.
pub fn create_for(
    ctx: &mut Ctx,
    name: &str,
    run_by: Option<Process>,
    dns: DnsSettings,
) -> Result<()> {
    let mut tx = Tx::begin(ctx)?;
    validate_name("sandbox", name)?;
    if tx.sandbox(name)?.is_some() {
        refuse!("sandbox {name} already exists");
    }
    let path = netns::named_path(name);
    if path.exists() {
        refuse!(
            "network namespace {} exists already: connect it by name to use it as a sandbox",
            path.display()
        );
    }
    let id = new_id()?;
    tx.state.sandboxes.push(Sandbox {
        lab: None,
        own_hosts: false,
        container: None,
        dns,
        id: id.clone(),
        name: name.into(),
        netns: path,
        pid: None,
        owned: true,
        created: now(),
        netns_inode: None,
        run_by,
    });
    tx.record_intent();
    tx.commit(ctx, vec![Op::CreateNetns { name: name.into() }])?;
    if !ctx.global.dry_run {
        writeln!(ctx.out, "{id}")?;
    }
    Ok(())
}

/// Sandboxes' removal: the steps, and the host ends of veths the kernel removes by itself
/// a moment after the commit (see `plan_removal`).
pub struct Removal {
    pub plan: Vec<Op>,
    pub going: Vec<String>,
}

/// The steps that take `sandboxes` away (their endpoints, then the namespaces ctnet made),
/// with the state changed. All of them first: a network's last endpoint on this host (an
/// overlay's, whose devices go with it) is then known whichever order they go in.
///
/// A namespace ctnet made with no process left in it ends when its name goes, and the
/// kernel then removes all its links in one batch, far cheaper than one link at a time
/// (each waits for its own grace period): its links are not deleted one by one.
pub fn plan_removal(
    kernel: &mut dyn Kernel,
    tx: &mut Tx,
    sandboxes: &[Sandbox],
) -> Result<Removal> {
    let mut removal = Removal {
        plan: Vec::new(),
        going: Vec::new(),
    };
    let leaving: Vec<&String> = sandboxes.iter().map(|s| &s.name).collect();
    for sandbox in sandboxes {
        let alive = super::sandbox_alive(kernel, sandbox);
        let endpoints: Vec<_> = tx
            .state
            .endpoints_of_sandbox(&sandbox.id)
            .cloned()
            .collect();
        // What the kernel removes late must be nothing a next command could stumble on: a
        // veth's host end (waited for below), a link whose other end goes too; not a
        // macvlan child (its parent is the host's) nor a link whose other end stays.
        let batched = |ep: &crate::model::Endpoint| {
            let network = tx.state.network_by_id(&ep.network_id);
            !ep.host_ifname.is_empty()
                || network.is_some_and(|n| {
                    n.p2p.is_some() && n.member_names().iter().all(|m| leaving.contains(m))
                })
        };
        let whole = sandbox.owned
            && alive
            && endpoints.iter().all(batched)
            && !kernel.netns_in_use(&sandbox.netns);
        let host_ends: Vec<String> = (endpoints.iter())
            .filter(|e| !e.host_ifname.is_empty())
            .map(|e| e.host_ifname.clone())
            .collect();
        for ep in endpoints {
            // Leaving an overlay may have taken its gateway bridge endpoint along already.
            if !tx.state.endpoints.iter().any(|e| e.id == ep.id) {
                continue;
            }
            let steps = connect::plan_disconnect(&mut tx.state, &ep, alive)?;
            removal.plan.extend(
                (steps.into_iter())
                    .filter(|op| !whole || !goes_with_namespace(op, sandbox, &host_ends)),
            );
        }
        if whole {
            removal.going.extend(host_ends);
        }
        if sandbox.owned {
            removal.plan.push(Op::DeleteNetns {
                name: sandbox.name.clone(),
            });
        }
    }
    for sandbox in sandboxes {
        tx.state.sandboxes.retain(|s| s.id != sandbox.id);
    }
    Ok(removal)
}

/// A step that deleting the sandbox's namespace does by itself: deleting a link inside
/// it, or a host end of one of its veths.
fn goes_with_namespace(op: &Op, sandbox: &Sandbox, host_ends: &[String]) -> bool {
    match op {
        Op::DeleteLink {
            ns: Ns::Path(path), ..
        } => *path == sandbox.netns,
        Op::DeleteLink { ns: Ns::Host, dev } => host_ends.contains(dev),
        _ => false,
    }
}

/// The kernel's batch runs a moment after the namespaces' names go: a command returns
/// once the host ends are gone (at most 5 s), so the host is clean when it does.
pub fn wait_until_gone(kernel: &mut dyn Kernel, going: &[String]) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while going.iter().any(|dev| kernel.has_link(&Ns::Host, dev))
        && std::time::Instant::now() < until
    {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Each sandbox's networks, by sandbox id, in one pass over the endpoints (a lookup per
/// sandbox would walk every endpoint of every sandbox: a million steps for 1,000).
fn networks_by_sandbox(state: &State) -> std::collections::HashMap<&str, Vec<&str>> {
    let names: std::collections::HashMap<&str, &str> = (state.networks.iter())
        .map(|n| (n.id.as_str(), n.name.as_str()))
        .collect();
    let mut by_sandbox: std::collections::HashMap<&str, Vec<&str>> = Default::default();
    for ep in &state.endpoints {
        if let Some(name) = names.get(ep.network_id.as_str()) {
            by_sandbox.entry(&ep.sandbox_id).or_default().push(name);
        }
    }
    by_sandbox
}

pub fn ls(ctx: &mut Ctx) -> Result<()> {
    let state = Tx::read(ctx, true)?;
    if ctx.global.quiet {
        for s in &state.sandboxes {
            writeln!(ctx.out, "{}", s.name)?;
        }
        return Ok(());
    }
    let networks = networks_by_sandbox(&state);
    let network_names = |s: &Sandbox| networks.get(s.id.as_str()).map(|n| n.join(","));
    match ctx.format() {
        Format::Json => {
            for s in &state.sandboxes {
                let line = json!({
                    "ID": short_id(&s.id), "Name": s.name, "NetNs": s.netns,
                    "Networks": network_names(s).unwrap_or_default(),
                });
                writeln!(ctx.out, "{line}")?;
            }
        }
        Format::Table | Format::Dot | Format::Mermaid => {
            let rows: Vec<Vec<String>> = state
                .sandboxes
                .iter()
                .map(|s| {
                    vec![
                        short_id(&s.id).into(),
                        s.name.clone(),
                        s.netns.display().to_string(),
                        network_names(s).unwrap_or_default(),
                    ]
                })
                .collect();
            print_table(ctx.out, &["SANDBOX ID", "NAME", "NETNS", "NETWORKS"], &rows)?;
        }
    }
    Ok(())
}

fn inspect_json(sandbox: &Sandbox, state: &State) -> Value {
    let networks: serde_json::Map<String, Value> = state
        .endpoints_of_sandbox(&sandbox.id)
        .filter_map(|ep| {
            let net = state.network_by_id(&ep.network_id)?;
            Some((
                net.name.clone(),
                json!({
                    "NetworkID": net.id, "EndpointID": ep.id, "InterfaceName": ep.ifname,
                    "HostInterfaceName": ep.host_ifname, "MacAddress": ep.mac,
                    "IPAddress": ep.ipv4.map(|a| a.addr().to_string()).unwrap_or_default(),
                    "IPPrefixLen": ep.ipv4.map_or(0, |a| a.prefix_len()),
                    "Gateway": net.ipam.first().map(|c| c.gateway.to_string()).unwrap_or_default(),
                    "GlobalIPv6Address": ep.ipv6.map(|a| a.addr().to_string()).unwrap_or_default(),
                    "GlobalIPv6PrefixLen": ep.ipv6.map_or(0, |a| a.prefix_len()),
                    "IPv6Gateway": net.ipam6.as_ref().map(|c| c.gateway.to_string()).unwrap_or_default(),
                    "Aliases": ep.aliases, "DefaultRoute": ep.default_route,
                    "Ports": super::publish::ports_json(&ep.ports),
                    "Impairment": (!ep.impair.is_none()).then(|| json!({
                        "Egress": ep.impair.egress.map(|i| i.to_string()),
                        "Ingress": ep.impair.ingress.map(|i| i.to_string()),
                        "Down": ep.impair.down,
                    })),
                }),
            ))
        })
        .collect();
    let ports: Vec<_> = state
        .endpoints_of_sandbox(&sandbox.id)
        .flat_map(|ep| ep.ports.iter().copied())
        .collect();
    json!({
        "Name": sandbox.name, "Id": sandbox.id, "Created": sandbox.created,
        "NetNs": sandbox.netns, "Pid": sandbox.pid, "Container": sandbox.container,
        "Dns": sandbox.dns.servers, "DnsSearch": sandbox.dns.search, "DnsOptions": sandbox.dns.options,
        "Networks": networks,
        "Ports": super::publish::ports_json(&ports),
    })
}

pub fn inspect(ctx: &mut Ctx, names: &[String]) -> Result<()> {
    let state = Tx::read(ctx, true)?;
    let mut found = Vec::new();
    for name in names {
        match state.sandbox(name)? {
            Some(s) => found.push(inspect_json(s, &state)),
            None => refuse!("sandbox {name} not found"),
        }
    }
    serde_json::to_writer_pretty(&mut *ctx.out, &found)?;
    writeln!(ctx.out)?;
    Ok(())
}

pub fn rm(ctx: &mut Ctx, names: &[String]) -> Result<()> {
    let mut tx = Tx::begin(ctx)?;
    let mut sandboxes = Vec::new();
    for name in names {
        let Some(sandbox) = tx.sandbox(name)? else {
            refuse!("sandbox {name} not found");
        };
        sandboxes.push(sandbox);
    }
    let removal = plan_removal(ctx.kernel, &mut tx, &sandboxes)?;
    let plan = removal.plan;
    tx.commit(ctx, plan)?;
    if !ctx.global.dry_run {
        wait_until_gone(ctx.kernel, &removal.going);
    }
    if !ctx.global.dry_run {
        for name in names {
            writeln!(ctx.out, "{name}")?;
        }
    }
    Ok(())
}
