//! What the page loads: `<variant>.bpk` weights, `<variant>.json` metrics and a manifest with the
//! size and SHA-256 of every file, so the page can check what it fetched.

use std::path::Path;

use burn::module::Module;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::write_file;
use crate::metrics::Metrics;
use crate::model::{Vae, Variant};

/// One file the page may fetch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestFile {
    /// File name relative to the manifest.
    pub file: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the contents.
    pub sha256: String,
}

/// One variant's files.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// Variant name.
    pub variant: String,
    /// Epochs its weights have had.
    pub epochs_done: usize,
    /// The weights.
    pub weights: ManifestFile,
    /// The metrics.
    pub metrics: ManifestFile,
}

/// `manifest.json`: every variant present in the models directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Present variants, in the study's order.
    pub variants: Vec<ManifestEntry>,
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn describe(dir: &Path, file: &str) -> Result<ManifestFile, String> {
    let path = dir.join(file);
    let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(ManifestFile { file: file.into(), bytes: bytes.len() as u64, sha256: sha256_hex(&bytes) })
}

/// Writes a variant's weights and metrics into `dir` and refreshes the manifest.
pub fn export_variant(dir: &Path, model: &Vae, metrics: &Metrics) -> Result<(), String> {
    let weights = model.valid().into_record().into_bytes().map_err(|e| e.to_string())?;
    write_file(&dir.join(&metrics.weights), &weights)?;
    let json = serde_json::to_vec_pretty(metrics).map_err(|e| e.to_string())?;
    write_file(&dir.join(format!("{}.json", metrics.variant)), &json)?;
    write_manifest(dir)
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
        });
    }
    let json = serde_json::to_vec_pretty(&Manifest { variants }).map_err(|e| e.to_string())?;
    write_file(&dir.join("manifest.json"), &json)
}
