//! Draws the Report's figures ([`PageReport`]) from the findings: what `findings.json` keeps
//! under `page`, so the page only places them.

use super::reading::label;
use super::{figures, reading};
use crate::study::findings::{ACTIVE_UNIT_THRESHOLD, Findings, SeedRun};
use crate::study::metrics::Metrics;
use crate::study::report::{PageFigure, PageReport, Sweep, VariantDrawing};

fn figure(name: &str, title: &str, reading: Option<String>, html: String, note: &str) -> PageFigure {
    PageFigure {
        name: name.into(),
        title: title.into(),
        reading: reading.unwrap_or_else(|| "Not measured yet.".into()),
        html,
        note: note.into(),
        per_variant: Vec::new(),
        sweep: None,
    }
}

/// Draws the page's figures of `f`; `shipped` are the shipped models' training records (the
/// shipped baseline is one of the seed spread's runs).
pub fn render(f: &Findings, shipped: &[Metrics]) -> PageReport {
    let baseline = shipped.iter().find(|m| m.variant == "baseline").map(SeedRun::of);
    let latent10 = f.variants.iter().find(|v| v.variant == "latent10");
    let mut out = vec![
        figure("quality", "Image quality on the same scales (§1.3)", reading::quality(f), figures::quality_table(f), ""),
        figure("latent-size", "Choosing the latent size (§3.1)", reading::latent_size(f), figures::latent_curve(f), ""),
        figure(
            "active-units",
            "Which latent dimensions are used (§1.2.2)",
            latent10.or(f.variants.first()).map(reading::active_units),
            figures::active_units(f),
            "Filled: an active unit (the variance over the test digits of E[z|x] is above 0.01; Burda et al. 2016). Hover a square for its numbers.",
        ),
    ];
    if let Some(v) = latent10 {
        let dims: Vec<usize> = v.mean_variance.iter().enumerate().filter(|(_, var)| **var > ACTIVE_UNIT_THRESHOLD).map(|(d, _)| d).collect();
        let text = format!(
            "Each row moves one of the {} active dimensions of latent 10 from −2.5 to +2.5 with the others at 0 ({}); the idle ones change nothing, so they are not drawn.",
            dims.len(),
            dims.iter().map(|d| format!("z{}", d + 1)).collect::<Vec<_>>().join(", ")
        );
        let mut sweep = figure("latent10-sweep", "What the dimensions of latent 10 carry", Some(text), String::new(), "Decoded by this page's own latent-10 model.");
        sweep.sweep = Some(Sweep { variant: v.variant.clone(), dims });
        out.push(sweep);
    }
    let mut confusion = figure("confusion", "What the classifier reads in reconstructions", None, String::new(),
        "Rows: the true digit; columns: what the reconstruction reads as. Pick another model above to see its matrix.");
    confusion.per_variant = f
        .variants
        .iter()
        .map(|v| VariantDrawing {
            variant: v.variant.clone(),
            title: format!("What the classifier reads in {} reconstructions", label(&v.variant)),
            reading: reading::confusion(v).unwrap_or_default(),
            html: figures::confusion_matrix(v),
        })
        .collect();
    if let Some(first) = confusion.per_variant.first() {
        confusion.reading = first.reading.clone();
    }
    out.push(confusion);
    out.push(figure(
        "inpainting",
        "Inpainting the whole test set (§2.1)",
        f.variants.first().and_then(reading::inpainting),
        figures::inpainting(f),
        "Each cell: mean squared error on the hidden pixels · share of digits the classifier still reads right.",
    ));
    out.push(figure(
        "study-digits",
        "The study's three inpainting digits",
        reading::study_digits(f),
        figures::study_digits(f),
        "What the classifier reads after one pass / after 20 rounds of projection (✗: not the digit's label).",
    ));
    out.push(figure(
        "generated",
        "Which digits the prior generates",
        f.variants.first().and_then(|v| v.generated.first().and_then(|g| reading::generated(&v.variant, g))),
        figures::generated(f),
        "Filled: share of 10,000 samples z ~ N(0, I) read as each digit; outlined: at temperature 0.5.",
    ));
    let spread: Vec<String> = baseline.as_ref().and_then(|b| reading::seed_spread(f, b)).into_iter().chain(reading::collapses(f, "deeper")).collect();
    out.push(figure(
        "seeds",
        "Seed spread: a gap or noise?",
        (!spread.is_empty()).then(|| spread.join(" ")),
        figures::seed_table(f, baseline.as_ref()),
        "Unfinished runs are listed with their epochs so far and left out of the spread.",
    ));
    out.push(figure(
        "loss-check",
        "Our loss against Keras' formula",
        reading::loss_check(f),
        figures::loss_check(f),
        "Test digits, z sampled with one seed, per image. The study's figure is its last epoch's mean training loss.",
    ));
    PageReport {
        intro: format!(
            "Measured by `{}` from the shipped weights on all {} test digits; meaning is judged by a digit classifier ({:.2} % right on the originals).",
            f.command,
            reading::thousands(f.test_digits),
            f.classifier.test_accuracy * 100.0
        ),
        figures: out,
    }
}
