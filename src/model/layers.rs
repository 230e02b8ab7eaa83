//! The layers' building blocks: Keras' default initialisation (glorot-uniform kernels, zero
//! biases), which the study used, the dense and stride-2 layers drawn with it, the feature sides
//! and padding of the convolutions.
//!
//! burn's layer defaults draw like PyTorch (uniform ±1/√fan_in, random biases): for the decoder's
//! 2 → 3,136 dense layer that is ±0.71 against Keras' ±0.044, and training from it ended epochs
//! measurably above the study's loss curve, so the layers are re-drawn the Keras way.

use burn::module::Param;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::prelude::*;
use burn::tensor::Distribution;

use super::noise::Noise;

/// What a new model's kernels start as.
pub(crate) enum Start<'a> {
    /// Keras' draw with the device's own random numbers (burn's `Tensor::random`).
    Keras,
    /// Keras' draw from a run's generator, on the CPU: the numbers flex would draw after
    /// `seed(seed)` ([`Noise`]), whatever the device — a seed starts a training run from the same
    /// weights on WebGPU, in the page's CPU worker and in the trainer, and the WebGPU build needs
    /// no CPU backend for it.
    Seeded(&'a mut Noise),
    /// Zeros: a model whose weights are loaded next (drawing its ~135,000 random numbers for
    /// nothing took a few ms of the page's thread at start-up).
    Zeros,
}

/// Glorot-uniform: U(−a, a) with a = √(6 / (fan_in + fan_out)); zeros for [`Start::Zeros`].
pub(crate) fn glorot_uniform<const D: usize>(
    shape: [usize; D],
    (fan_in, fan_out): (usize, usize),
    start: &mut Start<'_>,
    device: &Device,
) -> Param<Tensor<D>> {
    let a = (6.0 / (fan_in + fan_out) as f64).sqrt();
    let distribution = Distribution::Uniform(-a, a);
    Param::from_tensor(match start {
        Start::Keras => Tensor::random(shape, distribution, device),
        Start::Seeded(noise) => Tensor::from_data(noise.draw(shape, distribution), device),
        Start::Zeros => Tensor::zeros(shape, device),
    })
}

/// A zero bias.
pub(crate) fn zeros(len: usize, device: &Device) -> Param<Tensor<1>> {
    Param::from_tensor(Tensor::zeros([len], device))
}

/// A Keras-initialised dense layer.
pub(crate) fn dense(d_input: usize, d_output: usize, start: &mut Start<'_>, device: &Device) -> Linear {
    let mut linear = LinearConfig::new(d_input, d_output).init(device);
    // burn stores Linear weights as [d_input, d_output].
    linear.weight = glorot_uniform([d_input, d_output], (d_input, d_output), start, device);
    linear.bias = Some(zeros(d_output, device));
    linear
}

/// A Keras-initialised 3×3 stride-2 `same` convolution: TensorFlow's asymmetric padding (extra
/// row/col at the bottom/right), which burn's `Same` reproduces.
pub(crate) fn stride2_conv(in_channels: usize, filters: usize, start: &mut Start<'_>, device: &Device) -> Conv2d {
    let mut conv = Conv2dConfig::new([in_channels, filters], [3, 3])
        .with_stride([2, 2])
        .with_padding(PaddingConfig2d::Same)
        .init(device);
    conv.weight = glorot_uniform([filters, in_channels, 3, 3], (9 * in_channels, 9 * filters), start, device);
    conv.bias = Some(zeros(filters, device));
    conv
}

/// `(padding before, output side)` of a 3×3 `same` convolution of `stride` over `side` pixels:
/// TensorFlow's rule, which burn's `Same` follows (the odd pixel of padding goes after).
pub(crate) fn same_padding(side: usize, stride: usize) -> (usize, usize) {
    let out = side.div_ceil(stride);
    (((out - 1) * stride + 3).saturating_sub(side) / 2, out)
}

/// Side lengths after each stride-2 `same` convolution: 28 → 14 → 7 (→ 4).
pub(crate) fn feature_sides(image_side: usize, layers: usize) -> Vec<usize> {
    let mut sides = vec![image_side];
    for _ in 0..layers {
        let last = sides[sides.len() - 1];
        sides.push(last.div_ceil(2));
    }
    sides
}

/// A tensor's values as `f32`, read synchronously: CPU tensors only (a WebGPU tensor must be
/// read asynchronously in a browser). For the tests.
#[cfg(test)]
pub(crate) fn values<const D: usize>(tensor: Tensor<D>) -> Option<Vec<f32>> {
    tensor.into_data().convert::<f32>().try_into_vec::<f32>().ok()
}

/// A convolution weight (`[a, b, kh, kw]`, burn's layout) with the same values, stored as
/// `[a][kh][kw][b]` and viewed back as `[a, b, kh, kw]`: burn-cubecl's direct (transposed)
/// convolutions permute weights to that order and copy them unless the view is already
/// contiguous there — one copy kernel per layer per call (~3 ms of a 29 ms WebGPU decode over
/// SwiftShader).
pub(crate) fn channel_last_storage(weight: Tensor<4>) -> Tensor<4> {
    let [a, b, kh, kw] = weight.dims();
    // The reshape of the permuted view is what writes the new order.
    weight.permute([0, 2, 3, 1]).reshape([a * kh * kw * b]).reshape([a, kh, kw, b]).permute([0, 3, 1, 2])
}
