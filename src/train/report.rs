//! The study-versus-ours table, from the metrics files (README and notes quote its output).

use std::fmt::Write;
use std::path::Path;

use crate::study::metrics::Metrics;
use crate::study::Variant;

/// A markdown table with one row per variant that has metrics in `dir`.
pub fn markdown_table(dir: &Path) -> Result<String, String> {
    let mut out = String::from(
        "| variant | epochs | study final loss | our final train loss | gap | our test loss (recon + KL) | train time | images/s | KL per dim (test) |\n\
         |---|---|---|---|---|---|---|---|---|\n",
    );
    for variant in Variant::ALL {
        let path = dir.join(format!("{}.json", variant.name()));
        let Ok(text) = std::fs::read_to_string(&path) else { continue };
        let m: Metrics = serde_json::from_str(&text)
            .map_err(|e| format!("{} is not a metrics file: {e}", path.display()))?;
        let last = m.history.last().ok_or_else(|| format!("{} has no epochs", path.display()))?;
        let study = variant.study().map(|s| s.final_loss);
        let study_text = study.map_or("–".to_string(), |s| format!("{s:.2}"));
        let gap = study.map_or("–".to_string(), |s| format!("{:+.1} %", (m.final_train_loss - s) / s * 100.0));
        let kl = runs(m.kl_per_dim.iter().map(|k| format!("{k:.2}")).collect());
        let _ = writeln!(
            out,
            "| {} | {}/{} | {} | {:.2} | {} | {:.2} ({:.2} + {:.2}) | {:.0} min | {:.0} | {} |",
            m.variant,
            m.epochs_done,
            m.protocol.epochs,
            study_text,
            m.final_train_loss,
            gap,
            m.final_test_loss,
            last.test_recon,
            last.test_kl,
            m.train_seconds / 60.0,
            m.images_per_second,
            kl.join(" / ")
        );
    }
    Ok(out)
}

/// Three or more equal values in a row as one (`0.00 ×10`), so a wide latent reads at a glance.
fn runs(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < values.len() {
        let same = values[i..].iter().take_while(|v| **v == values[i]).count();
        if same >= 3 {
            out.push(format!("{} ×{same}", values[i]));
        } else {
            out.extend(values[i..i + same].iter().cloned());
        }
        i += same;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::runs;

    #[test]
    fn runs_of_three_or_more_are_counted() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(runs(v(&["0.00", "0.00", "3.10", "0.00", "0.00", "0.00"])), v(&["0.00", "0.00", "3.10", "0.00 ×3"]));
        assert_eq!(runs(Vec::new()), Vec::<String>::new());
    }
}
