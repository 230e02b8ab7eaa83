//! Encoder: image → (z_mean, z_log_var).

use burn::config::Config;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::config::VaeConfig;
use super::init::{glorot_uniform, zeros};

/// A Keras-initialised dense layer.
pub(crate) fn dense(d_input: usize, d_output: usize, device: &Device) -> Linear {
    let mut linear = LinearConfig::new(d_input, d_output).init(device);
    // burn stores Linear weights as [d_input, d_output].
    linear.weight = glorot_uniform([d_input, d_output], d_input, d_output, device);
    linear.bias = Some(zeros(d_output, device));
    linear
}

/// Configuration of an [`Encoder`].
#[derive(Config, Debug)]
pub struct EncoderConfig {
    /// Size of the latent vector.
    pub latent_dim: usize,
    /// Filters of the stride-2 convolutions, input side first.
    pub conv_filters: Vec<usize>,
    /// Units of the dense layer before the latent heads.
    #[config(default = 16)]
    pub hidden: usize,
    /// Side of the square input image.
    #[config(default = 28)]
    pub image_side: usize,
}

impl EncoderConfig {
    /// Builds the encoder on `device`.
    pub fn init(&self, device: &Device) -> Encoder {
        let mut in_channels = 1;
        let convs = self
            .conv_filters
            .iter()
            .map(|&filters| {
                // Keras `same` with stride 2: TensorFlow's asymmetric padding (extra row/col at the
                // bottom/right), which burn's `Same` reproduces.
                let mut conv = Conv2dConfig::new([in_channels, filters], [3, 3])
                    .with_stride([2, 2])
                    .with_padding(PaddingConfig2d::Same)
                    .init(device);
                conv.weight =
                    glorot_uniform([filters, in_channels, 3, 3], 9 * in_channels, 9 * filters, device);
                conv.bias = Some(zeros(filters, device));
                in_channels = filters;
                conv
            })
            .collect();
        let sides = VaeConfig::feature_sides(self.image_side, self.conv_filters.len());
        let last_side = sides[sides.len() - 1];
        let flat = in_channels * last_side * last_side;
        Encoder {
            convs,
            dense: dense(flat, self.hidden, device),
            z_mean: dense(self.hidden, self.latent_dim, device),
            z_log_var: dense(self.hidden, self.latent_dim, device),
        }
    }
}

/// Convolutional encoder of the VAE.
#[derive(Module, Debug)]
pub struct Encoder {
    convs: Vec<Conv2d>,
    dense: Linear,
    z_mean: Linear,
    z_log_var: Linear,
}

impl Encoder {
    /// Encodes images into the parameters of the approximate posterior.
    ///
    /// # Shapes
    ///
    /// - images: `[batch, 1, 28, 28]`, values in 0..1
    /// - output: (`z_mean` `[batch, latent]`, `z_log_var` `[batch, latent]`)
    pub fn forward(&self, images: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        let mut x = images;
        for conv in &self.convs {
            x = relu(conv.forward(x));
        }
        // Flatten order (channels, rows, cols) differs from Keras' (rows, cols, channels); the
        // dense layer is learned from scratch, so this changes nothing but the weight layout.
        let x: Tensor<2> = x.flatten(1, 3);
        let h = relu(self.dense.forward(x));
        (self.z_mean.forward(h.clone()), self.z_log_var.forward(h))
    }
}
