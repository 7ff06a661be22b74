//! IPsec objects, through `ip xfrm` (the kernel's XFRM netlink family has no maintained
//! crate that matches the netlink crates ctnet uses).

use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::plan::xfrm;

/// Runs one `ip xfrm` command (as `xfrm::xfrm_commands` spells it) through `ip -batch -`,
/// so that a key is never in a command line other users can read. Adding what exists, or
/// removing what is gone, is not an error: the state says what should be there.
pub(super) fn run_ip_xfrm(command: &str, add: bool) -> Result<()> {
    let line = command.strip_prefix("ip ").unwrap_or(command);
    let mut child = Command::new("ip")
        .args(["-batch", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("cannot run ip")?;
    if let Some(mut stdin) = child.stdin.take() {
        std::io::Write::write_all(&mut stdin, format!("{line}\n").as_bytes())
            .context("cannot write to ip")?;
    }
    let output = child.wait_with_output().context("cannot run ip")?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let benign = if add {
        stderr.contains("File exists")
    } else {
        stderr.contains("No such") || stderr.contains("not found")
    };
    if benign {
        return Ok(());
    }
    bail!(
        "`{}` failed: {}",
        xfrm::redact(command),
        xfrm::redact(stderr.trim())
    )
}
