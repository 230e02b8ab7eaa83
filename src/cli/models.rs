//! Subcommands that write files beside the models: the manifest, the latent points, the page's
//! icons and the report's digit classifier.

use std::path::PathBuf;

use clap::Args;
use vae_lab::study::Variant;
use vae_lab::train;

/// Rebuild www/models/manifest.json (names, sizes, SHA-256s) from the files there.
#[derive(Args)]
pub struct ManifestArgs {
    #[arg(long, default_value = "www/models")]
    models: PathBuf,
}

impl ManifestArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<(), String> {
        let ManifestArgs { models } = self;
        train::export::write_manifest(&models)?;
        println!("wrote {}", models.join("manifest.json").display());
        Ok(())
    }
}

/// Write <variant>.points.json: the latent means of the sample digits under the committed
/// weights, and a t-SNE map for more than two latent dimensions.
#[derive(Args)]
pub struct PointsArgs {
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
}

impl PointsArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<(), String> {
        let PointsArgs { data, variant, models, sample } = self;
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
}

/// Draw the page's icons and link-preview image (www/icons/) from the shipped baseline model.
#[derive(Args)]
pub struct CardArgs {
    #[arg(long, default_value = "www/models")]
    models: PathBuf,
    #[arg(long, default_value = "www/icons")]
    out: PathBuf,
}

impl CardArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<(), String> {
        let CardArgs { models, out } = self;
        let path = models.join("baseline.bpk");
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let device = burn::prelude::Device::flex();
        let model = vae_lab::model::weights::load_vae(Variant::Baseline, bytes, &device).map_err(|e| e.to_string())?;
        for name in train::card::write_cards(&model, &out, &device)? {
            println!("wrote {}", out.join(name).display());
        }
        Ok(())
    }
}

/// Train the report's digit classifier (www/models/classifier.{bpk,json}): the judge of
/// whether a reconstruction, an inpainting or a sample keeps its digit.
#[derive(Args)]
pub struct TrainClassifierArgs {
    /// Directory with the four MNIST IDX files.
    #[arg(long)]
    data: PathBuf,
    #[arg(long, default_value_t = 10)]
    epochs: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    #[arg(long, default_value = "www/models")]
    out: PathBuf,
}

impl TrainClassifierArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<(), String> {
        let TrainClassifierArgs { data, epochs, seed, out } = self;
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
}
