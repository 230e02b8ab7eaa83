//! The study's loss: per image, summed reconstruction error over 784 pixels plus KL summed over
//! latent dims; mean over the batch.

use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};

use super::vae::VaeOutput;
use crate::study::ReconLoss;

/// Batch-mean loss terms, each a one-element tensor (so the total can be back-propagated).
#[derive(Debug, Clone)]
pub struct VaeLoss {
    /// Reconstruction + KL.
    pub total: Tensor<1>,
    /// Summed reconstruction error per image, batch mean.
    pub recon: Tensor<1>,
    /// KL divergence to N(0, I) per image, batch mean.
    pub kl: Tensor<1>,
}

/// Per-image summed reconstruction error.
///
/// BCE is computed from logits, `max(x, 0) − x·t + log(1 + e^(−|x|))`, which is exact and finite
/// for targets of exactly 0 and 1 at any logit (Keras clips probabilities to 1e-7 instead).
///
/// # Shapes
///
/// - logits, targets: `[batch, 1, 28, 28]`
/// - output: `[batch]`
pub fn reconstruction_error(logits: Tensor<4>, targets: Tensor<4>, kind: ReconLoss) -> Tensor<1> {
    let per_pixel = match kind {
        ReconLoss::Bce => {
            relu(logits.clone()) - logits.clone() * targets + logits.abs().neg().exp().log1p()
        }
        ReconLoss::Mse => (sigmoid(logits) - targets).square(),
    };
    per_pixel.flatten::<2>(1, 3).sum_dim(1).flatten(0, 1)
}

/// KL(q(z|x) ‖ N(0, I)) per latent dimension, closed form: −½(1 + log σ² − μ² − σ²).
///
/// # Shapes
///
/// - z_mean, z_log_var: `[batch, latent]`
/// - output: `[batch, latent]`
pub fn kl_per_dim(z_mean: Tensor<2>, z_log_var: Tensor<2>) -> Tensor<2> {
    (z_log_var.clone().add_scalar(1.0) - z_mean.square() - z_log_var.exp()).mul_scalar(-0.5)
}

/// The study's loss for one batch.
///
/// # Shapes
///
/// - output: see [`VaeOutput`]; targets: `[batch, 1, 28, 28]` in 0..1
pub fn vae_loss(output: &VaeOutput, targets: Tensor<4>, kind: ReconLoss) -> VaeLoss {
    let recon = reconstruction_error(output.logits.clone(), targets, kind).mean();
    let kl = kl_per_dim(output.z_mean.clone(), output.z_log_var.clone())
        .sum_dim(1)
        .mean();
    VaeLoss {
        total: recon.clone() + kl.clone(),
        recon,
        kl,
    }
}

/// [`reconstruction_error`] for one image on plain numbers, pixel by pixel (its sum is the
/// image's reconstruction term): what the Inside mode maps and adds up, computed exactly as above.
pub fn per_pixel_error(logits: &[f32], targets: &[f32], kind: ReconLoss) -> Vec<f32> {
    logits
        .iter()
        .zip(targets)
        .map(|(&l, &t)| match kind {
            ReconLoss::Bce => l.max(0.0) - l * t + (-l.abs()).exp().ln_1p(),
            ReconLoss::Mse => (1.0 / (1.0 + (-l).exp()) - t).powi(2),
        })
        .collect()
}

/// [`kl_per_dim`] for one image on plain numbers: KL(N(μ, σ²) ‖ N(0, 1)) of each latent dimension.
pub(crate) fn kl_terms(mean: &[f32], log_var: &[f32]) -> Vec<f32> {
    mean.iter().zip(log_var).map(|(&m, &lv)| -0.5 * (1.0 + lv - m * m - lv.exp())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(t: Tensor<1>) -> f32 {
        t.into_data().try_to_vec::<f32>().unwrap()[0]
    }

    fn image(device: &Device, fill: impl Fn(usize) -> f32) -> Tensor<4> {
        let values: Vec<f32> = (0..784).map(fill).collect();
        Tensor::<1>::from_floats(values.as_slice(), device).reshape([1, 1, 28, 28])
    }

    #[test]
    fn bce_matches_the_hand_computed_sum() {
        let device = Device::flex();
        // Logit 0 → p = ½: every pixel costs ln 2 whatever the target.
        let logits = image(&device, |_| 0.0);
        let targets = image(&device, |i| (i % 3) as f32 / 2.0);
        let got = scalar(reconstruction_error(logits, targets, ReconLoss::Bce));
        assert!((got - 784.0 * std::f32::consts::LN_2).abs() < 1e-2, "{got}");

        // Logit ln 3 → p = ¾; target 1 costs −ln ¾, target 0 costs −ln ¼.
        let logits = image(&device, |_| 3f32.ln());
        let targets = image(&device, |i| if i < 400 { 1.0 } else { 0.0 });
        let want = 400.0 * -(0.75f32.ln()) + 384.0 * -(0.25f32.ln());
        let got = scalar(reconstruction_error(logits, targets, ReconLoss::Bce));
        assert!((got - want).abs() < 1e-2, "{got} vs {want}");
    }

    #[test]
    fn mse_matches_the_hand_computed_sum() {
        let device = Device::flex();
        // Logit 0 → ½; targets 0 and 1 each cost ¼.
        let logits = image(&device, |_| 0.0);
        let targets = image(&device, |i| (i % 2) as f32);
        let got = scalar(reconstruction_error(logits, targets, ReconLoss::Mse));
        assert!((got - 784.0 * 0.25).abs() < 1e-3, "{got}");
    }

    #[test]
    fn kl_matches_the_closed_form() {
        let device = Device::flex();
        let mean = Tensor::<2>::from_floats([[0.0, 1.0], [2.0, -1.0]], &device);
        let log_var = Tensor::<2>::from_floats([[0.0, 0.0], [1.0f32.ln(), 2.0]], &device);
        let kl: Vec<f32> = kl_per_dim(mean, log_var).into_data().try_to_vec().unwrap();
        let closed = |m: f32, lv: f32| -0.5 * (1.0 + lv - m * m - lv.exp());
        let want = [closed(0.0, 0.0), closed(1.0, 0.0), closed(2.0, 0.0), closed(-1.0, 2.0)];
        assert_eq!(want[0], 0.0);
        for (g, w) in kl.iter().zip(want) {
            assert!((g - w).abs() < 1e-5, "{g} vs {w}");
        }
    }

    #[test]
    fn loss_is_finite_at_pixels_exactly_zero_and_one() {
        let device = Device::flex();
        for kind in [ReconLoss::Bce, ReconLoss::Mse] {
            // Extreme logits that saturate the sigmoid, against targets exactly 0 and 1.
            let logits = image(&device, |i| if i % 2 == 0 { 200.0 } else { -200.0 });
            let targets = image(&device, |i| if i % 4 < 2 { 1.0 } else { 0.0 });
            let output = VaeOutput {
                logits,
                z_mean: Tensor::<2>::from_floats([[50.0, -50.0]], &device),
                z_log_var: Tensor::<2>::from_floats([[-30.0, 30.0]], &device),
            };
            let loss = vae_loss(&output, targets, kind);
            for value in [loss.total, loss.recon, loss.kl] {
                assert!(scalar(value).is_finite(), "{kind:?}");
            }
        }
    }
}
