//! `vae-lab report` (the study-versus-ours table and the findings' sentences) and `vae-lab eval`
//! (every number of the Report, measured from the shipped weights).

use std::path::PathBuf;

use clap::Args;
use vae_lab::train;

/// Print the study-vs-ours table (markdown) from the metrics in www/models, and the
/// findings' sentences when `eval` has written them.
#[derive(Args)]
pub struct ReportArgs {
    #[arg(long, default_value = "www/models")]
    models: PathBuf,
}

impl ReportArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<(), String> {
        let ReportArgs { models } = self;
        print!("{}", train::report::markdown_table(&models)?);
        let path = models.join("findings.json");
        if let Ok(bytes) = std::fs::read(&path) {
            let findings: vae_lab::study::findings::Findings =
                serde_json::from_slice(&bytes).map_err(|e| format!("{} is not a findings file: {e}", path.display()))?;
            println!();
            print_sentences(&models, &findings)?;
        }
        Ok(())
    }
}

/// Measure everything the Report shows (image quality, latent use, classes kept, inpainting,
/// generated labels, seed spread) from the shipped weights: writes www/models/findings.json.
#[derive(Args)]
pub struct EvalArgs {
    /// Directory with the four MNIST IDX files.
    #[arg(long, required_unless_present = "page_only")]
    data: Option<PathBuf>,
    #[arg(long, default_value = "www/models")]
    models: PathBuf,
    /// The seed runs (scripts/report-runs.sh).
    #[arg(long, default_value = "reports/seeds")]
    seeds: PathBuf,
    /// The page's test digits (`vae-lab sample`), whose first ones are the tests' slice.
    #[arg(long, default_value = "www/data/test-sample.json")]
    sample: PathBuf,
    /// Measure nothing: read the seed runs again and draw the page's figures of the existing
    /// findings.json again (after a seed run finished, or a change to the drawings).
    #[arg(long)]
    page_only: bool,
}

impl EvalArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<(), String> {
        let EvalArgs { data, models, seeds, sample, page_only } = self;
        if page_only {
            // Measure nothing: read the seed runs again and draw the figures of the findings again.
            let path = models.join("findings.json");
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e} (run `eval` without --page-only first)", path.display()))?;
            let mut findings: vae_lab::study::findings::Findings =
                serde_json::from_slice(&bytes).map_err(|e| format!("{} is not a findings file: {e}", path.display()))?;
            findings.seeds = train::findings::measure::seed_runs(&seeds)?;
            train::findings::measure::write_findings(&models, &findings)?;
            train::export::write_manifest(&models)?;
            println!("drew the figures of {} again", path.display());
            return Ok(());
        }
        let mnist = train::load_mnist(&data.ok_or("eval needs --data DIR")?)?;
        let index = std::fs::read(&sample).map_err(|e| format!("cannot read {}: {e} (run `vae-lab sample` first)", sample.display()))?;
        let index: train::sample::SampleIndex =
            serde_json::from_slice(&index).map_err(|e| format!("{} is not a sample index: {e}", sample.display()))?;
        let first = &index.test_indices[..train::findings::measure::SLICE_DIGITS.min(index.test_indices.len())];
        if first.iter().any(|&i| i >= mnist.test.len()) {
            return Err(format!("{} names digits beyond the test set", sample.display()));
        }
        let slice = mnist.test.subset(first);
        let device = burn::prelude::Device::flex();
        let shipped = train::findings::measure::load_shipped(&models, &device)?;
        let started = std::time::Instant::now();
        let findings = train::findings::measure::findings(&shipped, &mnist.test, &slice, &seeds, &device, |variant| {
            eprintln!("{variant}: measuring ({:.0} s so far)", started.elapsed().as_secs_f64());
        })?;
        train::findings::measure::write_findings(&models, &findings)?;
        // The page fetches the findings by the hash the manifest gives.
        train::export::write_manifest(&models)?;
        print_sentences(&models, &findings)?;
        for v in &findings.variants {
            println!(
                "{}: PSNR {:.2} dB, SSIM {:.4}, BCE {:.2}, SSE {:.2}, {} of {} dimensions active, class kept {:.1} %",
                v.variant, v.quality.psnr, v.quality.ssim, v.quality.bce, v.quality.sse, v.active_units, v.latent_dim, v.class_kept * 100.0
            );
        }
        println!("wrote {} in {:.0} s", models.join("findings.json").display(), started.elapsed().as_secs_f64());
        Ok(())
    }
}

/// Prints `findings`' sentences, the seed spread with the shipped baseline (in `models`) counted.
fn print_sentences(models: &std::path::Path, findings: &vae_lab::study::findings::Findings) -> Result<(), String> {
    let shipped = train::findings::measure::shipped_metrics(models, findings)?;
    let baseline = shipped.iter().find(|m| m.variant == "baseline").map(vae_lab::study::findings::SeedRun::of);
    for sentence in vae_lab::train::findings::reading::all(findings, baseline.as_ref()) {
        println!("- {sentence}");
    }
    Ok(())
}
