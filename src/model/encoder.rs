//! Encoder: image → (z_mean, z_log_var).

use burn::config::Config;
use burn::module::Param;
use burn::nn::conv::Conv2d;
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::layers::{Start, channel_last_storage, dense, feature_sides, stride2_conv};
use crate::kernels::conv_gradients::{self, WeightGradients};

/// Configuration of an [`Encoder`].
#[derive(Config, Debug)]
pub(crate) struct EncoderConfig {
    /// Size of the latent vector.
    pub(crate) latent_dim: usize,
    /// Filters of the stride-2 convolutions, input side first.
    pub(crate) conv_filters: Vec<usize>,
    /// Units of the dense layer before the latent heads.
    #[config(default = 16)]
    pub(crate) hidden: usize,
    /// Side of the square input image.
    #[config(default = 28)]
    pub(crate) image_side: usize,
}

impl EncoderConfig {
    /// Builds the encoder on `device`, its kernels starting as `start` says.
    pub(crate) fn init_as(&self, start: &mut Start<'_>, device: &Device) -> Encoder {
        let mut in_channels = 1;
        let convs = self
            .conv_filters
            .iter()
            .map(|&filters| {
                let conv = stride2_conv(in_channels, filters, start, device);
                in_channels = filters;
                conv
            })
            .collect();
        let sides = feature_sides(self.image_side, self.conv_filters.len());
        let last_side = sides[sides.len() - 1];
        let flat = in_channels * last_side * last_side;
        Encoder {
            convs,
            dense: dense(flat, self.hidden, start, device),
            z_mean: dense(self.hidden, self.latent_dim, start, device),
            z_log_var: dense(self.hidden, self.latent_dim, start, device),
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
    /// The same encoder with its convolution weights stored channel-last
    /// ([`super::channel_last_storage`]).
    pub fn with_channel_last_weights(mut self) -> Encoder {
        for conv in self.convs.iter_mut() {
            conv.weight = Param::from_tensor(channel_last_storage(conv.weight.val()));
        }
        self
    }

    /// The stride-2 convolutions, input side first.
    pub fn convs(&self) -> &[Conv2d] {
        &self.convs
    }

    /// Encodes images into the parameters of the approximate posterior.
    ///
    /// # Shapes
    ///
    /// - images: `[batch, 1, 28, 28]`, values in 0..1
    /// - output: (`z_mean` `[batch, latent]`, `z_log_var` `[batch, latent]`)
    pub(crate) fn forward(&self, images: Tensor<4>) -> (Tensor<2>, Tensor<2>) {
        self.forward_with(images, WeightGradients::default())
    }

    /// [`Encoder::forward`] with the convolutions' weight gradients from `grads`.
    pub(crate) fn forward_with(&self, images: Tensor<4>, grads: WeightGradients) -> (Tensor<2>, Tensor<2>) {
        let mut x = images;
        for conv in &self.convs {
            x = conv_gradients::conv2d_activated(conv, x, true, grads);
        }
        // Flatten order (channels, rows, cols) differs from Keras' (rows, cols, channels); the
        // dense layer is learned from scratch, so this changes nothing but the weight layout.
        let x: Tensor<2> = x.flatten(1, 3);
        let h = relu(self.dense.forward(x));
        (self.z_mean.forward(h.clone()), self.z_log_var.forward(h))
    }

    /// Every stage of a forward pass with burn's layers: each convolution's output (after ReLU),
    /// the hidden dense layer's (after ReLU), the means and the log-variances. The Inside mode
    /// shows them; on the CPU the fused kernels compute the same (`CpuEncoder::encode_stages`).
    #[cfg_attr(not(feature = "burn-layers"), allow(dead_code, reason = "burn's layers: the page's CPU builds run the fused kernels (model::fused)"))]
    pub(crate) fn stages(&self, images: Tensor<4>) -> (Vec<Tensor<4>>, Tensor<2>, Tensor<2>, Tensor<2>) {
        let mut maps = Vec::with_capacity(self.convs.len());
        let mut x = images;
        for conv in &self.convs {
            x = conv_gradients::conv2d_activated(conv, x, true, WeightGradients::default());
            maps.push(x.clone());
        }
        let h = relu(self.dense.forward(x.flatten::<2>(1, 3)));
        (maps, h.clone(), self.z_mean.forward(h.clone()), self.z_log_var.forward(h))
    }

    /// Weights and biases of each layer, input side first: the convolutions, the hidden dense
    /// layer, μ's and log σ²'s.
    pub fn layer_params(&self) -> Vec<usize> {
        let convs = self.convs.iter().map(|c| c.num_params());
        convs.chain([self.dense.num_params(), self.z_mean.num_params(), self.z_log_var.num_params()]).collect()
    }

    /// What every ReLU of [`Encoder::forward_with`] takes in, as `grads`' route computes it:
    /// where two routes round one of these to opposite sides of 0, their gradients differ by more
    /// than rounding (tests compare routes only where the signs agree).
    #[cfg(test)]
    pub(crate) fn relu_inputs(&self, images: Tensor<4>, grads: WeightGradients) -> Vec<Vec<f32>> {
        let mut inputs = Vec::new();
        let mut x = images;
        for conv in &self.convs {
            // The fused node's ReLU is max(0, ·) of these very values: one pass per layer.
            let pre = conv_gradients::conv2d_activated(conv, x, false, grads);
            inputs.push(super::layers::values(pre.clone()).expect("f32 values"));
            x = relu(pre);
        }
        inputs.push(super::layers::values(self.dense.forward(x.flatten::<2>(1, 3))).expect("f32 values"));
        inputs
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::study::Variant;
    use crate::kernels::seeded::Seeded;

    /// A variant's encoder with random biases too (Keras' init zeroes them), weights scaled up so
    /// that the outputs are not all near 0.
    pub(crate) fn random_encoder(variant: Variant, seeded: &mut Seeded, device: &Device) -> Encoder {
        let mut encoder = EncoderConfig::new(variant.latent_dim(), variant.architecture().conv_filters()).init_as(&mut Start::Keras, device);
        for conv in encoder.convs.iter_mut() {
            conv.bias = conv.bias.take().map(|b| seeded.bias(&b, 0.3));
            conv.weight = seeded.weights(&conv.weight, 3.0);
        }
        for linear in [&mut encoder.dense, &mut encoder.z_mean, &mut encoder.z_log_var] {
            linear.bias = linear.bias.take().map(|b| seeded.bias(&b, 0.3));
            linear.weight = seeded.weights(&linear.weight, 3.0);
        }
        encoder
    }
}
