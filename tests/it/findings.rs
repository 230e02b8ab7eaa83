//! The shipped findings (`www/models/findings.json`, written by `vae-lab eval`) against a fresh
//! computation from the shipped weights, on the slice of test digits the file names.

use crate::common;

use burn::prelude::Device;
use vae_lab::study::findings::{Findings, VariantFindings};
use vae_lab::train::findings::measure::{SLICE_DIGITS, load_shipped, variant_findings};
use vae_lab::train::files::sha256_hex;

fn shipped_findings() -> Findings {
    let path = common::root().join("www/models/findings.json");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}; write it with `cargo run --release -- eval --data DIR`", path.display()));
    serde_json::from_slice(&bytes).expect("findings.json parses")
}

/// Floats agree to 1e-4 (relative past 1): the same code on another CPU may sum in another order.
fn close(what: &str, got: f64, want: f64) {
    assert!((got - want).abs() <= 1e-4 * want.abs().max(1.0), "{what}: recomputed {got}, shipped {want}");
}

/// Counts agree to within one digit: a digit on the classifier's decision boundary may flip
/// with the last bit of a sum on another CPU.
fn counts(what: &str, got: &[usize], want: &[usize]) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(g.abs_diff(*w) <= 1, "{what}[{k}]: recomputed {g}, shipped {w}");
    }
}

fn compare(got: &VariantFindings, want: &VariantFindings) {
    let v = &want.variant;
    assert_eq!((&got.variant, got.latent_dim, &got.recon_loss), (&want.variant, want.latent_dim, &want.recon_loss));
    close(&format!("{v} test loss"), got.test_loss, want.test_loss);
    close(&format!("{v} KL"), got.test_kl, want.test_kl);
    close(&format!("{v} BCE"), got.quality.bce, want.quality.bce);
    close(&format!("{v} SSE"), got.quality.sse, want.quality.sse);
    close(&format!("{v} PSNR"), got.quality.psnr, want.quality.psnr);
    close(&format!("{v} SSIM"), got.quality.ssim, want.quality.ssim);
    for (d, (g, w)) in got.mean_variance.iter().zip(&want.mean_variance).enumerate() {
        close(&format!("{v} Var E[z{d}|x]"), *g, *w);
    }
    assert_eq!(got.active_units, want.active_units, "{v}: active units");
    close(&format!("{v} class kept"), got.class_kept, want.class_kept);
    for (label, (g, w)) in got.confusion.iter().zip(&want.confusion).enumerate() {
        counts(&format!("{v} confusion row {label}"), g, w);
    }
    assert_eq!(got.inpainting.len(), want.inpainting.len());
    for (g, w) in got.inpainting.iter().zip(&want.inpainting) {
        assert_eq!((&g.mask, &g.method, g.rounds), (&w.mask, &w.method, w.rounds));
        close(&format!("{v} {} {} masked MSE", w.mask.name(), w.method.name()), g.masked_mse, w.masked_mse);
        assert!((g.class_kept - w.class_kept).abs() <= 1.0 / SLICE_DIGITS as f64 + 1e-12, "{v} {} {}: class kept", w.mask.name(), w.method.name());
    }
    for (g, w) in got.generated.iter().zip(&want.generated) {
        assert_eq!((g.temperature, g.samples), (w.temperature, w.samples));
        counts(&format!("{v} generated at T = {}", w.temperature), &g.counts, &w.counts);
    }
}

#[test]
fn the_shipped_findings_are_what_the_shipped_weights_give() {
    let _turn = common::device_rng();
    let findings = shipped_findings();
    let models = common::root().join("www/models");
    let device = Device::flex();
    let shipped = load_shipped(&models, &device).expect("shipped models and classifier load");
    assert_eq!(shipped.classifier_file, findings.classifier.weights, "the classifier changed since `eval` ran");
    let (sample, _) = common::shipped_sample();
    let slice = sample.subset(&(0..findings.slice_digits).collect::<Vec<_>>());
    assert_eq!(findings.slice_digits, SLICE_DIGITS);
    assert_eq!(findings.slice.len(), shipped.models.len(), "a model was added or dropped since `eval` ran");
    for ((variant, model), want) in shipped.models.iter().zip(&findings.slice) {
        let got = variant_findings(*variant, model, &shipped.classifier, &slice, SLICE_DIGITS, &device);
        compare(&got, want);
    }
}

#[test]
fn the_shipped_figures_are_what_the_drawing_code_gives() {
    let _turn = common::device_rng();
    let findings = shipped_findings();
    let shipped = findings.page.clone().expect("findings.json has the page's figures");
    let models = common::root().join("www/models");
    let metrics = vae_lab::train::findings::measure::shipped_metrics(&models, &findings).expect("training records");
    let drawn = vae_lab::train::findings::render(&Findings { page: None, ..findings }, &metrics);
    assert!(shipped == drawn, "the figures in findings.json are stale: run `cargo run --release -- eval --page-only`");
    assert!(shipped.figures.iter().all(|f| !f.reading.is_empty() && f.reading != "Not measured yet." || f.name == "seeds"), "a figure without its sentence");
}

#[test]
fn the_findings_describe_every_shipped_model_whole() {
    let _turn = common::device_rng();
    let findings = shipped_findings();
    assert_eq!(findings.test_digits, 10_000);
    assert!(findings.classifier.test_accuracy >= 0.99, "the classifier reads {} of the test digits", findings.classifier.test_accuracy);
    let weights = std::fs::read(common::root().join("www/models").join(&findings.classifier.weights.file)).expect("classifier weights");
    assert_eq!(sha256_hex(&weights), findings.classifier.weights.sha256);
    for v in &findings.variants {
        assert_eq!(v.kl_per_dim.len(), v.latent_dim, "{}", v.variant);
        assert_eq!(v.confusion.iter().flatten().sum::<usize>(), 10_000, "{}", v.variant);
        for g in &v.generated {
            assert_eq!(g.counts.iter().sum::<usize>(), g.samples, "{}", v.variant);
        }
        assert!(v.quality.ssim > 0.0 && v.quality.ssim <= 1.0, "{}: SSIM {}", v.variant, v.quality.ssim);
    }
}
