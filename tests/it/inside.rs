//! The Inside mode's numbers: every stage on the page's CPU path (fused kernels) against burn's
//! layers (the WebGPU path's), the last stage against the ordinary reconstruction, the loss split
//! against `model::loss`, and the diagram's parameter counts against the model's layers.

use burn::prelude::*;

use crate::common;

use vae_lab::engine::inside::{SAMPLES, epsilon, reparameterise};
use vae_lab::engine::{Engine, Inside};
use vae_lab::model::VaeConfig;
use vae_lab::model::loss::{kl_per_dim, reconstruction_error};
use vae_lab::study::Variant;
use vae_lab::study::anatomy::{stages, total_params};

use common::{engine_with, study_digit};

fn inside(engine: &Engine, variant: Variant, image: &[f32], eps: &[f32], fast: bool) -> Inside {
    engine.set_fast_paths(fast);
    let out = pollster::block_on(engine.inside(variant, image, eps)).expect("inside");
    engine.set_fast_paths(true);
    out
}

/// Largest difference, relative to the values' size where they pass 1.
fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs() / x.abs().max(1.0)).fold(0.0, f32::max)
}

#[test]
fn every_stage_matches_burns_layers_for_every_variant() {
    let _turn = common::device_rng();
    for variant in Variant::ALL {
        let engine = engine_with(variant);
        let anatomy = stages(variant.architecture());
        for k in 0..3 {
            let image = study_digit(k);
            let eps = epsilon(7 + k as u64, 1, variant.latent_dim());
            let fused = inside(&engine, variant, &image, &eps, true);
            let layers = inside(&engine, variant, &image, &eps, false);
            assert_eq!(fused.stages.len(), anatomy.len(), "{variant}");
            assert_eq!(layers.stages.len(), anatomy.len(), "{variant}");
            for ((stage, a), b) in anatomy.iter().zip(&fused.stages).zip(&layers.stages) {
                assert_eq!(a.len(), stage.shape.len(), "{variant} {}", stage.name);
                assert_eq!(b.len(), stage.shape.len(), "{variant} {}", stage.name);
                let diff = max_diff(a, b);
                assert!(diff <= 1e-4, "{variant} {}: fused vs burn differ by {diff}", stage.name);
            }
            assert!(max_diff(&fused.logits, &layers.logits) <= 1e-4, "{variant}: logits");
            assert_eq!(fused.z, reparameterise(&fused.mean, &fused.log_var, &eps));
            assert!(max_diff(&fused.recon_map, &layers.recon_map) <= 1e-4, "{variant}: loss map");
            // Something flows: no stage of a trained model is all zeros for a digit.
            for (stage, values) in anatomy.iter().zip(&fused.stages) {
                assert!(values.iter().any(|&v| v != 0.0), "{variant} {} is blank", stage.name);
            }
        }
    }
}

#[test]
fn with_epsilon_zero_the_last_stage_is_the_reconstruction() {
    let _turn = common::device_rng();
    for variant in [Variant::Baseline, Variant::Deeper, Variant::Latent10] {
        let engine = engine_with(variant);
        let image = study_digit(1);
        let zero = vec![0.0; variant.latent_dim()];
        for fast in [true, false] {
            let out = inside(&engine, variant, &image, &zero, fast);
            engine.set_fast_paths(fast);
            let reconstruction = pollster::block_on(engine.reconstruct(variant, &image)).expect("reconstruct");
            engine.set_fast_paths(true);
            let last = out.stages.last().expect("stages");
            let diff = max_diff(last, &reconstruction);
            assert!(diff <= 1e-5, "{variant} (fast {fast}): {diff}");
            assert_eq!(out.z, out.mean);
        }
    }
}

#[test]
fn the_loss_split_is_the_trainers_loss() {
    let _turn = common::device_rng();
    let device = Device::flex();
    for variant in [Variant::Baseline, Variant::Mse, Variant::Latent10] {
        let engine = engine_with(variant);
        let image = study_digit(2);
        let eps = epsilon(3, 1, variant.latent_dim());
        let out = inside(&engine, variant, &image, &eps, true);
        // The same logits and posterior through the trainer's loss functions.
        let logits = Tensor::<1>::from_floats(out.logits.as_slice(), &device).reshape([1, 1, 28, 28]);
        let targets = Tensor::<1>::from_floats(image.as_slice(), &device).reshape([1, 1, 28, 28]);
        let recon: f32 = reconstruction_error(logits, targets, variant.recon_loss()).into_scalar();
        let latent = variant.latent_dim();
        let mean = Tensor::<1>::from_floats(out.mean.as_slice(), &device).reshape([1, latent]);
        let log_var = Tensor::<1>::from_floats(out.log_var.as_slice(), &device).reshape([1, latent]);
        let kl: Vec<f32> = kl_per_dim(mean, log_var).into_data().try_to_vec::<f32>().expect("f32");
        assert!((out.recon() - recon).abs() <= 1e-3 * recon.abs().max(1.0), "{variant}: {} vs {recon}", out.recon());
        assert!(max_diff(&out.kl, &kl) <= 1e-5, "{variant}: {:?} vs {kl:?}", out.kl);
        assert!((out.loss() - recon - kl.iter().sum::<f32>()).abs() <= 1e-3 * recon.max(1.0));
        println!("{variant}: reconstruction {recon:.2} + KL {:.2} = {:.2}", out.kl_total(), out.loss());
    }
}

#[test]
fn the_diagram_counts_every_learned_number() {
    let device = Device::flex();
    for variant in Variant::ALL {
        let architecture = variant.architecture();
        let vae = VaeConfig::from(variant).init(&device);
        let layers: Vec<usize> = vae.encoder.layer_params().into_iter().chain(vae.decoder.layer_params()).collect();
        let drawn: Vec<usize> = stages(architecture).iter().map(|s| s.params).filter(|&p| p > 0).collect();
        assert_eq!(drawn, layers, "{variant}");
        assert_eq!(total_params(architecture), vae.num_params(), "{variant}");
    }
}

#[test]
fn epsilon_is_seeded_and_samples_spread_around_the_mean() {
    assert_eq!(epsilon(5, SAMPLES, 2), epsilon(5, SAMPLES, 2));
    assert_ne!(epsilon(5, SAMPLES, 2), epsilon(6, SAMPLES, 2));
    let z = reparameterise(&[1.0, -2.0], &[0.0, (0.25f32).ln()], &[1.0, 1.0, -2.0, 0.0]);
    assert_eq!(z, vec![2.0, -1.5, -1.0, -2.0]);
}
