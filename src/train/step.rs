//! One training step — the loss, the backward pass and the Adam update — for the native trainer
//! and the page's training alike (one definition: the page's Train mode must learn as the
//! trainer does).

use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;

use crate::kernels::conv_gradients::WeightGradients;
use crate::model::{Noise, Rows, Vae, VaeLoss, vae_loss};
use crate::study::ReconLoss;

/// Adam as the study's Keras uses it: β 0.9 / 0.999, ε 1e-7 (burn's default ε is 1e-5).
pub fn adam() -> ModuleOptimizer {
    AdamConfig::new().with_epsilon(1e-7).init()
}

/// What a step needs besides the model, the optimiser and the batch.
#[derive(Debug, Clone, Copy)]
pub struct StepSettings {
    /// The variant's reconstruction term.
    pub recon_loss: ReconLoss,
    /// Adam's learning rate (the study's: 1e-3).
    pub learning_rate: f64,
    /// Where the convolutions' weight gradients come from.
    pub weight_gradients: WeightGradients,
    /// β, the weight of the KL term in the loss that is minimised (the study's: 1).
    pub kl_weight: f64,
}

impl StepSettings {
    /// The study's learning rate, the trainer's gradients.
    pub fn study(recon_loss: ReconLoss) -> StepSettings {
        StepSettings { recon_loss, learning_rate: 1e-3, weight_gradients: WeightGradients::Gemm, kl_weight: 1.0 }
    }
}

/// One step on `images` (`[batch, 1, 28, 28]`, values in 0..1, ε from `noise`) on an autodiff device: the
/// updated model and the batch's loss (its tensors still on the device, for the caller to read
/// synchronously natively or awaiting it on WebGPU). The loss reported is the study's
/// (recon + KL) whatever β; the one minimised is recon + β·KL.
pub fn step(model: Vae, optimizer: &mut ModuleOptimizer, images: Tensor<4>, settings: &StepSettings, noise: &mut Noise) -> (Vae, VaeLoss) {
    let batch = images.dims()[0];
    let (grads, loss) = gradients(&model, images, settings, Rows::all(batch), noise);
    (apply(model, optimizer, grads, settings), loss)
}

/// The gradients of a step's loss for `rows` of its batch (`images` are those rows), and those
/// rows' loss (means over them). The gradient is the rows' share of the whole batch's (scaled by
/// rows / batch), so that the parts of a batch add up to its gradient: data-parallel training sums
/// its replicas' and [`apply`]s the sum.
pub fn gradients(model: &Vae, images: Tensor<4>, settings: &StepSettings, rows: Rows, noise: &mut Noise) -> (GradientsParams, VaeLoss) {
    let n = images.dims()[0];
    let output = model.forward_rows(images.clone(), settings.weight_gradients, rows, noise);
    let loss = vae_loss(&output, images, settings.recon_loss);
    // β = 1 back-propagates the study's total itself (the trainer's numerics, bit for bit).
    let minimised = if settings.kl_weight == 1.0 {
        loss.total.clone()
    } else {
        loss.recon.clone() + loss.kl.clone().mul_scalar(settings.kl_weight)
    };
    let minimised = if n == rows.batch { minimised } else { minimised.mul_scalar(n as f64 / rows.batch as f64) };
    (GradientsParams::from_grads(minimised.backward(), model), loss)
}

/// Adam's update of `model` with `grads`.
pub fn apply(model: Vae, optimizer: &mut ModuleOptimizer, grads: GradientsParams, settings: &StepSettings) -> Vae {
    optimizer.step(settings.learning_rate, model, grads)
}
