//! The state on disk, under one exclusive lock for the whole command:
//!
//! - `state.json`: `{"version": 2, "networks": [...]}`; each network lists its members
//!   (sandbox name and address), which is all IPAM and `network rm` need;
//! - `sandboxes/NAME.json`: one sandbox and its endpoints.
//!
//! A command reads and writes only the files it touches, so a connect costs the same with
//! 1 or 500 endpoints on the network. (With one file for everything, parsing and rewriting it
//! took 10 M of a connect's 11.8 M instructions at 500 endpoints.) Every file is replaced
//! atomically; a file that does not parse is an error naming it, never overwritten.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::model::{Endpoint, Network, Published, STATE_VERSION, Sandbox};

#[derive(Deserialize)]
struct NetworksFile {
    version: u32,
    networks: Vec<Network>,
    #[serde(default)]
    published: Vec<Published>,
}

/// The same file for writing, borrowing the networks instead of copying them.
#[derive(Serialize)]
struct NetworksFileRef<'a> {
    version: u32,
    networks: &'a [Network],
    #[serde(skip_serializing_if = "<[Published]>::is_empty")]
    published: &'a [Published],
}

/// The networks as loaded, with the file's bytes: to tell whether a save changes anything,
/// and to put the file back after a failed command.
#[derive(Debug)]
pub struct LoadedNetworks {
    pub networks: Vec<Network>,
    pub published: Vec<Published>,
    pub bytes: Vec<u8>,
}

/// One sandbox's file: the sandbox and every endpoint in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SandboxFile {
    pub sandbox: Sandbox,
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
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
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("cannot open {}", lock_path.display()))?;
        lock.lock()
            .with_context(|| format!("cannot lock {}", lock_path.display()))?;
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
        let path = self.path();
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let file: NetworksFile = parse_json(&path, &bytes)?;
        if file.version != STATE_VERSION {
            bail!(
                "state file {} has version {}, this ctnet understands version {STATE_VERSION}",
                path.display(),
                file.version
            );
        }
        Ok(Some(LoadedNetworks {
            networks: file.networks,
            published: file.published,
            bytes,
        }))
    }

    /// What `save_networks` would write.
    pub fn networks_bytes(networks: &[Network], published: &[Published]) -> Result<Vec<u8>> {
        let file = NetworksFileRef {
            version: STATE_VERSION,
            networks,
            published,
        };
        let mut bytes = serde_json::to_vec(&file)?;
        bytes.push(b'\n');
        Ok(bytes)
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

    pub fn load_sandbox(&self, name: &str) -> Result<Option<SandboxFile>> {
        read_json(&self.sandbox_path(name))
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
        let mut bytes = serde_json::to_vec(file)?;
        bytes.push(b'\n');
        self.write_atomic(&path, &bytes)
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

    /// Write to a temporary file, fsync, rename over the target, fsync the directory:
    /// a crash leaves either the old or the new file, never half of one.
    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> Result<()> {
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = PathBuf::from(tmp);
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&tmp)?;
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

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>> {
    match std::fs::read(path) {
        Ok(bytes) => parse_json(path, &bytes).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
}

fn parse_json<T: serde::de::DeserializeOwned>(path: &Path, bytes: &[u8]) -> Result<T> {
    serde_json::from_slice(bytes).with_context(|| {
        format!(
            "state file {} is corrupt (fix it or move it away; ctnet will not overwrite it)",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tempdir(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ctnet-store-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn sandbox(name: &str) -> SandboxFile {
        SandboxFile {
            sandbox: Sandbox {
                id: "ab".repeat(32),
                name: name.into(),
                netns: format!("/run/netns/{name}").into(),
                pid: None,
                owned: true,
                created: "now".into(),
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
            .write_networks_bytes(&Store::networks_bytes(&[], &[]).unwrap())
            .unwrap();
        assert_eq!(store.load_networks().unwrap().unwrap().networks, vec![]);
        store.save_sandbox(&sandbox("web")).unwrap();
        store.save_sandbox(&sandbox("db")).unwrap();
        assert_eq!(store.sandbox_names().unwrap(), ["db", "web"]);
        assert_eq!(store.load_sandbox("web").unwrap(), Some(sandbox("web")));
        store.remove_sandbox("web").unwrap();
        store.remove_sandbox("web").unwrap();
        assert_eq!(store.load_sandbox("web").unwrap(), None);
        assert!(!dir.join("state.json.tmp").exists());
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
