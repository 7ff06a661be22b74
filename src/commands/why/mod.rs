//! `ctnet why FROM TO[:PORT[/PROTO]] [--live]`: the question every lab asks. Whether
//! ctnet's policy lets that traffic through, what decides it in words, and the nft rule
//! (`verdict`, from the state alone); `--live` sends one probe and shows what nftables
//! traced of it in ctnet's table.

mod verdict;

use std::net::IpAddr;

use anyhow::Result;

use super::{Ctx, Tx};
use crate::error::UserError;
use crate::model::State;
use crate::ports::Proto;
use crate::refuse;
use verdict::{Place, Port, Question};

/// `NAME`, `host`, `outside`, or an address (a sandbox's, or one beyond the host).
fn place(state: &State, text: &str) -> Result<Place, UserError> {
    match text {
        "host" => return Ok(Place::Host),
        "outside" => return Ok(Place::Outside(None)),
        _ => {}
    }
    if let Ok(ip) = text.parse::<IpAddr>() {
        let owner = state.endpoints.iter().find(|ep| {
            ep.ipv4.map(|a| IpAddr::V4(a.addr())) == Some(ip)
                || ep.ipv6.map(|a| IpAddr::V6(a.addr())) == Some(ip)
        });
        return Ok(
            match owner.and_then(|ep| state.sandbox_by_id(&ep.sandbox_id)) {
                Some(sandbox) => Place::Sandbox(sandbox.name.clone()),
                None => Place::Outside(Some(ip)),
            },
        );
    }
    if state.sandboxes.iter().any(|s| s.name == text) {
        return Ok(Place::Sandbox(text.to_string()));
    }
    refuse!("{text:?} is neither a sandbox, an address, host nor outside")
}

/// `TO[:PORT[/PROTO]]` (an IPv6 address takes no port here).
fn split_port(text: &str) -> Result<(&str, Option<Port>), UserError> {
    let Some((to, port)) = text.rsplit_once(':').filter(|(to, _)| !to.contains(':')) else {
        return Ok((text, None));
    };
    let (number, proto) = match port.split_once('/') {
        Some((number, "tcp")) => (number, Proto::Tcp),
        Some((number, "udp")) => (number, Proto::Udp),
        Some((_, other)) => refuse!("invalid protocol {other:?}: tcp or udp"),
        None => (port, Proto::Tcp),
    };
    match number.parse::<u16>() {
        Ok(n) if n > 0 => Ok((to, Some((proto, n)))),
        _ => refuse!("invalid port {number:?} in {text:?}"),
    }
}

pub fn why(ctx: &mut Ctx, from: &str, to: &str, live: bool) -> Result<()> {
    let state = Tx::read(ctx, true)?;
    let (to, port) = split_port(to)?;
    let question = Question {
        from: place(&state, from)?,
        to: place(&state, to)?,
        port,
    };
    let verdict = verdict::decide(&state, &question);
    writeln!(
        ctx.out,
        "{}: {}",
        if verdict.allowed {
            "allowed"
        } else {
            "blocked"
        },
        verdict.because
    )?;
    if let Some(rule) = &verdict.rule {
        writeln!(ctx.out, "  rule: {rule}")?;
    }
    if live {
        probe(ctx, &state, &question)?;
    }
    Ok(())
}

/// `--live`: one probe from FROM's namespace (or the host's), and what ctnet's table
/// traced of it.
fn probe(ctx: &mut Ctx, state: &State, question: &Question) -> Result<()> {
    let netns = match &question.from {
        Place::Sandbox(name) => Some(state.sandbox(name)?.expect("a place").netns.clone()),
        Place::Host => None,
        Place::Outside(_) => refuse!("--live probes from a sandbox or the host, not from outside"),
    };
    let target: IpAddr = match &question.to {
        Place::Sandbox(name) => {
            let sandbox = state.sandbox(name)?.expect("a place");
            let address = state
                .endpoints_of_sandbox(&sandbox.id)
                .find_map(|ep| ep.ipv4);
            match address {
                Some(address) => IpAddr::V4(address.addr()),
                None => refuse!("--live: {name} has no IPv4 address to probe"),
            }
        }
        Place::Outside(Some(ip)) => *ip,
        _ => refuse!("--live needs an address to probe: a sandbox or an IP"),
    };
    let report = ctx.kernel.probe(netns.as_deref(), target, question.port)?;
    writeln!(
        ctx.out,
        "live: {}",
        if report.answered {
            "the probe was answered"
        } else {
            "the probe got no answer"
        }
    )?;
    for line in report.trace {
        writeln!(ctx.out, "  trace: {line}")?;
    }
    Ok(())
}
