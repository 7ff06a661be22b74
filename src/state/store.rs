//! The state on disk, under one exclusive lock for the whole command:
//!
//! - `state.json`: `{"version": 2, "networks": [...], "published": {...}}`; each network
//!   lists its members (sandbox name and address), which is all IPAM and `network rm` need,
//!   and `published` each sandbox's published ports, which is all a new port is checked
//!   against;
//! - `sandboxes/NAME.json`: one sandbox and its endpoints.
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
use crate::model::{Network, Published, PublishedIndex, STATE_VERSION, SandboxFile};
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

/// A file a command changes, in the order the changes must land.
pub enum FileChange {
    Networks(Vec<u8>),
    Sandbox { name: String, bytes: Vec<u8> },
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
    /// always one whole version of it.
    pub fn peek_networks(path: &Path) -> Result<Vec<Network>> {
        Ok(read_networks(path, Lists::CheckAll)?
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

    /// What a sandbox's file holds.
    pub fn sandbox_bytes(file: &SandboxFile) -> Result<Vec<u8>> {
        // About 30 bytes a published port: sized at once, a sandbox with thousands of
        // them is not copied again and again as its buffer grows.
        let ports: usize = file.endpoints.iter().map(|ep| ep.ports.len()).sum();
        json_line(file, 1024 + 32 * ports)
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

    /// One sandbox's file, checked against the networks it refers to.
    pub fn load_sandbox(&self, name: &str, networks: &[Network]) -> Result<Option<SandboxFile>> {
        let path = self.sandbox_path(name);
        let file: Option<SandboxFile> = read_json(&path)?;
        if let Some(file) = &file {
            crate::state::consistency::check_sandbox(file, name, networks).map_err(|why| {
                anyhow::anyhow!("state file {} is inconsistent: {why} (fix it by hand or move it away; ctnet will not overwrite it)", path.display())
            })?;
        }
        Ok(file)
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

    /// Names of every saved sandbox, sorted.
    pub fn sandbox_names(&self) -> Result<Vec<String>> {
        let dir = self.sandboxes_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
        };
        let mut names = Vec::new();
        for entry in entries {
            let name = entry?.file_name();
            if let Some(stem) = name.to_str().and_then(|n| n.strip_suffix(".json")) {
                names.push(stem.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    pub fn save_sandbox(&self, file: &SandboxFile) -> Result<()> {
        std::fs::create_dir_all(self.sandboxes_dir())?;
        let path = self.sandbox_path(&file.sandbox.name);
        self.write_atomic(&path, &Store::sandbox_bytes(file)?)
    }

    pub fn remove_sandbox(&self, name: &str) -> Result<()> {
        let path = self.sandbox_path(name);
        match std::fs::remove_file(&path) {
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
        for (i, change) in changes.into_iter().enumerate() {
            let (target, bytes) = match change {
                FileChange::Networks(bytes) => (self.path(), Some(bytes)),
                FileChange::Sandbox { name, bytes } => {
                    std::fs::create_dir_all(self.sandboxes_dir())?;
                    (self.sandbox_path(&name), Some(bytes))
                }
                FileChange::RemoveSandbox(name) => (self.sandbox_path(&name), None),
            };
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
    if file.version != STATE_VERSION {
        bail!(
            "state file {} has version {}, this ctnet understands version {STATE_VERSION}",
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
        assert!(store.sandbox_names().unwrap().is_empty());
        store
            .write_networks_bytes(&Store::networks_bytes(&[], &Default::default(), 0).unwrap())
            .unwrap();
        assert_eq!(store.load_networks().unwrap().unwrap().networks, vec![]);
        store.save_sandbox(&sandbox("web")).unwrap();
        store.save_sandbox(&sandbox("db")).unwrap();
        assert_eq!(store.sandbox_names().unwrap(), ["db", "web"]);
        assert_eq!(
            store.load_sandbox("web", &[]).unwrap(),
            Some(sandbox("web"))
        );
        store.remove_sandbox("web").unwrap();
        store.remove_sandbox("web").unwrap();
        assert_eq!(store.load_sandbox("web", &[]).unwrap(), None);
        assert!(!dir.join("state.json.tmp").exists());
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
            r#"{"version":2,"networks":[],"published":{"db":["0.0.0.0:5432->5432/tcp"],"web":["0.0.0.0:8080->80/tcp","0.0.0.0:8080->80/udp"]}}
"#
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
