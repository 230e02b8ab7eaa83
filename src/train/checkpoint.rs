//! Per-epoch checkpoints: model, optimizer state and progress, written atomically so that a run
//! killed at any moment resumes from its last finished epoch.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::study::metrics::EpochRecord;

/// Progress saved beside the model and optimizer records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Progress {
    /// Variant trained.
    pub(crate) variant: String,
    /// Seed of the run (resuming with another seed would not continue the same run).
    pub(crate) seed: u64,
    /// Batch size of the run.
    pub(crate) batch: usize,
    /// Training images per epoch.
    pub(crate) train_images: usize,
    /// Epochs finished.
    pub(crate) epochs_done: usize,
    /// Their records.
    pub(crate) history: Vec<EpochRecord>,
    /// SHA-256 of the model and optimizer files of this checkpoint, so a damaged file is refused
    /// instead of resuming from flipped weights. `None` only in files of older trainers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) sha256: Option<CheckpointHashes>,
}

/// Lower-case hex SHA-256 of a checkpoint's two record files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct CheckpointHashes {
    /// `model-e<N>.bpk`.
    pub(crate) model: String,
    /// `optimizer-e<N>.bpk`.
    pub(crate) optimizer: String,
}

/// The files of a checkpoint directory.
#[derive(Debug, Clone)]
pub(crate) struct CheckpointDir {
    dir: PathBuf,
}

impl CheckpointDir {
    /// The checkpoint directory `dir` (created on first save).
    pub(crate) fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Model record after `epoch` epochs. Named by epoch so that a kill between writing the model
    /// and the progress file leaves the previous checkpoint whole.
    pub(crate) fn model(&self, epoch: usize) -> PathBuf {
        self.dir.join(format!("model-e{epoch}.bpk"))
    }

    /// Optimizer record after `epoch` epochs.
    pub(crate) fn optimizer(&self, epoch: usize) -> PathBuf {
        self.dir.join(format!("optimizer-e{epoch}.bpk"))
    }

    /// Progress path; written last, so its presence marks a complete checkpoint.
    pub(crate) fn progress(&self) -> PathBuf {
        self.dir.join("progress.json")
    }

    /// Reads the progress of the last complete checkpoint, if any.
    pub(crate) fn load_progress(&self) -> Result<Option<Progress>, String> {
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

    /// Checks the files of the checkpoint described by `progress` against its checksums.
    pub(crate) fn verify(&self, progress: &Progress) -> Result<(), String> {
        let epoch = progress.epochs_done;
        let Some(hashes) = &progress.sha256 else {
            return Err(format!(
                "{} has no checksums (an older trainer wrote it), so its files cannot be trusted; \
                 delete the folder to start over",
                self.progress().display()
            ));
        };
        for (path, expected) in [(self.model(epoch), &hashes.model), (self.optimizer(epoch), &hashes.optimizer)] {
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            if &super::files::sha256_hex(&bytes) != expected {
                return Err(format!(
                    "{} is damaged (its SHA-256 does not match {}); delete {} to start over",
                    path.display(),
                    self.progress().display(),
                    self.dir.display()
                ));
            }
        }
        Ok(())
    }

    /// The directory itself.
    pub(crate) fn path(&self) -> &Path {
        &self.dir
    }
}
