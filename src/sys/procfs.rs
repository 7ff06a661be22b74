//! What /proc tells and sets: sysctls (forwarding among them), processes, file locks.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result};

use super::notes;

pub(super) fn enable_forwarding(ipv6: bool) -> Result<()> {
    let key = crate::plan::forwarding_key(ipv6);
    if read_sysctl(key).is_some_and(|v| v == "1") {
        return Ok(());
    }
    notes::write_forwarding(ipv6)?;
    write_sysctl(key, "1")
}

pub(super) fn read_sysctl(key: &str) -> Option<String> {
    std::fs::read_to_string(Path::new("/proc/sys").join(key))
        .ok()
        .map(|v| v.trim().to_string())
}

pub(super) fn write_sysctl(key: &str, value: &str) -> Result<()> {
    let path = Path::new("/proc/sys").join(key);
    // Writing is cheap but not free, and reading tells whether it is needed at all.
    if std::fs::read_to_string(&path).is_ok_and(|v| v.trim() == value) {
        return Ok(());
    }
    std::fs::write(&path, value).with_context(|| format!("cannot set {key}={value}"))
}

/// When process `pid` started, in clock ticks after boot (field 22 of /proc/PID/stat,
/// counted after the command name, which may hold spaces and parentheses).
pub fn process_start(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // A zombie (killed, not yet reaped) has ended all the same.
    if matches!(fields.next()?, "Z" | "X") {
        return None;
    }
    fields.nth(18)?.parse().ok()
}

/// The process holding an flock on `file`, from /proc/locks (to name it when a command has
/// to wait), or `None` if it cannot be told.
pub fn lock_holder(file: &File) -> Option<u32> {
    use std::os::unix::fs::MetadataExt;
    let meta = file.metadata().ok()?;
    let (major, minor) = (
        nix::sys::stat::major(meta.dev()),
        nix::sys::stat::minor(meta.dev()),
    );
    let locks = std::fs::read_to_string("/proc/locks").ok()?;
    locks.lines().find_map(|line| {
        // "1: FLOCK  ADVISORY  WRITE 4242 00:2f:1234 0 EOF": pid, then major:minor:inode.
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (pid, id) = (fields.get(4)?, fields.get(5)?);
        let mut parts = id.split(':');
        let maj = u64::from_str_radix(parts.next()?, 16).ok()?;
        let min = u64::from_str_radix(parts.next()?, 16).ok()?;
        let ino: u64 = parts.next()?.parse().ok()?;
        (maj == major && min == minor && ino == meta.ino())
            .then(|| pid.parse().ok())
            .flatten()
    })
}
