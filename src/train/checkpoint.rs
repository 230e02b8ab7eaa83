//! Per-epoch checkpoints: model, optimizer state and progress, written atomically so that a run
//! killed at any moment resumes from its last finished epoch.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::metrics::EpochRecord;

/// Progress saved beside the model and optimizer records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// Variant trained.
    pub variant: String,
    /// Seed of the run (resuming with another seed would not continue the same run).
    pub seed: u64,
    /// Batch size of the run.
    pub batch: usize,
    /// Training images per epoch.
    pub train_images: usize,
    /// Epochs finished.
    pub epochs_done: usize,
    /// Their records.
    pub history: Vec<EpochRecord>,
}

/// The files of a checkpoint directory.
#[derive(Debug, Clone)]
pub struct CheckpointDir {
    dir: PathBuf,
}

impl CheckpointDir {
    /// The checkpoint directory `dir` (created on first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Model record after `epoch` epochs. Named by epoch so that a kill between writing the model
    /// and the progress file leaves the previous checkpoint whole.
    pub fn model(&self, epoch: usize) -> PathBuf {
        self.dir.join(format!("model-e{epoch}.bpk"))
    }

    /// Optimizer record after `epoch` epochs.
    pub fn optimizer(&self, epoch: usize) -> PathBuf {
        self.dir.join(format!("optimizer-e{epoch}.bpk"))
    }

    /// Progress path; written last, so its presence marks a complete checkpoint.
    pub fn progress(&self) -> PathBuf {
        self.dir.join("progress.json")
    }

    /// Reads the progress of the last complete checkpoint, if any.
    pub fn load_progress(&self) -> Result<Option<Progress>, String> {
        let path = self.progress();
        if !path.exists() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| format!("{} is corrupt ({e}); delete it to start over", path.display()))
    }

    /// The directory itself.
    pub fn path(&self) -> &Path {
        &self.dir
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, so readers never see half.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
