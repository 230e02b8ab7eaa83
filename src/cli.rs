//! The native CLI: train / report / sample.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use vae_lab::study::Variant;
use vae_lab::train::{self, Backend, Event, TrainOptions};

#[derive(Parser)]
#[command(version, about = "Train and export the VAE Lab models")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train (or resume) one variant; writes www/models/<variant>.{bpk,json} after every epoch.
    Train {
        /// baseline, deeper, latent1, latent10, mse (the study's), latent3, latent4 or latent16.
        #[arg(long)]
        variant: Variant,
        /// Directory with the four MNIST IDX files (.gz or raw).
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value_t = 30)]
        epochs: usize,
        #[arg(long, default_value_t = 128)]
        batch: usize,
        #[arg(long, default_value_t = 1e-3)]
        lr: f64,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Continue from the last checkpoint of this variant.
        #[arg(long)]
        resume: bool,
        /// Checkpoints directory [default: checkpoints/<variant>].
        #[arg(long)]
        checkpoint_dir: Option<PathBuf>,
        /// Where the weights, metrics and manifest go [default: www/models, the page's models;
        /// with --limit, target/smoke-models, so a smoke run never replaces a shipped model].
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Backend::Flex)]
        backend: Backend,
        /// Train on only the first N training images (smoke runs).
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Print the study-vs-ours table (markdown) from the metrics in www/models, and the
    /// findings' sentences when `eval` has written them.
    Report {
        #[arg(long, default_value = "www/models")]
        models: PathBuf,
    },
    /// Rebuild www/models/manifest.json (names, sizes, SHA-256s) from the files there.
    Manifest {
        #[arg(long, default_value = "www/models")]
        models: PathBuf,
    },
    /// Write <variant>.points.json: the latent means of the sample digits under the committed
    /// weights, and a t-SNE map for more than two latent dimensions.
    Points {
        /// Directory with the four MNIST IDX files.
        #[arg(long)]
        data: PathBuf,
        /// Variants to do [default: every variant in --models].
        #[arg(long)]
        variant: Vec<Variant>,
        #[arg(long, default_value = "www/models")]
        models: PathBuf,
        /// The sample's index (written by `sample`).
        #[arg(long, default_value = "www/data/test-sample.json")]
        sample: PathBuf,
    },
    /// Download the four MNIST files from a mirror, keeping each only if its MD5 is the
    /// published one (files already there and intact are not fetched again).
    DownloadMnist {
        /// Where to put them.
        #[arg(long, default_value = "data/mnist")]
        dir: PathBuf,
        /// Base URL serving the original file names.
        #[arg(long, default_value = train::download::DEFAULT_MIRROR)]
        mirror: String,
    },
    /// Draw the page's icons and link-preview image (www/icons/) from the shipped baseline model.
    Card {
        #[arg(long, default_value = "www/models")]
        models: PathBuf,
        #[arg(long, default_value = "www/icons")]
        out: PathBuf,
    },
    /// Measure everything the Report shows (image quality, latent use, classes kept, inpainting,
    /// generated labels, seed spread) from the shipped weights: writes www/models/findings.json.
    Eval {
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
    },
    /// Train the report's digit classifier (www/models/classifier.{bpk,json}): the judge of
    /// whether a reconstruction, an inpainting or a sample keeps its digit.
    TrainClassifier {
        /// Directory with the four MNIST IDX files.
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value_t = 10)]
        epochs: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        #[arg(long, default_value = "www/models")]
        out: PathBuf,
    },
    /// Write the small sets of real test and training digits the repository ships (www/data/).
    Sample {
        /// Directory with the four MNIST IDX files.
        #[arg(long)]
        data: PathBuf,
        #[arg(long, default_value = "www/data")]
        out: PathBuf,
        /// Test digits to draw, stratified by label (plus the study's three inpainting examples).
        #[arg(long, default_value_t = 1000)]
        count: usize,
        /// Training digits to draw, stratified by label (the page's Train mode learns from them).
        #[arg(long, default_value_t = 10_000)]
        train_count: usize,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
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

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Report { models } => {
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
        Command::Manifest { models } => {
            train::export::write_manifest(&models)?;
            println!("wrote {}", models.join("manifest.json").display());
            Ok(())
        }
        Command::Points { data, variant, models, sample } => {
            let mnist = train::load_mnist(&data)?;
            let index = std::fs::read(&sample).map_err(|e| format!("cannot read {}: {e} (run `vae-lab sample` first)", sample.display()))?;
            let index: train::sample::SampleIndex =
                serde_json::from_slice(&index).map_err(|e| format!("{} is not a sample index: {e}", sample.display()))?;
            let variants = if variant.is_empty() {
                Variant::ALL.into_iter().filter(|v| models.join(format!("{}.bpk", v.name())).is_file()).collect()
            } else {
                variant
            };
            let device = burn::prelude::Device::flex();
            for variant in variants {
                let path = models.join(format!("{}.bpk", variant.name()));
                let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                let model = vae_lab::model::weights::load_vae(variant, bytes, &device).map_err(|e| e.to_string())?;
                let started = std::time::Instant::now();
                let points = train::points::write_points(
                    &models,
                    variant,
                    &model,
                    &mnist.test,
                    &index,
                    train::points::TsneOptions::default(),
                    &device,
                )?;
                let map = points.projection.as_ref().map_or(String::new(), |p| {
                    format!(
                        "; t-SNE map: 5-NN label agreement {:.3} (on the {}-D means: {:.3})",
                        p.knn_label_agreement, points.latent_dim, p.knn_label_agreement_latent
                    )
                });
                println!("{variant}: {} points in {:.1} s{map}", points.len(), started.elapsed().as_secs_f64());
            }
            Ok(())
        }
        Command::Card { models, out } => {
            let path = models.join("baseline.bpk");
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let device = burn::prelude::Device::flex();
            let model = vae_lab::model::weights::load_vae(Variant::Baseline, bytes, &device).map_err(|e| e.to_string())?;
            for name in train::card::write_cards(&model, &out, &device)? {
                println!("wrote {}", out.join(name).display());
            }
            Ok(())
        }
        Command::DownloadMnist { dir, mirror } => {
            train::download::download(&mirror, &dir, &train::download::MNIST_FILES, |name, fetched| match fetched {
                train::download::Fetched::Present => println!("{name}: already there, checksum good"),
                train::download::Fetched::Downloaded { bytes } => println!("{name}: {bytes} bytes, MD5 checked"),
            })?;
            println!("MNIST is in {}; train with --data {}", dir.display(), dir.display());
            Ok(())
        }
        Command::Eval { page_only: true, models, seeds, .. } => {
            let path = models.join("findings.json");
            let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e} (run `eval` without --page-only first)", path.display()))?;
            let mut findings: vae_lab::study::findings::Findings =
                serde_json::from_slice(&bytes).map_err(|e| format!("{} is not a findings file: {e}", path.display()))?;
            findings.seeds = train::findings::measure::seed_runs(&seeds)?;
            train::findings::measure::write_findings(&models, &findings)?;
            train::export::write_manifest(&models)?;
            println!("drew the figures of {} again", path.display());
            Ok(())
        }
        Command::Eval { data, models, seeds, sample, .. } => {
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
        Command::TrainClassifier { data, epochs, seed, out } => {
            if epochs == 0 {
                return Err("--epochs must be at least 1".into());
            }
            let mnist = train::load_mnist(&data)?;
            let record = train::classifier::train_classifier(&mnist, epochs, seed, &out, |epoch, loss| {
                eprintln!("classifier epoch {epoch}/{epochs}: training cross-entropy {loss:.4}");
            })?;
            println!(
                "classifier: {:.2} % of the 10,000 test digits right, {} parameters, {:.0} s; wrote {}",
                record.test_accuracy * 100.0,
                record.params,
                record.seconds,
                out.join(train::classifier::WEIGHTS_FILE).display()
            );
            Ok(())
        }
        Command::Sample { data, out, count, train_count, seed } => {
            let mnist = train::load_mnist(&data)?;
            let index = train::sample::write_sample(&out, &mnist.test, count, seed)?;
            println!(
                "wrote {} test digits ({} stratified + the study's {:?}) to {}",
                index.test_indices.len(),
                index.stratified,
                train::sample::STUDY_DIGITS,
                out.display()
            );
            let training = train::sample::write_training_sample(&out, &mnist.train, train_count, seed)?;
            println!("wrote {} training digits (stratified) to {}", training.train_indices.len(), out.display());
            Ok(())
        }
        Command::Train {
            variant,
            data,
            epochs,
            batch,
            lr,
            seed,
            resume,
            checkpoint_dir,
            out,
            backend,
            limit,
        } => {
            let mut mnist = train::load_mnist(&data)?;
            let mut data_name = "MNIST: train on the 60,000 training images, evaluate on the \
                10,000 held-out test images"
                .to_string();
            if let Some(limit) = limit {
                mnist.train = train::take(&mnist.train, limit);
                data_name = format!("MNIST: first {} training images (smoke run)", mnist.train.len());
            }
            let options = TrainOptions {
                variant,
                epochs,
                batch,
                lr,
                seed,
                resume,
                checkpoint_dir: checkpoint_dir
                    .unwrap_or_else(|| PathBuf::from("checkpoints").join(variant.name())),
                out_dir: out.unwrap_or_else(|| {
                    PathBuf::from(if limit.is_some() { "target/smoke-models" } else { "www/models" })
                }),
                backend,
                stop_after: None,
            };
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed} / eta {eta})",
                )
                .map_err(|e| e.to_string())?
                .progress_chars("=> "),
            );
            let metrics = train::train(&options, &mnist, &data_name, |event| match event {
                Event::EpochStart { epoch, steps } => {
                    bar.reset();
                    bar.set_length(steps as u64);
                    bar.set_prefix(format!("{variant} epoch {epoch}/{epochs}"));
                }
                Event::Step { loss, images_per_second } => {
                    bar.inc(1);
                    bar.set_message(format!("loss {loss:.2}, {images_per_second:.0} img/s"));
                }
                Event::EpochEnd(r) => {
                    let line = format!(
                        "{variant} epoch {:>2}: train {:.2} (recon {:.2} + kl {:.2}), test {:.2} \
                         (recon {:.2} + kl {:.2}), {:.0} s, {:.0} img/s",
                        r.epoch,
                        r.train_loss,
                        r.train_recon,
                        r.train_kl,
                        r.test_loss,
                        r.test_recon,
                        r.test_kl,
                        r.seconds,
                        mnist.train.len() as f64 / r.seconds
                    );
                    // A hidden bar (output not a terminal, e.g. a log file) prints nothing.
                    if bar.is_hidden() {
                        eprintln!("{line}");
                    } else {
                        bar.println(line);
                    }
                }
            })?;
            bar.finish_and_clear();
            println!(
                "{variant}: {} epochs, final train loss {:.2} (study {}), test loss {:.2}, {:.0} img/s",
                metrics.epochs_done,
                metrics.final_train_loss,
                variant.study().map_or("–".to_string(), |s| format!("{:.2}", s.final_loss)),
                metrics.final_test_loss,
                metrics.images_per_second
            );
            Ok(())
        }
    }
}
