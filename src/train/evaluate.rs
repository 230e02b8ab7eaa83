//! Loss of a model on a labelled set, without gradients.

use burn::prelude::*;

use crate::data::{Digits, SIDE};
use crate::model::{Noise, Vae, kl_per_dim, vae_loss};
use crate::study::ReconLoss;

/// Mean per-image loss terms over a set, and the mean KL of each latent dimension.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Reconstruction + KL.
    pub loss: f64,
    /// Summed reconstruction error per image.
    pub(crate) recon: f64,
    /// KL per image, summed over dims.
    pub(crate) kl: f64,
    /// Mean KL of each latent dimension.
    pub(crate) kl_per_dim: Vec<f64>,
}

/// Turns digits into a `[n, 1, 28, 28]` batch of intensities on `device`.
pub fn batch_tensor(digits: &Digits, indices: &[usize], device: &Device) -> Tensor<4> {
    let data = TensorData::new(digits.intensities(indices), [indices.len(), 1, SIDE, SIDE]);
    Tensor::from_data(data, device)
}

/// Evaluates `model` on `digits` the way the training loss is defined (z sampled), seeding the
/// device with `seed` first so that repeated evaluations agree. Natively; the page awaits
/// [`evaluate_async`] (a WebGPU tensor cannot be read synchronously in a browser).
#[cfg(not(target_arch = "wasm32"))]
pub fn evaluate(model: &Vae, digits: &Digits, kind: ReconLoss, seed: u64, device: &Device) -> Evaluation {
    pollster::block_on(evaluate_async(model, digits, kind, seed, device))
}

/// [`evaluate`], awaiting each readback.
pub async fn evaluate_async(model: &Vae, digits: &Digits, kind: ReconLoss, seed: u64, device: &Device) -> Evaluation {
    let model = model.valid();
    let device = device.clone().inner();
    let mut noise = Noise::seeded(seed);
    let (mut loss, mut recon, mut kl) = (0.0, 0.0, 0.0);
    let mut per_dim: Vec<f64> = Vec::new();
    let all: Vec<usize> = (0..digits.len()).collect();
    for chunk in all.chunks(1000) {
        let images = batch_tensor(digits, chunk, &device);
        let output = model.forward(images.clone(), &mut noise);
        let terms = vae_loss(&output, images, kind);
        let dims = kl_per_dim(output.z_mean, output.z_log_var).sum_dim(0).flatten::<1>(0, 1);
        // One readback per chunk: the three terms and the per-dimension sums together.
        let values = read_f32(Tensor::cat(vec![terms.total, terms.recon, terms.kl, dims], 0)).await;
        let weight = chunk.len() as f64;
        let value = |i: usize| values.get(i).copied().map_or(f64::NAN, f64::from);
        loss += value(0) * weight;
        recon += value(1) * weight;
        kl += value(2) * weight;
        per_dim.resize(values.len().saturating_sub(3), 0.0);
        for (acc, d) in per_dim.iter_mut().zip(&values[3.min(values.len())..]) {
            *acc += f64::from(*d);
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

/// A tensor's values as `f32`, awaited (on any device); empty if they cannot be read.
pub(crate) async fn read_f32<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    match tensor.into_data_async().await {
        Ok(data) => data.convert::<f32>().try_to_vec::<f32>().unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}
