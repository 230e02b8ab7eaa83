//! The variational autoencoder: its configuration (the Keras example's layers, parameterised by
//! the study's variants), [`Encoder`] and [`Decoder`], the reparameterisation and the
//! reconstruction the page shows.

use burn::config::Config;
use burn::prelude::*;

use super::decoder::{Decoder, DecoderConfig};
use super::encoder::{Encoder, EncoderConfig};
use super::layers::Start;
use super::noise::Noise;
use crate::kernels::conv_gradients::WeightGradients;
use crate::study::{Architecture, ReconLoss, Variant};

/// Architecture of a VAE: the Keras example, parameterised by its variants.
#[derive(Config, Debug)]
pub struct VaeConfig {
    /// Size of the latent vector z.
    pub(crate) latent_dim: usize,
    /// Filters of the stride-2 convolutions, input side first; the decoder mirrors them.
    #[config(default = "vec![32, 64]")]
    pub(crate) conv_filters: Vec<usize>,
    /// Units of the dense layer between the convolutions and the latent heads.
    #[config(default = 16)]
    pub(crate) hidden: usize,
    /// Side of the square input and output images.
    #[config(default = 28)]
    pub(crate) image_side: usize,
    /// Reconstruction term of the loss.
    #[config(default = "ReconLoss::Bce")]
    pub recon_loss: ReconLoss,
}

impl VaeConfig {
    /// Builds the encoder and decoder with freshly initialised weights on `device`.
    pub fn init(&self, device: &Device) -> Vae {
        self.init_as(&mut Start::Keras, device)
    }

    /// Builds the encoder and decoder on `device` with the initial weights of seed `seed`: the
    /// weights flex draws after `seed(seed)`, on any device (a training run's start).
    pub fn init_seeded(&self, seed: u64, device: &Device) -> Vae {
        self.init_as(&mut Start::Seeded(&mut Noise::seeded(seed)), device)
    }

    /// Builds the encoder and decoder on `device`, their kernels starting as `start` says
    /// ([`Start::Zeros`] for a model whose weights are loaded next).
    pub(crate) fn init_as(&self, start: &mut Start<'_>, device: &Device) -> Vae {
        Vae {
            encoder: EncoderConfig::new(self.latent_dim, self.conv_filters.clone())
                .with_hidden(self.hidden)
                .with_image_side(self.image_side)
                .init_as(start, device),
            decoder: DecoderConfig::new(self.latent_dim, self.conv_filters.clone())
                .with_image_side(self.image_side)
                .init_as(start, device),
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

/// Which rows of a step's batch a forward pass computes: `start..start + n` of `batch` images (n
/// the images given). A replica of data-parallel training computes a part of each batch; it still
/// draws the whole batch's ε and takes its rows, so that the parts together use exactly the ε of
/// one pass over the whole batch and every replica's generator stays where the others' are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rows {
    /// The first row.
    pub start: usize,
    /// The whole batch's size.
    pub batch: usize,
}

impl Rows {
    /// All `batch` rows.
    pub fn all(batch: usize) -> Rows {
        Rows { start: 0, batch }
    }
}

/// A variational autoencoder: [`Encoder`] and [`Decoder`].
#[derive(Module, Debug)]
pub struct Vae {
    /// Image → posterior parameters.
    pub encoder: Encoder,
    /// Latent → image logits.
    pub decoder: Decoder,
}

/// What one training forward pass produces.
#[derive(Debug, Clone)]
pub struct VaeOutput {
    /// Decoder logits, `[batch, 1, 28, 28]`.
    pub(crate) logits: Tensor<4>,
    /// Posterior means, `[batch, latent]`.
    pub(crate) z_mean: Tensor<2>,
    /// Posterior log-variances, `[batch, latent]`.
    pub(crate) z_log_var: Tensor<2>,
}

impl Vae {
    /// Encodes, samples z with the reparameterisation trick and decodes.
    ///
    /// ε comes from `noise`.
    ///
    /// # Shapes
    ///
    /// - images: `[batch, 1, 28, 28]`, values in 0..1
    /// - output: see [`VaeOutput`]
    pub fn forward(&self, images: Tensor<4>, noise: &mut Noise) -> VaeOutput {
        self.forward_with(images, WeightGradients::default(), noise)
    }

    /// [`Vae::forward`] with the convolutions' weight gradients from `grads`.
    pub fn forward_with(&self, images: Tensor<4>, grads: WeightGradients, noise: &mut Noise) -> VaeOutput {
        let batch = images.dims()[0];
        self.forward_rows(images, grads, Rows::all(batch), noise)
    }

    /// [`Vae::forward_with`] on `rows` of a batch (`images` are those rows).
    pub fn forward_rows(&self, images: Tensor<4>, grads: WeightGradients, rows: Rows, noise: &mut Noise) -> VaeOutput {
        let n = images.dims()[0];
        let (z_mean, z_log_var) = self.encoder.forward_with(images, grads);
        let [_, latent] = z_mean.dims();
        let epsilon = noise.standard_normal(rows.batch, latent, &z_mean.device());
        let epsilon = if rows == Rows::all(n) { epsilon } else { epsilon.slice([rows.start..rows.start + n]) };
        let z = z_mean.clone() + z_log_var.clone().mul_scalar(0.5).exp() * epsilon;
        VaeOutput {
            logits: self.decoder.forward_with(z, grads),
            z_mean,
            z_log_var,
        }
    }

    /// Deterministic reconstruction through the posterior mean (what the page shows).
    ///
    /// # Shapes
    ///
    /// - images: `[batch, 1, 28, 28]`
    /// - output: `[batch, 1, 28, 28]`, values in 0..1
    pub fn reconstruct(&self, images: Tensor<4>) -> Tensor<4> {
        let (z_mean, _) = self.encoder.forward(images);
        self.decoder.decode(z_mean)
    }

    /// The same model with every convolution's weights stored channel-last (see
    /// [`channel_last_storage`](super::layers::channel_last_storage)): values and forward unchanged. For WebGPU, where burn-cubecl's
    /// convolution kernels read weights channel-last and otherwise copy them on every call.
    pub fn with_channel_last_weights(self) -> Vae {
        Vae { encoder: self.encoder.with_channel_last_weights(), decoder: self.decoder.with_channel_last_weights() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;
    use crate::model::layers::channel_last_storage;

    #[test]
    fn channel_last_weights_reconstruct_alike() {
        let device = Device::flex();
        let mut seeded = crate::kernels::seeded::Seeded::new(3);
        for variant in Variant::ALL {
            let vae = VaeConfig::from(variant).init(&device);
            let images = seeded.uniform([3, 1, 28, 28], 0.0, 1.0, &device);
            let before = vae.reconstruct(images.clone()).into_data().try_into_vec::<f32>().expect("f32");
            let after = vae.with_channel_last_weights().reconstruct(images).into_data().try_into_vec::<f32>().expect("f32");
            let diff = before.iter().zip(&after).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert_eq!(before.len(), after.len());
            assert!(diff <= 1e-6, "{variant:?}: max abs diff {diff}");
        }
    }

    #[test]
    fn channel_last_storage_keeps_values_and_changes_strides() {
        let device = Device::flex();
        let weight = crate::kernels::seeded::Seeded::new(5).uniform([4, 3, 3, 3], -1.0, 1.0, &device);
        let stored = channel_last_storage(weight.clone());
        assert_eq!(stored.dims(), [4, 3, 3, 3]);
        assert_eq!(stored.clone().into_data().try_into_vec::<f32>().ok(), weight.clone().into_data().try_into_vec::<f32>().ok());
        // Permuted to the kernels' order, the stored view reads back in memory order.
        let kernel_order = weight.permute([0, 2, 3, 1]).into_data().try_into_vec::<f32>().ok();
        assert_eq!(stored.permute([0, 2, 3, 1]).into_data().try_into_vec::<f32>().ok(), kernel_order);
    }

    fn parts(variant: Variant) -> (usize, usize) {
        let device = Device::flex();
        let vae = VaeConfig::from(variant).init(&device);
        (vae.encoder.num_params(), vae.decoder.num_params())
    }

    #[test]
    fn baseline_has_the_keras_parameter_count() {
        // Keras' model.summary(): encoder 69,076, decoder 65,089.
        assert_eq!(parts(Variant::Baseline), (69_076, 65_089));
    }

    #[test]
    fn every_variant_has_the_right_shapes() {
        let device = Device::flex();
        for variant in Variant::ALL {
            let config = VaeConfig::from(variant);
            let vae = config.init(&device);
            let images = Tensor::<4>::random([3, 1, 28, 28], Distribution::Default, &device);
            let out = vae.forward(images.clone(), &mut Noise::seeded(0));
            assert_eq!(out.z_mean.dims(), [3, config.latent_dim], "{variant}");
            assert_eq!(out.z_log_var.dims(), [3, config.latent_dim], "{variant}");
            assert_eq!(out.logits.dims(), [3, 1, 28, 28], "{variant}");
            assert_eq!(vae.reconstruct(images).dims(), [3, 1, 28, 28], "{variant}");
            let z = Tensor::<2>::zeros([5, config.latent_dim], &device);
            assert_eq!(vae.decoder.decode(z).dims(), [5, 1, 28, 28], "{variant}");
        }
    }

    #[test]
    fn decoded_pixels_are_intensities() {
        let device = Device::flex();
        let vae = VaeConfig::from(Variant::Deeper).init(&device);
        let z = Tensor::<2>::random([4, 2], Distribution::Normal(0.0, 3.0), &device);
        let pixels: Vec<f32> = vae.decoder.decode(z).into_data().try_to_vec().unwrap();
        assert!(pixels.iter().all(|p| (0.0..=1.0).contains(p)));
    }
}
