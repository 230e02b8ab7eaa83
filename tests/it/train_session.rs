//! The training loop (`train::session`) driven step by step, as the Train mode's worker drives
//! it, against the native trainer (`train::run`, which drives the same session with checkpoints
//! and export around it, and reports running means): from one seed the first steps on the
//! shipped training digits give the same losses. They are also the references the browser
//! test (tests/e2e/train.test.mjs) compares the page's steps with: 20 steps of 128 digits
//! (`tests/fixtures/train-20-steps.json`, the CPU path's) and 20 of 32
//! (`tests/fixtures/train-20-steps-batch-32.json`, whose first 5 are WebGPU's: SwiftShader, a
//! CPU emulation of a GPU, takes ~15 s a step of 128 and ~8 s a step of 32 on 2 cores).
//! `UPDATE_FIXTURES=1 cargo test --release --test it train_session` rewrites them (this test
//! fails while a file disagrees with the trainer).

use crate::common;

use vae_lab::data::{Digits, Mnist};
use vae_lab::study::train_settings::TrainSettings;
use vae_lab::study::{Architecture, Variant};
use vae_lab::train::session::Session;
use vae_lab::train::{Backend, Event, TrainOptions, take, train};

use burn::prelude::Device;

/// What the browser test sets in the Train form, and the step losses it must reproduce.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Reference {
    seed: u64,
    batch: usize,
    learning_rate: f64,
    sample_digits: usize,
    /// Recon + KL of each step.
    losses: Vec<f64>,
}

const SEED: u64 = 7;

fn training_sample() -> Digits {
    let dir = common::root().join("www/data");
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("www/data/{name}: {e}"));
    Digits::from_idx(&read("train-sample-images-idx3-ubyte.gz"), &read("train-sample-labels-idx1-ubyte.gz")).expect("the training sample parses")
}

/// The trainer's losses per step, from its running means (`Event::Step`).
fn trainer_losses(train_set: &Digits, test: &Digits, batch: usize) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let options = TrainOptions {
        variant: Variant::Baseline,
        epochs: 1,
        batch,
        lr: 1e-3,
        seed: SEED,
        resume: false,
        checkpoint_dir: dir.path().join("checkpoints"),
        out_dir: dir.path().join("models"),
        backend: Backend::Flex,
        stop_after: None,
    };
    let mnist = Mnist { train: train_set.clone(), test: test.clone() };
    let mut means = Vec::new();
    train(&options, &mnist, "sample", |event| {
        if let Event::Step { loss, .. } = event {
            means.push(loss);
        }
    })
    .unwrap();
    // Every batch is full (steps × batch digits): step k's loss is k·mean_k − (k−1)·mean_(k−1).
    means.iter().enumerate().map(|(k, &m)| if k == 0 { m } else { (k + 1) as f64 * m - k as f64 * means[k - 1] }).collect()
}

/// One epoch of `steps` batches of `batch` shipped training digits, from SEED: the session's
/// losses step by step equal the trainer's, the last below `down_to` times the first, and they
/// are what `fixture` holds.
fn the_session_and_the_trainer_agree_and_the_fixture_holds(batch: usize, steps: usize, down_to: f64, fixture: &str) {
    let _turn = common::device_rng();
    let sample = training_sample();
    let train_set = take(&sample, steps * batch);
    let test = take(&sample, 50);
    let settings = TrainSettings { batch, ..TrainSettings::study(Architecture::of(Variant::Baseline), 1, SEED) };
    let mut session = Session::new(settings, None, train_set.clone(), Device::flex().autodiff()).unwrap();
    let losses: Vec<f64> = (0..steps).map(|_| pollster::block_on(session.step()).unwrap().loss).collect();
    assert!(session.epoch_ended(), "{steps} steps of {batch} are one epoch of the {} digits", train_set.len());
    assert!(losses[steps - 1] < down_to * losses[0], "the loss goes down: {losses:?}");

    // One process-wide generator: the trainer runs after the session, not beside it.
    let trainer = trainer_losses(&train_set, &test, batch);
    assert_eq!(trainer.len(), steps);
    for (k, (a, b)) in losses.iter().zip(&trainer).enumerate() {
        assert!((a - b).abs() <= 1e-9 * b.abs(), "step {}: session {a} vs trainer {b}", k + 1);
    }

    let path = common::root().join("tests/fixtures").join(fixture);
    let reference = Reference { seed: SEED, batch, learning_rate: 1e-3, sample_digits: steps * batch, losses };
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, serde_json::to_string_pretty(&reference).unwrap() + "\n").unwrap();
    }
    let shipped: Reference = serde_json::from_slice(&std::fs::read(&path).unwrap_or_else(|e| panic!("tests/fixtures/{fixture}: {e}"))).unwrap();
    assert_eq!((shipped.seed, shipped.batch, shipped.sample_digits, shipped.losses.len()), (SEED, batch, steps * batch, steps));
    for (k, (a, b)) in reference.losses.iter().zip(&shipped.losses).enumerate() {
        assert!((a - b).abs() <= 1e-6 * b.abs(), "step {}: now {a}, {fixture} says {b} (UPDATE_FIXTURES=1 rewrites it)", k + 1);
    }
}

#[test]
fn the_session_takes_the_native_trainers_steps_and_the_fixture_holds_them() {
    the_session_and_the_trainer_agree_and_the_fixture_holds(128, 20, 0.7, "train-20-steps.json");
}

#[test]
fn the_session_takes_the_native_trainers_smaller_steps_and_webgpus_fixture_holds_them() {
    the_session_and_the_trainer_agree_and_the_fixture_holds(32, 20, 0.7, "train-20-steps-batch-32.json");
}
