//! Network namespaces: named ones under /run/netns (as `ip netns` keeps them) and entering
//! any namespace file just long enough to open a netlink socket inside it.

use std::fs::File;
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};
use nix::sched::{CloneFlags, setns, unshare};

use super::netlink::Netlink;

pub const NETNS_DIR: &str = "/run/netns";

pub fn named_path(name: &str) -> PathBuf {
    Path::new(NETNS_DIR).join(name)
}

/// Runs `f` with the calling thread inside the namespace at `path`, then returns home.
/// A socket opened inside stays in that namespace after we leave.
pub fn with_netns<T>(path: &Path, f: impl FnOnce() -> T) -> io::Result<T> {
    let target = File::open(path).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("cannot open namespace {}: {e}", path.display()),
        )
    })?;
    let home = File::open("/proc/thread-self/ns/net")?;
    setns(&target, CloneFlags::CLONE_NEWNET)
        .map_err(|e| io::Error::other(format!("cannot enter namespace {}: {e}", path.display())))?;
    let result = f();
    // Failing to come back would leave every later step in the wrong namespace.
    setns(&home, CloneFlags::CLONE_NEWNET).expect("returning to the original network namespace");
    Ok(result)
}

/// /run/netns must be a shared mount point so that namespaces bound there are visible in
/// other mount namespaces, the way `ip netns add` prepares it.
fn prepare_netns_dir() -> io::Result<()> {
    std::fs::create_dir_all(NETNS_DIR)?;
    let shared = MsFlags::MS_SHARED | MsFlags::MS_REC;
    match mount(None::<&str>, NETNS_DIR, None::<&str>, shared, None::<&str>) {
        Ok(()) => Ok(()),
        Err(nix::errno::Errno::EINVAL) => {
            // Not a mount point yet: bind it onto itself, then share it.
            mount(
                Some(NETNS_DIR),
                NETNS_DIR,
                None::<&str>,
                MsFlags::MS_BIND | MsFlags::MS_REC,
                None::<&str>,
            )?;
            mount(None::<&str>, NETNS_DIR, None::<&str>, shared, None::<&str>)?;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates /run/netns/NAME holding a fresh namespace with lo up.
pub fn create_named(name: &str) -> io::Result<()> {
    prepare_netns_dir()?;
    let path = named_path(name);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o444)
        .open(&path)?;
    let target = path.clone();
    // unshare() moves the calling thread only, so a short-lived thread does it and the
    // main thread never leaves the host namespace.
    let made = std::thread::spawn(move || -> io::Result<()> {
        unshare(CloneFlags::CLONE_NEWNET)?;
        mount(
            Some("/proc/thread-self/ns/net"),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )?;
        let mut nl = Netlink::open().map_err(|e| io::Error::other(e.to_string()))?;
        nl.link_up("lo")
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(())
    })
    .join()
    .unwrap_or_else(|_| Err(io::Error::other("namespace thread panicked")));
    if made.is_err() {
        let _ = umount2(&path, MntFlags::MNT_DETACH);
        let _ = std::fs::remove_file(&path);
    }
    made
}

/// Removes a named namespace; one already gone counts as removed.
pub fn delete_named(name: &str) -> io::Result<()> {
    let path = named_path(name);
    // NOFOLLOW: a link planted at the name must not make ctnet unmount what it points to.
    let _ = umount2(&path, MntFlags::MNT_DETACH | MntFlags::UMOUNT_NOFOLLOW);
    match std::fs::remove_file(&path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// True if both paths name the same namespace (same device and inode).
pub fn same_netns(a: &Path, b: &Path) -> bool {
    use nix::sys::stat::stat;
    match (stat(a), stat(b)) {
        (Ok(x), Ok(y)) => x.st_dev == y.st_dev && x.st_ino == y.st_ino,
        _ => false,
    }
}

/// True if `path` is a network namespace file (or a link to one).
pub fn is_netns(path: &Path) -> bool {
    use nix::sys::statfs::{NSFS_MAGIC, statfs};
    statfs(path).is_ok_and(|s| s.filesystem_type() == NSFS_MAGIC)
}

/// Runs `sh -c command` inside the namespace at `path` (a lab node's `exec`), its output
/// passed through; the exit status is returned.
pub fn run_shell(path: &Path, command: &str) -> io::Result<std::process::ExitStatus> {
    use std::os::unix::process::CommandExt;
    let target = File::open(path)?;
    let mut child = std::process::Command::new("sh");
    child
        .args(["-c", command])
        .stdin(std::process::Stdio::null());
    // Only the child enters the namespace (between fork and exec: setns is safe there).
    unsafe {
        child.pre_exec(move || setns(&target, CloneFlags::CLONE_NEWNET).map_err(io::Error::from));
    }
    child.status()
}

/// Whether any process runs in the namespace at `path` (its /proc/PID/ns/net is the same
/// namespace). A namespace ctnet cannot read is taken as in use.
pub fn in_use(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let Ok(target) = std::fs::metadata(path) else {
        return false;
    };
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return true;
    };
    entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|e| std::fs::metadata(e.path().join("ns/net")).ok())
        .any(|ns| ns.ino() == target.ino() && ns.dev() == target.dev())
}
