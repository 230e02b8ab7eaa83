//! A fused CPU kernel of [`Decoder::decode`](super::Decoder::decode): the same layers and
//! weights, computed by plain Rust loops that the compiler vectorises (wasm `simd128` on the
//! page, SSE/AVX natively).
//!
//! Why: for one image, burn's CPU backend spends about half of a decode outside the multiply-adds
//! (a GEMM per layer, then col2im, bias, ReLU and crop as separate passes with their own buffers).
//! Here each output pixel of a transposed convolution is accumulated in registers straight from
//! its few contributing input pixels (no col2im), with bias, ReLU and crop fused, on buffers kept
//! between the images of a batch. `decoder::tests` checks it against the burn layers on random
//! weights and inputs.
//!
//! Layout: activations are channel-last (`[y][x][c]`) with a one-pixel zero border, so the
//! column taps of every output pixel read inside the buffer; rows use only their valid taps.

/// Output channels accumulated together (4 `f32x4` registers).
const CHANNEL_BLOCK: usize = 16;
/// Output pixels accumulated together: they share every weight load.
const PIXEL_BLOCK: usize = 2;

/// One transposed convolution (3×3 kernel), with its output crop and activation.
#[derive(Debug, Clone)]
pub(crate) struct TransposedConv {
    pub c_in: usize,
    pub c_out: usize,
    pub in_side: usize,
    /// Output side after the crop.
    pub out_side: usize,
    pub stride: usize,
    pub padding: usize,
    /// `[ky][kx][c_in][c_out]`.
    pub weights: Vec<f32>,
    pub bias: Vec<f32>,
    /// ReLU after (every layer but the last, whose logits go through a sigmoid).
    pub relu: bool,
}

/// The decoder's weights, laid out for [`CpuDecoder::decode`].
#[derive(Debug, Clone)]
pub struct CpuDecoder {
    latent: usize,
    /// Dense weights `[latent][unit]`, units in channel-last order `[y][x][c]`.
    dense_weights: Vec<f32>,
    dense_bias: Vec<f32>,
    start_side: usize,
    start_channels: usize,
    layers: Vec<TransposedConv>,
}

const KERNEL: usize = 3;

impl TransposedConv {
    /// Input index (in `-1..=in_side`) that output `o` reads through kernel tap `k`, if any:
    /// `o = stride·i + k − padding`.
    fn source(&self, o: usize, k: usize) -> Option<isize> {
        let shifted = o as isize + self.padding as isize - k as isize;
        (shifted.rem_euclid(self.stride as isize) == 0).then(|| shifted.div_euclid(self.stride as isize))
    }

    /// Whether every column tap stays within the one-pixel border and the channels fit a kernel.
    fn supported(&self) -> bool {
        let columns_fit = (0..self.out_side).all(|o| {
            (0..KERNEL).filter_map(|k| self.source(o, k)).all(|i| (-1..=self.in_side as isize).contains(&i))
        });
        columns_fit && (self.c_out == 1 || self.c_out % CHANNEL_BLOCK == 0) && self.weights.len() == KERNEL * KERNEL * self.c_in * self.c_out && self.bias.len() == self.c_out
    }
}

/// Side of a padded buffer.
fn padded(side: usize) -> usize {
    side + 2
}

impl CpuDecoder {
    /// Assembles the kernel, or `None` when a layer has a shape this kernel does not cover (the
    /// caller then decodes with burn).
    pub(crate) fn new(
        latent: usize,
        dense_weights: Vec<f32>,
        dense_bias: Vec<f32>,
        (start_channels, start_side): (usize, usize),
        layers: Vec<TransposedConv>,
    ) -> Option<CpuDecoder> {
        let units = start_channels * start_side * start_side;
        let chained = layers.windows(2).all(|w| w[0].c_out == w[1].c_in && w[0].out_side == w[1].in_side);
        let first = layers.first()?;
        let ok = dense_weights.len() == latent * units
            && dense_bias.len() == units
            && first.c_in == start_channels
            && first.in_side == start_side
            && chained
            && layers.last()?.c_out == 1
            && layers.iter().all(TransposedConv::supported);
        ok.then_some(CpuDecoder { latent, dense_weights, dense_bias, start_side, start_channels, layers })
    }

    /// Size of a latent vector.
    pub fn latent_dim(&self) -> usize {
        self.latent
    }

    /// Side of the output image.
    pub fn side(&self) -> usize {
        self.layers.last().map_or(0, |l| l.out_side)
    }

    /// Decodes `n × latent` values into `n × side²` intensities in 0..1 (`n = z.len() / latent`;
    /// a trailing partial latent is ignored).
    pub fn decode(&self, z: &[f32]) -> Vec<f32> {
        let pixels = self.side() * self.side();
        let n = z.len() / self.latent.max(1);
        let mut out = vec![0.0; n * pixels];
        // One buffer per activation, zero borders written once and reused for every image.
        let mut buffers: Vec<Vec<f32>> = std::iter::once((self.start_side, self.start_channels))
            .chain(self.layers.iter().map(|l| (l.out_side, l.c_out)))
            .map(|(side, channels)| vec![0.0; padded(side) * padded(side) * channels])
            .collect();
        let mut units = vec![0.0; self.dense_bias.len()];
        for (latent, image) in z.chunks_exact(self.latent.max(1)).zip(out.chunks_exact_mut(pixels)) {
            self.dense(latent, &mut units, &mut buffers[0]);
            for (i, layer) in self.layers.iter().enumerate() {
                let (before, after) = buffers.split_at_mut(i + 1);
                layer.forward(&before[i], &mut after[0]);
            }
            // The last buffer: one channel of logits inside its border.
            let side = self.side();
            let last = &buffers[self.layers.len()];
            for (y, row) in image.chunks_exact_mut(side).enumerate() {
                let logits = &last[(y + 1) * padded(side) + 1..][..side];
                for (p, &l) in row.iter_mut().zip(logits) {
                    *p = 1.0 / (1.0 + (-l).exp());
                }
            }
        }
        out
    }

    /// `relu(z·W + b)` into the interior of the first padded buffer.
    fn dense(&self, z: &[f32], units: &mut [f32], into: &mut [f32]) {
        units.copy_from_slice(&self.dense_bias);
        for (&zl, row) in z.iter().zip(self.dense_weights.chunks_exact(units.len())) {
            for (u, &w) in units.iter_mut().zip(row) {
                *u += zl * w;
            }
        }
        let (side, channels) = (self.start_side, self.start_channels);
        for (pixel, values) in units.chunks_exact(channels).enumerate() {
            let (y, x) = (pixel / side, pixel % side);
            let at = ((y + 1) * padded(side) + x + 1) * channels;
            for (d, &v) in into[at..at + channels].iter_mut().zip(values) {
                *d = v.max(0.0);
            }
        }
    }
}

impl TransposedConv {
    /// `input`: padded `[in_side+2][in_side+2][c_in]`; writes the interior of `output`, padded
    /// `[out_side+2][out_side+2][c_out]`.
    fn forward(&self, input: &[f32], output: &mut [f32]) {
        let in_row = padded(self.in_side) * self.c_in;
        for oy in 0..self.out_side {
            // Row taps: (ky, padded input row), only the valid ones.
            let rows: Vec<(usize, usize)> = (0..KERNEL)
                .filter_map(|ky| self.source(oy, ky).map(|iy| (ky, iy)))
                .filter(|&(_, iy)| iy >= 0 && iy < self.in_side as isize)
                .map(|(ky, iy)| (ky, (iy + 1) as usize))
                .collect();
            let out_row = &mut output[(oy + 1) * padded(self.out_side) * self.c_out..][..padded(self.out_side) * self.c_out];
            // Output columns of one residue class share their column taps; consecutive ones read
            // consecutive input columns.
            for first in 0..self.stride.min(self.out_side) {
                let columns: Vec<usize> = (first..self.out_side).step_by(self.stride).collect();
                // (kx, padded input column of the class's first output column)
                let taps: Vec<(usize, usize)> = (0..KERNEL)
                    .filter_map(|kx| self.source(first, kx).map(|ix| (kx, (ix + 1) as usize)))
                    .collect();
                let mut block = 0;
                while block < columns.len() {
                    let width = if columns.len() - block >= PIXEL_BLOCK { PIXEL_BLOCK } else { 1 };
                    let spot = Spot { rows: &rows, taps: &taps, column: block, in_row };
                    let out_at = |j: usize| (columns[block + j] + 1) * self.c_out;
                    if self.c_out == 1 {
                        for j in 0..width {
                            out_row[out_at(j)] = self.dot(input, &spot, j);
                        }
                    } else if width == PIXEL_BLOCK {
                        self.accumulate::<PIXEL_BLOCK>(input, &spot, out_row, [out_at(0), out_at(1)]);
                    } else {
                        self.accumulate::<1>(input, &spot, out_row, [out_at(0)]);
                    }
                    block += width;
                }
            }
        }
    }

    /// `W` output pixels of one class, all output channels, accumulated `CHANNEL_BLOCK` at a time.
    #[inline(always)]
    fn accumulate<const W: usize>(&self, input: &[f32], spot: &Spot, out_row: &mut [f32], out_at: [usize; W]) {
        for block in (0..self.c_out).step_by(CHANNEL_BLOCK) {
            let mut acc = [[0.0f32; CHANNEL_BLOCK]; W];
            for a in acc.iter_mut() {
                a.copy_from_slice(&self.bias[block..block + CHANNEL_BLOCK]);
            }
            for &(ky, row_at) in spot.rows {
                for &(kx, column) in spot.taps {
                    let x_at = row_at * spot.in_row + (column + spot.column) * self.c_in;
                    let pixels: [&[f32]; W] = std::array::from_fn(|j| &input[x_at + j * self.c_in..][..self.c_in]);
                    let weights = &self.weights[(ky * KERNEL + kx) * self.c_in * self.c_out..][..self.c_in * self.c_out];
                    for (ci, w_row) in weights.chunks_exact(self.c_out).enumerate() {
                        let w: &[f32; CHANNEL_BLOCK] = match w_row[block..].first_chunk() {
                            Some(w) => w,
                            None => return,
                        };
                        for (a, pixel) in acc.iter_mut().zip(&pixels) {
                            let s = pixel[ci];
                            for (a, &w) in a.iter_mut().zip(w) {
                                *a += s * w;
                            }
                        }
                    }
                }
            }
            for (a, &at) in acc.iter().zip(&out_at) {
                for (d, &v) in out_row[at + block..at + block + CHANNEL_BLOCK].iter_mut().zip(a) {
                    *d = if self.relu { v.max(0.0) } else { v };
                }
            }
        }
    }

    /// One output pixel of a one-channel layer: a dot product over taps and input channels.
    fn dot(&self, input: &[f32], spot: &Spot, j: usize) -> f32 {
        const LANES: usize = 8;
        let mut lanes = [0.0f32; LANES];
        let mut tail = 0.0;
        for &(ky, row_at) in spot.rows {
            for &(kx, column) in spot.taps {
                let x_at = row_at * spot.in_row + (column + spot.column + j) * self.c_in;
                let x = &input[x_at..][..self.c_in];
                let w = &self.weights[(ky * KERNEL + kx) * self.c_in..][..self.c_in];
                let (xs, x_rest) = x.as_chunks::<LANES>();
                let (ws, w_rest) = w.as_chunks::<LANES>();
                for (x, w) in xs.iter().zip(ws) {
                    for l in 0..LANES {
                        lanes[l] += x[l] * w[l];
                    }
                }
                tail += x_rest.iter().zip(w_rest).map(|(x, w)| x * w).sum::<f32>();
            }
        }
        let v = self.bias[0] + lanes.iter().sum::<f32>() + tail;
        if self.relu { v.max(0.0) } else { v }
    }
}

/// Where a block of output pixels reads: its row taps, its class's column taps, and its offset
/// (in input columns) from the class's first output column.
struct Spot<'a> {
    rows: &'a [(usize, usize)],
    taps: &'a [(usize, usize)],
    column: usize,
    in_row: usize,
}
