//! The metrics file the trainer writes beside each variant's weights and the page reads.
//!
//! Plain serde types, no burn: shared by the trainer, the tests and the page.

use serde::{Deserialize, Serialize};

/// How a variant was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// What it was trained and evaluated on.
    pub data: String,
    /// Training images per epoch.
    pub train_images: usize,
    /// Held-out images evaluated after each epoch.
    pub test_images: usize,
    /// Epochs asked for.
    pub epochs: usize,
    /// Images per optimisation step.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Seed of initialisation, shuffling and sampling.
    pub seed: u64,
}

/// One epoch of training, then an evaluation on the held-out set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean per-image loss over the epoch's training batches (as Keras reports it).
    pub train_loss: f64,
    /// Its reconstruction part.
    pub train_recon: f64,
    /// Its KL part.
    pub train_kl: f64,
    /// Mean per-image loss on the held-out test set after the epoch.
    pub test_loss: f64,
    /// Its reconstruction part.
    pub test_recon: f64,
    /// Its KL part.
    pub test_kl: f64,
    /// Wall-clock seconds of the epoch's training steps (evaluation excluded).
    pub seconds: f64,
}

/// Everything known about one trained variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// `baseline`, `deeper`, `latent1`, `latent10` or `mse`.
    pub variant: String,
    /// Size of z.
    pub latent_dim: usize,
    /// `"bce"` or `"mse"`.
    pub recon_loss: String,
    /// Trainable parameters.
    pub params: usize,
    /// How it was trained.
    pub protocol: Protocol,
    /// Epochs completed so far (equals `protocol.epochs` when done).
    pub epochs_done: usize,
    /// One record per completed epoch.
    pub history: Vec<EpochRecord>,
    /// Sum of the epochs' training seconds.
    pub train_seconds: f64,
    /// Mean training throughput over the run, images per second.
    pub images_per_second: f64,
    /// Backend and machine that trained it.
    pub backend: String,
    /// `train_loss` of the last epoch.
    pub final_train_loss: f64,
    /// `test_loss` after the last epoch.
    pub final_test_loss: f64,
    /// Mean KL of each latent dimension on the test set after the last epoch.
    pub kl_per_dim: Vec<f64>,
    /// The study's reported final loss for this variant, for comparison.
    pub study_final_loss: f64,
    /// Weights file name, relative to this file.
    pub weights: String,
    /// Numeric precision of the weights file (`"f32"` or `"f16"`).
    pub weights_dtype: String,
    /// Test loss of the same weights rounded to half precision (same seed, so the difference to
    /// `final_test_loss` is the rounding alone). The file is f16 when they differ by < 0.1 %.
    #[serde(default)]
    pub f16_test_loss: Option<f64>,
}

/// One file the page may fetch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// File name relative to the manifest.
    pub file: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the contents.
    pub sha256: String,
}

/// One variant's files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Variant name.
    pub variant: String,
    /// Epochs its weights have had.
    pub epochs_done: usize,
    /// The weights.
    pub weights: ManifestFile,
    /// The metrics.
    pub metrics: ManifestFile,
}

/// `manifest.json`: every variant present in the models directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Present variants, in the study's order.
    pub variants: Vec<ManifestEntry>,
}

impl Manifest {
    /// The entry of `variant`, if it was trained.
    pub fn entry(&self, variant: &str) -> Option<&ManifestEntry> {
        self.variants.iter().find(|e| e.variant == variant)
    }
}
