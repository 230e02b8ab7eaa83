//! A model's stages, left to right, worked out from its architecture: what each layer does, the
//! shape of what it hands on, and how many numbers it learns. The Inside mode draws them; the
//! engine returns one set of values per stage, in this order (`engine::inside`); a test checks
//! the parameter counts against the model's own layers.

use super::{Architecture, ReconLoss};

/// Units of the encoder's hidden dense layer (the study's 16).
pub(crate) const HIDDEN: usize = 16;
/// Side of an MNIST image.
pub(crate) const IMAGE_SIDE: usize = 28;
/// Side of every convolution kernel.
const KERNEL: usize = 3;

/// What a stage holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `channels` feature maps of `side × side`.
    Maps {
        /// Side of each map.
        side: usize,
        /// How many maps.
        channels: usize,
    },
    /// A vector of `units` numbers.
    Vector(usize),
}

impl Shape {
    /// How many numbers the stage holds.
    pub fn len(&self) -> usize {
        match *self {
            Shape::Maps { side, channels } => side * side * channels,
            Shape::Vector(units) => units,
        }
    }

    /// Whether the stage holds no numbers (never, for a real model).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// As written on the diagram: `14×14×32` or `16`.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "page code: natively only its tests use it"))]
    pub(crate) fn label(&self) -> String {
        match *self {
            Shape::Maps { side, channels } => format!("{side}×{side}×{channels}"),
            Shape::Vector(units) => group_thousands(units),
        }
    }
}

/// Which part of the model a stage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// What goes in.
    Input,
    /// The encoder: image → posterior.
    Encoder,
    /// μ and log σ², then z = μ + σ ⊙ ε.
    Latent,
    /// The decoder: z → image.
    Decoder,
}

/// What a stage computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The 28×28 input.
    Input,
    /// A 3×3 stride-2 convolution with ReLU.
    Conv,
    /// A dense layer with ReLU (the encoder's hidden layer, the decoder's first).
    Dense,
    /// The posterior's means μ (a dense layer, no activation).
    Mean,
    /// The posterior's log-variances log σ² (a dense layer, no activation).
    LogVar,
    /// z = μ + σ ⊙ ε, ε drawn from N(0, 1).
    Sample,
    /// A 3×3 stride-2 transposed convolution with ReLU.
    ConvTranspose,
    /// The last transposed convolution (stride 1, one channel) and the sigmoid: the output image.
    Output,
}

/// One stage of the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Stage {
    /// What it computes.
    pub(crate) kind: Kind,
    /// Where it sits.
    pub(crate) part: Part,
    /// Short name on the diagram: "Conv 32", "Dense 16", "μ".
    pub name: String,
    /// One plain sentence: what it does.
    pub(crate) about: String,
    /// The shape of its values.
    pub shape: Shape,
    /// Weights and biases it learns (0 for the input and the sampling step).
    pub params: usize,
}

/// The stages of `architecture`, input to output.
pub fn stages(architecture: Architecture) -> Vec<Stage> {
    let filters = architecture.conv_filters();
    let latent = architecture.latent_dim();
    // The side after each convolution, input first (28, 14, 7, …): the decoder climbs back up it.
    let sides: Vec<usize> = std::iter::successors(Some(IMAGE_SIDE), |s| Some(s.div_ceil(2))).take(filters.len() + 1).collect();
    let mut stages = vec![Stage {
        kind: Kind::Input,
        part: Part::Input,
        name: "Input".into(),
        about: "The digit: 28×28 pixels, 0 for black and 1 for white.".into(),
        shape: Shape::Maps { side: IMAGE_SIDE, channels: 1 },
        params: 0,
    }];
    let (mut side, mut channels) = (IMAGE_SIDE, 1);
    for &f in &filters {
        let out = side.div_ceil(2);
        stages.push(Stage {
            kind: Kind::Conv,
            part: Part::Encoder,
            name: format!("Conv {f}"),
            about: format!(
                "{f} filters of 3×3 slide over the {side}×{side} maps two pixels at a time; each makes a {out}×{out} map of where its pattern is found (ReLU: negatives become 0)."
            ),
            shape: Shape::Maps { side: out, channels: f },
            params: KERNEL * KERNEL * channels * f + f,
        });
        (side, channels) = (out, f);
    }
    let flat = side * side * channels;
    stages.push(Stage {
        kind: Kind::Dense,
        part: Part::Encoder,
        name: format!("Dense {HIDDEN}"),
        about: format!(
            "The {} numbers, flattened into one list, are mixed by weighted sums into {HIDDEN} (ReLU: many are 0 for a given digit).",
            group_thousands(flat)
        ),
        shape: Shape::Vector(HIDDEN),
        params: flat * HIDDEN + HIDDEN,
    });
    let posterior = HIDDEN * latent + latent;
    stages.push(Stage {
        kind: Kind::Mean,
        part: Part::Latent,
        name: "μ".into(),
        about: format!("The mean: where in the {latent}-D latent space this digit most likely sits."),
        shape: Shape::Vector(latent),
        params: posterior,
    });
    stages.push(Stage {
        kind: Kind::LogVar,
        part: Part::Latent,
        name: "log σ²".into(),
        about: "How unsure the encoder is, stored as log σ²: more negative means surer. The width σ is exp(½ × this).".into(),
        shape: Shape::Vector(latent),
        params: posterior,
    });
    stages.push(Stage {
        kind: Kind::Sample,
        part: Part::Latent,
        name: "z = μ + σ ⊙ ε".into(),
        about: "A random point near μ: ε is drawn from a bell curve at 0 of width 1 and scaled by σ. This random draw, with the KL term of the loss, is what makes this a VAE rather than a plain autoencoder.".into(),
        shape: Shape::Vector(latent),
        params: 0,
    });
    stages.push(Stage {
        kind: Kind::Dense,
        part: Part::Decoder,
        name: format!("Dense {}", group_thousands(flat)),
        about: format!("z is spread back out into {} numbers, read as {side}×{side}×{channels} maps (ReLU).", group_thousands(flat)),
        shape: Shape::Maps { side, channels },
        params: latent * flat + flat,
    });
    for (i, &f) in filters.iter().enumerate().rev() {
        let out = sides[i];
        stages.push(Stage {
            kind: Kind::ConvTranspose,
            part: Part::Decoder,
            name: format!("ConvT {f}"),
            about: format!(
                "{f} transposed 3×3 filters paint each input pixel's pattern onto a grid twice as fine: {side}×{side} → {out}×{out} (ReLU)."
            ),
            shape: Shape::Maps { side: out, channels: f },
            params: KERNEL * KERNEL * channels * f + f,
        });
        (side, channels) = (out, f);
    }
    stages.push(Stage {
        kind: Kind::Output,
        part: Part::Decoder,
        name: "ConvT 1 + sigmoid".into(),
        about: format!(
            "One last 3×3 filter over the {channels} maps gives each pixel a score; the sigmoid squeezes it into 0…1: the reconstructed digit."
        ),
        shape: Shape::Maps { side: IMAGE_SIDE, channels: 1 },
        params: KERNEL * KERNEL * channels + 1,
    });
    stages
}

/// Every learned number of `architecture` (the sum over its stages).
pub fn total_params(architecture: Architecture) -> usize {
    stages(architecture).iter().map(|s| s.params).sum()
}

/// The reconstruction term in words, as the Inside mode names it.
pub fn recon_label(loss: ReconLoss) -> &'static str {
    match loss {
        ReconLoss::Bce => "binary cross-entropy",
        ReconLoss::Mse => "squared error",
    }
}

/// `134165` → `134,165`.
pub(crate) fn group_thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::Variant;

    #[test]
    fn the_baseline_reads_as_the_study_draws_it() {
        let stages = stages(Variant::Baseline.architecture());
        let shapes: Vec<String> = stages.iter().map(|s| format!("{} {}", s.name, s.shape.label())).collect();
        assert_eq!(
            shapes,
            [
                "Input 28×28×1",
                "Conv 32 14×14×32",
                "Conv 64 7×7×64",
                "Dense 16 16",
                "μ 2",
                "log σ² 2",
                "z = μ + σ ⊙ ε 2",
                "Dense 3,136 7×7×64",
                "ConvT 64 14×14×64",
                "ConvT 32 28×28×32",
                "ConvT 1 + sigmoid 28×28×1",
            ]
        );
        assert_eq!(total_params(Variant::Baseline.architecture()), 134_165);
    }

    #[test]
    fn deeper_has_a_third_convolution_each_way() {
        let stages = stages(Variant::Deeper.architecture());
        let names: Vec<&str> = stages.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names.iter().filter(|n| n.starts_with("Conv ")).count(), 3);
        assert_eq!(names.iter().filter(|n| n.starts_with("ConvT ")).count(), 4);
        assert_eq!(stages[3].shape, Shape::Maps { side: 4, channels: 128 });
        assert_eq!(group_thousands(1_234_567), "1,234,567");
        assert_eq!(group_thousands(16), "16");
    }
}
