//! The optional JSON state file (`--state FILE`): loaded at start if present, rewritten after each mutation by
//! writing a temporary file in the same directory and renaming it over the old one, so a reader (or a crash)
//! never sees a half-written file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes snapshots in order: each snapshot gets a generation number when it is taken, and a snapshot older
/// than the last one written is skipped (two mutations can finish their writes in either order).
#[derive(Debug)]
pub struct Persister {
    path: PathBuf,
    generation: AtomicU64,
    written: Mutex<u64>,
}

impl Persister {
    pub fn new(path: PathBuf) -> Self {
        Persister { path, generation: AtomicU64::new(0), written: Mutex::new(0) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file if it exists; `Ok(None)` when it does not.
    pub fn load<T: serde::de::DeserializeOwned>(&self) -> std::io::Result<Option<T>> {
        let bytes = match std::fs::read(&self.path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|e| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("state file {} is not valid: {e}", self.path.display()),
            )
        })
    }

    /// The generation for a snapshot about to be taken. Call it while holding the locks the snapshot reads.
    pub fn next_generation(&self) -> u64 {
        self.generation.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Writes `bytes` (taken at `generation`) unless a newer snapshot is already on disk.
    pub fn write(&self, generation: u64, bytes: &[u8]) -> std::io::Result<()> {
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        if generation <= *written {
            return Ok(());
        }
        let dir = match self.path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let mut tmp = tempfile::NamedTempFile::new_in(&dir)?;
        tmp.write_all(bytes)?;
        tmp.as_file().sync_all()?;
        tmp.persist(&self.path).map_err(|e| e.error)?;
        *written = generation;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_is_atomic_and_ordered() {
        let dir = tempfile::tempdir().unwrap();
        let p = Persister::new(dir.path().join("state.json"));
        assert!(p.load::<serde_json::Value>().unwrap().is_none());
        let g1 = p.next_generation();
        let g2 = p.next_generation();
        p.write(g2, br#"{"v":2}"#).unwrap();
        p.write(g1, br#"{"v":1}"#).unwrap();
        let v: serde_json::Value = p.load().unwrap().unwrap();
        assert_eq!(v["v"].as_u64(), Some(2));
        let leftovers = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary files left behind");
    }

    #[test]
    fn invalid_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "not json").unwrap();
        let err = Persister::new(path).load::<serde_json::Value>().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
    }
}
