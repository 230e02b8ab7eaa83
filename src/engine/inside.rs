//! The model seen from inside: every stage's values for one input, the sampled z, and the loss of
//! that input split as the trainer computes it. On the CPU by the same fused kernels as every
//! other inference; on WebGPU by burn's layers (`super::layers`), read back once.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

use super::inference::{Engine, EngineError};
use crate::data::PIXELS;
use crate::model::loss::{kl_terms, per_pixel_error};
use crate::study::Variant;

/// Draws from ε ~ N(0, I) the Inside mode shows.
pub const SAMPLES: usize = 16;

/// `count × latent` standard-normal values of `seed`: the ε of the Inside mode, the same on
/// every backend (the first is the one the pipeline follows).
pub fn epsilon(seed: u64, count: usize, latent: usize) -> Vec<f32> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..count * latent).map(|_| StandardNormal.sample(&mut rng)).collect()
}

/// `z = μ + σ ⊙ ε` for each latent vector of `epsilon` (σ = exp(½ log σ²)).
pub fn reparameterise(mean: &[f32], log_var: &[f32], epsilon: &[f32]) -> Vec<f32> {
    let latent = mean.len().max(1);
    epsilon
        .chunks_exact(latent)
        .flat_map(|e| e.iter().zip(mean.iter().zip(log_var)).map(|(&e, (&m, &lv))| m + (0.5 * lv).exp() * e))
        .collect()
}

/// One input seen from inside.
#[derive(Debug, Clone, PartialEq)]
pub struct Inside {
    /// One list of values per stage of [`crate::study::anatomy::stages`], in that order; feature
    /// maps channel-first (`[c][y][x]`). The last is the output image.
    pub stages: Vec<Vec<f32>>,
    /// Posterior means μ.
    pub mean: Vec<f32>,
    /// Posterior log-variances log σ².
    pub log_var: Vec<f32>,
    /// The ε followed.
    pub(crate) epsilon: Vec<f32>,
    /// z = μ + σ ⊙ ε.
    pub z: Vec<f32>,
    /// The output's logits (before the sigmoid).
    pub logits: Vec<f32>,
    /// The reconstruction loss of each pixel (`model::loss::per_pixel_error`).
    pub recon_map: Vec<f32>,
    /// The KL divergence of each latent dimension (`model::loss::kl_terms`).
    pub kl: Vec<f32>,
}

impl Inside {
    /// The posterior's standard deviations σ = exp(½ log σ²).
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn sigma(&self) -> Vec<f32> {
        self.log_var.iter().map(|lv| (0.5 * lv).exp()).collect()
    }

    /// The reconstruction term (the per-pixel losses summed).
    pub fn recon(&self) -> f32 {
        self.recon_map.iter().sum()
    }

    /// The KL term (summed over the latent dimensions).
    pub fn kl_total(&self) -> f32 {
        self.kl.iter().sum()
    }

    /// This input's loss, as one image of a training batch adds it.
    pub fn loss(&self) -> f32 {
        self.recon() + self.kl_total()
    }
}

impl Engine {
    /// Every stage of `variant` for one 28×28 `image`, following z = μ + σ ⊙ `epsilon`, and its
    /// loss split into reconstruction (per pixel) and KL (per dimension).
    pub async fn inside(&self, variant: Variant, image: &[f32], epsilon: &[f32]) -> Result<Inside, EngineError> {
        let latent = variant.latent_dim();
        if image.len() != PIXELS || epsilon.len() != latent {
            return Err(EngineError::BadInput(format!("Inside takes one 28×28 image and {latent} values of ε")));
        }
        let (mut stages, mean, log_var, z, logits) = match (self.encoder_kernel(variant), self.decoder_kernel(variant)) {
            (Some(encoder), Some(decoder)) => {
                let bad = || EngineError::BadInput("the fused kernels refused the input".into());
                let encoded = encoder.encode_stages(image).ok_or_else(bad)?;
                let z = reparameterise(&encoded.mean, &encoded.log_var, epsilon);
                let mut decoded = decoder.decode_stages(&z).ok_or_else(bad)?;
                let logits = decoded.pop().ok_or_else(bad)?;
                let mut stages = vec![image.to_vec()];
                stages.extend(encoded.maps);
                stages.extend([encoded.hidden, encoded.mean.clone(), encoded.log_var.clone(), z.clone()]);
                stages.extend(decoded);
                (stages, encoded.mean, encoded.log_var, z, logits)
            }
            #[cfg(feature = "burn-layers")]
            _ => {
                // Every stage in one tensor: one readback.
                let (all, lengths) = Engine::loaded(variant, self.layers.inside(variant, image, epsilon))?;
                let all = self.read(all).await?;
                let mut stages = Vec::with_capacity(lengths.len());
                let mut at = 0;
                for n in lengths {
                    stages.push(all.get(at..at + n).map(<[f32]>::to_vec).unwrap_or_default());
                    at += n;
                }
                let logits = stages.pop().unwrap_or_default();
                // The input and the convolutions' maps, then the hidden layer, μ, log σ², z.
                let hidden_at = 1 + variant.architecture().conv_filters().len();
                let [mean, log_var, z] = [1, 2, 3].map(|k| stages.get(hidden_at + k).cloned().unwrap_or_default());
                (stages, mean, log_var, z, logits)
            }
            #[cfg(not(feature = "burn-layers"))]
            _ => return Err(EngineError::NotLoaded(variant.name().into())),
        };
        let output: Vec<f32> = logits.iter().map(|&l| 1.0 / (1.0 + (-l).exp())).collect();
        stages.push(output);
        let recon_map = per_pixel_error(&logits, image, variant.recon_loss());
        let kl = kl_terms(&mean, &log_var);
        Ok(Inside { stages, mean, log_var, epsilon: epsilon.to_vec(), z, logits, recon_map, kl })
    }
}
