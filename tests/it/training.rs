//! Short training runs on the shipped digits: the loss goes down, and a run stopped after an
//! epoch and resumed ends exactly where an uninterrupted run does.

use crate::common;


use vae_lab::data::Mnist;
use vae_lab::study::metrics::Metrics;
use vae_lab::study::Variant;
use burn::prelude::*;
use vae_lab::model::weights::load_vae;
use vae_lab::train::{Backend, TrainOptions, batch_tensor, take, train};

fn tiny_mnist(images: usize) -> Mnist {
    let (sample, _) = common::shipped_sample();
    let train = take(&sample, images);
    let test = sample.subset(&(images..images + 100).collect::<Vec<_>>());
    Mnist { train, test }
}

fn options(dir: &std::path::Path, epochs: usize) -> TrainOptions {
    TrainOptions {
        variant: Variant::Baseline,
        epochs,
        batch: 32,
        lr: 1e-3,
        seed: 5,
        resume: true,
        checkpoint_dir: dir.join("checkpoints"),
        out_dir: dir.join("models"),
        backend: Backend::Flex,
        stop_after: None,
    }
}

fn run(options: &TrainOptions, data: &Mnist) -> Metrics {
    train(options, data, "shipped sample", |_| {}).expect("training runs")
}

#[test]
fn a_short_run_lowers_the_loss() {
    let _turn = common::device_rng();
    let data = tiny_mnist(320);
    let dir = tempfile::tempdir().unwrap();
    let metrics = run(&options(dir.path(), 4), &data);
    let first = &metrics.history[0];
    let last = &metrics.history[3];
    println!("train {:.1} → {:.1}, test {:.1} → {:.1}", first.train_loss, last.train_loss, first.test_loss, last.test_loss);
    assert!(last.train_loss < first.train_loss * 0.9, "{first:?} → {last:?}");
    assert!(last.test_loss < first.test_loss, "{first:?} → {last:?}");
    // What the page loads was written: weights, metrics, manifest.
    for file in ["baseline.bpk", "baseline.json", "manifest.json"] {
        assert!(dir.path().join("models").join(file).exists(), "{file}");
    }
}

#[test]
fn a_resumed_run_matches_an_uninterrupted_one() {
    let _turn = common::device_rng();
    let data = tiny_mnist(256);
    let whole = tempfile::tempdir().unwrap();
    let straight = run(&options(whole.path(), 2), &data);

    let split = tempfile::tempdir().unwrap();
    let mut first_leg = options(split.path(), 2);
    first_leg.stop_after = Some(1);
    let stopped = run(&first_leg, &data);
    assert_eq!(stopped.epochs_done, 1);
    let resumed = run(&options(split.path(), 2), &data);
    assert_eq!(resumed.epochs_done, 2);

    // Same losses epoch by epoch (timings aside), and weights that reconstruct bit for bit alike
    // (the files themselves differ in the random parameter ids each fresh model draws).
    for (a, b) in straight.history.iter().zip(&resumed.history) {
        assert_eq!((a.train_loss, a.test_loss, a.train_kl), (b.train_loss, b.test_loss, b.train_kl));
    }
    let device = Device::flex();
    let reconstruct = |dir: &std::path::Path| -> Vec<f32> {
        let bytes = std::fs::read(dir.join("models/baseline.bpk")).unwrap();
        let model = load_vae(Variant::Baseline, bytes, &device).unwrap();
        let images = batch_tensor(&data.test, &(0..16).collect::<Vec<_>>(), &device);
        model.reconstruct(images).into_data().try_to_vec().unwrap()
    };
    assert!(reconstruct(whole.path()) == reconstruct(split.path()), "weights differ after resuming");
}

#[test]
fn resuming_another_runs_checkpoint_is_refused() {
    let _turn = common::device_rng();
    let data = tiny_mnist(64);
    let dir = tempfile::tempdir().unwrap();
    let mut first = options(dir.path(), 1);
    first.stop_after = Some(1);
    run(&first, &data);
    let mut other = options(dir.path(), 2);
    other.seed = 6;
    let err = train(&other, &data, "shipped sample", |_| {}).unwrap_err();
    assert!(err.contains("another run"), "{err}");
}

fn train_err(options: &TrainOptions, data: &Mnist) -> String {
    train(options, data, "shipped sample", |_| {}).expect_err("the run is refused")
}

#[test]
fn bad_flags_are_refused_before_anything_is_written() {
    let _turn = common::device_rng();
    let data = tiny_mnist(64);
    let dir = tempfile::tempdir().unwrap();
    let mut cases: Vec<(TrainOptions, Mnist, &str)> = Vec::new();
    let mut zero_batch = options(dir.path(), 1);
    zero_batch.batch = 0;
    cases.push((zero_batch, data.clone(), "--batch"));
    cases.push((options(dir.path(), 0), data.clone(), "--epochs"));
    let mut bad_lr = options(dir.path(), 1);
    bad_lr.lr = f64::NAN;
    cases.push((bad_lr, data.clone(), "--lr"));
    // --limit 0: no training images at all.
    let empty = Mnist { train: take(&data.train, 0), test: data.test.clone() };
    cases.push((options(dir.path(), 1), empty, "--limit"));
    for (options, data, flag) in cases {
        let err = train_err(&options, &data);
        assert!(err.contains(flag), "{flag}: {err}");
    }
    assert!(!dir.path().join("models").exists() && !dir.path().join("checkpoints").exists());
}

#[test]
fn a_damaged_checkpoint_is_refused_and_a_stale_manifest_is_mended() {
    let _turn = common::device_rng();
    let data = tiny_mnist(64);
    let dir = tempfile::tempdir().unwrap();
    let mut first = options(dir.path(), 2);
    first.stop_after = Some(1);
    run(&first, &data);

    // A run killed after writing its weights but before the manifest: the next run lists the
    // files as they are.
    let manifest_path = dir.path().join("models/manifest.json");
    let good_manifest = std::fs::read(&manifest_path).unwrap();
    let stale = String::from_utf8(good_manifest.clone()).unwrap().replace("\"bytes\": ", "\"bytes\": 1");
    std::fs::write(&manifest_path, stale).unwrap();

    // One flipped bit in the checkpoint's model: refused, naming the file.
    let model = dir.path().join("checkpoints/model-e1.bpk");
    let mut bytes = std::fs::read(&model).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x10;
    std::fs::write(&model, &bytes).unwrap();
    let err = train_err(&options(dir.path(), 2), &data);
    assert!(err.contains("model-e1.bpk") && err.contains("damaged"), "{err}");
    assert_eq!(std::fs::read(&manifest_path).unwrap(), good_manifest, "the manifest was not mended");

    // Restored, it resumes.
    bytes[middle] ^= 0x10;
    std::fs::write(&model, &bytes).unwrap();
    assert_eq!(run(&options(dir.path(), 2), &data).epochs_done, 2);
}
