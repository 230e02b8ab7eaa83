//! The study's variants and the architectures a model can have: names, labels, link keys and
//! what the study reported. Plain data, no burn (`model::VaeConfig` builds a model of one).

/// Which reconstruction term the loss uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ReconLoss {
    /// Binary cross-entropy summed over the 784 pixels.
    Bce,
    /// Squared error summed over the 784 pixels.
    Mse,
}

impl ReconLoss {
    /// The name written in metrics files (`"bce"` / `"mse"`).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            ReconLoss::Bce => "bce",
            ReconLoss::Mse => "mse",
        }
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
    /// A model trained in the visitor's browser (the Train mode), of this architecture. Never in
    /// a manifest or a link: it lives in one browser.
    Yours(Architecture),
}

/// The architecture of a model trained in the page: the study's two encoder depths, any latent
/// size from 1 to 16, either reconstruction loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Architecture {
    /// A third, 128-filter convolution (the study's `deeper`).
    pub(crate) deeper: bool,
    /// Size of the latent vector.
    pub(crate) latent_dim: u8,
    /// Summed squared error instead of binary cross-entropy.
    pub(crate) mse: bool,
}

impl Architecture {
    /// Largest latent size the Train mode offers.
    pub(crate) const MAX_LATENT: u8 = 16;

    /// The architecture of a shipped variant (what fine-tuning it keeps).
    pub fn of(variant: Variant) -> Architecture {
        variant.architecture()
    }

    /// Checks the ranges a file or a form could get wrong.
    pub fn checked(self) -> Result<Architecture, String> {
        if (1..=Self::MAX_LATENT).contains(&self.latent_dim) {
            Ok(self)
        } else {
            Err(format!("a latent size of {} is not offered (1 to {})", self.latent_dim, Self::MAX_LATENT))
        }
    }

    /// Size of the latent vector (at least 1).
    pub(crate) fn latent_dim(&self) -> usize {
        usize::from(self.latent_dim.max(1))
    }

    /// Filters of the stride-2 convolutions, input side first; the decoder mirrors them.
    pub(crate) fn conv_filters(&self) -> Vec<usize> {
        if self.deeper { vec![32, 64, 128] } else { vec![32, 64] }
    }

    /// Reconstruction term of the loss.
    pub fn recon_loss(&self) -> ReconLoss {
        if self.mse { ReconLoss::Mse } else { ReconLoss::Bce }
    }

    /// In words: "baseline, latent 2, BCE".
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "page code: natively only its tests use it"))]
    pub(crate) fn describe(&self) -> String {
        format!(
            "{}, latent {}, {}",
            if self.deeper { "deeper" } else { "baseline" },
            self.latent_dim,
            if self.mse { "MSE" } else { "BCE" }
        )
    }
}

/// What the study reported for one of its variants (Keras on a GPU, train+test, 30 epochs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StudyResult {
    /// Final training loss.
    pub final_loss: f64,
    /// Training time in seconds.
    pub(crate) seconds: f64,
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
            Variant::Yours(_) => "yours",
        }
    }

    /// A plain-words label for people.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Variant::Baseline => "Baseline (latent 2)",
            Variant::Deeper => "Deeper (3 convs)",
            Variant::Latent1 => "Latent 1",
            Variant::Latent10 => "Latent 10",
            Variant::Mse => "MSE loss",
            Variant::Latent3 => "Latent 3",
            Variant::Latent4 => "Latent 4",
            Variant::Latent16 => "Latent 16",
            Variant::Yours(_) => "Your model",
        }
    }

    /// Parses a stable identifier of a shipped variant; `None` for anything else (`yours` too: it
    /// names a model in one browser only).
    pub fn from_name(name: &str) -> Option<Variant> {
        Variant::ALL.into_iter().find(|v| v.name() == name)
    }

    /// The variant in links and worker messages: its name, or for a model trained in the page
    /// `yours-` and its architecture (`yours-b2`, `yours-d10-mse`), so that a link opens the
    /// right latent size even before (or without) the model.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "page code: natively only its tests use it"))]
    pub(crate) fn key(&self) -> String {
        match self {
            Variant::Yours(a) => format!("yours-{}{}{}", if a.deeper { 'd' } else { 'b' }, a.latent_dim, if a.mse { "-mse" } else { "" }),
            shipped => shipped.name().to_string(),
        }
    }

    /// Parses [`Variant::key`]; `None` for anything else.
    pub fn from_key(key: &str) -> Option<Variant> {
        let Some(rest) = key.strip_prefix("yours-") else { return Variant::from_name(key) };
        let (body, mse) = match rest.strip_suffix("-mse") {
            Some(body) => (body, true),
            None => (rest, false),
        };
        let deeper = match body.chars().next()? {
            'b' => false,
            'd' => true,
            _ => return None,
        };
        let digits = &body[1..];
        // Canonical digits only ("b02" is not "b2"), so a key reads back as it was written.
        if digits.starts_with('0') {
            return None;
        }
        let latent_dim: u8 = digits.parse().ok()?;
        Architecture { deeper, latent_dim, mse }.checked().ok().map(Variant::Yours)
    }

    /// What the study reported for this variant; `None` for the latent sizes it did not train.
    pub fn study(&self) -> Option<StudyResult> {
        let (final_loss, seconds) = match self {
            Variant::Baseline => (151.5002, 161.4),
            Variant::Deeper => (141.4165, 228.5),
            Variant::Latent1 => (163.2497, 163.5),
            Variant::Latent10 => (124.3071, 163.1),
            Variant::Mse => (37.5024, 167.0),
            Variant::Latent3 | Variant::Latent4 | Variant::Latent16 | Variant::Yours(_) => return None,
        };
        Some(StudyResult { final_loss, seconds })
    }

    /// The architecture of this variant.
    pub const fn architecture(&self) -> Architecture {
        let (deeper, latent_dim, mse) = match self {
            Variant::Baseline => (false, 2, false),
            Variant::Deeper => (true, 2, false),
            Variant::Latent1 => (false, 1, false),
            Variant::Latent10 => (false, 10, false),
            Variant::Mse => (false, 2, true),
            Variant::Latent3 => (false, 3, false),
            Variant::Latent4 => (false, 4, false),
            Variant::Latent16 => (false, 16, false),
            Variant::Yours(architecture) => return *architecture,
        };
        Architecture { deeper, latent_dim, mse }
    }

    /// Size of the latent vector.
    pub fn latent_dim(&self) -> usize {
        self.architecture().latent_dim()
    }

    /// Reconstruction term of the loss.
    pub fn recon_loss(&self) -> ReconLoss {
        self.architecture().recon_loss()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_back_for_every_variant_and_trained_architecture() {
        for variant in Variant::ALL {
            assert_eq!(Variant::from_key(&variant.key()), Some(variant));
        }
        for latent_dim in 1..=Architecture::MAX_LATENT {
            for (deeper, mse) in [(false, false), (true, false), (false, true), (true, true)] {
                let variant = Variant::Yours(Architecture { deeper, latent_dim, mse });
                assert_eq!(Variant::from_key(&variant.key()), Some(variant));
                assert_eq!(variant.latent_dim(), usize::from(latent_dim));
            }
        }
        assert_eq!(Variant::Yours(Architecture { deeper: true, latent_dim: 10, mse: true }).key(), "yours-d10-mse");
        for bad in ["yours", "yours-", "yours-x2", "yours-b0", "yours-b17", "yours-b02", "yours-b2-bce", "yours-d", "Baseline"] {
            assert_eq!(Variant::from_key(bad), None, "{bad}");
        }
        assert_eq!(Architecture::of(Variant::Deeper), Architecture { deeper: true, latent_dim: 2, mse: false });
        assert_eq!(Architecture::of(Variant::Mse).recon_loss(), ReconLoss::Mse);
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
