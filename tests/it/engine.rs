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
