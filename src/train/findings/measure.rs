//! `vae-lab eval`: every number of the report, from the shipped weights and the MNIST test
//! digits, into `findings.json`.

use std::path::Path;

use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::StandardNormal;

use crate::train::classifier::{self, classify};
use crate::train::evaluate::evaluate;
use crate::train::sample::STUDY_DIGITS;
use crate::train::files::write_file;
use crate::data::quality::{psnr, ssim};
use crate::data::{Digits, PIXELS, SIDE};
use crate::study::findings::*;
use crate::study::metrics::{ManifestFile, Metrics};
use crate::model::classifier::{CLASSES, DigitClassifier};
use crate::model::weights::load_vae;
use crate::model::{Vae, VaeOutput, vae_loss};
use crate::study::{ReconLoss, Variant};
use crate::model::VaeConfig;

/// Rounds of iterative inpainting (the page's default).
pub(crate) const INPAINT_ROUNDS: usize = 20;
/// Temperatures of the generated-label histograms.
pub(crate) const TEMPERATURES: [f64; 2] = [1.0, 0.5];
/// Prior samples per variant and temperature (the whole run; a slice draws as many as digits).
pub(crate) const SAMPLES: usize = 10_000;
/// Test digits of the slice the tests recompute (the first of `www/data`'s).
pub const SLICE_DIGITS: usize = 100;
/// Seed of the sampled loss, the random masks and the prior samples.
const SEED: u64 = 42;
/// The study's centre mask: rows and columns 10..20.
const CENTRE: (usize, usize) = (10, 10);
/// Side of every mask.
const HOLE: usize = 10;

/// What the study saw in its one-pass inpaintings (§2.1), in the order of `STUDY_DIGITS`.
const STUDY_SAW: [&str; 3] = ["a 3 that came back as an 8", "a 7 that stayed a 7", "a 7 that came back as a 9"];

/// The shipped models and classifier, loaded.
pub struct Shipped {
    /// Every variant with weights in the models directory, in `Variant::ALL` order.
    pub models: Vec<(Variant, Vae)>,
    /// The digit classifier.
    pub classifier: DigitClassifier,
    /// Its record.
    pub(crate) classifier_record: classifier::ClassifierRecord,
    /// Its weights file.
    pub classifier_file: ManifestFile,
}

/// Loads what `models` ships (weights of every variant there, and the classifier).
pub fn load_shipped(models: &Path, device: &Device) -> Result<Shipped, String> {
    let read = |file: &str| {
        let path = models.join(file);
        std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
    };
    let mut loaded = Vec::new();
    for variant in Variant::ALL {
        let file = format!("{}.bpk", variant.name());
        if !models.join(&file).is_file() {
            continue;
        }
        loaded.push((variant, load_vae(variant, read(&file)?, device).map_err(|e| e.to_string())?));
    }
    let bytes = read(classifier::WEIGHTS_FILE)?;
    let classifier_file = ManifestFile {
        file: classifier::WEIGHTS_FILE.into(),
        bytes: bytes.len() as u64,
        sha256: crate::train::files::sha256_hex(&bytes),
    };
    let classifier = classifier::load_classifier(bytes).map_err(|e| e.to_string())?;
    let record = read(classifier::RECORD_FILE)?;
    let classifier_record = serde_json::from_slice(&record)
        .map_err(|e| format!("{} is not a classifier record: {e}", classifier::RECORD_FILE))?;
    Ok(Shipped { models: loaded, classifier, classifier_record, classifier_file })
}

/// Measures everything on `test`, again on `slice` (the first [`SLICE_DIGITS`] of the page's
/// shipped test digits, which a test recomputes) and reads the seed runs under `seeds_dir`.
pub fn findings(shipped: &Shipped, test: &Digits, slice: &Digits, seeds_dir: &Path, device: &Device, mut progress: impl FnMut(&str)) -> Result<Findings, String> {
    let mut variants = Vec::new();
    let mut loss_check = Vec::new();
    for (variant, model) in &shipped.models {
        progress(variant.name());
        variants.push(variant_findings(*variant, model, &shipped.classifier, test, SAMPLES, device));
        if variant.recon_loss() == ReconLoss::Bce {
            loss_check.push(keras_loss_check(*variant, model, test, device));
        }
    }
    let slice_digits = slice.len();
    let slice = shipped
        .models
        .iter()
        .map(|(variant, model)| variant_findings(*variant, model, &shipped.classifier, slice, slice_digits, device))
        .collect();
    Ok(Findings {
        command: "cargo run --release -- eval --data DIR".into(),
        test_digits: test.len(),
        classifier: ClassifierSummary {
            test_accuracy: shipped.classifier_record.test_accuracy,
            params: shipped.classifier_record.params,
            weights: shipped.classifier_file.clone(),
        },
        variants,
        study_digits: study_digits(shipped, test, device),
        seeds: seed_runs(seeds_dir)?,
        loss_check,
        slice_digits,
        slice,
        page: None,
    })
}

/// The training records of the models in `findings`, from `models`.
pub fn shipped_metrics(models: &Path, findings: &Findings) -> Result<Vec<Metrics>, String> {
    findings
        .variants
        .iter()
        .map(|v| {
            let path = models.join(format!("{}.json", v.variant));
            let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            serde_json::from_str(&text).map_err(|e| format!("{} is not a metrics file: {e}", path.display()))
        })
        .collect()
}

/// Draws the page's figures of `findings` and writes both into `models/findings.json`.
pub fn write_findings(models: &Path, findings: &Findings) -> Result<Findings, String> {
    let mut findings = findings.clone();
    findings.page = Some(super::render(&findings, &shipped_metrics(models, &findings)?));
    let json = serde_json::to_vec_pretty(&findings).map_err(|e| e.to_string())?;
    write_file(&models.join("findings.json"), &json)?;
    Ok(findings)
}

/// One variant's measurements on `digits`, with `samples` prior samples per temperature.
pub fn variant_findings(variant: Variant, model: &Vae, judge: &DigitClassifier, digits: &Digits, samples: usize, device: &Device) -> VariantFindings {
    let config = VaeConfig::from(variant);
    let latent = config.latent_dim;
    let evaluation = evaluate(model, digits, config.recon_loss, SEED, device);
    let n = digits.len();
    let originals = digits.intensities(&(0..n).collect::<Vec<_>>());

    // Reconstruction through the posterior mean; BCE from the logits.
    let (mut reconstructions, mut means, mut bce) = (Vec::with_capacity(n * PIXELS), Vec::with_capacity(n * latent), 0.0);
    for chunk in originals.chunks(500 * PIXELS) {
        let images = image_tensor(chunk, device);
        let (mean, _) = model.encoder.forward(images.clone());
        let logits = model.decoder.forward(mean.clone());
        let errors = crate::model::loss::reconstruction_error(logits.clone(), images, ReconLoss::Bce);
        bce += errors.sum().into_scalar::<f32>() as f64;
        reconstructions.extend(read(sigmoid(logits)));
        means.extend(read(mean));
    }
    let pairs = || originals.chunks_exact(PIXELS).zip(reconstructions.chunks_exact(PIXELS));
    let sse: f64 = pairs().map(|(a, b)| a.iter().zip(b).map(|(&x, &y)| f64::from(x - y).powi(2)).sum::<f64>()).sum();
    let quality = Quality {
        bce: bce / n as f64,
        sse: sse / n as f64,
        psnr: pairs().map(|(a, b)| psnr(a, b)).sum::<f64>() / n as f64,
        ssim: pairs().map(|(a, b)| ssim(a, b)).sum::<f64>() / n as f64,
    };

    let mean_variance: Vec<f64> = (0..latent)
        .map(|d| {
            let values: Vec<f64> = means.chunks_exact(latent).map(|m| f64::from(m[d])).collect();
            let mu = values.iter().sum::<f64>() / n as f64;
            values.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / n as f64
        })
        .collect();

    let read_back = classify(judge, &reconstructions, device);
    let mut confusion = vec![vec![0usize; CLASSES]; CLASSES];
    for (&label, &class) in digits.labels.iter().zip(&read_back) {
        confusion[usize::from(label)][usize::from(class)] += 1;
    }

    let mut inpainting = Vec::new();
    for mask in Mask::ALL {
        let holes: Vec<Vec<bool>> = (0..n).map(|i| hole(mask, i)).collect();
        for (method, rounds) in [(Fill::ZeroFilled, 0), (Fill::OnePass, 1), (Fill::Iterative, INPAINT_ROUNDS)] {
            let filled = inpaint(model, &originals, &holes, rounds, device);
            let (mut sum, mut count) = (0.0, 0usize);
            for ((a, b), h) in originals.chunks_exact(PIXELS).zip(filled.chunks_exact(PIXELS)).zip(&holes) {
                for ((&x, &y), &m) in a.iter().zip(b).zip(h) {
                    if m {
                        sum += f64::from(x - y).powi(2);
                        count += 1;
                    }
                }
            }
            inpainting.push(InpaintingScore {
                mask,
                method,
                rounds,
                masked_mse: sum / count.max(1) as f64,
                class_kept: kept(&classify(judge, &filled, device), &digits.labels),
            });
        }
    }

    let generated = TEMPERATURES
        .iter()
        .map(|&temperature| {
            let z = prior(latent, samples, temperature);
            let mut pixels = Vec::with_capacity(samples * PIXELS);
            for chunk in z.chunks(500 * latent) {
                let rows = chunk.len() / latent;
                pixels.extend(read(model.decoder.decode(Tensor::from_data(TensorData::new(chunk.to_vec(), [rows, latent]), device))));
            }
            let mut counts = vec![0usize; CLASSES];
            for class in classify(judge, &pixels, device) {
                counts[usize::from(class)] += 1;
            }
            GeneratedLabels { temperature, samples, counts }
        })
        .collect();

    VariantFindings {
        variant: variant.name().into(),
        latent_dim: latent,
        recon_loss: config.recon_loss.name().into(),
        test_loss: evaluation.loss,
        test_recon: evaluation.recon,
        test_kl: evaluation.kl,
        quality,
        kl_per_dim: evaluation.kl_per_dim,
        active_units: mean_variance.iter().filter(|&&v| v > ACTIVE_UNIT_THRESHOLD).count(),
        mean_variance,
        class_kept: kept(&read_back, &digits.labels),
        confusion,
        inpainting,
        generated,
    }
}

/// The hidden pixels of digit `index` under a mask kind: the study's centre square, or a
/// 10×10 square placed by a generator seeded with the digit's index (so a slice of the test set
/// gets the very masks the whole run gave its first digits).
pub fn hole(mask: Mask, index: usize) -> Vec<bool> {
    let (top, left) = if mask == Mask::Centre {
        CENTRE
    } else {
        let mut rng = StdRng::seed_from_u64(SEED ^ (index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        (rng.random_range(0..=SIDE - HOLE), rng.random_range(0..=SIDE - HOLE))
    };
    (0..PIXELS).map(|p| (top..top + HOLE).contains(&(p / SIDE)) && (left..left + HOLE).contains(&(p % SIDE))).collect()
}

/// Fills each digit's hole: `rounds` 0 leaves it black; 1 is the study's single pass (the
/// reconstruction of the masked digit, known pixels kept); more repeat it on the filled digit.
pub fn inpaint(model: &Vae, originals: &[f32], holes: &[Vec<bool>], rounds: usize, device: &Device) -> Vec<f32> {
    let masked: Vec<f32> = originals.chunks_exact(PIXELS).zip(holes).flat_map(|(a, h)| a.iter().zip(h).map(|(&x, &m)| if m { 0.0 } else { x })).collect();
    let mut current = masked.clone();
    for _ in 0..rounds {
        let mut guess = Vec::with_capacity(current.len());
        for chunk in current.chunks(500 * PIXELS) {
            guess.extend(read(model.reconstruct(image_tensor(chunk, device))));
        }
        current = masked
            .chunks_exact(PIXELS)
            .zip(guess.chunks_exact(PIXELS))
            .zip(holes)
            .flat_map(|((k, g), h)| k.iter().zip(g).zip(h).map(|((&k, &g), &m)| if m { g } else { k }).collect::<Vec<_>>())
            .collect();
    }
    current
}

/// `count` draws of z ~ N(0, temperature² I), seeded per temperature.
fn prior(latent: usize, count: usize, temperature: f64) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(SEED.wrapping_add((temperature * 1000.0) as u64));
    (0..count * latent).map(|_| (temperature * rng.sample::<f64, _>(StandardNormal)) as f32).collect()
}

/// What the classifier reads in each variant's inpaintings of the study's three digits.
fn study_digits(shipped: &Shipped, test: &Digits, device: &Device) -> Vec<StudyDigit> {
    STUDY_DIGITS
        .iter()
        .zip(STUDY_SAW)
        .filter(|(i, _)| **i < test.len())
        .map(|(&index, saw)| {
            let original = test.intensities(&[index]);
            let holes = vec![hole(Mask::Centre, index)];
            let reads = shipped
                .models
                .iter()
                .map(|(variant, model)| {
                    let class = |rounds| classify(&shipped.classifier, &inpaint(model, &original, &holes, rounds, device), device)[0];
                    StudyDigitRead { variant: variant.name().into(), zero_filled: class(0), one_pass: class(1), iterative: class(INPAINT_ROUNDS) }
                })
                .collect();
            StudyDigit { test_index: index, label: test.labels[index], study_saw: saw.into(), reads }
        })
        .collect()
}

/// The metrics of every seed run under `dir` (`<variant>-seed<N>/<variant>.json`).
pub fn seed_runs(dir: &Path) -> Result<Vec<SeedRun>, String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Ok(Vec::new()) };
    let mut runs = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some((variant, _)) = name.split_once("-seed") else { continue };
        let path = entry.path().join(format!("{variant}.json"));
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let m: Metrics = serde_json::from_str(&text).map_err(|e| format!("{} is not a metrics file: {e}", path.display()))?;
        runs.push(SeedRun {
            variant: m.variant,
            seed: m.protocol.seed,
            epochs_done: m.epochs_done,
            epochs: m.protocol.epochs,
            final_train_loss: m.final_train_loss,
            final_test_loss: m.final_test_loss,
            kl_per_dim: m.kl_per_dim,
        });
    }
    runs.sort_by(|a, b| (&a.variant, a.seed).cmp(&(&b.variant, b.seed)));
    Ok(runs)
}

/// Our loss and Keras' formula on the same sampled outputs of the test digits.
fn keras_loss_check(variant: Variant, model: &Vae, test: &Digits, device: &Device) -> LossCheck {
    let mut noise = crate::model::Noise::seeded(SEED);
    let (mut ours, mut keras) = (0.0, 0.0);
    let all: Vec<usize> = (0..test.len()).collect();
    for chunk in all.chunks(1000) {
        let images = crate::train::batch_tensor(test, chunk, device);
        let output: VaeOutput = model.forward(images.clone(), &mut noise);
        let loss = vae_loss(&output, images.clone(), ReconLoss::Bce);
        let weight = chunk.len() as f64;
        ours += f64::from(loss.total.into_scalar::<f32>()) * weight;
        // keras.losses.binary_crossentropy on probabilities: clip to [ε, 1 − ε], ε = 1e-7.
        let p = sigmoid(output.logits).clamp(1e-7, 1.0 - 1e-7);
        let bce = (images.clone() * p.clone().log() + images.neg().add_scalar(1.0) * p.neg().add_scalar(1.0).log()).neg();
        let recon = bce.flatten::<2>(1, 3).sum_dim(1).mean();
        keras += f64::from((recon + loss.kl).into_scalar::<f32>()) * weight;
    }
    let n = test.len().max(1) as f64;
    LossCheck { variant: variant.name().into(), ours: ours / n, keras: keras / n }
}

fn kept(classes: &[u8], labels: &[u8]) -> f64 {
    classes.iter().zip(labels).filter(|(c, l)| c == l).count() as f64 / labels.len().max(1) as f64
}

fn image_tensor(pixels: &[f32], device: &Device) -> Tensor<4> {
    Tensor::from_data(TensorData::new(pixels.to_vec(), [pixels.len() / PIXELS, 1, SIDE, SIDE]), device)
}

fn read<const D: usize>(tensor: Tensor<D>) -> Vec<f32> {
    tensor.into_data().convert::<f32>().try_into_vec::<f32>().unwrap_or_default()
}
