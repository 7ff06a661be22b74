//! Files only root may open, and waiting for a lock a bounded time while naming its
//! holder: one command at a time, and no user can freeze them all.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Opens (or makes) a file that only its owner, the user running ctnet, may open: a lock
/// that anyone could open, anyone could hold (flock works on a read-only descriptor) and so
/// freeze every ctnet command. A link there is refused rather than followed, and a file
/// left with wider modes by an older ctnet is narrowed.
pub fn open_root_only(path: &Path) -> Result<File> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    let meta = file.metadata()?;
    if meta.uid() != nix::unistd::geteuid().as_raw() {
        bail!(
            "{} belongs to uid {}, not to the user running ctnet: remove it",
            path.display(),
            meta.uid()
        );
    }
    if meta.mode() & 0o077 != 0 {
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot narrow the modes of {}", path.display()))?;
    }
    Ok(file)
}

/// How long a command waits for another to release the state (`CTNET_LOCK_WAIT`, seconds):
/// commands hold it for milliseconds, so a long wait means a hung or stopped holder.
pub(super) fn lock_patience() -> std::time::Duration {
    let seconds = std::env::var("CTNET_LOCK_WAIT")
        .ok()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(30.0);
    std::time::Duration::from_secs_f64(seconds)
}

/// Takes the exclusive lock, saying after a moment who holds it, and giving up with an
/// error that names the holder once the patience runs out.
pub(super) fn wait_for_lock(lock: &File, path: &Path) -> Result<()> {
    use std::fs::TryLockError;
    let mut start = std::time::Instant::now();
    let mut last_holder = None;
    let patience = lock_patience();
    let mut pause = std::time::Duration::from_millis(1);
    let mut told = false;
    let holder = || match crate::sys::lock_holder(lock) {
        Some(pid) => format!("pid {pid}"),
        None => "another process".to_string(),
    };
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(()),
            Err(TryLockError::WouldBlock) => {}
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
        // The patience is for one holder: under a queue of busy commands the holder changes
        // and the wait goes on; one that does not let go is the one to name.
        let now_holder = crate::sys::lock_holder(lock);
        if now_holder != last_holder {
            last_holder = now_holder;
            start = std::time::Instant::now();
        }
        let waited = start.elapsed();
        if waited >= patience {
            bail!(
                "{} is still locked by {} after {:.0} s: stop that process if it hangs (CTNET_LOCK_WAIT sets the wait)",
                path.display(),
                holder(),
                waited.as_secs_f64()
            );
        }
        if !told && waited >= std::time::Duration::from_secs(2) {
            eprintln!(
                "ctnet: waiting for {} to release {}",
                holder(),
                path.display()
            );
            told = true;
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(20));
    }
}

/// A new state file, readable by root alone: state.json can hold an encrypted overlay's
/// keys.
///
/// Always a new file: whatever is at `path` (a file a killed command left, or a link a
/// user planted to make root write elsewhere) is removed first (a link itself, never
/// its target), and O_EXCL then refuses anything that appears in between.
pub(super) fn create_private(path: &Path) -> std::io::Result<File> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
}
