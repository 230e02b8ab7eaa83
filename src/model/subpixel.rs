//! Transposed convolutions written as matrix products on channels-last tensors.
//!
//! burn's `ConvTranspose2d` is correct but its backward pass on the CPU backend goes through
//! generic convolutions with large dilated kernels; profiling the baseline's training step put
//! ~80 % of it in the decoder's three transposed convolutions. Here a stride-2, 3×3 transposed
//! convolution is split into its four output phases (the sub-pixel form): each phase is one
//! matrix product of shifted copies of the input with the kernel taps that reach it, so forward
//! and backward are plain GEMMs with no multiply by zero.

use burn::config::Config;
use burn::module::Param;
use burn::nn::Initializer;
use burn::prelude::*;

/// Configuration of a [`SubpixelConvTranspose`]: Keras `Conv2DTranspose(kernel 3, padding="same")`.
#[derive(Config, Debug)]
pub struct SubpixelConvTransposeConfig {
    /// Input and output channels.
    pub channels: [usize; 2],
    /// Stride: 2 (up-sampling) or 1.
    #[config(default = 2)]
    pub stride: usize,
}

impl SubpixelConvTransposeConfig {
    /// Builds the layer; weights initialised like burn's `ConvTranspose2d`.
    pub fn init(&self, device: &Device) -> SubpixelConvTranspose {
        let [c_in, c_out] = self.channels;
        let fan_in = c_out * 9;
        let init = Initializer::KaimingUniform { gain: 1.0 / 3f64.sqrt(), fan_out_only: false };
        SubpixelConvTranspose {
            weight: init.init_with([3, 3, c_in, c_out], Some(fan_in), None, device),
            bias: init.init_with([c_out], Some(fan_in), None, device),
            stride: self.stride,
        }
    }
}

/// A 3×3 transposed convolution with Keras `same` padding on NHWC tensors.
#[derive(Module, Debug)]
pub struct SubpixelConvTranspose {
    /// Kernel taps `[kh, kw, c_in, c_out]`: tap (i, j) is the `[c_in, c_out]` matrix that carries
    /// input pixel (y, x) to output pixel (stride·y + i − pad, stride·x + j − pad).
    pub weight: Param<Tensor<4>>,
    /// `[c_out]`.
    pub bias: Param<Tensor<1>>,
    /// 1 or 2.
    pub stride: usize,
}

/// The taps reaching an output of parity `p` for stride 2: `(input shift, kernel index)`, where
/// shift 0 reads input `m` and shift 1 reads input `m − 1` for output `2m + p`.
fn phase_taps(parity: usize) -> &'static [(usize, usize)] {
    if parity == 0 { &[(0, 0), (1, 2)] } else { &[(0, 1)] }
}

impl SubpixelConvTranspose {
    fn tap(&self, i: usize, j: usize) -> Tensor<2> {
        let [_, _, c_in, c_out] = self.weight.dims();
        self.weight.val().slice([i..i + 1, j..j + 1]).reshape([c_in, c_out])
    }

    /// Applies the layer.
    ///
    /// # Shapes
    ///
    /// - input: `[batch, h, w, c_in]`
    /// - output: `[batch, out, out, c_out]` where `out` is `side` (Keras: `stride × h` for
    ///   `same`, or any `side ≤ stride × h` with the rows TensorFlow keeps)
    pub fn forward(&self, input: Tensor<4>, side: usize) -> Tensor<4> {
        let [batch, h, w, c_in] = input.dims();
        let [_, _, _, c_out] = self.weight.dims();
        if self.stride == 1 {
            // Same-size 3×3: output (y, x) reads input (y + 1 − i, x + 1 − j) through tap (i, j).
            let padded = input.pad([(1, 1), (1, 1), (0, 0)], burn::tensor::ops::PadMode::Constant(0.0));
            let mut cols = Vec::with_capacity(9);
            let mut taps = Vec::with_capacity(9);
            for i in 0..3 {
                for j in 0..3 {
                    cols.push(padded.clone().slice([0..batch, 2 - i..2 - i + h, 2 - j..2 - j + w]));
                    taps.push(self.tap(i, j));
                }
            }
            let cols = Tensor::cat(cols, 3).reshape([batch * h * w, 9 * c_in]);
            let out = cols.matmul(Tensor::cat(taps, 0)) + self.bias.val().unsqueeze();
            return out.reshape([batch, h, w, c_out]);
        }
        // Stride 2. TensorFlow keeps output rows `before .. before + side` of the full result,
        // with `before` = half the rows the full result has beyond `side`, rounded down.
        let full = (h - 1) * 2 + 3;
        let before = (full - side) / 2;
        // Zero row/col on top/left so that shift 1 (input m − 1) exists for m = 0.
        let padded = input.pad([(1, 0), (1, 0), (0, 0)], burn::tensor::ops::PadMode::Constant(0.0));
        let shifted = |dy: usize, dx: usize| padded.clone().slice([0..batch, 1 - dy..1 - dy + h, 1 - dx..1 - dx + w]);
        let mut rows = Vec::with_capacity(2);
        for py in 0..2 {
            let mut cols_of_row = Vec::with_capacity(2);
            for px in 0..2 {
                let mut cols = Vec::new();
                let mut taps = Vec::new();
                for &(dy, i) in phase_taps(py) {
                    for &(dx, j) in phase_taps(px) {
                        cols.push(shifted(dy, dx));
                        taps.push(self.tap(i, j));
                    }
                }
                let k = cols.len() * c_in;
                let cols = Tensor::cat(cols, 3).reshape([batch * h * w, k]);
                let phase = cols.matmul(Tensor::cat(taps, 0)) + self.bias.val().unsqueeze();
                cols_of_row.push(phase.reshape([batch, h, w, c_out]));
            }
            // Interleave columns: [b, h, w, 2, c] → [b, h, 2w, c].
            rows.push(Tensor::stack::<5>(cols_of_row, 3).reshape([batch, h, 2 * w, c_out]));
        }
        // Interleave rows: [b, h, 2, 2w, c] → [b, 2h, 2w, c].
        let out: Tensor<4> = Tensor::stack::<5>(rows, 2).reshape([batch, 2 * h, 2 * w, c_out]);
        if before == 0 && side == 2 * h {
            out
        } else {
            out.narrow(1, before, side).narrow(2, before, side)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::decoder::same_transpose_padding;
    use burn::module::Param;
    use burn::nn::conv::ConvTranspose2dConfig;
    use burn::tensor::Distribution;

    #[test]
    fn matches_burns_transposed_convolution() {
        let device = Device::flex();
        for (c_in, c_out, side_in, side, stride) in
            [(64, 64, 7, 14, 2), (64, 32, 14, 28, 2), (128, 128, 4, 7, 2), (32, 1, 28, 28, 1)]
        {
            let fast = SubpixelConvTransposeConfig::new([c_in, c_out]).with_stride(stride).init(&device);
            let (padding, crop) = same_transpose_padding(side_in, side, 3, stride);
            let mut plain = ConvTranspose2dConfig::new([c_in, c_out], [3, 3])
                .with_stride([stride, stride])
                .with_padding([padding, padding])
                .init(&device);
            plain.weight = Param::from_tensor(fast.weight.val().permute([2, 3, 0, 1]));
            plain.bias = Some(Param::from_tensor(fast.bias.val()));
            let x = Tensor::<4>::random([2, c_in, side_in, side_in], Distribution::Default, &device);
            let want = plain.forward(x.clone());
            let want = match crop {
                Some(s) => want.narrow(2, 0, s).narrow(3, 0, s),
                None => want,
            };
            let got = fast.forward(x.permute([0, 2, 3, 1]), side).permute([0, 3, 1, 2]);
            assert_eq!(got.dims(), want.dims());
            let diff = (got - want).abs().max().into_scalar::<f32>();
            assert!(diff < 1e-4, "{c_in}->{c_out} {side_in}->{side}: {diff}");
        }
    }
}
