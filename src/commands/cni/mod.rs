//! ctnet as a CNI plugin: executed with `CNI_COMMAND` set, the binary answers a container
//! runtime (podman, containerd) instead of a user. Each verb is one more front end to the
//! transactions the CLI runs: ADD is a connect (with a sandbox made for the container),
//! DEL a disconnect, GC a gc limited to what the runtime no longer has. Also `ctnet cni
//! config`, the configuration a runtime reads to find a ctnet network.

mod add;
mod check;
mod config;
mod del;

pub use config::config;

use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::Result;
use serde_json::Value;

use super::{Ctx, Tx, connect};
use crate::cli::Global;
use crate::cni::{Call, CniError, Code, NetConf, SpecVersion, Verb, version_json};
use crate::error::UserError;
use crate::model::Sandbox;
use crate::plan::Op;
use crate::state::consistency::Lists;
use crate::state::store::Store;
use crate::sys::Linux;

/// Runs the plugin: the call from the environment, the configuration from stdin, the
/// answer (or the spec's error JSON, with exit status 1) on stdout.
pub fn plugin() -> ExitCode {
    let mut input = String::new();
    let read = std::io::stdin().read_to_string(&mut input);
    let asked_version = serde_json::from_str::<Value>(&input)
        .ok()
        .and_then(|v| v.get("cniVersion")?.as_str().map(str::to_string))
        .filter(|v| SpecVersion::parse(v).is_some())
        .unwrap_or_else(|| SpecVersion::V1_1.as_str().to_string());
    let answer = match read {
        Ok(_) => answer(&input),
        Err(e) => Err(CniError::new(
            Code::DecodeFailed,
            format!("cannot read the configuration: {e}"),
        )),
    };
    let mut stdout = std::io::stdout().lock();
    let (printed, code) = match answer {
        Ok(Some(result)) => (Some(result), ExitCode::SUCCESS),
        Ok(None) => (None, ExitCode::SUCCESS),
        Err(e) => {
            // The runtime shows stdout's message; stderr is for whoever reads its logs.
            eprintln!("ctnet: error: {}", e.msg);
            (Some(e.to_json(&asked_version)), ExitCode::FAILURE)
        }
    };
    if let Some(json) = printed {
        let _ = writeln!(stdout, "{json}");
    }
    code
}

/// What the runtime is told: a result (ADD, VERSION), nothing (DEL, CHECK, GC, STATUS), or
/// an error.
fn answer(input: &str) -> Result<Option<Value>, CniError> {
    let call = Call::from_env(|name| std::env::var(name).ok())?;
    if call.verb == Verb::Version {
        // VERSION may come with no configuration at all.
        let asked = serde_json::from_str::<Value>(input)
            .ok()
            .and_then(|v| v.get("cniVersion")?.as_str().map(str::to_string))
            .unwrap_or_default();
        return Ok(Some(version_json(&asked)));
    }
    let conf: NetConf = serde_json::from_str(input).map_err(|e| {
        CniError::new(
            Code::DecodeFailed,
            format!("cannot decode the network configuration: {e}"),
        )
    })?;
    let version = SpecVersion::parse(&conf.cni_version).ok_or_else(|| {
        CniError::new(
            Code::IncompatibleVersion,
            format!(
                "ctnet speaks CNI {}, not {:?}",
                crate::cni::SUPPORTED.join(", "),
                conf.cni_version
            ),
        )
    })?;
    if matches!(call.verb, Verb::Gc | Verb::Status) && version < SpecVersion::V1_1 {
        return Err(CniError::new(
            Code::IncompatibleVersion,
            format!(
                "GC and STATUS are CNI 1.1.0 verbs; the configuration says {}",
                conf.cni_version
            ),
        ));
    }
    if !conf.kind.is_empty() && conf.kind != "ctnet" {
        return Err(CniError::new(
            Code::InvalidConfig,
            format!(
                "this configuration is for plugin {:?}, not ctnet",
                conf.kind
            ),
        ));
    }
    if conf.ipam.is_some() {
        return Err(CniError::new(
            Code::UnsupportedField,
            "ctnet manages the network's addresses itself: remove \"ipam\" (ask for an address with the ips capability or IP= in CNI_ARGS)",
        ));
    }
    let network = match (&conf.network, conf.name.as_str()) {
        (Some(network), _) => network.clone(),
        (None, "") => {
            return Err(CniError::new(
                Code::InvalidConfig,
                "the configuration names no ctnet network: add \"network\": \"NAME\"",
            ));
        }
        (None, name) => name.to_string(),
    };
    if !nix::unistd::geteuid().is_root() {
        return Err(CniError::new(
            Code::Failed,
            "ctnet changes the kernel's network configuration and must run as root",
        ));
    }
    let global =
        Global::from_env().map_err(|e| CniError::new(Code::InvalidEnvironment, format!("{e}")))?;
    crate::cluster::kv::set_options(global.store_options());
    let mut kernel = Linux::new(global.verbose);
    let mut sink = std::io::sink();
    let ctx = &mut Ctx {
        global: &global,
        kernel: &mut kernel,
        out: &mut sink,
    };
    let request = Request {
        call: &call,
        conf: &conf,
        network: &network,
        version,
    };
    let done = match call.verb {
        Verb::Add => add::add(ctx, &request).map(Some),
        Verb::Del => del::del(ctx, &request).map(|()| None),
        Verb::Check => check::check(ctx, &request).map(|()| None),
        Verb::Gc => del::gc(ctx, &request).map(|()| None),
        Verb::Status => check::status(ctx, &request).map(|()| None),
        Verb::Version => unreachable!("answered above"),
    };
    done.map_err(to_cni_error)
}

/// One call, read and checked.
struct Request<'a> {
    call: &'a Call,
    conf: &'a NetConf,
    /// The ctnet network the configuration stands for.
    network: &'a str,
    version: SpecVersion,
}

impl Request<'_> {
    fn container_id(&self) -> &str {
        self.call
            .container_id
            .as_deref()
            .expect("Call::from_env checks the verbs that need it")
    }

    fn ifname(&self) -> &str {
        self.call
            .ifname
            .as_deref()
            .expect("Call::from_env checks the verbs that need it")
    }
}

/// Errors keep their spec code; ctnet's refusals and failures get its own.
fn to_cni_error(e: anyhow::Error) -> CniError {
    if let Some(cni) = e.downcast_ref::<CniError>() {
        return cni.clone();
    }
    let code = match e.downcast_ref::<UserError>() {
        Some(_) => Code::Refused,
        None => Code::Failed,
    };
    CniError::new(code, format!("{e:#}"))
}

/// Whether the state has the network, read without the lock and without setting up a
/// first run (DEL, GC and STATUS must change nothing on a host without it).
fn network_exists(ctx: &Ctx, key: &str) -> Result<bool> {
    let networks =
        Store::peek_networks(&ctx.global.state_dir.join("state.json"), Lists::CheckParsed)?;
    Ok(networks.iter().any(|n| n.name == key || n.id == key))
}

/// The sandbox ctnet made for the runtime's container `id`: looked up under the names it
/// may have been given first, then among all sandboxes.
fn sandbox_of_container(tx: &mut Tx, id: &str, name: Option<&str>) -> Result<Option<Sandbox>> {
    let ours = |s: &Sandbox| s.container.as_deref() == Some(id);
    for candidate in name.into_iter().chain([id]) {
        if let Some(sandbox) = tx.sandbox(candidate)?
            && ours(&sandbox)
        {
            return Ok(Some(sandbox));
        }
    }
    tx.load_all_sandboxes()?;
    Ok(tx.state.sandboxes.iter().find(|s| ours(s)).cloned())
}

/// The steps that take `sandbox`'s endpoints away (those `which` picks), and the sandbox
/// record itself once it has none left. Returns whether the record went.
fn plan_forget(
    ctx: &mut Ctx,
    tx: &mut Tx,
    sandbox: &Sandbox,
    which: impl Fn(&crate::model::Endpoint) -> bool,
    plan: &mut Vec<Op>,
) -> Result<bool> {
    let endpoints: Vec<_> = tx
        .state
        .endpoints_of_sandbox(&sandbox.id)
        .filter(|e| which(e))
        .cloned()
        .collect();
    for endpoint in endpoints {
        // Leaving an overlay may have taken its gateway bridge endpoint along already.
        if !tx.state.endpoints.iter().any(|e| e.id == endpoint.id) {
            continue;
        }
        let network = tx
            .state
            .network_by_id(&endpoint.network_id)
            .cloned()
            .expect("endpoints belong to known networks");
        plan.extend(connect::plan_leave(ctx, tx, &network, sandbox, &endpoint)?);
    }
    let empty = tx.state.endpoints_of_sandbox(&sandbox.id).next().is_none();
    if empty {
        tx.state.sandboxes.retain(|s| s.id != sandbox.id);
    }
    Ok(empty)
}

/// Commits a removal: all or nothing while the container's namespace is there; step by
/// step when it is gone (what went with it cannot be removed again).
fn commit_removal(ctx: &mut Ctx, tx: Tx, plan: Vec<Op>, alive: bool) -> Result<()> {
    if alive {
        tx.commit(ctx, plan)
    } else {
        tx.commit_best_effort(ctx, plan.into_iter().map(|op| vec![op]).collect())
    }
}
