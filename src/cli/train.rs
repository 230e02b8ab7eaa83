//! `vae-lab train`: a variant trained (or resumed) with a progress bar, its weights and
//! metrics written after every epoch.

use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use vae_lab::study::Variant;
use vae_lab::train::{self, Backend, Event, TrainOptions};

/// Train (or resume) one variant; writes www/models/<variant>.{bpk,json} after every epoch.
#[derive(Args)]
pub struct TrainArgs {
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
}

impl TrainArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<(), String> {
        let TrainArgs { variant, data, epochs, batch, lr, seed, resume, checkpoint_dir, out, backend, limit } = self;
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
