//! The model's configuration: the Keras example's layers, parameterised by the study's variants
//! ([`Variant`], [`Architecture`]).

use burn::config::Config;
use burn::prelude::Device;

use super::decoder::DecoderConfig;
use super::encoder::EncoderConfig;
use super::vae::Vae;
use crate::study::{Architecture, ReconLoss, Variant};

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
}


impl From<Architecture> for VaeConfig {
    /// The model of an architecture.
    fn from(architecture: Architecture) -> VaeConfig {
        VaeConfig::new(architecture.latent_dim())
            .with_conv_filters(architecture.conv_filters())
            .with_recon_loss(architecture.recon_loss())
    }
}

impl From<Variant> for VaeConfig {
    /// The model of a variant.
    fn from(variant: Variant) -> VaeConfig {
        VaeConfig::from(variant.architecture())
    }
}
