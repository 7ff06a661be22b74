//! The state on disk, under one exclusive lock for the whole command:
//!
//! - `state.json`: `{"version": 3, "networks": [...], "published": {...}}`; each network
//!   lists its members (sandbox name and address), which is all IPAM and `network rm` need,
//!   and `published` each sandbox's published ports, which is all a new port is checked
//!   against;
//! - `sandboxes/NAME.json`: one sandbox and its endpoints;
//! - `sandboxes/NAME.ports`: the published ports of its endpoints that have any, a line
//!   each, `ENDPOINT_ID MAPPING MAPPING ...` (`0.0.0.0:8080->80/tcp`, as `docker ps`
//!   shows them), in a file of their own: a sandbox can hold thousands, and a publish
//!   reads and writes this text only (see `PortList`). It is written before the JSON, and
//!   removed before it: a line for an endpoint the JSON lacks is what a command that
//!   stopped in between left, ignored and dropped when the file is next written (and a
//!   ports file without a JSON is removed by `gc`).
//!
//! A command reads and writes only the files it touches, so a connect costs the same with
//! 1 or 500 endpoints on the network. (With one file for everything, parsing and rewriting it
//! took 10 M of a connect's 11.8 M instructions at 500 endpoints.) Every file is replaced
//! atomically; a file that does not parse is an error naming it, never overwritten.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use super::lock::{create_private, open_root_only, wait_for_lock};
use crate::model::{
    Network, OLDEST_STATE_VERSION, Published, PublishedIndex, STATE_VERSION, SandboxFile,
};
use crate::ports::PortList;
use crate::state::consistency::Lists;

#[derive(Deserialize)]
struct NetworksFile {
    version: u32,
    networks: Vec<Network>,
    #[serde(default, deserialize_with = "published_index")]
    published: PublishedIndex,
}

/// The same file for writing, borrowing the networks instead of copying them.
#[derive(Serialize)]
struct NetworksFileRef<'a> {
    version: u32,
    networks: &'a [Network],
    #[serde(skip_serializing_if = "PublishedIndex::is_empty")]
    published: &'a PublishedIndex,
}

/// The published ports as this version writes them (`{"SANDBOX": [mapping, ...]}`), or as
/// a list of `{"sandbox", "mapping"}`, which older versions wrote (each command then saved
/// 5,000 sandbox names for 5,000 ports of one sandbox).
fn published_index<'de, D: serde::Deserializer<'de>>(d: D) -> Result<PublishedIndex, D::Error> {
    use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
    struct Either;
    impl<'de> serde::de::Visitor<'de> for Either {
        type Value = PublishedIndex;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("each sandbox's published ports")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            map: A,
        ) -> Result<PublishedIndex, A::Error> {
            PublishedIndex::deserialize(MapAccessDeserializer::new(map))
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            seq: A,
        ) -> Result<PublishedIndex, A::Error> {
            Ok(Published::index(Vec::<Published>::deserialize(
                SeqAccessDeserializer::new(seq),
            )?))
        }
    }
    d.deserialize_any(Either)
}

/// The networks as loaded, with the file's bytes: to tell whether a save changes anything,
/// and to put the file back after a failed command.
#[derive(Debug)]
pub struct LoadedNetworks {
    pub networks: Vec<Network>,
    pub published: PublishedIndex,
    pub bytes: Vec<u8>,
}

/// A saved sandbox as a listing of the directory finds it.
pub struct SavedSandbox {
    pub name: String,
    pub has_ports_file: bool,
}

/// A file a command changes, in the order the changes must land.
pub enum FileChange {
    Networks(Vec<u8>),
    Sandbox {
        name: String,
        bytes: Vec<u8>,
    },
    /// A sandbox's ports file; empty, the file goes.
    Ports {
        name: String,
        bytes: Vec<u8>,
    },
    /// A sandbox's files go (its ports file first).
    RemoveSandbox(String),
}

/// Changes written to temporary files, waiting for `install`.
#[derive(Clone)]
pub struct Staged {
    steps: Vec<(PathBuf, Option<PathBuf>)>,
}

pub struct Store {
    dir: PathBuf,
    /// Held until the store is dropped: parallel invocations queue here.
    _lock: File,
}

impl Store {
    /// Creates the directory if needed and waits for the exclusive lock.
    pub fn lock(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create state directory {}", dir.display()))?;
        let lock_path = dir.join("state.lock");
        let lock = open_root_only(&lock_path)?;
        wait_for_lock(&lock, &lock_path)?;
        Ok(Store {
            dir: dir.to_path_buf(),
            _lock: lock,
        })
    }

    pub fn path(&self) -> PathBuf {
        self.dir.join("state.json")
    }

    fn sandboxes_dir(&self) -> PathBuf {
        self.dir.join("sandboxes")
    }

    /// Sandbox names are validated ([A-Za-z0-9][A-Za-z0-9_.-]*), so they are safe file names.
    fn sandbox_path(&self, name: &str) -> PathBuf {
        self.sandboxes_dir().join(format!("{name}.json"))
    }

    fn ports_path(&self, name: &str) -> PathBuf {
        self.sandboxes_dir().join(format!("{name}.ports"))
    }

    /// The networks, or `None` on a host where ctnet never ran.
    pub fn load_networks(&self) -> Result<Option<LoadedNetworks>> {
        read_networks(&self.path(), Lists::CheckAll)
    }

    /// The networks, for a command that reads only a few entries of their member lists
    /// (connect, disconnect): those are left unparsed (see `Members`), and checked only if
    /// something parses them. Whatever the command does not read it writes back unchanged.
    pub fn load_networks_lazily(&self) -> Result<Option<LoadedNetworks>> {
        read_networks(&self.path(), Lists::CheckParsed)
    }

    /// The networks in `path` without taking the lock, for readers that must never wait for
    /// a command (the resolver). Saves replace the file atomically, so what is read is
    /// always one whole version of it. `lists` as for `Tx`: a reader that only looks a
    /// network up passes `CheckParsed` and leaves the member lists unread.
    pub fn peek_networks(path: &Path, lists: Lists) -> Result<Vec<Network>> {
        Ok(read_networks(path, lists)?
            .map(|l| l.networks)
            .unwrap_or_default())
    }

    /// What state.json holds for `networks` and `published`; `size` is what the last one
    /// measured (the buffer is made that big at once rather than grown by copies).
    pub fn networks_bytes(
        networks: &[Network],
        published: &PublishedIndex,
        size: usize,
    ) -> Result<Vec<u8>> {
        let file = NetworksFileRef {
            version: STATE_VERSION,
            networks,
            published,
        };
        json_line(&file, size)
    }

    /// What a sandbox's JSON file holds (all but the ports).
    pub fn sandbox_bytes(file: &SandboxFile) -> Result<Vec<u8>> {
        json_line(file, 1024)
    }

    /// Whether a sandbox's JSON is an older version's, which kept the ports in it.
    pub fn ports_inline(json: &[u8]) -> bool {
        memchr::memmem::find(json, br#""ports":"#).is_some()
    }

    /// What a sandbox's ports file holds: empty if it has no published ports.
    pub fn ports_bytes(file: &SandboxFile) -> Vec<u8> {
        let with_ports = || file.endpoints.iter().filter(|ep| !ep.ports.is_empty());
        // Sized at once: thousands of ports are not copied again and again as it grows.
        let size: usize = with_ports()
            .map(|ep| ep.id.len() + 2 + ep.ports.saved_size())
            .sum();
        let mut text = String::with_capacity(size);
        for ep in with_ports() {
            text.push_str(&ep.id);
            text.push(' ');
            ep.ports.write_text(&mut text);
            text.push('\n');
        }
        text.into_bytes()
    }

    pub fn write_networks_bytes(&self, bytes: &[u8]) -> Result<()> {
        self.write_atomic(&self.path(), bytes)
    }

    /// Removes state.json (undoing a first run that failed).
    pub fn remove_networks(&self) -> Result<()> {
        match std::fs::remove_file(self.path()) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// One sandbox's files, checked against the networks they refer to, with the bytes of
    /// its JSON as they are on disk. `has_ports_file`: whether it has a ports file, if a
    /// listing of the directory told (else the file is looked for).
    pub fn load_sandbox(
        &self,
        name: &str,
        networks: &[Network],
        has_ports_file: Option<bool>,
    ) -> Result<Option<(SandboxFile, Vec<u8>)>> {
        let path = self.sandbox_path(name);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let mut file: SandboxFile = parse_json(&path, &bytes)?;
        if has_ports_file != Some(false) {
            self.read_ports(&mut file)?;
        }
        crate::state::consistency::check_sandbox(&file, name, networks).map_err(|why| {
            anyhow::anyhow!("state file {} is inconsistent: {why} (fix it by hand or move it away; ctnet will not overwrite it)", path.display())
        })?;
        Ok(Some((file, bytes)))
    }

    /// Gives the endpoints of `file` their lines of its ports file, as text (parsed only
    /// if a command walks them). A line for an endpoint the file lacks is ignored: see the
    /// module's notes.
    fn read_ports(&self, file: &mut SandboxFile) -> Result<()> {
        let path = self.ports_path(&file.sandbox.name);
        let text = match std::fs::read(&path) {
            Ok(bytes) => std::sync::Arc::new(String::from_utf8(bytes).map_err(|_| {
                anyhow::anyhow!(
                    "state file {} is corrupt: it is not UTF-8 text",
                    path.display()
                )
            })?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        // Lines found with memchr: the standard library's search costs a few instructions
        // a byte, more than the rest of a publish at 5,000 ports.
        let mut start = 0;
        let ends = memchr::memchr_iter(b'\n', text.as_bytes()).chain([text.len()]);
        for (i, end) in ends.enumerate() {
            let line = start..end;
            start = end + 1;
            if line.is_empty() {
                continue;
            }
            let corrupt = |why: String| {
                anyhow::anyhow!(
                    "state file {} is corrupt: line {}: {why}",
                    path.display(),
                    i + 1
                )
            };
            let id_end = memchr::memchr(b' ', &text.as_bytes()[line.clone()])
                .ok_or_else(|| corrupt("no endpoint id and ports".into()))?;
            let (id, ports) = (
                &text[line.start..line.start + id_end],
                line.start + id_end + 1..line.end,
            );
            let ports = PortList::in_file(&text, ports).map_err(corrupt)?;
            if let Some(ep) = file.endpoints.iter_mut().find(|ep| ep.id == id) {
                ep.ports = ports;
            }
        }
        Ok(())
    }

    /// A sandbox's own DNS servers, read without the lock, for the resolver (which must never
    /// wait for a command; saves replace the file atomically). Empty if it has none, or no
    /// file that reads.
    pub fn peek_sandbox_dns(dir: &Path, name: &str) -> Vec<std::net::IpAddr> {
        if crate::model::validate_name("sandbox", name).is_err() {
            return Vec::new();
        }
        let path = dir.join("sandboxes").join(format!("{name}.json"));
        read_json::<SandboxFile>(&path)
            .ok()
            .flatten()
            .map(|file| file.sandbox.dns.servers)
            .unwrap_or_default()
    }

    /// Every saved sandbox, sorted by name, and whether it has a ports file: what a
    /// command that loads them all passes to `load_sandbox`, which then opens only the
    /// ports files there are (a thousand opens that fail cost 5 ms).
    pub fn saved_sandboxes(&self) -> Result<Vec<SavedSandbox>> {
        let dir = self.sandboxes_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
        };
        let (mut names, mut with_ports) = (Vec::new(), std::collections::HashSet::new());
        for entry in entries {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(stem) = name.strip_suffix(".json") {
                names.push(stem.to_string());
            } else if let Some(stem) = name.strip_suffix(".ports") {
                with_ports.insert(stem.to_string());
            }
        }
        names.sort();
        Ok(names
            .into_iter()
            .map(|name| SavedSandbox {
                has_ports_file: with_ports.contains(&name),
                name,
            })
            .collect())
    }

    pub fn save_sandbox(&self, file: &SandboxFile) -> Result<()> {
        std::fs::create_dir_all(self.sandboxes_dir())?;
        let name = &file.sandbox.name;
        match Store::ports_bytes(file) {
            ports if ports.is_empty() => self.remove_file(&self.ports_path(name))?,
            ports => self.write_atomic(&self.ports_path(name), &ports)?,
        }
        self.write_atomic(&self.sandbox_path(name), &Store::sandbox_bytes(file)?)
    }

    pub fn remove_sandbox(&self, name: &str) -> Result<()> {
        self.remove_file(&self.ports_path(name))?;
        self.remove_file(&self.sandbox_path(name))
    }

    fn remove_file(&self, path: &Path) -> Result<()> {
        match std::fs::remove_file(path) {
            Ok(()) => {
                // The removal is durable once the directory is synced.
                File::open(self.sandboxes_dir())?.sync_all()?;
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
        }
    }

    /// Writes every new file's content next to its target and syncs it, changing nothing
    /// yet: a full disk or a read-only directory fails here, before the kernel is touched.
    pub fn stage(&self, changes: Vec<FileChange>) -> Result<Staged> {
        let mut staged = Staged { steps: Vec::new() };
        let mut steps = Vec::new();
        for change in changes {
            match change {
                FileChange::Networks(bytes) => steps.push((self.path(), Some(bytes))),
                FileChange::Sandbox { name, bytes } => {
                    std::fs::create_dir_all(self.sandboxes_dir())?;
                    steps.push((self.sandbox_path(&name), Some(bytes)));
                }
                FileChange::Ports { name, bytes } => {
                    std::fs::create_dir_all(self.sandboxes_dir())?;
                    steps.push((
                        self.ports_path(&name),
                        Some(bytes).filter(|b| !b.is_empty()),
                    ));
                }
                FileChange::RemoveSandbox(name) => {
                    steps.push((self.ports_path(&name), None));
                    steps.push((self.sandbox_path(&name), None));
                }
            }
        }
        for (i, (target, bytes)) in steps.into_iter().enumerate() {
            let tmp = bytes.map(|bytes| -> Result<PathBuf> {
                let mut tmp = target.as_os_str().to_owned();
                tmp.push(format!(".{i}.tmp"));
                let tmp = PathBuf::from(tmp);
                let written = create_private(&tmp)
                    .and_then(|mut f| f.write_all(&bytes).and_then(|()| f.sync_all()));
                if let Err(e) = written {
                    let _ = std::fs::remove_file(&tmp);
                    self.discard(staged.clone());
                    return Err(e).with_context(|| format!("cannot save {}", target.display()));
                }
                Ok(tmp)
            });
            let tmp = tmp.transpose()?;
            staged.steps.push((target, tmp));
        }
        Ok(staged)
    }

    /// Staged files that a killed command left behind (`NAME.N.tmp`, in the state directory
    /// and under `sandboxes/`): under the lock, no live command has any.
    pub fn stale_staging(&self) -> Vec<PathBuf> {
        let is_staged = |name: &str| {
            name.strip_suffix(".tmp")
                .and_then(|rest| rest.rsplit_once('.'))
                .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        };
        [self.dir.clone(), self.sandboxes_dir()]
            .iter()
            .filter_map(|dir| std::fs::read_dir(dir).ok())
            .flatten()
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| {
                path.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(is_staged)
            })
            .collect()
    }

    /// Ports files of sandboxes that have no JSON: what a command that made a sandbox and
    /// stopped between its two files left (the ports file goes first).
    pub fn orphan_ports_files(&self) -> Vec<PathBuf> {
        let Ok(entries) = std::fs::read_dir(self.sandboxes_dir()) else {
            return Vec::new();
        };
        entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == "ports"))
            .filter(|path| !path.with_extension("json").exists())
            .collect()
    }

    /// Puts staged files in place, in order: each rename is atomic, so a crash leaves every
    /// file either old or new, never half of one.
    pub fn install(&self, staged: Staged) -> Result<()> {
        for (i, (target, tmp)) in staged.steps.iter().enumerate() {
            let done = match tmp {
                Some(tmp) => std::fs::rename(tmp, target),
                None => match std::fs::remove_file(target) {
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                    other => other,
                },
            };
            let synced = done.and_then(|()| {
                File::open(target.parent().expect("state files live in a directory"))?.sync_all()
            });
            if let Err(e) = synced {
                // The files not yet in place are not wanted any more.
                self.discard(Staged {
                    steps: staged.steps[i..].to_vec(),
                });
                return Err(e).with_context(|| format!("cannot save {}", target.display()));
            }
            crate::faults::crash_point("a file write");
        }
        Ok(())
    }

    /// Removes staged files that will not be installed.
    pub fn discard(&self, staged: Staged) {
        for (_, tmp) in staged.steps {
            if let Some(tmp) = tmp {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }

    /// Write to a temporary file, fsync, rename over the target, fsync the directory:
    /// a crash leaves either the old or the new file, never half of one.
    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let write = || -> std::io::Result<()> {
            let mut file = create_private(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, path)?;
            File::open(path.parent().expect("state files live in a directory"))?.sync_all()
        };
        write().with_context(|| format!("cannot save {}", path.display()))?;
        crate::faults::crash_point("a file write");
        Ok(())
    }
}

/// `value` as one line of JSON, in a buffer of `capacity` bytes to begin with.
fn json_line<T: serde::Serialize>(value: &T, capacity: usize) -> Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(capacity + 1);
    serde_json::to_writer(&mut bytes, value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn read_networks(path: &Path, lists: Lists) -> Result<Option<LoadedNetworks>> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let file: NetworksFile = parse_json(path, &bytes)?;
    if !(OLDEST_STATE_VERSION..=STATE_VERSION).contains(&file.version) {
        bail!(
            "state file {} has version {}, this ctnet understands versions {OLDEST_STATE_VERSION} to {STATE_VERSION}",
            path.display(),
            file.version
        );
    }
    crate::state::consistency::check_networks(&file.networks, &file.published, lists).map_err(|why| {
        anyhow::anyhow!("state file {} is inconsistent: {why} (fix it by hand or move it away; ctnet will not overwrite it)", path.display())
    })?;
    Ok(Some(LoadedNetworks {
        networks: file.networks,
        published: file.published,
        bytes,
    }))
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => parse_json(path, &bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T> {
    // Checked as UTF-8 once, whole (any byte that is none makes the file corrupt): read
    // from bytes, serde_json checks every string on its own, which costs more than the rest
    // of the parse for a file of 1,000 short names.
    let parsed = match std::str::from_utf8(bytes) {
        Ok(text) => serde_json::from_str(text).map_err(anyhow::Error::from),
        Err(e) => {
            let before = &bytes[..e.valid_up_to()];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            let column = before.len() - line_start + 1;
            Err(anyhow::anyhow!(
                "bytes that are no UTF-8 at line {line} column {column}"
            ))
        }
    };
    parsed.with_context(|| {
        format!(
            "state file {} is corrupt (fix it or move it away; ctnet will not overwrite it)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sandbox;

    fn tempdir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ctnet-store-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn sandbox(name: &str) -> SandboxFile {
        SandboxFile {
            sandbox: Sandbox {
                lab: None,
                own_hosts: false,
                container: None,
                dns: Default::default(),
                run_by: None,
                id: "ab".repeat(32),
                name: name.into(),
                netns: format!("/run/netns/{name}").into(),
                pid: None,
                owned: true,
                created: "now".into(),
                netns_inode: None,
            },
            endpoints: vec![],
        }
    }

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempdir("roundtrip");
        let store = Store::lock(&dir).unwrap();
        assert!(store.load_networks().unwrap().is_none());
        assert!(store.saved_sandboxes().unwrap().is_empty());
        store
            .write_networks_bytes(&Store::networks_bytes(&[], &Default::default(), 0).unwrap())
            .unwrap();
        assert_eq!(store.load_networks().unwrap().unwrap().networks, vec![]);
        store.save_sandbox(&sandbox("web")).unwrap();
        store.save_sandbox(&sandbox("db")).unwrap();
        let names: Vec<String> = store
            .saved_sandboxes()
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["db", "web"]);
        assert_eq!(
            store
                .load_sandbox("web", &[], None)
                .unwrap()
                .map(|(file, _)| file),
            Some(sandbox("web"))
        );
        store.remove_sandbox("web").unwrap();
        store.remove_sandbox("web").unwrap();
        assert_eq!(store.load_sandbox("web", &[], None).unwrap(), None);
        assert!(!dir.join("state.json.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Published ports live in the sandbox's ports file, a line per endpoint with any, and
    /// load as text; the JSON an older version wrote, with the ports in it, still loads.
    #[test]
    fn ports_have_a_file_of_their_own() {
        let dir = tempdir("ports");
        let store = Store::lock(&dir).unwrap();
        let network = crate::model::tests::bridge_network("n", "ctn-n", "10.1.0.0/24", true);
        let endpoint = |id: char, ip: &str, ports: &[&str]| -> crate::model::Endpoint {
            serde_json::from_value(serde_json::json!({
                "id": id.to_string().repeat(64), "network_id": network.id, "sandbox_id": "ab".repeat(32),
                "ifname": format!("eth{id}"), "host_ifname": "", "mac": format!("02:42:0a:01:00:0{id}"), "ipv4": ip, "ports": ports,
            }))
            .unwrap()
        };
        let mut web = sandbox("web");
        web.endpoints = vec![
            endpoint(
                '1',
                "10.1.0.2/24",
                &["0.0.0.0:8080->80/tcp", "[::1]:53-54->53-54/udp"],
            ),
            endpoint('2', "10.1.0.3/24", &[]),
        ];
        let old_json = serde_json::to_vec(&serde_json::json!({
            "sandbox": web.sandbox,
            "endpoints": [
                {"id": "1".repeat(64), "network_id": network.id, "sandbox_id": "ab".repeat(32),
                 "ifname": "eth1", "host_ifname": "", "mac": "02:42:0a:01:00:01", "ipv4": "10.1.0.2/24",
                 "ports": ["0.0.0.0:8080->80/tcp", "[::1]:53-54->53-54/udp"]},
                {"id": "2".repeat(64), "network_id": network.id, "sandbox_id": "ab".repeat(32),
                 "ifname": "eth2", "host_ifname": "", "mac": "02:42:0a:01:00:02", "ipv4": "10.1.0.3/24"},
            ],
        }))
        .unwrap();
        std::fs::create_dir_all(dir.join("sandboxes")).unwrap();
        std::fs::write(dir.join("sandboxes/web.json"), &old_json).unwrap();
        let (old, json) = store
            .load_sandbox("web", std::slice::from_ref(&network), None)
            .unwrap()
            .unwrap();
        assert_eq!(old, web);
        assert!(Store::ports_inline(&json));

        store.save_sandbox(&web).unwrap();
        let saved = store.saved_sandboxes().unwrap();
        assert!(saved.len() == 1 && saved[0].name == "web" && saved[0].has_ports_file);
        let text = std::fs::read_to_string(dir.join("sandboxes/web.ports")).unwrap();
        assert_eq!(
            text,
            format!(
                "{} 0.0.0.0:8080->80/tcp [::1]:53-54->53-54/udp\n",
                "1".repeat(64)
            )
        );
        let (loaded, json) = store
            .load_sandbox("web", std::slice::from_ref(&network), None)
            .unwrap()
            .unwrap();
        assert!(!Store::ports_inline(&json));
        assert!(!loaded.endpoints[0].ports.is_parsed(), "loaded as text");
        assert_eq!(loaded, web);

        // A line for an endpoint the JSON lacks (a command stopped between the files) is
        // ignored; a line that is no list is an error naming the file.
        std::fs::write(
            dir.join("sandboxes/web.ports"),
            format!("{text}{} 0.0.0.0:1->1/tcp\n", "9".repeat(64)),
        )
        .unwrap();
        assert_eq!(
            store
                .load_sandbox("web", std::slice::from_ref(&network), None)
                .unwrap()
                .unwrap()
                .0,
            web
        );
        std::fs::write(dir.join("sandboxes/web.ports"), "nonsense\n").unwrap();
        let err = store
            .load_sandbox("web", std::slice::from_ref(&network), None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("web.ports is corrupt: line 1"), "{err}");

        store.remove_sandbox("web").unwrap();
        assert!(
            !dir.join("sandboxes/web.ports").exists() && !dir.join("sandboxes/web.json").exists()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Older versions kept published ports as a list of (sandbox, mapping): such a file
    /// loads, and is saved grouped by sandbox.
    #[test]
    fn an_older_list_of_published_ports_loads() {
        let dir = tempdir("published");
        let store = Store::lock(&dir).unwrap();
        std::fs::write(
            store.path(),
            r#"{"version":2,"networks":[],"published":[
                {"sandbox":"web","mapping":["tcp","0.0.0.0",8080,80,1]},
                {"sandbox":"db","mapping":["tcp","0.0.0.0",5432,5432,1]},
                {"sandbox":"web","mapping":["udp","0.0.0.0",8080,80,1]}]}"#,
        )
        .unwrap();
        let loaded = store.load_networks().unwrap().unwrap();
        let ports: Vec<(&str, u16, &str)> = crate::model::published_ports(&loaded.published)
            .map(|(sandbox, m)| (sandbox, m.host_port, m.proto.name()))
            .collect();
        assert_eq!(
            ports,
            [
                ("db", 5432, "tcp"),
                ("web", 8080, "tcp"),
                ("web", 8080, "udp")
            ]
        );
        let saved = Store::networks_bytes(&[], &loaded.published, 0).unwrap();
        assert_eq!(
            String::from_utf8(saved).unwrap(),
            r#"{"version":3,"networks":[],"published":{"db":["0.0.0.0:5432->5432/tcp"],"web":["0.0.0.0:8080->80/tcp","0.0.0.0:8080->80/udp"]}}
"#
        );
        // A newer ctnet's state is not taken for one this version knows.
        std::fs::write(store.path(), r#"{"version":4,"networks":[]}"#).unwrap();
        let err = store.load_networks().unwrap_err().to_string();
        assert!(
            err.contains("has version 4, this ctnet understands versions 2 to 3"),
            "{err}"
        );
        std::fs::write(store.path(), r#"{"version":2,"networks":[],"published":7}"#).unwrap();
        assert!(store.load_networks().is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_file_is_reported_and_kept() {
        let dir = tempdir("corrupt");
        let store = Store::lock(&dir).unwrap();
        std::fs::write(store.path(), "{ not json").unwrap();
        let err = format!("{:#}", store.load_networks().unwrap_err());
        assert!(err.contains("state.json is corrupt"), "{err}");
        assert_eq!(std::fs::read_to_string(store.path()).unwrap(), "{ not json");
        // Bytes that are no UTF-8, in a string: checked once for the whole file, still found.
        let bad = b"{\"version\":2,\"networks\":[{\"name\":\"\xff\"}]}";
        std::fs::write(store.path(), bad).unwrap();
        let err = format!("{:#}", store.load_networks().unwrap_err());
        assert!(err.contains("state.json is corrupt"), "{err}");
        assert!(err.contains("no UTF-8 at line 1 column 35"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_version_is_refused() {
        let dir = tempdir("version");
        let store = Store::lock(&dir).unwrap();
        std::fs::write(store.path(), r#"{"version":99,"networks":[]}"#).unwrap();
        assert!(format!("{:#}", store.load_networks().unwrap_err()).contains("version 99"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Whatever state.json holds, loading it returns the state or an error naming the
        /// file; it never panics and never changes the file.
        #[test]
        fn any_state_file_loads_or_is_reported(text in "\\PC{0,200}", json_ish in r#"\{"version":2,"networks":\[[^\]]{0,80}\]\}"#) {
            let dir = std::env::temp_dir().join(format!("ctnet-fuzz-{}", std::process::id()));
            let store = Store::lock(&dir).unwrap();
            for content in [&text, &json_ish] {
                std::fs::write(store.path(), content).unwrap();
                if let Err(e) = store.load_networks() {
                    let message = format!("{e:#}");
                    prop_assert!(message.contains("state.json"), "{}", message);
                }
                prop_assert_eq!(&std::fs::read_to_string(store.path()).unwrap(), content);
            }
        }
    }
}
