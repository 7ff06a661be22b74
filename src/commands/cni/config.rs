//! `ctnet cni config NET [--write DIR]`: the network configuration list a runtime reads to
//! put containers on a ctnet network, found under the network's own name.

use std::path::Path;

use anyhow::{Context, Result};
use serde_json::json;

use super::Tx;
use crate::commands::Ctx;

/// The spec version of the lists ctnet writes: what podman 4.3 and containerd 1.6 send.
const LIST_VERSION: &str = "1.0.0";

pub fn config(ctx: &mut Ctx, network: &str, write: Option<&Path>) -> Result<()> {
    let state = Tx::read(ctx, false)?;
    let network = state.network(network)?;
    let list = json!({
        "cniVersion": LIST_VERSION,
        "name": network.name,
        "plugins": [{
            "type": "ctnet",
            "network": network.name,
            "capabilities": {"portMappings": true, "ips": true, "mac": true, "aliases": true},
        }],
    });
    let text = format!("{}\n", serde_json::to_string_pretty(&list)?);
    let Some(dir) = write else {
        return Ok(write!(ctx.out, "{text}")?);
    };
    let path = dir.join(format!("ctnet-{}.conflist", network.name));
    if ctx.global.dry_run {
        writeln!(ctx.out, "# would write {}\n{text}", path.display())?;
        return Ok(());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    // Written aside and renamed: a runtime reading the directory meanwhile sees the old
    // list or the new one, never half of one.
    let partial = dir.join(format!(".ctnet-{}.conflist.tmp", network.name));
    std::fs::write(&partial, &text)
        .and_then(|()| std::fs::rename(&partial, &path))
        .with_context(|| format!("cannot write {}", path.display()))?;
    writeln!(ctx.out, "{}", path.display())?;
    Ok(())
}
