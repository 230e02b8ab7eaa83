//! Weights: a save/load round trip, and every committed model against its metrics.

use crate::common;

use burn::module::Module;
use burn::prelude::*;
use burn::tensor::Distribution;
use vae_lab::model::weights::{WeightsError, load_vae};
use vae_lab::study::metrics::{LatentPoints, Metrics, knn_label_agreement};
use vae_lab::study::Variant;
use vae_lab::train::evaluate;
use vae_lab::train::points::latent_means;
use vae_lab::train::export::Manifest;
use vae_lab::train::files::sha256_hex;
use vae_lab::model::VaeConfig;

#[test]
fn save_then_load_gives_bit_identical_outputs() {
    let _turn = common::device_rng();
    let device = Device::flex();
    for variant in Variant::ALL {
        device.seed(7);
        let model = VaeConfig::from(variant).init(&device);
        let bytes = model.clone().into_record().into_bytes().expect("serialises").to_vec();
        // A fresh model has other random weights until the record is applied.
        let loaded = load_vae(variant, bytes, &device).expect("loads");
        let images = Tensor::<4>::random([4, 1, 28, 28], Distribution::Default, &device);
        let z = Tensor::<2>::random([4, variant.latent_dim()], Distribution::Default, &device);
        let a: Vec<f32> = model.reconstruct(images.clone()).into_data().try_to_vec().unwrap();
        let b: Vec<f32> = loaded.reconstruct(images).into_data().try_to_vec().unwrap();
        assert_eq!(a, b, "{variant}: reconstruction differs after the round trip");
        let a: Vec<f32> = model.decoder.decode(z.clone()).into_data().try_to_vec().unwrap();
        let b: Vec<f32> = loaded.decoder.decode(z).into_data().try_to_vec().unwrap();
        assert_eq!(a, b, "{variant}: decoding differs after the round trip");
    }
}

#[test]
fn corrupt_or_mismatched_weights_give_errors_not_panics() {
    let _turn = common::device_rng();
    let device = Device::flex();
    let bytes = VaeConfig::from(Variant::Baseline).init(&device).into_record().into_bytes().unwrap().to_vec();
    for broken in [Vec::new(), b"not a model".to_vec(), bytes[..bytes.len() / 2].to_vec()] {
        assert!(matches!(
            load_vae(Variant::Baseline, broken, &device),
            Err(WeightsError::Corrupt { .. }) | Err(WeightsError::Mismatch { .. })
        ));
    }
    // A valid record of another architecture.
    assert!(matches!(
        load_vae(Variant::Deeper, bytes, &device),
        Err(WeightsError::Mismatch { .. })
    ));
}

#[test]
fn weights_with_non_finite_values_are_refused() {
    let _turn = common::device_rng();
    let device = Device::flex();
    for (dtype_half, poison) in [(false, f32::NAN), (false, f32::INFINITY), (true, f32::NAN)] {
        let model = VaeConfig::from(Variant::Baseline).init(&device);
        // Poison one bias value of the decoder's output layer: a valid record otherwise.
        struct Poison(f32, bool);
        impl burn::module::ModuleMapper for Poison {
            fn map_float<const D: usize>(&mut self, param: burn::module::Param<Tensor<D>>) -> burn::module::Param<Tensor<D>> {
                if !self.1 || D != 1 {
                    return param;
                }
                self.1 = false;
                let value = self.0;
                param.map(|t| {
                    let mut values: Vec<f32> = t.to_data().try_to_vec().unwrap();
                    values[0] = value;
                    Tensor::from_data(TensorData::new(values, t.shape()), &t.device())
                })
            }
        }
        let model = model.map(&mut Poison(poison, true));
        let model = if dtype_half { vae_lab::train::export::to_half(model) } else { model };
        let bytes = model.into_record().into_bytes().unwrap().to_vec();
        match load_vae(Variant::Baseline, bytes, &device) {
            Err(WeightsError::NotFinite { count, .. }) => assert_eq!(count, 1),
            other => panic!("{poison} (f16 {dtype_half}): {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn every_committed_model_loads_and_matches_its_metrics() {
    let _turn = common::device_rng();
    let dir = common::root().join("www/models");
    let manifest: Manifest =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest.json"))
            .expect("manifest parses");
    assert!(!manifest.variants.is_empty(), "no trained model is committed");
    let (sample, stratified) = common::shipped_sample();
    let sample = sample.subset(&(0..stratified).collect::<Vec<_>>());
    let device = Device::flex();
    for entry in &manifest.variants {
        let variant = Variant::from_name(&entry.variant).expect("known variant");
        for file in [&entry.weights, &entry.metrics] {
            let bytes = std::fs::read(dir.join(&file.file)).expect("listed file exists");
            assert_eq!(bytes.len() as u64, file.bytes, "{}: size", file.file);
            assert_eq!(sha256_hex(&bytes), file.sha256, "{}: sha256", file.file);
        }
        let weights = std::fs::read(dir.join(&entry.weights.file)).unwrap();
        assert!(weights.len() <= 1 << 20, "{}: over 1 MB", entry.weights.file);
        let metrics: Metrics =
            serde_json::from_slice(&std::fs::read(dir.join(&entry.metrics.file)).unwrap()).unwrap();
        assert_eq!(metrics.variant, entry.variant);
        assert_eq!(metrics.history.len(), metrics.epochs_done);
        assert_eq!(metrics.kl_per_dim.len(), metrics.latent_dim);
        let model = load_vae(variant, weights, &device).expect("committed weights load");
        assert_eq!(model.num_params(), metrics.params);
        let kind = variant.recon_loss();
        let eval = evaluate(&model, &sample, kind, 1, &device);
        let gap = (eval.loss - metrics.final_test_loss).abs() / metrics.final_test_loss;
        println!(
            "{variant}: loss on the {} shipped digits {:.2}, final_test_loss {:.2} ({:.2} %)",
            sample.len(),
            eval.loss,
            metrics.final_test_loss,
            gap * 100.0
        );
        assert!(gap < 0.02, "{variant}: {:.2} vs {:.2}", eval.loss, metrics.final_test_loss);
    }
}

#[test]
fn the_shipped_sample_holds_the_studys_inpainting_digits() {
    let _turn = common::device_rng();
    let (sample, stratified) = common::shipped_sample();
    assert_eq!(sample.len(), stratified + 3);
    // Test images 1098, 4865, 7584 are a 3, a 7 and a 7 (see shared/data/mnist/README.md).
    assert_eq!(&sample.labels[stratified..], &[3, 7, 7]);
    // The stratified draw follows the test set's label shares (980 … 1009 of 10,000).
    let count = |label| sample.labels[..stratified].iter().filter(|&&l| l == label).count();
    assert_eq!((count(1), count(5)), (114, 89));
}

/// The start screen's digit (the page's first build, `src/bin/vae-lab-first.rs`): the shipped
/// sample's first, a 7, byte for byte; its route from the weights file gives the engine's pixels.
#[test]
fn the_start_screens_digit_is_the_samples_first_and_the_baseline_redraws_it() {
    let _turn = common::device_rng();
    let (sample, _) = common::shipped_sample();
    let first = std::fs::read(common::root().join("src/bin/first-digit.bin")).expect("src/bin/first-digit.bin");
    let expected: Vec<f32> = sample.intensities(&[0]);
    assert_eq!(first.iter().map(|&p| f32::from(p) / 255.0).collect::<Vec<_>>(), expected);
    assert_eq!(sample.labels[0], 7);
    let weights = std::fs::read(common::root().join("www/models/baseline.bpk")).expect("committed weights");
    let redrawn = vae_lab::model::fused::reconstruct(Variant::Baseline, weights, &expected).expect("reconstructs");
    let engine = common::engine_with(Variant::Baseline);
    let layers = pollster::block_on(engine.reconstruct(Variant::Baseline, &expected)).unwrap();
    let diff = redrawn.iter().zip(&layers).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(diff <= 1e-6, "the first build's route and the engine's differ by {diff}");
}

#[test]
fn a_half_precision_file_loads_as_the_rounded_model() {
    let _turn = common::device_rng();
    let device = Device::flex();
    device.seed(3);
    let model = VaeConfig::from(Variant::Latent10).init(&device);
    let bytes = vae_lab::train::export::to_half(model.clone()).into_record().into_bytes().unwrap().to_vec();
    let f32_bytes = model.clone().into_record().into_bytes().unwrap().len();
    assert!(bytes.len() * 10 < f32_bytes * 6, "an f16 file is about half the size");
    let loaded = load_vae(Variant::Latent10, bytes, &device).expect("f16 file loads");
    let rounded = vae_lab::train::export::half_precision(&model);
    let z = Tensor::<2>::random([8, 10], Distribution::Normal(0.0, 1.0), &device);
    let a: Vec<f32> = loaded.decoder.decode(z.clone()).into_data().try_to_vec().unwrap();
    let b: Vec<f32> = rounded.decoder.decode(z).into_data().try_to_vec().unwrap();
    assert_eq!(a, b);
}

#[test]
fn every_committed_points_file_matches_its_model_and_the_sample() {
    let _turn = common::device_rng();
    let dir = common::root().join("www/models");
    let manifest: Manifest =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest.json"))
            .expect("manifest parses");
    let (sample, _) = common::shipped_sample();
    let index: serde_json::Value = serde_json::from_slice(
        &std::fs::read(common::root().join("www/data/test-sample.json")).expect("sample index"),
    )
    .expect("sample index is JSON");
    let device = Device::flex();
    for entry in &manifest.variants {
        let variant = Variant::from_name(&entry.variant).expect("known variant");
        let file = entry.points.as_ref().unwrap_or_else(|| {
            panic!("{variant} has no points file: run `cargo run --release -- points --data DIR --variant {variant}`")
        });
        let bytes = std::fs::read(dir.join(&file.file)).expect("listed file exists");
        assert_eq!((bytes.len() as u64, sha256_hex(&bytes)), (file.bytes, file.sha256.clone()), "{}", file.file);
        let points: LatentPoints = serde_json::from_slice(&bytes).expect("points parse");
        assert_eq!(points.labels, sample.labels, "{variant}: labels");
        let indices: Vec<usize> = serde_json::from_value(index["test_indices"].clone()).unwrap();
        assert_eq!(points.test_indices, indices, "{variant}: test indices");
        let weights = std::fs::read(dir.join(&entry.weights.file)).unwrap();
        let model = load_vae(variant, weights, &device).expect("committed weights load");
        let means = latent_means(&model, &sample, &device);
        let worst = means.iter().zip(&points.means).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
        assert_eq!(means.len(), points.means.len());
        assert!(worst < 2e-3, "{variant}: points are stale (max diff {worst}); rerun `points`");
        match &points.projection {
            Some(map) => {
                assert!(points.latent_dim > 2);
                assert_eq!(map.xy.len(), points.len() * 2);
                // The map keeps digits of a kind together about as well as the means do.
                let redo = knn_label_agreement(&map.xy, 2, &points.labels, 5);
                // (latent 3 keeps only 2 dimensions and mixes digits: ~0.58 either way.)
                assert!((redo - map.knn_label_agreement).abs() < 0.01, "{variant}: map agreement {redo} vs {}", map.knn_label_agreement);
                assert!(redo > 0.9 * map.knn_label_agreement_latent, "{variant}: map agreement {redo}, means' {}", map.knn_label_agreement_latent);
            }
            None => assert!(points.latent_dim <= 2, "{variant}: no map of its {}-D means", points.latent_dim),
        }
    }
}

#[test]
fn the_committed_samples_are_what_the_sample_command_writes_from_mnist() {
    let _turn = common::device_rng();
    let mnist_dir = common::root().join("../shared/data/mnist");
    if !mnist_dir.is_dir() {
        println!("no {}: the committed sample is not compared with MNIST", mnist_dir.display());
        return;
    }
    let mnist = vae_lab::train::load_mnist(&mnist_dir).expect("MNIST loads");
    let dir = tempfile::tempdir().unwrap();
    vae_lab::train::sample::write_sample(dir.path(), &mnist.test, 1000, 42).expect("sample written");
    vae_lab::train::sample::write_training_sample(dir.path(), &mnist.train, 10_000, 42).expect("training sample written");
    let training = ["train-sample-images-idx3-ubyte.gz", "train-sample-labels-idx1-ubyte.gz", "train-sample.json"];
    for name in ["test-sample-images-idx3-ubyte.gz", "test-sample-labels-idx1-ubyte.gz", "test-sample.json"].into_iter().chain(training) {
        let committed = std::fs::read(common::root().join("www/data").join(name)).expect("committed sample file");
        let written = std::fs::read(dir.path().join(name)).unwrap();
        assert!(committed == written, "www/data/{name} differs from what `vae-lab sample` writes");
    }
}
