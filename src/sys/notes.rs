//! What ctnet notes under /run/ctnet about changes it made to the host, so that later
//! commands tell its doing from others'. Under /run, a note lasts exactly as long as what
//! it describes: until a reboot.

use std::fs::{self, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

const NOTES: &str = "/run/ctnet";

/// Links ctnet is creating and has not tagged yet, one empty file per name.
const BIRTHS: &str = "/run/ctnet/untagged";

/// The note that ctnet turned on forwarding for a family.
pub fn forwarding(ipv6: bool) -> PathBuf {
    Path::new(NOTES).join(if ipv6 {
        "forwarding-enabled.ipv6"
    } else {
        "forwarding-enabled.ipv4"
    })
}

pub fn write_forwarding(ipv6: bool) -> Result<()> {
    make_dir(Path::new(NOTES))?;
    let note = forwarding(ipv6);
    fs::write(
        &note,
        "ctnet turned forwarding on: its table forwards only ctnet's traffic\n",
    )
    .with_context(|| format!("cannot write {}", note.display()))
}

fn make_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create {}", dir.display()))
}

/// Notes that ctnet is about to create host link `name`: the kernel takes no alias at
/// creation, so until `born` the link carries no mark, and a crash in between would leave
/// a link nothing tells from a user's. `gc` claims an untagged link only with this note.
pub fn birth(name: &str) -> Result<()> {
    make_dir(Path::new(BIRTHS))?;
    let note = Path::new(BIRTHS).join(name);
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(&note)
        .map(drop)
        .with_context(|| format!("cannot write {}", note.display()))
}

/// The link is tagged (or was never made): its birth note goes.
pub fn born(name: &str) {
    let _ = fs::remove_file(Path::new(BIRTHS).join(name));
}

/// The names of links whose birth was noted and never finished.
pub fn unfinished_births() -> Vec<String> {
    let Ok(entries) = fs::read_dir(BIRTHS) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect()
}
