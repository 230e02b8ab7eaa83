//! What the page loads: `<variant>.bpk` weights, `<variant>.json` metrics and a manifest with the
//! size and SHA-256 of every file, so the page can check what it fetched.

use std::path::Path;

use burn::module::{Module, ModuleMapper, Param};
use burn::prelude::*;
use burn::tensor::DType;

use super::files::{sha256_hex, write_file};
pub use crate::study::metrics::{Manifest, ManifestEntry, ManifestFile};
use crate::study::metrics::Metrics;
use crate::model::Vae;
use crate::study::Variant;

/// Largest relative change of the test loss for which weights ship in half precision.
pub(crate) const HALF_TOLERANCE: f64 = 1e-3;

/// Rounds every parameter to f16 (the file then holds f16; loading widens it back to f32).
struct ToHalf;

impl ModuleMapper for ToHalf {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        param.map(|tensor| tensor.cast(DType::F16))
    }
}

/// The model with its parameters stored in half precision (what an f16 weights file holds).
pub fn to_half(model: Vae) -> Vae {
    model.map(&mut ToHalf)
}

/// The model with its parameters rounded to half precision and widened back to f32, so it
/// computes exactly what the f16 file will give once loaded.
pub fn half_precision(model: &Vae) -> Vae {
    struct ToFull;
    impl ModuleMapper for ToFull {
        fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
            param.map(|tensor| tensor.cast(DType::F32))
        }
    }
    to_half(model.clone()).map(&mut ToFull)
}

fn describe(dir: &Path, file: &str) -> Result<ManifestFile, String> {
    let path = dir.join(file);
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(ManifestFile { file: file.into(), bytes: bytes.len() as u64, sha256: sha256_hex(&bytes) })
}

/// Writes a variant's weights (in `metrics.weights_dtype`) and metrics into `dir` and refreshes
/// the manifest.
pub fn export_variant(dir: &Path, model: &Vae, metrics: &Metrics) -> Result<(), String> {
    let model = model.valid();
    let model = if metrics.weights_dtype == "f16" { to_half(model) } else { model };
    let weights = model.into_record().into_bytes().map_err(|e| e.to_string())?;
    write_file(&dir.join(&metrics.weights), &weights)?;
    let json = serde_json::to_vec_pretty(metrics).map_err(|e| e.to_string())?;
    write_file(&dir.join(format!("{}.json", metrics.variant)), &json)?;
    write_manifest(dir)
}

/// Name of a variant's latent points file.
pub fn points_file(variant: Variant) -> String {
    format!("{}.points.json", variant.name())
}

/// Rebuilds `manifest.json` from the variants whose weights and metrics are in `dir`.
pub fn write_manifest(dir: &Path) -> Result<(), String> {
    let mut variants = Vec::new();
    for variant in Variant::ALL {
        let metrics_file = format!("{}.json", variant.name());
        let Ok(text) = std::fs::read_to_string(dir.join(&metrics_file)) else {
            continue;
        };
        let metrics: Metrics = serde_json::from_str(&text)
            .map_err(|e| format!("{metrics_file} is not a metrics file: {e}"))?;
        variants.push(ManifestEntry {
            variant: variant.name().into(),
            epochs_done: metrics.epochs_done,
            weights: describe(dir, &metrics.weights)?,
            metrics: describe(dir, &metrics_file)?,
            points: match points_file(variant) {
                file if dir.join(&file).is_file() => Some(describe(dir, &file)?),
                _ => None,
            },
        });
    }
    let findings = match "findings.json" {
        file if dir.join(file).is_file() => Some(describe(dir, file)?),
        _ => None,
    };
    let classifier = match crate::model::classifier::WEIGHTS_FILE {
        file if dir.join(file).is_file() => Some(describe(dir, file)?),
        _ => None,
    };
    let json = serde_json::to_vec_pretty(&Manifest { variants, findings, classifier }).map_err(|e| e.to_string())?;
    write_file(&dir.join("manifest.json"), &json)
}
