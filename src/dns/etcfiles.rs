//! Writes the `hosts` and `resolv.conf` files (what `names` computes).
//!
//! A sandbox's files are found at `STATE_DIR/etc/NAME/`. For a named namespace
//! (`/run/netns/NS`), `/etc/netns/NS/hosts` and `resolv.conf` are symlinks to them: `ip
//! netns exec` bind-mounts what they point to over `/etc`. A sandbox on one network that
//! resolves names has for `hosts` a link to that network's shared file,
//! `STATE_DIR/names/NETWORK.hosts`; others have a file of their own. Files are changed in
//! place (`hostsfile`), so a bind mount made earlier (by `ip netns exec`, `ctnet run`, a
//! wrapper script) sees every change to the file it was made of.

use std::collections::BTreeSet;
use std::fs::OpenOptions;
use std::io::ErrorKind;
use std::net::IpAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::dns::hostsfile;
use crate::dns::names::{self, FileUpdate, Upstream, View};
use crate::model::{Network, Sandbox};
use crate::sys::netns::NETNS_DIR;

/// Where `ip netns exec` looks for a namespace's files.
const ETC_NETNS: &str = "/etc/netns";
const FILES: [&str; 2] = ["hosts", "resolv.conf"];

/// The directory holding a sandbox's name files.
pub fn sandbox_dir(state_dir: &Path, sandbox: &str) -> PathBuf {
    state_dir.join("etc").join(sandbox)
}

/// A network's shared `hosts` file, by its name (`names::shared_file`).
pub fn network_hosts(state_dir: &Path, file: &str) -> PathBuf {
    state_dir.join("names").join(format!("{file}.hosts"))
}

/// `/etc/netns/NS` for a sandbox in a named namespace.
fn netns_etc_dir(sandbox: &Sandbox) -> Option<PathBuf> {
    let parent = sandbox.netns.parent()?;
    let name = sandbox.netns.file_name()?;
    (parent == Path::new(NETNS_DIR)).then(|| Path::new(ETC_NETNS).join(name))
}

/// What the writes need besides the list of updates.
pub struct Files<'a> {
    pub state_dir: &'a Path,
    pub networks: &'a [Network],
    /// The sandboxes as the command leaves them, and as it found them (for removals).
    pub sandboxes: &'a [Sandbox],
    pub removed: &'a [Sandbox],
    /// The addresses `ctnet dns serve` answers on (empty when it does not run): a
    /// sandbox's resolv.conf names it only where it really listens.
    pub resolver: BTreeSet<IpAddr>,
}

/// Carries out `updates`; every file is attempted, and the first failure is returned.
pub fn apply(ctx: &Files, updates: &[FileUpdate]) -> Result<()> {
    let mut upstream: Option<Upstream> = None;
    let mut first_error = None;
    for update in updates {
        let result = match update {
            FileUpdate::Sandbox(name) => {
                let upstream = upstream.get_or_insert_with(host_upstream);
                write_sandbox(ctx, name, upstream)
            }
            FileUpdate::Network {
                network,
                remove,
                add,
            } => match hostsfile::edit(&network_hosts(ctx.state_dir, network), remove, add) {
                Ok(true) => Ok(()),
                Ok(false) => rebuild_network(ctx, network),
                Err(e) => Err(e),
            },
            FileUpdate::Neighbour {
                sandbox,
                remove,
                add,
            } => edit_own(ctx, sandbox, remove, add),
            FileUpdate::Remove(name) => remove_sandbox(ctx, name),
            FileUpdate::WriteNetwork(name) => write_network(ctx, name),
            FileUpdate::OwnHosts(name) => write_hosts(ctx, name),
            FileUpdate::DropNetwork(name) => drop_network(ctx, name),
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// The host's resolver configuration as sandboxes can use it.
pub fn host_upstream() -> Upstream {
    let etc = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    let resolved = std::fs::read_to_string("/run/systemd/resolve/resolv.conf").ok();
    names::upstream(&etc, resolved.as_deref())
}

/// Writes `path` in place, creating it if needed. Unchanged content is not written again,
/// and new content goes over the old before the file is cut to length, so a reader inside a
/// sandbox never finds it empty.
fn write_in_place(path: &Path, text: &str) -> Result<()> {
    let write = || -> std::io::Result<()> {
        // Never through a link someone planted in its place.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(nix::libc::O_NOFOLLOW)
            .open(path)?;
        let mut old = Vec::new();
        std::io::Read::read_to_end(&mut file, &mut old)?;
        if old == text.as_bytes() {
            return Ok(());
        }
        std::os::unix::fs::FileExt::write_all_at(&file, text.as_bytes(), 0)?;
        file.set_len(text.len() as u64)
    };
    write().with_context(|| format!("cannot write {}", path.display()))
}

/// Makes `dir` if it is missing, and makes sure it is a directory itself, not a link to
/// one elsewhere (through which ctnet, as root, would write or delete files there).
fn own_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let meta = std::fs::symlink_metadata(dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    if !meta.is_dir() {
        anyhow::bail!(
            "{} is a link or a file, not a directory: remove it and run 'ctnet restore'",
            dir.display()
        );
    }
    Ok(())
}

/// The network whose shared file is `name`'s (`None`: a network gone or not resolving).
fn resolving_network<'a>(ctx: &Files<'a>, name: &str) -> Option<&'a crate::model::Network> {
    (ctx.networks.iter()).find(|n| names::resolves_names(n) && names::shared_file(n) == name)
}

/// Writes a network's shared file whole, in place if it is there.
fn write_network(ctx: &Files, name: &str) -> Result<()> {
    let Some(network) = resolving_network(ctx, name) else {
        return Ok(());
    };
    own_dir(&ctx.state_dir.join("names"))?;
    let path = network_hosts(ctx.state_dir, name);
    hostsfile::sync(
        &path,
        &names::network_header(network),
        &names::network_lines(network),
    )
}

/// A network's shared file that is missing or an older ctnet's (after an upgrade, whose
/// members each had a file of their own): written whole, and its members linked to it.
fn rebuild_network(ctx: &Files, name: &str) -> Result<()> {
    let Some(network) = resolving_network(ctx, name) else {
        return Ok(());
    };
    if !network.has_members() {
        return Ok(());
    }
    write_network(ctx, name)?;
    let readers = (network.member_names().into_iter())
        .filter(|m| names::view(ctx.networks, m) == View::Network(network));
    let mut first_error = None;
    for member in readers {
        if let Err(e) = write_hosts(ctx, member) {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn drop_network(ctx: &Files, name: &str) -> Result<()> {
    match std::fs::remove_file(network_hosts(ctx.state_dir, name)) {
        Err(e) if e.kind() != ErrorKind::NotFound => {
            Err(e).with_context(|| format!("cannot remove the names of network {name}"))
        }
        _ => Ok(()),
    }
}

/// Removes the shared files of networks that no longer resolve names (a repair).
pub fn prune_networks(state_dir: &Path, networks: &[crate::model::Network]) {
    let Ok(entries) = std::fs::read_dir(state_dir.join("names")) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let network = file.strip_suffix(".hosts").unwrap_or(&file);
        if !networks
            .iter()
            .any(|n| names::resolves_names(n) && names::shared_file(n) == network)
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Makes a sandbox's `hosts` what its view says: a link to its network's shared file
/// (made whole first if it is missing), or its own file, changed in place.
fn write_hosts(ctx: &Files, name: &str) -> Result<()> {
    let dir = sandbox_dir(ctx.state_dir, name);
    own_dir(&dir)?;
    let path = dir.join("hosts");
    match names::view(ctx.networks, name) {
        View::Own => hostsfile::sync(
            &path,
            &names::own_header(name),
            &names::own_lines(ctx.networks, name),
        ),
        View::Network(network) => {
            let shared = network_hosts(ctx.state_dir, &names::shared_file(network));
            if !shared.exists() {
                write_network(ctx, &names::shared_file(network))?;
            }
            if std::fs::read_link(&path).ok().as_deref() == Some(shared.as_path()) {
                return Ok(());
            }
            // A link put in place by a rename: a reader finds the old file or the new one.
            let temp = dir.join(format!(".hosts.{}", std::process::id()));
            let _ = std::fs::remove_file(&temp);
            std::os::unix::fs::symlink(&shared, &temp)
                .and_then(|()| std::fs::rename(&temp, &path))
                .with_context(|| format!("cannot link {}", path.display()))
        }
    }
}

/// Changes the own file of a neighbour on several networks; one that is missing or not a
/// file of its own (a crash between two commands) is written whole.
fn edit_own(ctx: &Files, name: &str, remove: &[names::Line], add: &[names::Line]) -> Result<()> {
    let path = sandbox_dir(ctx.state_dir, name).join("hosts");
    let own = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
    if own && is_real_dir(&sandbox_dir(ctx.state_dir, name)) && hostsfile::edit(&path, remove, add)?
    {
        return Ok(());
    }
    write_hosts(ctx, name)
}

/// The address of the resolver a sandbox should ask, when `dns serve` runs.
fn resolver(ctx: &Files, name: &str) -> Option<IpAddr> {
    names::resolver_for(ctx.networks, name, &ctx.resolver)
}

/// A sandbox's resolv.conf, from the host's servers and the sandbox's own settings.
fn resolv_conf_of(ctx: &Files, sandbox: Option<&Sandbox>, name: &str, host: &Upstream) -> String {
    let own = sandbox.map(|s| s.dns.clone()).unwrap_or_default();
    let upstream = names::sandbox_upstream(host, ctx.networks, name, &own);
    names::resolv_conf(&upstream, resolver(ctx, name))
}

fn write_sandbox(ctx: &Files, name: &str, upstream: &Upstream) -> Result<()> {
    write_hosts(ctx, name)?;
    let dir = sandbox_dir(ctx.state_dir, name);
    let sandbox = ctx.sandboxes.iter().find(|s| s.name == name);
    let resolv = resolv_conf_of(ctx, sandbox, name, upstream);
    write_in_place(&dir.join("resolv.conf"), &resolv)?;
    let Some(sandbox) = sandbox else {
        return Ok(());
    };
    let Some(etc) = netns_etc_dir(sandbox) else {
        return Ok(());
    };
    own_dir(&etc)?;
    for file in FILES {
        let link = etc.join(file);
        let target = dir.join(file);
        match std::fs::symlink_metadata(&link) {
            // Only a link into ctnet's own files is ctnet's to replace.
            Ok(meta) if !meta.file_type().is_symlink() || !is_ours(ctx, &link) => {
                eprintln!(
                    "ctnet: warning: {} is not ctnet's (not a link to {}); left as it is",
                    link.display(),
                    target.display()
                );
                continue;
            }
            Ok(_) if std::fs::read_link(&link).ok().as_deref() == Some(target.as_path()) => {
                continue;
            }
            Ok(_) => std::fs::remove_file(&link)
                .with_context(|| format!("cannot replace {}", link.display()))?,
            Err(_) => {}
        }
        std::os::unix::fs::symlink(&target, &link)
            .with_context(|| format!("cannot link {}", link.display()))?;
    }
    Ok(())
}

/// Whether the symlink `link` points into ctnet's files under the state directory.
fn is_ours(ctx: &Files, link: &Path) -> bool {
    std::fs::read_link(link).is_ok_and(|target| target.starts_with(ctx.state_dir.join("etc")))
}

/// Rewrites every sandbox's `resolv.conf` (when `dns serve` starts, stops or starts to
/// listen somewhere new). Every sandbox is tried; the first failure is returned.
pub fn rewrite_resolv_confs(ctx: &Files) -> Result<()> {
    let upstream = host_upstream();
    let mut first_error = None;
    for sandbox in ctx.sandboxes {
        let dir = sandbox_dir(ctx.state_dir, &sandbox.name);
        let text = resolv_conf_of(ctx, Some(sandbox), &sandbox.name, &upstream);
        let written = own_dir(&dir).and_then(|()| write_in_place(&dir.join("resolv.conf"), &text));
        if let Err(e) = written {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// Whether `dir` is a directory itself (not a link to one): only then are files in it
/// ctnet's to remove.
fn is_real_dir(dir: &Path) -> bool {
    std::fs::symlink_metadata(dir).is_ok_and(|m| m.is_dir())
}

fn remove_sandbox(ctx: &Files, name: &str) -> Result<()> {
    let dir = sandbox_dir(ctx.state_dir, name);
    if let Some(etc) = ctx
        .removed
        .iter()
        .find(|s| s.name == name)
        .and_then(netns_etc_dir)
        .filter(|etc| is_real_dir(etc))
    {
        for file in FILES {
            let link = etc.join(file);
            if is_ours(ctx, &link) {
                let _ = std::fs::remove_file(&link);
            }
        }
        // Only if empty: anything else in it is the user's.
        let _ = std::fs::remove_dir(&etc);
    }
    if !is_real_dir(&dir) {
        // A link planted in its place: removing it removes the link, never what it leads to.
        let _ = std::fs::remove_file(&dir);
        return Ok(());
    }
    for file in FILES {
        match std::fs::remove_file(dir.join(file)) {
            Err(e) if e.kind() != ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("cannot remove {}", dir.display()));
            }
            _ => {}
        }
    }
    let _ = std::fs::remove_dir(&dir);
    Ok(())
}
