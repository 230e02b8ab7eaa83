//! The decoder for WebGPU: each stride-s transposed convolution as s² ordinary convolutions, one
//! per output phase (sub-pixel convolution), interleaved. Same weights, same outputs (tested
//! against burn's layers below).
//!
//! Why: burn-cubecl's direct transposed-convolution kernel (no autotune on the page) vectorises
//! only over output channels and tests every tap per output pixel; its direct convolution also
//! vectorises over input channels. Over SwiftShader (WebGPU on the CPU) the transposed kernels
//! were 98 % of a 900-latent decode.

use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;

use super::cpu_fused::Conv;

/// The convolution that computes one output phase: output pixel `(s·m + r, s·n + c)` of the
/// transposed convolution is pixel `(offset + m, offset + n)` of this convolution's output.
#[derive(Debug, Clone)]
struct Phase {
    /// `[c_out, c_in, taps_y, taps_x]`.
    weight: Tensor<4>,
    padding: [usize; 2],
    offset: [usize; 2],
}

/// One transposed convolution as its phases.
#[derive(Debug, Clone)]
pub(crate) struct PhaseConv {
    /// Row-major over (row phase, column phase).
    phases: Vec<Phase>,
    bias: Tensor<1>,
    stride: usize,
    /// Output pixels per phase along a side (`ceil(out_side / stride)`).
    phase_side: usize,
    out_side: usize,
    relu: bool,
}

/// Taps of one output phase along one axis: `(kernel index, input offset)`, offsets ascending.
fn phase_taps(conv: &Conv, phase: usize) -> Vec<(usize, isize)> {
    let mut taps: Vec<(usize, isize)> = (0..3).filter_map(|k| conv.source(phase, k).map(|d| (k, d))).collect();
    taps.sort_by_key(|&(_, d)| d);
    taps
}

/// `(padding, offset)` of a phase's convolution over `in_side` inputs whose taps start at input
/// offset `first` and span `taps`, so that `phase_side` outputs from `offset` on are the phase's.
fn padding_and_offset(in_side: usize, phase_side: usize, first: isize, taps: usize) -> (usize, usize) {
    let (in_side, phase_side, taps) = (in_side as isize, phase_side as isize, taps as isize);
    // Output j of the convolution reads inputs j − padding ..; phase pixel m reads m + first ...
    let padding = [0, -first, phase_side - 1 + first + taps - in_side].into_iter().max().unwrap_or(0);
    (padding as usize, (first + padding) as usize)
}

impl PhaseConv {
    /// From a transposed convolution's geometry ([`Conv`], weights unused), its `weight`
    /// (`[c_in, c_out, 3, 3]`, burn's layout) and `bias`, by device ops (slices, concatenation):
    /// no read of the weights, so it works on WebGPU. `None` if a phase has no taps or its taps
    /// are not consecutive input pixels.
    pub(crate) fn new(conv: &Conv, weight: Tensor<4>, bias: Tensor<1>) -> Option<PhaseConv> {
        let s = conv.stride;
        let phase_side = conv.out_side.div_ceil(s);
        let axes: Vec<Vec<(usize, isize)>> = (0..s).map(|r| phase_taps(conv, r)).collect();
        let consecutive = |t: &Vec<(usize, isize)>| !t.is_empty() && t.windows(2).all(|w| w[1].1 == w[0].1 + 1);
        if !axes.iter().all(consecutive) || weight.dims()[2..] != [3, 3] {
            return None;
        }
        // The kernel indices `taps` picks along `dim`, in order.
        let pick = |w: Tensor<4>, dim: usize, taps: &[(usize, isize)]| -> Tensor<4> {
            Tensor::cat(taps.iter().map(|&(k, _)| w.clone().narrow(dim, k, 1)).collect(), dim)
        };
        let mut phases = Vec::with_capacity(s * s);
        for rows in &axes {
            for columns in &axes {
                // burn's transposed [c_in, c_out, ky, kx] → conv2d's [c_out, c_in, ty, tx].
                let phase_weight = pick(pick(weight.clone(), 2, rows), 3, columns).swap_dims(0, 1);
                let (pad_y, off_y) = padding_and_offset(conv.in_side, phase_side, rows[0].1, rows.len());
                let (pad_x, off_x) = padding_and_offset(conv.in_side, phase_side, columns[0].1, columns.len());
                phases.push(Phase { weight: phase_weight, padding: [pad_y, pad_x], offset: [off_y, off_x] });
            }
        }
        Some(PhaseConv { phases, bias, stride: s, phase_side, out_side: conv.out_side, relu: conv.relu })
    }

    /// # Shapes
    ///
    /// - x: `[batch, c_in, in_side, in_side]`
    /// - output: `[batch, c_out, out_side, out_side]`
    fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let (s, m) = (self.stride, self.phase_side);
        let phases: Vec<Tensor<4>> = self
            .phases
            .iter()
            .map(|p| {
                let options = ConvOptions::new([1, 1], p.padding, [1, 1], 1);
                let y = conv2d(x.clone(), p.weight.clone(), Some(self.bias.clone()), options);
                y.narrow(2, p.offset[0], m).narrow(3, p.offset[1], m)
            })
            .collect();
        let [batch, channels, _, _] = phases[0].dims();
        let y = if s == 1 {
            phases.into_iter().next().expect("one phase at stride 1")
        } else {
            // Channel-last (burn-cubecl's convolutions write that way): [b, m, m, s·s, c] →
            // [b, m, s, m, s, c] → [b, s·m, s·m, c], viewed as [b, c, s·m, s·m].
            let stacked: Tensor<5> = Tensor::stack(phases.into_iter().map(|p| p.permute([0, 2, 3, 1])).collect(), 3);
            stacked
                .reshape([batch, m, m, s, s, channels])
                .permute([0, 1, 3, 2, 4, 5])
                .reshape([batch, s * m, s * m, channels])
                .permute([0, 3, 1, 2])
        };
        let y = if s * m == self.out_side { y } else { y.narrow(2, 0, self.out_side).narrow(3, 0, self.out_side) };
        if self.relu { relu(y) } else { y }
    }
}

/// The [`Decoder`](crate::model::Decoder) with its transposed convolutions as sub-pixel convolutions.
#[derive(Debug, Clone)]
pub(crate) struct SubPixelDecoder {
    dense: Linear,
    start_channels: usize,
    start_side: usize,
    layers: Vec<PhaseConv>,
}

impl SubPixelDecoder {
    pub(crate) fn new(dense: Linear, (start_channels, start_side): (usize, usize), layers: Vec<PhaseConv>) -> SubPixelDecoder {
        SubPixelDecoder { dense, start_channels, start_side, layers }
    }

    /// Decodes latent vectors into pixel intensities in 0..1.
    ///
    /// # Shapes
    ///
    /// - z: `[batch, latent]`
    /// - output: `[batch, 1, 28, 28]`
    pub(crate) fn decode(&self, z: Tensor<2>) -> Tensor<4> {
        let [batch, _] = z.dims();
        let h = relu(self.dense.forward(z));
        let mut x = h.reshape([batch, self.start_channels, self.start_side, self.start_side]);
        for layer in &self.layers {
            x = layer.forward(x);
        }
        sigmoid(x)
    }
}
