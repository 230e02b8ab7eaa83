//! Files the trainer writes: whole or not at all (through a temporary file and a rename), the
//! SHA-256 the manifest and checkpoints name them by, and the lock that keeps one trainer per
//! folder.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// Writes `bytes` to `path` through a temporary file and a rename, so readers never see half.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// [`write_atomic`], with the path in the error.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), String> {
    write_atomic(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The lock file a trainer keeps in each folder it writes.
pub const LOCK_FILE: &str = ".vae-lab.lock";

/// A folder held by one trainer: [`LOCK_FILE`] inside it, created exclusively and holding the
/// trainer's process id; removed when the lock is dropped. A second trainer on the folder stops
/// at once and names the first; a lock left by a trainer that is gone (killed with -9) is taken
/// over.
#[derive(Debug)]
pub struct FolderLock {
    path: PathBuf,
}

impl FolderLock {
    /// Takes `dir` (creating it), or says which process holds it.
    pub fn acquire(dir: &Path) -> Result<FolderLock, String> {
        let io = |e: std::io::Error| format!("cannot lock {}: {e}", dir.display());
        std::fs::create_dir_all(dir).map_err(io)?;
        let path = dir.join(LOCK_FILE);
        for _ in 0..3 {
            match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
                Ok(mut file) => {
                    write!(file, "{}", std::process::id()).map_err(io)?;
                    return Ok(FolderLock { path });
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    match text.trim().parse::<u32>() {
                        Ok(pid) if running(pid) => {
                            return Err(format!(
                                "{} is in use by another trainer (process {pid}); wait for it to end or pick another folder \
                                 (if no trainer runs, delete {})",
                                dir.display(),
                                path.display()
                            ));
                        }
                        // Left by a trainer that is gone (or half written): taken over, unless
                        // another trainer took it over meanwhile.
                        _ => {
                            if std::fs::read_to_string(&path).unwrap_or_default() == text {
                                let _ = std::fs::remove_file(&path);
                            }
                        }
                    }
                }
                Err(e) => return Err(io(e)),
            }
        }
        Err(format!("cannot lock {}: another trainer keeps taking it", dir.display()))
    }
}

impl Drop for FolderLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Whether process `pid` runs (this one does; elsewhere than Linux, any is taken to).
fn running(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    if cfg!(target_os = "linux") { Path::new(&format!("/proc/{pid}")).exists() } else { true }
}
