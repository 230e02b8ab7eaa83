//! `<variant>.points.json`: the latent means of the shipped test digits under the committed
//! weights, plus a t-SNE map when the latent space has more than two dimensions (the study's
//! figure for the latent-10 model). The page plots them without encoding a thousand digits.

use std::path::Path;

use burn::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Normal};

use super::export::{points_file, write_manifest};
use super::sample::SampleIndex;
use super::batch_tensor;
use super::files::write_file;
use crate::data::Digits;
use crate::study::metrics::{LatentPoints, Projection, knn_label_agreement};
use crate::model::Vae;
use crate::study::Variant;

/// Neighbours counted by the label-agreement score.
const KNN: usize = 5;

/// t-SNE settings (perplexity 30 and 1,000 iterations are the method's usual defaults).
#[derive(Debug, Clone, Copy)]
pub struct TsneOptions {
    /// Effective number of neighbours.
    pub(crate) perplexity: f32,
    /// Barnes-Hut accuracy (0 = exact).
    pub(crate) theta: f32,
    /// Gradient iterations.
    pub(crate) epochs: usize,
    /// Seed of the initial layout.
    pub(crate) seed: u64,
}

impl Default for TsneOptions {
    fn default() -> Self {
        TsneOptions { perplexity: 30.0, theta: 0.5, epochs: 1000, seed: 42 }
    }
}

/// Posterior means of `digits` (`n × latent`), without sampling.
pub fn latent_means(model: &Vae, digits: &Digits, device: &Device) -> Vec<f32> {
    let all: Vec<usize> = (0..digits.len()).collect();
    let mut means = Vec::new();
    for chunk in all.chunks(500) {
        let (mean, _) = model.encoder.forward(batch_tensor(digits, chunk, device));
        means.extend(mean.into_data().try_to_vec::<f32>().unwrap_or_default());
    }
    means
}

/// A seeded Barnes-Hut t-SNE layout of `n × dim` values: `n × 2`.
pub(crate) fn tsne(values: &[f32], dim: usize, options: TsneOptions) -> Vec<f32> {
    let rows: Vec<&[f32]> = values.chunks(dim).collect();
    // A seeded start (bhtsne would draw its own). Reruns still differ slightly: bhtsne sums its
    // gradients in parallel.
    let mut rng = StdRng::seed_from_u64(options.seed);
    let start = Normal::new(0.0f32, 1e-4).map(|n| (0..rows.len() * 2).map(|_| n.sample(&mut rng)).collect::<Vec<_>>());
    let mut fit = bhtsne::tSNE::<f32, &[f32], 2>::new(&rows);
    fit.perplexity(options.perplexity).epochs(options.epochs);
    if let Ok(start) = start {
        fit.initial_embedding(start);
    }
    fit.barnes_hut(options.theta, |a, b| a.iter().zip(b.iter()).map(|(x, y)| (x - y) * (x - y)).sum::<f32>().sqrt());
    fit.embedding()
}

fn round3(values: &[f32]) -> Vec<f32> {
    values.iter().map(|v| (v * 1000.0).round() / 1000.0).collect()
}

/// Computes the points of `variant` on the shipped digits (`sample` says which test digits they
/// are), writes `<variant>.points.json` into `dir` and refreshes the manifest.
pub fn write_points(
    dir: &Path,
    variant: Variant,
    model: &Vae,
    test: &Digits,
    sample: &SampleIndex,
    tsne_options: TsneOptions,
    device: &Device,
) -> Result<LatentPoints, String> {
    if let Some(&bad) = sample.test_indices.iter().find(|&&i| i >= test.len()) {
        return Err(format!("test-sample.json names test digit {bad}, but the test set has {}", test.len()));
    }
    let digits = test.subset(&sample.test_indices);
    let latent = variant.latent_dim();
    let means = latent_means(model, &digits, device);
    let projection = (latent > 2).then(|| {
        let xy = tsne(&means, latent, tsne_options);
        Projection {
            method: format!(
                "t-SNE (Barnes-Hut, bhtsne 0.7; perplexity {}, theta {}, {} iterations, start seed {})",
                tsne_options.perplexity, tsne_options.theta, tsne_options.epochs, tsne_options.seed
            ),
            knn_label_agreement: knn_label_agreement(&xy, 2, &digits.labels, KNN),
            knn_label_agreement_latent: knn_label_agreement(&means, latent, &digits.labels, KNN),
            xy: round3(&xy),
        }
    });
    let points = LatentPoints {
        variant: variant.name().into(),
        latent_dim: latent,
        test_indices: sample.test_indices.clone(),
        labels: digits.labels.clone(),
        means: round3(&means),
        projection,
    };
    let json = serde_json::to_vec(&points).map_err(|e| e.to_string())?;
    write_file(&dir.join(points_file(variant)), &json)?;
    write_manifest(dir)?;
    Ok(points)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsne_keeps_separate_clusters_apart() {
        // Three well-separated 10-D clusters of 40 points: the map must keep each together.
        let mut rng = StdRng::seed_from_u64(7);
        let noise = Normal::new(0.0f32, 0.3).unwrap();
        let mut values = Vec::new();
        let mut labels = Vec::new();
        for label in 0..3u8 {
            for _ in 0..40 {
                values.extend((0..10).map(|d| if d == label as usize { 5.0 } else { 0.0 } + noise.sample(&mut rng)));
                labels.push(label);
            }
        }
        let options = TsneOptions { perplexity: 10.0, epochs: 400, ..TsneOptions::default() };
        let xy = tsne(&values, 10, options);
        assert_eq!(xy.len(), 120 * 2);
        assert!(xy.iter().all(|v| v.is_finite()));
        assert!(knn_label_agreement(&xy, 2, &labels, KNN) > 0.95);
        // bhtsne sums its gradients in parallel, so a rerun differs in the last bits and drifts;
        // what must hold every time is the structure.
        assert!(knn_label_agreement(&tsne(&values, 10, options), 2, &labels, KNN) > 0.95);
    }
}
