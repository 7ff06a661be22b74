//! state.json: an exclusive lock for the whole command, strict loading, atomic replacement.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::model::{STATE_VERSION, State};

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

    /// The saved state, or `None` on a host where ctnet never ran. A file that does not
    /// parse is an error naming it: it is never overwritten or silently replaced.
    pub fn load(&self) -> Result<Option<State>> {
        let path = self.path();
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let state: State = serde_json::from_str(&text).with_context(|| {
            format!(
                "state file {} is corrupt (fix it or move it away; ctnet will not overwrite it)",
                path.display()
            )
        })?;
        if state.version != STATE_VERSION {
            bail!(
                "state file {} has version {}, this ctnet understands version {STATE_VERSION}",
                path.display(),
                state.version
            );
        }
        Ok(Some(state))
    }

    /// Write to a temporary file, fsync, rename over state.json, fsync the directory:
    /// a crash leaves either the old or the new file, never half of one.
    pub fn save(&self, state: &State) -> Result<()> {
        let path = self.path();
        let tmp = self.dir.join("state.json.tmp");
        // Compact: with hundreds of endpoints, reading and writing the file is most of a
        // command's own cost (`jq . state.json` shows it laid out).
        let mut bytes = serde_json::to_vec(state)?;
        bytes.push(b'\n');
        let write = || -> std::io::Result<()> {
            let mut file = File::create(&tmp)?;
            file.write_all(&bytes)?;
            file.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            File::open(&self.dir)?.sync_all()
        };
        write().with_context(|| format!("cannot save {}", path.display()))
    }
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

    #[test]
    fn save_then_load_round_trips() {
        let dir = tempdir("roundtrip");
        let store = Store::lock(&dir).unwrap();
        assert_eq!(store.load().unwrap(), None);
        let mut state = State::new();
        state.sandboxes.push(Sandbox {
            id: "ab".repeat(32),
            name: "web".into(),
            netns: "/run/netns/web".into(),
            pid: None,
            owned: true,
            created: "now".into(),
        });
        store.save(&state).unwrap();
        assert_eq!(store.load().unwrap(), Some(state));
        assert!(!dir.join("state.json.tmp").exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn corrupt_file_is_reported_and_kept() {
        let dir = tempdir("corrupt");
        let store = Store::lock(&dir).unwrap();
        std::fs::write(store.path(), "{ not json").unwrap();
        let err = format!("{:#}", store.load().unwrap_err());
        assert!(err.contains("state.json is corrupt"), "{err}");
        assert_eq!(std::fs::read_to_string(store.path()).unwrap(), "{ not json");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unknown_version_is_refused() {
        let dir = tempdir("version");
        let store = Store::lock(&dir).unwrap();
        std::fs::write(
            store.path(),
            r#"{"version":99,"networks":[],"sandboxes":[],"endpoints":[]}"#,
        )
        .unwrap();
        assert!(format!("{:#}", store.load().unwrap_err()).contains("version 99"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
