//! `findings.json`: the report's answers to the study's open questions, computed by
//! `vae-lab eval` from the shipped weights and drawn by the page's Report.
//!
//! Plain serde types, no burn: shared by the trainer, the tests and the page.

use serde::{Deserialize, Serialize};

use super::metrics::{ManifestFile, Metrics};
use super::report::PageReport;

/// Var over the test digits of a dimension's posterior mean above this: an *active unit*
/// (Burda, Grosse & Salakhutdinov 2016).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) const ACTIVE_UNIT_THRESHOLD: f64 = 0.01;

/// Everything `eval` measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Findings {
    /// The command that wrote this file.
    pub command: String,
    /// Test digits every per-variant number is measured on.
    pub test_digits: usize,
    /// The judge of meaning.
    pub classifier: ClassifierSummary,
    /// One entry per shipped variant, in `Variant::ALL` order.
    pub variants: Vec<VariantFindings>,
    /// The study's three inpainting digits, with what the classifier reads in each result.
    pub study_digits: Vec<StudyDigit>,
    /// Final losses of the same variant trained from other seeds.
    pub seeds: Vec<SeedRun>,
    /// The study's loss formula (Keras: BCE of clipped probabilities) beside ours (BCE from
    /// logits) on the same outputs: does the summing or clipping explain a gap to the study?
    pub loss_check: Vec<LossCheck>,
    /// The same per-variant measurements on only the first `slice_digits` of the page's shipped
    /// test digits (`www/data`): a test recomputes these from the shipped weights and must match.
    pub slice_digits: usize,
    /// See `slice_digits`.
    pub slice: Vec<VariantFindings>,
    /// The Report's figures, drawn from the above (`train::findings::render`).
    #[serde(default)]
    pub page: Option<PageReport>,
}

/// The shipped digit classifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassifierSummary {
    /// Share of the test digits it reads right.
    pub test_accuracy: f64,
    /// Trainable parameters.
    pub(crate) params: usize,
    /// Its weights file.
    pub weights: ManifestFile,
}

/// One variant's measurements on the test digits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VariantFindings {
    /// Variant name.
    pub variant: String,
    /// Size of z.
    pub latent_dim: usize,
    /// `"bce"` or `"mse"`: what it was trained to minimise.
    pub recon_loss: String,
    /// The training loss (z sampled, seeded): reconstruction + KL per image.
    pub test_loss: f64,
    /// Its reconstruction part (in the variant's own loss).
    pub(crate) test_recon: f64,
    /// Its KL part.
    pub test_kl: f64,
    /// Image quality of the reconstruction through the posterior mean (what the page shows).
    pub quality: Quality,
    /// Mean KL of each latent dimension.
    pub kl_per_dim: Vec<f64>,
    /// Variance over the digits of each dimension's posterior mean.
    pub mean_variance: Vec<f64>,
    /// Dimensions with `mean_variance` above [`ACTIVE_UNIT_THRESHOLD`].
    pub active_units: usize,
    /// Share of digits whose reconstruction the classifier reads as their label.
    pub class_kept: f64,
    /// `confusion[label][class read in the reconstruction]`.
    pub confusion: Vec<Vec<usize>>,
    /// Inpainting, per mask and method.
    pub inpainting: Vec<InpaintingScore>,
    /// What the classifier reads in samples from the prior.
    pub generated: Vec<GeneratedLabels>,
}

/// Image quality of reconstructions, means per image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// Binary cross-entropy summed over the 784 pixels.
    pub bce: f64,
    /// Squared error summed over the 784 pixels.
    pub sse: f64,
    /// Peak signal-to-noise ratio, dB (peak 1).
    pub psnr: f64,
    /// Structural similarity (11×11 Gaussian window, σ = 1.5).
    pub ssim: f64,
}

/// Where an inpainting test hides a digit's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mask {
    /// The study's rows/cols 10..20.
    Centre,
    /// A 10×10 square at a seeded random place per digit.
    Random,
}

impl Mask {
    /// Both, the study's first.
    pub const ALL: [Mask; 2] = [Mask::Centre, Mask::Random];

    /// Its name in the findings file and the tables.
    pub fn name(self) -> &'static str {
        match self {
            Mask::Centre => "centre",
            Mask::Random => "random",
        }
    }
}

/// How an inpainting test fills the hidden pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Fill {
    /// The hole left black.
    #[serde(rename = "zero-filled")]
    ZeroFilled,
    /// The study's: the masked digit reconstructed once, known pixels kept.
    #[serde(rename = "one pass")]
    OnePass,
    /// Rounds of projection: keep the known pixels, refill the hole with the reconstruction.
    #[serde(rename = "iterative")]
    Iterative,
}

impl Fill {
    /// All three, in the figures' order.
    pub const ALL: [Fill; 3] = [Fill::ZeroFilled, Fill::OnePass, Fill::Iterative];

    /// Its name in the findings file and the figures.
    pub fn name(self) -> &'static str {
        match self {
            Fill::ZeroFilled => "zero-filled",
            Fill::OnePass => "one pass",
            Fill::Iterative => "iterative",
        }
    }
}

/// Inpainting of one mask kind by one method, over the test digits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InpaintingScore {
    /// Where the pixels are hidden.
    pub mask: Mask,
    /// How they are filled.
    pub method: Fill,
    /// Rounds of reconstruction (0, 1, or the page's default).
    pub rounds: usize,
    /// Mean squared error on the hidden pixels.
    pub masked_mse: f64,
    /// Share of digits the classifier reads as their label after filling.
    pub class_kept: f64,
}

/// The classifier's labels for samples from the prior.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedLabels {
    /// z ~ N(0, temperature² I).
    pub temperature: f64,
    /// Samples drawn.
    pub samples: usize,
    /// How many read as each digit 0..9.
    pub counts: Vec<usize>,
}

/// One of the study's inpainting digits under one variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StudyDigit {
    /// MNIST test index.
    pub(crate) test_index: usize,
    /// Its label.
    pub(crate) label: u8,
    /// What the study saw in its one-pass inpainting (its §2.1), in words.
    pub(crate) study_saw: String,
    /// Per variant: the class read in the zero-filled, one-pass and iterative results.
    pub(crate) reads: Vec<StudyDigitRead>,
}

/// What the classifier reads in one variant's inpaintings of a study digit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct StudyDigitRead {
    /// Variant name.
    pub(crate) variant: String,
    /// The masked digit as it is.
    pub(crate) zero_filled: u8,
    /// After the study's one pass.
    pub(crate) one_pass: u8,
    /// After iterative projection.
    pub(crate) iterative: u8,
}

/// A finished or partial training run of a variant from another seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedRun {
    /// Variant name.
    pub(crate) variant: String,
    /// Seed of initialisation, shuffling and sampling.
    pub(crate) seed: u64,
    /// Epochs done (of `epochs`).
    pub(crate) epochs_done: usize,
    /// Epochs asked for.
    pub(crate) epochs: usize,
    /// Mean training loss of the last epoch.
    pub(crate) final_train_loss: f64,
    /// Test loss after the last epoch.
    pub(crate) final_test_loss: f64,
    /// KL of each latent dimension on the test set.
    pub(crate) kl_per_dim: Vec<f64>,
}

impl SeedRun {
    /// A shipped model's run, from its training record.
    pub fn of(m: &Metrics) -> SeedRun {
        SeedRun {
            variant: m.variant.clone(),
            seed: m.protocol.seed,
            epochs_done: m.epochs_done,
            epochs: m.protocol.epochs,
            final_train_loss: m.final_train_loss,
            final_test_loss: m.final_test_loss,
            kl_per_dim: m.kl_per_dim.clone(),
        }
    }
}

/// The same model outputs scored two ways.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LossCheck {
    /// Variant name.
    pub(crate) variant: String,
    /// Our loss per image (BCE from logits + KL), test digits, z sampled.
    pub(crate) ours: f64,
    /// Keras' formula on the same outputs: probabilities clipped to [1e-7, 1 − 1e-7], f32.
    pub(crate) keras: f64,
}
