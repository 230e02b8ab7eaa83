//! The metrics file the trainer writes beside each variant's weights and the page reads.
//!
//! Plain serde types, no burn: shared by the trainer, the tests and the page.

use serde::{Deserialize, Serialize};

/// How a variant was trained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Protocol {
    /// What it was trained and evaluated on.
    pub data: String,
    /// Training images per epoch.
    pub train_images: usize,
    /// Held-out images evaluated after each epoch.
    pub test_images: usize,
    /// Epochs asked for.
    pub epochs: usize,
    /// Images per optimisation step.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Seed of initialisation, shuffling and sampling.
    pub seed: u64,
}

/// One epoch of training, then an evaluation on the held-out set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochRecord {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean per-image loss over the epoch's training batches (as Keras reports it).
    pub train_loss: f64,
    /// Its reconstruction part.
    pub train_recon: f64,
    /// Its KL part.
    pub train_kl: f64,
    /// Mean per-image loss on the held-out test set after the epoch.
    pub test_loss: f64,
    /// Its reconstruction part.
    pub test_recon: f64,
    /// Its KL part.
    pub test_kl: f64,
    /// Wall-clock seconds of the epoch's training steps (evaluation excluded).
    pub seconds: f64,
}

/// Everything known about one trained variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// The variant's name (`model::Variant::name`).
    pub variant: String,
    /// Size of z.
    pub latent_dim: usize,
    /// `"bce"` or `"mse"`.
    pub recon_loss: String,
    /// Trainable parameters.
    pub params: usize,
    /// How it was trained.
    pub protocol: Protocol,
    /// Epochs completed so far (equals `protocol.epochs` when done).
    pub epochs_done: usize,
    /// One record per completed epoch.
    pub history: Vec<EpochRecord>,
    /// Sum of the epochs' training seconds.
    pub train_seconds: f64,
    /// Mean training throughput over the run, images per second.
    pub images_per_second: f64,
    /// Backend and machine that trained it.
    pub backend: String,
    /// `train_loss` of the last epoch.
    pub final_train_loss: f64,
    /// `test_loss` after the last epoch.
    pub final_test_loss: f64,
    /// Mean KL of each latent dimension on the test set after the last epoch.
    pub kl_per_dim: Vec<f64>,
    /// The study's reported final loss for this variant, for comparison (none for the latent
    /// sizes the study did not train).
    #[serde(default)]
    pub study_final_loss: Option<f64>,
    /// Weights file name, relative to this file.
    pub weights: String,
    /// Numeric precision of the weights file (`"f32"` or `"f16"`).
    pub weights_dtype: String,
    /// Test loss of the same weights rounded to half precision (same seed, so the difference to
    /// `final_test_loss` is the rounding alone). The file is f16 when they differ by < 0.1 %.
    #[serde(default)]
    pub f16_test_loss: Option<f64>,
}

impl Metrics {
    /// The record of a run from its epochs (none for weights loaded without a record): the
    /// training seconds, throughput and final losses follow from `history`. Callers add what only
    /// they know (parameters, backend, KL per dimension, the study's loss).
    pub fn of_run(variant: String, latent_dim: usize, recon_loss: &str, protocol: Protocol, history: Vec<EpochRecord>, weights: String) -> Metrics {
        let train_seconds: f64 = history.iter().map(|r| r.seconds).sum();
        let images_per_second = if train_seconds > 0.0 { (history.len() * protocol.train_images) as f64 / train_seconds } else { 0.0 };
        let last = history.last();
        Metrics {
            variant,
            latent_dim,
            recon_loss: recon_loss.into(),
            params: 0,
            protocol,
            epochs_done: history.len(),
            final_train_loss: last.map_or(0.0, |r| r.train_loss),
            final_test_loss: last.map_or(0.0, |r| r.test_loss),
            history,
            train_seconds,
            images_per_second,
            backend: String::new(),
            kl_per_dim: Vec::new(),
            study_final_loss: None,
            weights,
            weights_dtype: "f32".into(),
            f16_test_loss: None,
        }
    }
}

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
    /// The latent means (and projection) of the shipped test digits, when written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<ManifestFile>,
}

/// A 2-D map of latent means that have more than two dimensions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    /// How it was made, in words (method, library, parameters).
    pub method: String,
    /// Share of digits whose 5 nearest neighbours in the map mostly carry their label.
    pub knn_label_agreement: f64,
    /// The same share measured on the latent means themselves (what the map should keep).
    pub knn_label_agreement_latent: f64,
    /// `n × 2` map coordinates.
    pub xy: Vec<f32>,
}

/// `<variant>.points.json`: where the shipped test digits land in latent space, computed by the
/// trainer from the committed weights so the page need not encode a thousand digits first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatentPoints {
    /// Variant name.
    pub variant: String,
    /// Size of z.
    pub latent_dim: usize,
    /// MNIST test-set index of each digit (the order of `www/data/test-sample.json`).
    pub test_indices: Vec<usize>,
    /// Label of each digit.
    pub labels: Vec<u8>,
    /// `n × latent_dim` posterior means, rounded to 1e-3.
    pub means: Vec<f32>,
    /// For more than two latent dimensions, a 2-D map of the means.
    #[serde(default)]
    pub projection: Option<Projection>,
}

impl LatentPoints {
    /// Number of digits.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The 2-D coordinates to plot: the means themselves for latent 2, else the projection.
    pub fn plane(&self) -> Option<&[f32]> {
        match (self.latent_dim, &self.projection) {
            (2, _) => Some(&self.means),
            (_, Some(p)) => Some(&p.xy),
            _ => None,
        }
    }

    /// The mean of digit `k`.
    pub fn mean(&self, k: usize) -> Option<&[f32]> {
        self.means.get(k * self.latent_dim..(k + 1) * self.latent_dim)
    }
}

/// Share of points whose `k` nearest other points (Euclidean, in `dim` dimensions) mostly carry
/// the same label: how well a layout keeps digits of a kind together.
pub fn knn_label_agreement(values: &[f32], dim: usize, labels: &[u8], k: usize) -> f64 {
    let n = labels.len();
    if n <= k || values.len() != n * dim {
        return 0.0;
    }
    let point = |i: usize| &values[i * dim..(i + 1) * dim];
    let mut agree = 0usize;
    for i in 0..n {
        let mut dist: Vec<(f32, u8)> = (0..n)
            .filter(|&j| j != i)
            .map(|j| (point(i).iter().zip(point(j)).map(|(a, b)| (a - b) * (a - b)).sum::<f32>(), labels[j]))
            .collect();
        dist.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0));
        let same = dist[..k].iter().filter(|(_, l)| *l == labels[i]).count();
        if 2 * same > k {
            agree += 1;
        }
    }
    agree as f64 / n as f64
}

/// `manifest.json`: every variant present in the models directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Present variants, in the study's order.
    pub variants: Vec<ManifestEntry>,
    /// The report's findings (`vae-lab eval`), when written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub findings: Option<ManifestFile>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knn_agreement_tells_separated_labels_from_mixed_ones() {
        // Two tight groups far apart, labelled by group: every neighbourhood agrees.
        let values: Vec<f32> = (0..20).flat_map(|i| [if i < 10 { 0.0 } else { 10.0 }, i as f32 * 0.01]).collect();
        let grouped: Vec<u8> = (0..20).map(|i| u8::from(i >= 10)).collect();
        assert_eq!(knn_label_agreement(&values, 2, &grouped, 5), 1.0);
        // Labels alternating inside each group: neighbourhoods are split, about half agree.
        let mixed: Vec<u8> = (0..20).map(|i| (i % 2) as u8).collect();
        assert!(knn_label_agreement(&values, 2, &mixed, 5) < 0.7);
    }
}

impl Manifest {
    /// The entry of `variant`, if it was trained.
    pub fn entry(&self, variant: &str) -> Option<&ManifestEntry> {
        self.variants.iter().find(|e| e.variant == variant)
    }
}

/// Parses and checks the files the page fetches, so a damaged file is refused with a message
/// naming it instead of panicking later (an index out of bounds ends a wasm instance) or quietly
/// showing nothing. Each takes the file's bytes and the name to put in the message.
pub mod parse {
    use super::{LatentPoints, Manifest, Metrics};

    fn json<T: serde::de::DeserializeOwned>(bytes: &[u8], file: &str) -> Result<T, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("{file} is damaged ({e})"))
    }

    /// Whether a manifest may name `file`: a plain file name beside it, nothing that leaves the
    /// models folder.
    fn plain_name(file: &str) -> bool {
        !file.is_empty() && !file.contains(['/', '\\', ':', '?', '#']) && !file.starts_with('.')
    }

    /// A plain file name and a 64-digit hex SHA-256.
    fn well_formed(listed: &super::ManifestFile) -> bool {
        let hex = listed.sha256.len() == 64 && listed.sha256.bytes().all(|b| b.is_ascii_hexdigit());
        plain_name(&listed.file) && hex
    }

    /// `manifest.json`: every entry of a known variant, once, naming plain files.
    pub fn manifest(bytes: &[u8], file: &str, known: &[&str]) -> Result<Manifest, String> {
        let manifest: Manifest = json(bytes, file)?;
        let mut seen = Vec::new();
        for entry in &manifest.variants {
            if !known.contains(&entry.variant.as_str()) {
                return Err(format!("{file} lists an unknown model `{}`", entry.variant));
            }
            if seen.contains(&&entry.variant) {
                return Err(format!("{file} lists `{}` twice", entry.variant));
            }
            seen.push(&entry.variant);
            let files = [Some(&entry.weights), Some(&entry.metrics), entry.points.as_ref()];
            for listed in files.into_iter().flatten() {
                if !well_formed(listed) {
                    return Err(format!("{file} has a malformed entry for `{}` ({:?})", entry.variant, listed.file));
                }
            }
        }
        if let Some(findings) = &manifest.findings
            && !well_formed(findings)
        {
            return Err(format!("{file} has a malformed entry for the findings ({:?})", findings.file));
        }
        Ok(manifest)
    }

    /// `findings.json`, as far as the page reads it: its drawn figures, each with a plain name,
    /// a sweep only of a known model.
    pub fn findings(bytes: &[u8], file: &str, known: &[&str]) -> Result<crate::findings::page::PageReport, String> {
        let findings: crate::findings::PageFindings = json(bytes, file)?;
        for figure in &findings.page.figures {
            let plain = !figure.name.is_empty() && figure.name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            let sweep = figure.sweep.as_ref().is_none_or(|s| known.contains(&s.variant.as_str()) && s.dims.len() <= 64);
            if !plain || !sweep {
                return Err(format!("{file} has a malformed figure ({:?})", figure.name));
            }
        }
        Ok(findings.page)
    }

    /// `<variant>.json`: of `variant`, with one finite record per finished epoch.
    pub fn metrics(bytes: &[u8], file: &str, variant: &str, latent_dim: usize) -> Result<Metrics, String> {
        let metrics: Metrics = json(bytes, file)?;
        if metrics.variant != variant {
            return Err(format!("{file} is the metrics of `{}`, not `{variant}`", metrics.variant));
        }
        if metrics.history.len() != metrics.epochs_done || metrics.epochs_done == 0 {
            return Err(format!("{file} has {} epoch records for {} epochs", metrics.history.len(), metrics.epochs_done));
        }
        if metrics.latent_dim != latent_dim || metrics.kl_per_dim.len() != latent_dim {
            return Err(format!("{file} is for a latent size of {}, not {latent_dim}", metrics.latent_dim));
        }
        let finite = metrics.history.iter().all(|r| {
            [r.train_loss, r.train_recon, r.train_kl, r.test_loss, r.test_recon, r.test_kl].iter().all(|v| v.is_finite())
        }) && metrics.kl_per_dim.iter().all(|v| v.is_finite())
            && metrics.final_train_loss.is_finite()
            && metrics.final_test_loss.is_finite();
        if !finite {
            return Err(format!("{file} holds losses that are not numbers"));
        }
        Ok(metrics)
    }

    /// `<variant>.points.json`: `n` digits with labels 0–9, `n × latent_dim` finite means and,
    /// when there is one, an `n × 2` finite map.
    pub fn points(bytes: &[u8], file: &str, variant: &str, latent_dim: usize) -> Result<LatentPoints, String> {
        let points: LatentPoints = json(bytes, file)?;
        let n = points.labels.len();
        let fail = |what: &str| Err(format!("{file} is damaged ({what})"));
        if points.variant != variant || points.latent_dim != latent_dim {
            return fail(&format!("it is of `{}` with latent size {}", points.variant, points.latent_dim));
        }
        if points.test_indices.len() != n || points.means.len() != n * latent_dim {
            return fail(&format!(
                "{n} labels, {} indices and {} means for latent size {latent_dim}",
                points.test_indices.len(),
                points.means.len()
            ));
        }
        if points.labels.iter().any(|&l| l > 9) || !points.means.iter().all(|v| v.is_finite()) {
            return fail("labels above 9 or means that are not numbers");
        }
        if let Some(map) = &points.projection
            && (map.xy.len() != 2 * n || !map.xy.iter().all(|v| v.is_finite()))
        {
            return fail(&format!("a map of {} coordinates for {n} digits", map.xy.len()));
        }
        Ok(points)
    }
}

#[cfg(test)]
mod parse_tests {
    use super::parse;

    const KNOWN: [&str; 2] = ["baseline", "latent10"];

    fn points_json(means: usize, xy: Option<usize>) -> Vec<u8> {
        let mut value = serde_json::json!({
            "variant": "baseline", "latent_dim": 2, "test_indices": [3, 7, 9], "labels": [1, 2, 3],
            "means": vec![0.5f32; means],
        });
        if let Some(xy) = xy {
            value["projection"] = serde_json::json!({
                "method": "t-SNE", "knn_label_agreement": 0.9, "knn_label_agreement_latent": 0.9, "xy": vec![0.0f32; xy]
            });
        }
        serde_json::to_vec(&value).unwrap()
    }

    #[test]
    fn points_of_the_wrong_shape_are_refused_with_the_file_name() {
        assert!(parse::points(&points_json(6, None), "p.json", "baseline", 2).is_ok());
        assert!(parse::points(&points_json(6, Some(6)), "p.json", "baseline", 2).is_ok());
        // An odd number of means for latent 2 (the page used to index past the end).
        let odd = parse::points(&points_json(5, None), "p.json", "baseline", 2).unwrap_err();
        assert!(odd.contains("p.json") && odd.contains("5 means"), "{odd}");
        assert!(parse::points(&points_json(6, Some(5)), "p.json", "baseline", 2).is_err());
        assert!(parse::points(&points_json(6, None), "p.json", "latent10", 2).is_err());
        assert!(parse::points(&points_json(6, None), "p.json", "baseline", 10).is_err());
        assert!(parse::points(b"{\"variant\": \"base", "p.json", "baseline", 2).unwrap_err().contains("p.json"));
        let nan = String::from_utf8(points_json(6, None)).unwrap().replacen("0.5", "1e999", 1);
        assert!(parse::points(nan.as_bytes(), "p.json", "baseline", 2).is_err());
    }

    #[test]
    fn manifests_naming_unknown_models_or_other_folders_are_refused() {
        let entry = |variant: &str, file: &str| {
            let f = |name: &str| serde_json::json!({"file": name, "bytes": 1, "sha256": "ab".repeat(32)});
            serde_json::json!({"variant": variant, "epochs_done": 1, "weights": f(file), "metrics": f("m.json")})
        };
        let manifest = |entries: Vec<serde_json::Value>| serde_json::to_vec(&serde_json::json!({"variants": entries})).unwrap();
        assert!(parse::manifest(&manifest(vec![entry("baseline", "baseline.bpk")]), "m", &KNOWN).is_ok());
        for bad in [
            manifest(vec![entry("huge", "baseline.bpk")]),
            manifest(vec![entry("baseline", "../secret")]),
            manifest(vec![entry("baseline", "https://elsewhere.example/x.bpk")]),
            manifest(vec![entry("baseline", "a.bpk"), entry("baseline", "b.bpk")]),
            b"[1, 2".to_vec(),
        ] {
            assert!(parse::manifest(&bad, "manifest.json", &KNOWN).unwrap_err().contains("manifest.json"));
        }
    }

    #[test]
    fn metrics_of_another_model_or_without_numbers_are_refused() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/baseline.json");
        let good = std::fs::read(path).expect("committed baseline metrics");
        assert!(parse::metrics(&good, "baseline.json", "baseline", 2).is_ok());
        assert!(parse::metrics(&good, "baseline.json", "mse", 2).unwrap_err().contains("not `mse`"));
        assert!(parse::metrics(&good, "baseline.json", "baseline", 10).is_err());
        let text = String::from_utf8(good.clone()).unwrap();
        let nulls = text.replacen("\"final_test_loss\": ", "\"final_test_loss\": null, \"x\": ", 1);
        assert!(parse::metrics(nulls.as_bytes(), "baseline.json", "baseline", 2).is_err());
        assert!(parse::metrics(&good[..good.len() / 2], "baseline.json", "baseline", 2).is_err());
    }
}
