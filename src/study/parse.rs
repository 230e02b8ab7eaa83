//! Parses and checks the files the page fetches, so a damaged file is refused with a message
//! naming it instead of panicking later (an index out of bounds ends a wasm instance) or quietly
//! showing nothing. Each takes the file's bytes and the name to put in the message.

use super::metrics::{LatentPoints, Manifest, ManifestFile, Metrics};
use super::report::{PageFindings, PageReport};

fn json<T: serde::de::DeserializeOwned>(bytes: &[u8], file: &str) -> Result<T, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{file} is damaged ({e})"))
}

/// Whether a manifest may name `file`: a plain file name beside it (`baseline.bpk`,
/// `latent10.points.json`), nothing that leaves the models folder. Percent-encoding is decoded
/// first (a browser decodes `%2e%2e%2f` into `../` on the way), then only ASCII letters, digits,
/// `-`, `_` and inner dots are allowed: no separator, no scheme, no query, no dot-only segment.
pub(crate) fn plain_name(file: &str) -> bool {
    let decoded = percent_decoded(file);
    let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    decoded == file
        && (1..=64).contains(&file.len())
        && file.bytes().all(allowed)
        && !file.starts_with('.')
        && !file.ends_with('.')
        && !file.contains("..")
}

/// `text` with its `%XX` escapes decoded (repeatedly, as layers of encoding would be); bytes
/// that do not decode to UTF-8 are kept as the escape.
fn percent_decoded(text: &str) -> String {
    let mut current = text.to_string();
    for _ in 0..4 {
        let bytes = current.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
                (b'%', Some(hi), Some(lo)) => {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                }
                (b, _, _) => {
                    out.push(b);
                    i += 1;
                }
            }
        }
        let next = String::from_utf8(out).unwrap_or_else(|_| current.clone());
        if next == current {
            break;
        }
        current = next;
    }
    current
}

/// A plain file name and a 64-digit hex SHA-256.
fn well_formed(listed: &ManifestFile) -> bool {
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
    for (what, listed) in [("the findings", &manifest.findings), ("the digit classifier", &manifest.classifier)] {
        if let Some(listed) = listed
            && !well_formed(listed)
        {
            return Err(format!("{file} has a malformed entry for {what} ({:?})", listed.file));
        }
    }
    Ok(manifest)
}

/// `findings.json`, as far as the page reads it: its drawn figures, each with a plain name,
/// a sweep only of a known model.
pub fn findings(bytes: &[u8], file: &str, known: &[&str]) -> Result<PageReport, String> {
    let findings: PageFindings = json(bytes, file)?;
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
pub(crate) fn metrics(bytes: &[u8], file: &str, variant: &str, latent_dim: usize) -> Result<Metrics, String> {
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
pub(crate) fn points(bytes: &[u8], file: &str, variant: &str, latent_dim: usize) -> Result<LatentPoints, String> {
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

#[cfg(test)]
mod tests {
    use crate::study::parse;

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

    #[test]
    fn only_plain_file_names_pass_encoded_or_not() {
        for good in ["baseline.bpk", "latent10.points.json", "findings.json", "classifier.bpk", "yours-b2.json", "a_b.bpk"] {
            assert!(parse::plain_name(good), "{good} refused");
        }
        for bad in [
            "", "..", "...", ".hidden", "name.", "a..b", "../../etc/passwd", "..\\..\\x", "a/b.bpk", "C:x", "https:x.bpk",
            "x.bpk?y", "x.bpk#y", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "%2E%2E%2Fx", "..%2fx", "%2e%2e", "x%2fy.bpk",
            "%252e%252e%252fx", "base%6Cine.bpk", "%", "x%zz", "naïve.bpk", "a b.bpk", "x\u{0}.bpk",
        ] {
            assert!(!parse::plain_name(bad), "{bad:?} accepted");
        }
        assert!(!parse::plain_name(&"a".repeat(65)));
    }
}
