//! Loss of a model on a labelled set, without gradients.

use burn::prelude::*;

use crate::data::{Digits, SIDE};
use crate::model::{ReconLoss, Vae, kl_per_dim, vae_loss};

/// Mean per-image loss terms over a set, and the mean KL of each latent dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Reconstruction + KL.
    pub loss: f64,
    /// Summed reconstruction error per image.
    pub recon: f64,
    /// KL per image, summed over dims.
    pub kl: f64,
    /// Mean KL of each latent dimension.
    pub kl_per_dim: Vec<f64>,
}

/// Turns digits into a `[n, 1, 28, 28]` batch of intensities on `device`.
pub fn batch_tensor(digits: &Digits, indices: &[usize], device: &Device) -> Tensor<4> {
    let data = TensorData::new(digits.intensities(indices), [indices.len(), 1, SIDE, SIDE]);
    Tensor::from_data(data, device)
}

/// Evaluates `model` on `digits` the way the training loss is defined (z sampled), seeding the
/// device with `seed` first so that repeated evaluations agree.
pub fn evaluate(model: &Vae, digits: &Digits, kind: ReconLoss, seed: u64, device: &Device) -> Evaluation {
    let model = model.valid();
    let device = device.clone().inner();
    device.seed(seed);
    let (mut loss, mut recon, mut kl) = (0.0, 0.0, 0.0);
    let mut per_dim: Vec<f64> = Vec::new();
    let all: Vec<usize> = (0..digits.len()).collect();
    for chunk in all.chunks(1000) {
        let images = batch_tensor(digits, chunk, &device);
        let output = model.forward(images.clone());
        let terms = vae_loss(&output, images, kind);
        let weight = chunk.len() as f64;
        let value = |t: Tensor<1>| f64::from(t.into_scalar::<f32>());
        loss += value(terms.total) * weight;
        recon += value(terms.recon) * weight;
        kl += value(terms.kl) * weight;
        let dims: Vec<f32> = kl_per_dim(output.z_mean, output.z_log_var)
            .sum_dim(0)
            .into_data()
            .try_to_vec()
            .unwrap_or_default();
        per_dim.resize(dims.len(), 0.0);
        for (acc, d) in per_dim.iter_mut().zip(dims) {
            *acc += f64::from(d);
        }
    }
    let n = digits.len().max(1) as f64;
    Evaluation {
        loss: loss / n,
        recon: recon / n,
        kl: kl / n,
        kl_per_dim: per_dim.into_iter().map(|d| d / n).collect(),
    }
}
