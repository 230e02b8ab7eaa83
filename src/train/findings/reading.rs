//! One plain sentence per figure of the Report, read off the numbers (the page prints them under
//! the figures, `eval` prints them for the README). Pure functions, tested natively.

use crate::study::findings::{ACTIVE_UNIT_THRESHOLD, Fill, Findings, GeneratedLabels, InpaintingScore, Mask, SeedRun, VariantFindings};
use crate::study::Variant;

/// Below this mean KL a latent dimension counts as collapsed (carries nothing).
pub(crate) const COLLAPSED_KL: f64 = 0.1;

/// The plain-words label of the variant a findings entry names (the name itself if it names
/// none): the one the sentences, the figures and the page's report use.
pub(crate) fn label(variant: &str) -> String {
    Variant::from_name(variant).map_or(variant.to_string(), |v| v.label().to_string())
}

/// 10000 → "10,000".
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn percent(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

fn find<'a>(f: &'a Findings, variant: &str) -> Option<&'a VariantFindings> {
    f.variants.iter().find(|v| v.variant == variant)
}

/// Image quality across variants (the study's §1.3).
pub(crate) fn quality(f: &Findings) -> Option<String> {
    let by_ssim = |a: &&VariantFindings, b: &&VariantFindings| a.quality.ssim.total_cmp(&b.quality.ssim);
    let best = f.variants.iter().max_by(by_ssim)?;
    let worst = f.variants.iter().min_by(by_ssim)?;
    let mut text = format!(
        "On the {} test digits {} reconstructs best (PSNR {:.1} dB, SSIM {:.3}) and {} worst (PSNR {:.1} dB, SSIM {:.3}).",
        thousands(f.test_digits),
        label(&best.variant),
        best.quality.psnr,
        best.quality.ssim,
        label(&worst.variant),
        worst.quality.psnr,
        worst.quality.ssim
    );
    if let (Some(bce), Some(mse)) = (find(f, "baseline"), find(f, "mse")) {
        text.push_str(&format!(
            " Same architecture, other loss: the MSE model scores PSNR {:.1} dB and SSIM {:.3} against the BCE baseline's {:.1} dB and {:.3}.",
            mse.quality.psnr, mse.quality.ssim, bce.quality.psnr, bce.quality.ssim
        ));
    }
    Some(text)
}

/// How many dimensions a variant uses.
pub(crate) fn active_units(v: &VariantFindings) -> String {
    let idle: Vec<String> = v
        .mean_variance
        .iter()
        .enumerate()
        .filter(|(_, var)| **var <= ACTIVE_UNIT_THRESHOLD)
        .map(|(d, _)| format!("z{}", d + 1))
        .collect();
    let name = label(&v.variant);
    let mut text = match (v.active_units, v.latent_dim) {
        (1, 1) => format!("{name} uses its one latent dimension"),
        (2, 2) => format!("{name} uses both its latent dimensions"),
        (used, all) if used == all => format!("{name} uses all {all} of its latent dimensions"),
        (used, all) => format!("{name} uses {used} of its {all} latent dimensions"),
    };
    if !idle.is_empty() {
        text.push_str(&format!(" ({} {} at the prior)", idle.join(", "), if idle.len() == 1 { "stays" } else { "stay" }));
    }
    text.push('.');
    text
}

/// The BCE, two-convolution variants by latent size: `(latent, variant)` in size order.
pub(crate) fn latent_curve(f: &Findings) -> Vec<&VariantFindings> {
    let mut curve: Vec<&VariantFindings> = f
        .variants
        .iter()
        .filter(|v| v.recon_loss == "bce" && Variant::from_name(&v.variant).is_some_and(|x| !x.architecture().deeper))
        .collect();
    curve.sort_by_key(|v| v.latent_dim);
    curve
}

/// What the latent-size curve suggests (the study's §3.1: "start with 3 or 4"): the test loss
/// by size, and how it follows the dimensions each run kept rather than its size, with the
/// finished seed runs of the curve's variants (dimensions kept: KL ≥ [`COLLAPSED_KL`]).
pub(crate) fn latent_size(f: &Findings) -> Option<String> {
    let curve = latent_curve(f);
    let best = curve.iter().min_by(|a, b| a.test_loss.total_cmp(&b.test_loss))?;
    // The smallest size whose test loss is within 2 % of the best one.
    let enough = curve.iter().find(|v| v.test_loss <= best.test_loss * 1.02)?;
    let points: Vec<String> = curve.iter().map(|v| format!("{:.1} at {}", v.test_loss, v.latent_dim)).collect();
    let mut text = format!(
        "Test loss by latent size: {}. The smallest size within 2 % of the best ({:.1}, latent {}) is {}, which uses {} of its dimensions.",
        points.join(", "),
        best.test_loss,
        best.latent_dim,
        enough.latent_dim,
        enough.active_units
    );
    // Sizes that kept the same number of dimensions as the baseline's two.
    let two: Vec<&&VariantFindings> = curve.iter().filter(|v| v.latent_dim > 2 && v.active_units == 2).collect();
    if !two.is_empty() {
        let (low, high) = two.iter().fold((f64::MAX, f64::MIN), |(l, h), v| (l.min(v.test_loss), h.max(v.test_loss)));
        let sizes: Vec<String> = two.iter().map(|v| v.latent_dim.to_string()).collect();
        text.push_str(&format!(
            " Latent {} kept only 2 dimensions{} at {}, the 2-D baseline's loss: the loss follows the dimensions a run keeps, not its size.",
            sizes.join(", "),
            if two.len() == 1 { " and ends" } else { " each and end" },
            if two.len() == 1 { format!("{low:.1}") } else { format!("{low:.1}–{high:.1}") }
        ));
    }
    for run in f.seeds.iter().filter(|r| r.epochs_done == r.epochs && curve.iter().any(|v| v.variant == r.variant && v.latent_dim > 2)) {
        let kept = run.kl_per_dim.iter().filter(|&&k| k >= COLLAPSED_KL).count();
        text.push_str(&format!(
            " {} from seed {} kept {kept} of {} and ended at {:.1}.",
            label(&run.variant),
            run.seed,
            run.kl_per_dim.len(),
            run.final_test_loss
        ));
    }
    Some(text)
}

/// How often the digit survives reconstruction.
pub(crate) fn class_kept(f: &Findings) -> Option<String> {
    let best = f.variants.iter().max_by(|a, b| a.class_kept.total_cmp(&b.class_kept))?;
    let worst = f.variants.iter().min_by(|a, b| a.class_kept.total_cmp(&b.class_kept))?;
    Some(format!(
        "The classifier ({} right on the original test digits) reads the right digit in {} of {}'s reconstructions and only {} of {}'s.",
        percent(f.classifier.test_accuracy),
        percent(best.class_kept),
        label(&best.variant),
        percent(worst.class_kept),
        label(&worst.variant)
    ))
}

/// The most common confusion of one variant, and 3 → 8 (the study's inpainting surprise).
pub(crate) fn confusion(v: &VariantFindings) -> Option<String> {
    let mut worst = None;
    for (truth, row) in v.confusion.iter().enumerate() {
        for (read, &count) in row.iter().enumerate() {
            if truth != read && worst.is_none_or(|(_, _, c)| count > c) {
                worst = Some((truth, read, count));
            }
        }
    }
    let (truth, read, count) = worst?;
    let threes: usize = v.confusion.get(3)?.iter().sum();
    let three_eight = v.confusion.get(3)?.get(8).copied()?;
    Some(format!(
        "{}: the most common change is {truth} → {read} ({count} of {} {truth}s); 3 → 8 happens to {three_eight} of {} threes.",
        label(&v.variant),
        thousands(v.confusion[truth].iter().sum::<usize>()),
        thousands(threes)
    ))
}

fn score<'a>(v: &'a VariantFindings, mask: Mask, method: Fill) -> Option<&'a InpaintingScore> {
    v.inpainting.iter().find(|s| s.mask == mask && s.method == method)
}

/// One pass against iterative projection, for one variant.
pub(crate) fn inpainting(v: &VariantFindings) -> Option<String> {
    let (zero, one, many) = (score(v, Mask::Centre, Fill::ZeroFilled)?, score(v, Mask::Centre, Fill::OnePass)?, score(v, Mask::Centre, Fill::Iterative)?);
    let random = score(v, Mask::Random, Fill::Iterative)?;
    Some(format!(
        "{} with the study's centre mask: the hidden pixels' error is {:.3} left black, {:.3} after one pass (the study's method) and {:.3} after {} rounds of projection; the digit is kept in {}, {} and {}. A random 10×10 mask is easier ({:.3}, kept in {}).",
        label(&v.variant),
        zero.masked_mse,
        one.masked_mse,
        many.masked_mse,
        many.rounds,
        percent(zero.class_kept),
        percent(one.class_kept),
        percent(many.class_kept),
        random.masked_mse,
        percent(random.class_kept)
    ))
}

/// The rarest digit among prior samples.
pub fn generated(variant: &str, g: &GeneratedLabels) -> Option<String> {
    let (rare, &count) = g.counts.iter().enumerate().min_by_key(|(_, c)| **c)?;
    let (common, &most) = g.counts.iter().enumerate().max_by_key(|(_, c)| **c)?;
    let never: Vec<String> = g.counts.iter().enumerate().filter(|(_, c)| **c == 0).map(|(d, _)| d.to_string()).collect();
    let never = if never.is_empty() { "every digit appears".to_string() } else { format!("never a {}", never.join(", ")) };
    Some(format!(
        "{} at temperature {}: {never}; the rarest is {rare} ({} of {}), the most common {common} ({}).",
        label(variant),
        g.temperature,
        thousands(count),
        thousands(g.samples),
        thousands(most)
    ))
}

/// The study's three digits: how many models keep each one's label after the study's one pass.
pub(crate) fn study_digits(f: &Findings) -> Option<String> {
    let parts: Vec<String> = f
        .study_digits
        .iter()
        .map(|d| {
            let kept = d.reads.iter().filter(|r| r.one_pass == d.label).count();
            let iterative = d.reads.iter().filter(|r| r.iterative == d.label).count();
            format!("#{} (a {}; the study saw {}) keeps its label after one pass under {kept} of {} models ({iterative} after projection)", d.test_index, d.label, d.study_saw, d.reads.len())
        })
        .collect();
    (!parts.is_empty()).then(|| format!("Read by the classifier: {}.", parts.join("; ")))
}

/// Mean ± sample standard deviation.
pub(crate) fn mean_std(values: &[f64]) -> Option<(f64, f64)> {
    if values.len() < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() - 1) as f64;
    Some((mean, var.sqrt()))
}

/// The finished runs of `variant`, the shipped one (seed 42) included.
pub(crate) fn finished<'a>(f: &'a Findings, variant: &str, shipped: Option<&'a SeedRun>) -> Vec<&'a SeedRun> {
    f.seeds.iter().chain(shipped).filter(|r| r.variant == variant && r.epochs_done == r.epochs).collect()
}

/// The seed spread of the baseline (train and test loss), given the shipped run.
pub(crate) fn seed_spread(f: &Findings, shipped: &SeedRun) -> Option<String> {
    let runs = finished(f, &shipped.variant, Some(shipped));
    let train: Vec<f64> = runs.iter().map(|r| r.final_train_loss).collect();
    let test: Vec<f64> = runs.iter().map(|r| r.final_test_loss).collect();
    let (train_mean, train_std) = mean_std(&train)?;
    let (test_mean, test_std) = mean_std(&test)?;
    let seeds: Vec<String> = runs.iter().map(|r| r.seed.to_string()).collect();
    Some(format!(
        "{} over seeds {}: final train loss {train_mean:.2} ± {train_std:.2}, test loss {test_mean:.2} ± {test_std:.2} (mean ± standard deviation of {} runs of {} epochs).",
        label(&shipped.variant),
        seeds.join(", "),
        runs.len(),
        shipped.epochs
    ))
}

/// How often a latent dimension of `variant` collapses over its seed runs.
pub(crate) fn collapses(f: &Findings, variant: &str) -> Option<String> {
    let runs: Vec<&SeedRun> = f.seeds.iter().filter(|r| r.variant == variant && r.epochs_done == r.epochs).collect();
    if runs.is_empty() {
        return None;
    }
    let collapsed: Vec<String> = runs
        .iter()
        .filter(|r| r.kl_per_dim.iter().any(|&k| k < COLLAPSED_KL))
        .map(|r| r.seed.to_string())
        .collect();
    Some(format!(
        "{}: after {} epochs, {} of {} seeds left a latent dimension collapsed (KL < {COLLAPSED_KL}){}.",
        label(variant),
        runs[0].epochs,
        collapsed.len(),
        runs.len(),
        if collapsed.is_empty() { String::new() } else { format!(": seed {}", collapsed.join(", ")) }
    ))
}

/// Whether Keras' loss formula would report other numbers for the same model.
pub(crate) fn loss_check(f: &Findings) -> Option<String> {
    let worst = f.loss_check.iter().max_by(|a, b| (a.keras - a.ours).abs().total_cmp(&(b.keras - b.ours).abs()))?;
    Some(format!(
        "Scored with Keras' formula (probabilities clipped to 1e-7) instead of ours (from logits), the same outputs differ by at most {:.4} per image ({}: {:.3} vs {:.3}): summing and clipping cannot explain a gap of several units to the study.",
        (worst.keras - worst.ours).abs(),
        label(&worst.variant),
        worst.keras,
        worst.ours
    ))
}

/// Every sentence, in the Report's order: what `eval` prints and the README quotes.
/// `shipped_baseline` is the shipped baseline's run, one of the seed spread's.
pub fn all(f: &Findings, shipped_baseline: Option<&SeedRun>) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(quality(f));
    out.extend(class_kept(f));
    out.extend(latent_size(f));
    out.extend(f.variants.iter().map(active_units));
    out.extend(f.variants.iter().filter_map(confusion));
    out.extend(f.variants.iter().filter_map(inpainting));
    out.extend(study_digits(f));
    for v in &f.variants {
        out.extend(v.generated.iter().filter_map(|g| generated(&v.variant, g)));
    }
    out.extend(shipped_baseline.and_then(|b| seed_spread(f, b)));
    out.extend(collapses(f, "deeper"));
    out.extend(loss_check(f));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::findings::{ClassifierSummary, LossCheck, Quality};
    use crate::study::metrics::ManifestFile;

    fn variant(name: &str, latent: usize, loss: f64, variance: Vec<f64>) -> VariantFindings {
        let mut confusion = vec![vec![0; 10]; 10];
        for (d, row) in confusion.iter_mut().enumerate() {
            row[d] = 90;
        }
        confusion[3][8] = 7;
        confusion[4][9] = 12;
        VariantFindings {
            variant: name.into(),
            latent_dim: latent,
            recon_loss: if name == "mse" { "mse" } else { "bce" }.into(),
            test_loss: loss,
            test_recon: loss - 5.0,
            test_kl: 5.0,
            quality: Quality { bce: loss, sse: 30.0, psnr: 15.0 + latent as f64, ssim: 0.5 + latent as f64 / 100.0 },
            kl_per_dim: vec![1.0; latent],
            active_units: variance.iter().filter(|&&v| v > 0.01).count(),
            mean_variance: variance,
            class_kept: 0.8 + latent as f64 / 100.0,
            confusion,
            inpainting: vec![],
            generated: vec![GeneratedLabels { temperature: 1.0, samples: 100, counts: vec![10, 10, 10, 10, 10, 10, 10, 10, 20, 0] }],
        }
    }

    fn findings() -> Findings {
        Findings {
            command: String::new(),
            test_digits: 10_000,
            classifier: ClassifierSummary { test_accuracy: 0.9923, params: 1, weights: ManifestFile { file: String::new(), bytes: 0, sha256: String::new() } },
            variants: vec![
                variant("baseline", 2, 153.0, vec![1.0, 1.0]),
                variant("latent1", 1, 167.0, vec![1.0]),
                variant("latent4", 4, 130.0, vec![1.0, 1.0, 1.0, 0.001]),
                variant("latent10", 10, 128.0, vec![1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]),
                variant("mse", 2, 38.0, vec![1.0, 1.0]),
            ],
            study_digits: vec![],
            seeds: vec![],
            loss_check: vec![LossCheck { variant: "baseline".into(), ours: 153.0, keras: 153.002 }],
            slice_digits: 0,
            slice: vec![],
            page: None,
        }
    }

    #[test]
    fn active_units_name_the_idle_dimensions() {
        let f = findings();
        // Counted from z1, as every view of the page counts them (Inside, Explore, the Report's bars).
        assert_eq!(active_units(&f.variants[3]), "Latent 10 uses 5 of its 10 latent dimensions (z2, z3, z4, z7, z8 stay at the prior).");
        assert_eq!(active_units(&f.variants[0]), "Baseline (latent 2) uses both its latent dimensions.");
    }

    #[test]
    fn the_latent_curve_leaves_out_other_losses_and_picks_the_smallest_size_near_the_best() {
        let f = findings();
        let sizes: Vec<usize> = latent_curve(&f).iter().map(|v| v.latent_dim).collect();
        assert_eq!(sizes, [1, 2, 4, 10], "MSE is another loss scale");
        // 130 is within 2 % of 128.
        let text = latent_size(&f).unwrap();
        assert!(text.contains("within 2 % of the best (128.0, latent 10) is 4, which uses 3 of its dimensions."), "{text}");
        assert!(!text.contains("kept only 2"), "no size above 2 kept only two: {text}");
        let mut f = f;
        f.variants[2].active_units = 2;
        f.seeds.push(SeedRun { variant: "latent10".into(), seed: 1, epochs_done: 30, epochs: 30, final_train_loss: 152.0, final_test_loss: 153.4, kl_per_dim: vec![3.0, 0.0, 0.0, 0.0, 3.1, 0.0, 0.0, 0.0, 0.0, 0.0] });
        let text = latent_size(&f).unwrap();
        assert!(text.ends_with("Latent 4 kept only 2 dimensions and ends at 130.0, the 2-D baseline's loss: the loss follows the dimensions a run keeps, not its size. Latent 10 from seed 1 kept 2 of 10 and ended at 153.4."), "{text}");
    }

    #[test]
    fn the_confusion_sentence_names_the_biggest_change_and_three_to_eight() {
        let f = findings();
        let text = confusion(&f.variants[0]).unwrap();
        assert_eq!(text, "Baseline (latent 2): the most common change is 4 → 9 (12 of 102 4s); 3 → 8 happens to 7 of 97 threes.");
    }

    #[test]
    fn generation_names_digits_never_drawn() {
        let f = findings();
        let text = generated("baseline", &f.variants[0].generated[0]).unwrap();
        assert!(text.contains("never a 9; the rarest is 9 (0 of 100), the most common 8 (20)"), "{text}");
    }

    #[test]
    fn study_digits_count_the_models_that_keep_the_label() {
        use crate::study::findings::{StudyDigit, StudyDigitRead};
        let mut f = findings();
        let read = |variant: &str, one_pass, iterative| StudyDigitRead { variant: variant.into(), zero_filled: 0, one_pass, iterative };
        f.study_digits = vec![StudyDigit {
            test_index: 7584,
            label: 7,
            study_saw: "a 7 that came back as a 9".into(),
            reads: vec![read("baseline", 7, 9), read("deeper", 9, 9), read("latent10", 9, 7)],
        }];
        assert_eq!(
            study_digits(&f).unwrap(),
            "Read by the classifier: #7584 (a 7; the study saw a 7 that came back as a 9) keeps its label after one pass under 1 of 3 models (1 after projection)."
        );
    }

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!([thousands(7), thousands(982), thousands(1010), thousands(10_000), thousands(1_234_567)], ["7", "982", "1,010", "10,000", "1,234,567"]);
    }

    #[test]
    fn seed_spread_is_the_sample_standard_deviation() {
        let (mean, std) = mean_std(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!((mean, std), (2.0, 1.0));
        assert_eq!(mean_std(&[5.0]), None, "one run has no spread");
    }

    #[test]
    fn every_sentence_is_built_from_the_numbers() {
        let mut f = findings();
        let run = |seed, loss| SeedRun { variant: "baseline".into(), seed, epochs_done: 30, epochs: 30, final_train_loss: loss, final_test_loss: loss + 1.0, kl_per_dim: vec![3.0, 3.0] };
        let shipped = run(42, 152.0);
        let sentences = all(&f, Some(&shipped));
        assert!(sentences.iter().any(|s| s.contains("Same architecture, other loss")));
        assert!(sentences.iter().any(|s| s.contains("differ by at most 0.0020")));
        // One run has no spread; with a second seed the shipped run is counted in it.
        assert!(!sentences.iter().any(|s| s.contains("over seeds")));
        f.seeds.push(run(1, 150.0));
        let spread = all(&f, Some(&shipped)).into_iter().find(|s| s.contains("over seeds")).expect("a seed-spread sentence");
        assert!(spread.contains("seeds 1, 42") && spread.contains("151.00 ± 1.41"), "{spread}");
        assert!(!all(&f, None).iter().any(|s| s.contains("over seeds")), "without the shipped run there is one run");
    }
}
