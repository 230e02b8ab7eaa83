//! The metrics file the trainer writes beside each variant's weights and the page reads.
//!
//! Plain serde types, no burn: shared by the trainer, the tests and the page.

use serde::{Deserialize, Serialize};

/// How a variant was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// What it was trained and evaluated on.
    pub(crate) data: String,
    /// Training images per epoch.
    pub(crate) train_images: usize,
    /// Held-out images evaluated after each epoch.
    pub(crate) test_images: usize,
    /// Epochs asked for.
    pub(crate) epochs: usize,
    /// Images per optimisation step.
    pub(crate) batch: usize,
    /// Adam learning rate.
    pub(crate) lr: f64,
    /// Seed of initialisation, shuffling and sampling.
    pub(crate) seed: u64,
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
    /// The variant's name (`model::Variant::name`).
    pub variant: String,
    /// Size of z.
    pub latent_dim: usize,
    /// `"bce"` or `"mse"`.
    pub(crate) recon_loss: String,
    /// Trainable parameters.
    pub params: usize,
    /// How it was trained.
    pub(crate) protocol: Protocol,
    /// Epochs completed so far (equals `protocol.epochs` when done).
    pub epochs_done: usize,
    /// One record per completed epoch.
    pub history: Vec<EpochRecord>,
    /// Sum of the epochs' training seconds.
    pub(crate) train_seconds: f64,
    /// Mean training throughput over the run, images per second.
    pub images_per_second: f64,
    /// Backend and machine that trained it.
    pub(crate) backend: String,
    /// `train_loss` of the last epoch.
    pub final_train_loss: f64,
    /// `test_loss` after the last epoch.
    pub final_test_loss: f64,
    /// Mean KL of each latent dimension on the test set after the last epoch.
    pub kl_per_dim: Vec<f64>,
    /// The study's reported final loss for this variant, for comparison (none for the latent
    /// sizes the study did not train).
    #[serde(default)]
    pub(crate) study_final_loss: Option<f64>,
    /// Weights file name, relative to this file.
    pub(crate) weights: String,
    /// Numeric precision of the weights file (`"f32"` or `"f16"`).
    pub(crate) weights_dtype: String,
    /// Test loss of the same weights rounded to half precision (same seed, so the difference to
    /// `final_test_loss` is the rounding alone). The file is f16 when they differ by < 0.1 %.
    #[serde(default)]
    pub(crate) f16_test_loss: Option<f64>,
}

impl Metrics {
    /// The record of a run from its epochs (none for weights loaded without a record): the
    /// training seconds, throughput and final losses follow from `history`. Callers add what only
    /// they know (parameters, backend, KL per dimension, the study's loss).
    pub fn of_run(variant: String, latent_dim: usize, recon_loss: &str, protocol: Protocol, history: Vec<EpochRecord>, weights: String) -> Metrics {
        let train_seconds: f64 = history.iter().map(|r| r.seconds).sum();
        let images_per_second = if train_seconds > 0.0 { (history.len() * protocol.train_images) as f64 / train_seconds } else { 0.0 };
        let last = history.last();
        Metrics {
            variant,
            latent_dim,
            recon_loss: recon_loss.into(),
            params: 0,
            protocol,
            epochs_done: history.len(),
            final_train_loss: last.map_or(0.0, |r| r.train_loss),
            final_test_loss: last.map_or(0.0, |r| r.test_loss),
            history,
            train_seconds,
            images_per_second,
            backend: String::new(),
            kl_per_dim: Vec::new(),
            study_final_loss: None,
            weights,
            weights_dtype: "f32".into(),
            f16_test_loss: None,
        }
    }
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
    pub(crate) epochs_done: usize,
    /// The weights.
    pub weights: ManifestFile,
    /// The metrics.
    pub metrics: ManifestFile,
    /// The latent means (and projection) of the shipped test digits, when written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<ManifestFile>,
}

/// A 2-D map of latent means that have more than two dimensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// How it was made, in words (method, library, parameters).
    pub(crate) method: String,
    /// Share of digits whose 5 nearest neighbours in the map mostly carry their label.
    pub knn_label_agreement: f64,
    /// The same share measured on the latent means themselves (what the map should keep).
    pub knn_label_agreement_latent: f64,
    /// `n × 2` map coordinates.
    pub xy: Vec<f32>,
}

/// `<variant>.points.json`: where the shipped test digits land in latent space, computed by the
/// trainer from the committed weights so the page need not encode a thousand digits first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentPoints {
    /// Variant name.
    pub(crate) variant: String,
    /// Size of z.
    pub latent_dim: usize,
    /// MNIST test-set index of each digit (the order of `www/data/test-sample.json`).
    pub test_indices: Vec<usize>,
    /// Label of each digit.
    pub labels: Vec<u8>,
    /// `n × latent_dim` posterior means, rounded to 1e-3.
    pub means: Vec<f32>,
    /// For more than two latent dimensions, a 2-D map of the means.
    #[serde(default)]
    pub projection: Option<Projection>,
}

impl LatentPoints {
    /// Number of digits.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The 2-D coordinates to plot: the means themselves for latent 2, else the projection.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "page code: natively only its tests use it"))]
    pub(crate) fn plane(&self) -> Option<&[f32]> {
        match (self.latent_dim, &self.projection) {
            (2, _) => Some(&self.means),
            (_, Some(p)) => Some(&p.xy),
            _ => None,
        }
    }

    /// The mean of digit `k`.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "page code: natively only its tests use it"))]
    pub(crate) fn mean(&self, k: usize) -> Option<&[f32]> {
        self.means.get(k * self.latent_dim..(k + 1) * self.latent_dim)
    }
}

/// Share of points whose `k` nearest other points (Euclidean, in `dim` dimensions) mostly carry
/// the same label: how well a layout keeps digits of a kind together.
pub fn knn_label_agreement(values: &[f32], dim: usize, labels: &[u8], k: usize) -> f64 {
    let n = labels.len();
    if n <= k || values.len() != n * dim {
        return 0.0;
    }
    let point = |i: usize| &values[i * dim..(i + 1) * dim];
    let mut agree = 0usize;
    for i in 0..n {
        let mut dist: Vec<(f32, u8)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| (point(i).iter().zip(point(j)).map(|(a, b)| (a - b) * (a - b)).sum::<f32>(), labels[j]))
            .collect();
        dist.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
        let same = dist[..k].iter().filter(|(_, l)| *l == labels[i]).count();
        if 2 * same > k {
            agree += 1;
        }
    }
    agree as f64 / n as f64
}

/// `manifest.json`: every variant present in the models directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Present variants, in the study's order.
    pub variants: Vec<ManifestEntry>,
    /// The report's findings (`vae-lab eval`), when written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) findings: Option<ManifestFile>,
    /// The digit classifier (`vae-lab train-classifier`), when written: the Report's judge, and
    /// the page's reading of what a digit looks like.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) classifier: Option<ManifestFile>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knn_agreement_tells_separated_labels_from_mixed_ones() {
        // Two tight groups far apart, labelled by group: every neighbourhood agrees.
        let values: Vec<f32> = (0..20).flat_map(|i| [if i < 10 { 0.0 } else { 10.0 }, i as f32 * 0.01]).collect();
        let grouped: Vec<u8> = (0..20).map(|i| u8::from(i >= 10)).collect();
        assert_eq!(knn_label_agreement(&values, 2, &grouped, 5), 1.0);
        // Labels alternating inside each group: neighbourhoods are split, about half agree.
        let mixed: Vec<u8> = (0..20).map(|i| (i % 2) as u8).collect();
        assert!(knn_label_agreement(&values, 2, &mixed, 5) < 0.7);
    }
}

impl Manifest {
    /// The entry of `variant`, if it was trained.
    pub fn entry(&self, variant: &str) -> Option<&ManifestEntry> {
        self.variants.iter().find(|e| e.variant == variant)
    }
}
