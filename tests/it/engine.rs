//! The engine the page uses, run natively on the CPU backend with the committed weights.

use crate::common;

use vae_lab::data::masked_error;
use vae_lab::engine::EngineError;
use vae_lab::study::Variant;

use common::engine_with;

fn study_digit(index: usize) -> Vec<f32> {
    let pos = [1098, 4865, 7584].iter().position(|&i| i == index).expect("a study digit");
    common::study_digit(pos)
}

#[test]
fn inpainting_the_study_hole_beats_the_zero_filled_input() {
    let _turn = common::device_rng();
    let engine = engine_with(Variant::Baseline);
    let mask: Vec<bool> = (0..784).map(|i| (10..20).contains(&(i % 28)) && (10..20).contains(&(i / 28))).collect();
    for index in [1098, 4865, 7584] {
        let image = study_digit(index);
        let zero_filled: Vec<f32> = image.iter().zip(&mask).map(|(&v, &m)| if m { 0.0 } else { v }).collect();
        let out = pollster::block_on(engine.inpaint(Variant::Baseline, &image, &mask, 20)).unwrap();
        let (zero, one, iter) = (
            masked_error(&image, &zero_filled, &mask),
            masked_error(&image, &out.one_pass, &mask),
            masked_error(&image, &out.iterative, &mask),
        );
        println!("test {index}: hidden-pixel MSE zero-filled {zero:.4}, one pass {one:.4}, iterative {iter:.4}");
        assert!(one < zero && iter < zero, "test {index}: {zero} {one} {iter}");
        // Known pixels are kept exactly by the iterative projection.
        for i in (0..784).filter(|&i| !mask[i]) {
            assert_eq!(out.iterative[i], image[i]);
        }
    }
}

#[test]
fn reconstruction_correlates_with_the_input_and_decode_is_batched() {
    let _turn = common::device_rng();
    let engine = engine_with(Variant::Baseline);
    let image = study_digit(4865);
    let out = pollster::block_on(engine.reconstruct(Variant::Baseline, &image)).unwrap();
    let mean = |v: &[f32]| v.iter().sum::<f32>() / v.len() as f32;
    let (ma, mb) = (mean(&image), mean(&out));
    let cov: f32 = image.iter().zip(&out).map(|(a, b)| (a - ma) * (b - mb)).sum();
    let va: f32 = image.iter().map(|a| (a - ma).powi(2)).sum();
    let vb: f32 = out.iter().map(|b| (b - mb).powi(2)).sum();
    let r = cov / (va * vb).sqrt();
    assert!(r > 0.7, "r = {r}");
    let grid = pollster::block_on(engine.decode(Variant::Baseline, &vec![0.5; 2 * 900])).unwrap();
    assert_eq!(grid.len(), 900 * 784);
}

#[test]
fn bad_requests_are_errors() {
    let _turn = common::device_rng();
    let engine = engine_with(Variant::Baseline);
    assert!(matches!(pollster::block_on(engine.decode(Variant::Latent10, &[0.0; 10])), Err(EngineError::NotLoaded(_))));
    assert!(matches!(pollster::block_on(engine.decode(Variant::Baseline, &[0.0; 3])), Err(EngineError::BadInput(_))));
    assert!(matches!(pollster::block_on(engine.reconstruct(Variant::Baseline, &[0.0; 100])), Err(EngineError::BadInput(_))));
}

#[test]
fn the_shipped_classifier_reads_the_shipped_test_digits_with_either_path() {
    let _turn = common::device_rng();
    let engine = vae_lab::engine::Engine::cpu();
    assert!(matches!(pollster::block_on(engine.classify(&[0.0; 784])), Err(EngineError::NotLoaded(_))));
    let bytes = std::fs::read(common::root().join("www/models/classifier.bpk")).expect("committed classifier");
    engine.install_classifier(bytes).expect("classifier loads");
    let (digits, _) = common::shipped_sample();
    let n = digits.len().min(200);
    let images = digits.intensities(&(0..n).collect::<Vec<_>>());
    let fused = pollster::block_on(engine.classify(&images)).unwrap();
    engine.set_fast_paths(false);
    let layers = pollster::block_on(engine.classify(&images)).unwrap();
    engine.set_fast_paths(true);
    assert_eq!(fused.len(), n * 10);
    let diff = fused.iter().zip(&layers).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
    assert!(diff <= 1e-4, "fused kernel against burn's layers: max diff {diff}");
    let right = fused
        .chunks(10)
        .zip(&digits.labels)
        .filter(|(p, label)| p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(d, _)| d) == Some(usize::from(**label)))
        .count();
    println!("the classifier reads {right} of {n} shipped test digits right");
    // 99.2 % on all 10,000 test digits (classifier.json).
    assert!(right as f32 >= 0.97 * n as f32, "{right} of {n}");
    assert!(matches!(pollster::block_on(engine.classify(&[0.0; 100])), Err(EngineError::BadInput(_))));
}

/// burn's layers' outputs on the shipped weights, which the browser test compares the page's CPU
/// builds with (they run the fused kernels alone, without burn's layers): `vaeLab.checkFastPath`
/// with this seed and batch decodes `scale` × N(0, I) latents and reconstructs the first shipped
/// test digits. `UPDATE_FIXTURES=1 cargo test --release --test it engine::the_fixture` rewrites
/// it (this test fails while the file disagrees with burn's layers).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct LayersOutputs {
    seed: u64,
    batch: usize,
    scale: f32,
    /// Per variant: the pixels, little-endian `f32`s in base64.
    variants: std::collections::BTreeMap<String, [String; 2]>,
}

#[test]
fn the_fixture_holds_burn_layers_outputs_and_the_fused_kernels_give_them() {
    use base64::Engine as _;
    let _turn = common::device_rng();
    let (seed, batch, scale) = (3, 4, 2.0);
    let (digits, _) = common::shipped_sample();
    let images = digits.intensities(&(0..batch).collect::<Vec<_>>());
    let mut now = LayersOutputs { seed, batch, scale, variants: Default::default() };
    for variant in [Variant::Latent10, Variant::Deeper, Variant::Baseline] {
        let engine = engine_with(variant);
        let z: Vec<f32> = vae_lab::engine::inside::epsilon(seed, batch, variant.latent_dim()).into_iter().map(|e| scale * e).collect();
        let run = || {
            let decoded = pollster::block_on(engine.decode_on_this_thread(variant, &z)).unwrap();
            (decoded, pollster::block_on(engine.reconstruct(variant, &images)).unwrap())
        };
        let fused = run();
        engine.set_fast_paths(false);
        let layers = run();
        engine.set_fast_paths(true);
        for (name, a, b) in [("decoded", &fused.0, &layers.0), ("reconstructed", &fused.1, &layers.1)] {
            assert_eq!(a.len(), batch * 784);
            let diff = a.iter().zip(b).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(diff <= 1e-4, "{variant} {name}: fused kernels {diff} from burn's layers");
        }
        let encode = |v: &[f32]| base64::engine::general_purpose::STANDARD.encode(v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>());
        now.variants.insert(variant.name().into(), [encode(&layers.0), encode(&layers.1)]);
    }
    let path = common::root().join("tests/fixtures/burn-layers-outputs.json");
    if std::env::var_os("UPDATE_FIXTURES").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&now).unwrap() + "\n").unwrap();
    }
    let shipped: LayersOutputs = serde_json::from_slice(&std::fs::read(&path).expect("tests/fixtures/burn-layers-outputs.json")).unwrap();
    assert_eq!((shipped.seed, shipped.batch, shipped.scale), (seed, batch, scale));
    let decode = |s: &str| -> Vec<f32> {
        let bytes = base64::engine::general_purpose::STANDARD.decode(s).expect("base64");
        bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
    };
    assert_eq!(shipped.variants.keys().collect::<Vec<_>>(), now.variants.keys().collect::<Vec<_>>());
    for (variant, pixels) in &now.variants {
        for (k, name) in ["decoded", "reconstructed"].iter().enumerate() {
            let (a, b) = (decode(&pixels[k]), decode(&shipped.variants[variant][k]));
            assert_eq!(a.len(), b.len());
            let diff = a.iter().zip(&b).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            // The same layers on another CPU may round the last bits differently.
            assert!(diff <= 1e-5, "{variant} {name}: {diff} from the fixture (UPDATE_FIXTURES=1 rewrites it)");
        }
    }
}
