//! The five variants of the study, as one [`VaeConfig`] each.

use burn::config::Config;
use burn::prelude::Device;

use super::Vae;
use super::decoder::DecoderConfig;
use super::encoder::EncoderConfig;

/// Which reconstruction term the loss uses.
#[derive(Config, Debug, Copy, PartialEq, Eq)]
pub enum ReconLoss {
    /// Binary cross-entropy summed over the 784 pixels.
    Bce,
    /// Squared error summed over the 784 pixels.
    Mse,
}

impl ReconLoss {
    /// The name written in metrics files (`"bce"` / `"mse"`).
    pub fn name(&self) -> &'static str {
        match self {
            ReconLoss::Bce => "bce",
            ReconLoss::Mse => "mse",
        }
    }
}

/// Architecture of a VAE: the Keras example, parameterised by its variants.
#[derive(Config, Debug)]
pub struct VaeConfig {
    /// Size of the latent vector z.
    pub latent_dim: usize,
    /// Filters of the stride-2 convolutions, input side first; the decoder mirrors them.
    #[config(default = "vec![32, 64]")]
    pub conv_filters: Vec<usize>,
    /// Units of the dense layer between the convolutions and the latent heads.
    #[config(default = 16)]
    pub hidden: usize,
    /// Side of the square input and output images.
    #[config(default = 28)]
    pub image_side: usize,
    /// Reconstruction term of the loss.
    #[config(default = "ReconLoss::Bce")]
    pub recon_loss: ReconLoss,
}

impl VaeConfig {
    /// Builds the encoder and decoder with freshly initialised weights on `device`.
    pub fn init(&self, device: &Device) -> Vae {
        Vae {
            encoder: EncoderConfig::new(self.latent_dim, self.conv_filters.clone())
                .with_hidden(self.hidden)
                .with_image_side(self.image_side)
                .init(device),
            decoder: DecoderConfig::new(self.latent_dim, self.conv_filters.clone())
                .with_image_side(self.image_side)
                .init(device),
        }
    }

    /// Side lengths after each stride-2 `same` convolution: 28 → 14 → 7 (→ 4).
    pub fn feature_sides(image_side: usize, layers: usize) -> Vec<usize> {
        let mut sides = vec![image_side];
        for _ in 0..layers {
            let last = sides[sides.len() - 1];
            sides.push(last.div_ceil(2));
        }
        sides
    }
}

/// The five variants of the study, and the latent sizes the report adds to answer the study's
/// "start with 3 or 4" (§3.1). Their names are used everywhere: CLI, files, page, links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// 2 convolutions, latent 2, BCE: the Keras example as written.
    Baseline,
    /// A third 128-filter convolution and its mirrored transposed convolution, latent 2, BCE.
    Deeper,
    /// Latent 1, BCE.
    Latent1,
    /// Latent 10, BCE.
    Latent10,
    /// Latent 2, summed squared error.
    Mse,
    /// Latent 3, BCE (the report's latent-size curve; not in the study).
    Latent3,
    /// Latent 4, BCE (the report's latent-size curve; not in the study).
    Latent4,
    /// Latent 16, BCE (the report's latent-size curve; not in the study).
    Latent16,
}

/// What the study reported for one of its variants (Keras on a GPU, train+test, 30 epochs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StudyResult {
    /// Final training loss.
    pub final_loss: f64,
    /// Training time in seconds.
    pub seconds: f64,
}

impl Variant {
    /// All variants: the study's, in its order, then the added latent sizes.
    pub const ALL: [Variant; 8] = [
        Variant::Baseline,
        Variant::Deeper,
        Variant::Latent1,
        Variant::Latent10,
        Variant::Mse,
        Variant::Latent3,
        Variant::Latent4,
        Variant::Latent16,
    ];

    /// The study's five variants, in its order.
    pub const STUDY: [Variant; 5] = [
        Variant::Baseline,
        Variant::Deeper,
        Variant::Latent1,
        Variant::Latent10,
        Variant::Mse,
    ];

    /// The stable identifier (`baseline`, `deeper`, `latent1`, `latent10`, `mse`).
    pub fn name(&self) -> &'static str {
        match self {
            Variant::Baseline => "baseline",
            Variant::Deeper => "deeper",
            Variant::Latent1 => "latent1",
            Variant::Latent10 => "latent10",
            Variant::Mse => "mse",
            Variant::Latent3 => "latent3",
            Variant::Latent4 => "latent4",
            Variant::Latent16 => "latent16",
        }
    }

    /// A plain-words label for people.
    pub fn label(&self) -> &'static str {
        match self {
            Variant::Baseline => "Baseline (latent 2)",
            Variant::Deeper => "Deeper (3 convs)",
            Variant::Latent1 => "Latent 1",
            Variant::Latent10 => "Latent 10",
            Variant::Mse => "MSE loss",
            Variant::Latent3 => "Latent 3",
            Variant::Latent4 => "Latent 4",
            Variant::Latent16 => "Latent 16",
        }
    }

    /// Parses a stable identifier; `None` for anything else.
    pub fn from_name(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
    }

    /// What the study reported for this variant; `None` for the latent sizes it did not train.
    pub fn study(&self) -> Option<StudyResult> {
        let (final_loss, seconds) = match self {
            Variant::Baseline => (151.5002, 161.4),
            Variant::Deeper => (141.4165, 228.5),
            Variant::Latent1 => (163.2497, 163.5),
            Variant::Latent10 => (124.3071, 163.1),
            Variant::Mse => (37.5024, 167.0),
            Variant::Latent3 | Variant::Latent4 | Variant::Latent16 => return None,
        };
        Some(StudyResult { final_loss, seconds })
    }

    /// The architecture of this variant.
    pub fn config(&self) -> VaeConfig {
        match self {
            Variant::Baseline => VaeConfig::new(2),
            Variant::Deeper => VaeConfig::new(2).with_conv_filters(vec![32, 64, 128]),
            Variant::Latent1 => VaeConfig::new(1),
            Variant::Latent10 => VaeConfig::new(10),
            Variant::Mse => VaeConfig::new(2).with_recon_loss(ReconLoss::Mse),
            Variant::Latent3 => VaeConfig::new(3),
            Variant::Latent4 => VaeConfig::new(4),
            Variant::Latent16 => VaeConfig::new(16),
        }
    }
}

impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Variant {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Variant::from_name(s).ok_or_else(|| {
            let names: Vec<_> = Variant::ALL.iter().map(|v| v.name()).collect();
            format!("unknown variant `{s}`; expected one of {}", names.join(", "))
        })
    }
}
