//! A short training run with the trainer's convolution weight gradients
//! (`kernels::conv_gradients`, one GEMM each) gives burn's own layers' losses.
//!
//! Both runs draw ε from the device's generator, seeded before each run, which no other test may
//! draw from in between (`common::device_rng`).

use crate::common;
use burn::module::Module;
use burn::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use vae_lab::train::step::{self, StepSettings};
use vae_lab::study::Variant;
use vae_lab::kernels::conv_gradients::WeightGradients;
use vae_lab::model::{Noise, VaeConfig};

/// Digit-like batches: a few bright strokes on black, the same for both runs.
fn batches(count: usize, batch: usize, device: &Device) -> Vec<Tensor<4>> {
    let mut rng = StdRng::seed_from_u64(5);
    (0..count)
        .map(|_| {
            let mut pixels = vec![0f32; batch * 28 * 28];
            for image in pixels.chunks_mut(28 * 28) {
                for _ in 0..3 {
                    let (row, col, len) = (rng.random_range(4..24), rng.random_range(4..20), rng.random_range(4..9));
                    let vertical = rng.random_bool(0.5);
                    for i in 0..len {
                        let (y, x) = if vertical { ((row + i).min(27), col) } else { (row, (col + i).min(27)) };
                        image[y * 28 + x] = rng.random_range(0.6..1.0);
                    }
                }
            }
            Tensor::from_data(TensorData::new(pixels, [batch, 1, 28, 28]), device)
        })
        .collect()
}

/// The losses of 20 steps of the trainer's `training::step` from `variant`'s one initialisation.
fn losses(variant: Variant, grads: WeightGradients, device: &Device, data: &[Tensor<4>]) -> Vec<f32> {
    device.seed(7);
    let config = VaeConfig::from(variant);
    let mut model = config.init(device);
    let mut optimizer = step::adam();
    let settings = StepSettings { weight_gradients: grads, ..StepSettings::study(config.recon_loss) };
    let mut noise = Noise::seeded(11);
    let mut out = Vec::new();
    for images in data {
        let loss;
        (model, loss) = step::step(model, &mut optimizer, images.clone(), &settings, &mut noise);
        out.push(loss.total.inner().into_scalar::<f32>());
    }
    assert!(model.num_params() > 0);
    out
}

#[test]
fn twenty_training_steps_give_burns_losses() {
    let _turn = common::device_rng();
    let device = Device::flex().autodiff();
    let data = batches(20, 32, &device);
    for variant in [Variant::Baseline, Variant::Deeper, Variant::Mse] {
        let ours = losses(variant, WeightGradients::Gemm, &device, &data);
        let burns = losses(variant, WeightGradients::Burn, &device, &data);
        let again = losses(variant, WeightGradients::Gemm, &device, &data);
        assert_eq!(ours, again, "{variant}: the same run twice gave other losses");
        let worst = ours.iter().zip(&burns).map(|(a, b)| ((a - b) / b).abs()).fold(0f32, f32::max);
        eprintln!("{variant}: losses {:.3} → {:.3}, max relative difference {worst:e}", burns[0], burns[19]);
        assert!(burns[19] < 0.9 * burns[0], "{variant}: the run did not learn ({} → {})", burns[0], burns[19]);
        assert!(worst <= 1e-3, "{variant}: losses differ by {worst} (ours {ours:?}, burn's {burns:?})");
    }
}
