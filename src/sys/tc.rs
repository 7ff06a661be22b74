//! Qdiscs for link impairment, through the `tc` tool: the netlink crates ctnet uses know
//! no netem or tbf options (netem's are a C struct followed by attributes), and `tc`
//! spells them as users read them.

use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::model::Impairment;
use crate::plan::Ns;

/// Sets `dev`'s root qdisc (in `ns`) to what `to` asks, or back to the kernel's default.
/// Removing a qdisc that is not there is not an error.
pub(super) fn set_root_qdisc(ns: &Ns, dev: &str, to: Option<&Impairment>) -> Result<()> {
    let mut args: Vec<String> = vec!["qdisc".into()];
    match to {
        Some(impairment) => {
            args.extend(["replace", "dev", dev, "root"].map(String::from));
            args.extend(impairment.tc_args());
        }
        None => args.extend(["del", "dev", dev, "root"].map(String::from)),
    }
    let mut command = Command::new("tc");
    command
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Ns::Path(path) = ns {
        let file = std::fs::File::open(path)
            .with_context(|| format!("cannot open the sandbox's namespace {}", path.display()))?;
        // Only the child enters the namespace (between fork and exec: setns is safe there).
        unsafe {
            command.pre_exec(move || {
                nix::sched::setns(&file, nix::sched::CloneFlags::CLONE_NEWNET)
                    .map_err(std::io::Error::from)
            });
        }
    }
    let output = command.output().context("cannot run tc (iproute2)")?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Deleting the default qdisc: "Cannot delete qdisc with handle of zero", or none there.
    // (An undo after the interface went: nothing left to put back.)
    let gone = ["handle of zero", "No such file", "Cannot find device"];
    if to.is_none() && gone.iter().any(|g| stderr.contains(g)) {
        return Ok(());
    }
    let kind = to.map_or("", |i| {
        if i.rate_only() {
            " (CONFIG_NET_SCH_TBF)"
        } else {
            " (CONFIG_NET_SCH_NETEM)"
        }
    });
    if stderr.contains("Specified qdisc kind is unknown") || stderr.contains("Unknown qdisc") {
        bail!(
            "this kernel has no such qdisc{kind}: `tc {}` failed",
            args.join(" ")
        );
    }
    bail!("`tc {}` failed: {}", args.join(" "), stderr.trim());
}
