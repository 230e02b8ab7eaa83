//! [`PhaseConv`]'s products over gathered columns, for small planes.
//!
//! Why: the zero-bordered planes of [`crate::kernels::phase_planes`] compute every position of
//! a plane with its border, `(side + 1)²` of them: 64 for a 7 × 7 layer's 49 pixels (31 % more
//! multiply-adds), 25 for a 4 × 4 one's 16 (56 %), and `deeper`'s even output phases at 4 × 4
//! use 12 of 25. Those are the layers where the trainer lost to PyTorch (`cargo bench --bench
//! throughput -- "layer deeper"` beside `benches/pytorch_vae.py --layers`, docs/performance.md).
//!
//! How: the pixels alone, no border. A transposed convolution is one product of every tap's
//! weights with the input channels (`[c_out · tap][image · input pixel]`, depth `c_in`), each
//! output pixel then the sum of its phase's taps; its input gradient, the adjoint, one product of
//! depth nine taps × `c_out` over the output gradient copied once per tap into columns
//! `[c_out · tap][image · input pixel]` (zero where a tap falls outside the image), and the
//! weight gradient one product of the input with those same columns. The copies cost one read
//! and write per tap and value against `c_out` multiply-adds per value in the
//! products. The transposed convolution's product is split over the cores by blocks of images
//! (each summed while in cache), and natively the weight gradient's too (partial gradients summed
//! after); gemm splits the adjoint's itself.
//!
//! Same layer as the planes, same results: `phase_planes`' tests run both against burn's layers.

use super::phase_planes::{BLOCK_POSITIONS, PhaseConv, TAPS, Tap, for_each_chunk, map_chunks, product, sum_partials, whole_product, zeroed};
use super::strided::Operand;

/// The largest plane side (border included: `side + 1`) whose layers use the columns: 7 × 7
/// layers and less.
const COLUMNS_UP_TO: usize = 8;

/// Output channels per product in [`PhaseConv::transposed`]: with ~512 positions, 16 channels'
/// nine taps are ~300 KB of products, inside a core's cache.
const BLOCK_CHANNELS: usize = 16;

impl PhaseConv {
    /// Whether this layer's products run over gathered columns rather than zero-bordered planes.
    pub(super) fn columns(&self) -> bool {
        self.plane_side() <= COLUMNS_UP_TO
    }

    /// [`PhaseConv::forward`] over gathered columns: the output, and what the backward pass
    /// needs of the input (a transposed convolution's input channel by channel, a direct one's
    /// input as tap columns).
    pub(super) fn forward_columns(&self, x: &[f32], weight: &[f32], bias: &[f32]) -> (Vec<f32>, Vec<f32>) {
        if self.direct {
            let taps = self.tap_columns(x);
            let out = self.from_channel_rows(&self.adjoint_product(&taps, weight), Some(bias), self.relu);
            (taps, out)
        } else {
            let rows = channel_rows(x, self.images, self.c_in, self.side_in * self.side_in);
            let out = self.transposed(&rows, weight, Some(bias), self.relu);
            (rows, out)
        }
    }

    /// [`PhaseConv::backward`] over gathered columns, from what [`PhaseConv::forward_columns`]
    /// saved.
    pub(super) fn backward_columns(&self, saved: &[f32], weight: &[f32], output: &[f32], grad: &[f32], [want_x, want_w, want_b]: [bool; 3]) -> [Option<Vec<f32>>; 3] {
        let mask = self.relu.then_some(output);
        if self.direct {
            // The output gradient is at the transposed side (`side_in`, `c_in` channels).
            let pixels = self.side_in * self.side_in;
            let (g, db) = masked(grad, mask, self.c_in, pixels);
            let rows = channel_rows(&g, self.images, self.c_in, pixels);
            let dw = want_w.then(|| self.weight_product(&rows, saved));
            let dx = want_x.then(|| self.transposed(&rows, weight, None, false));
            [dx, dw, want_b.then_some(db)]
        } else {
            let (g, db) = masked(grad, mask, self.c_out, self.side_out * self.side_out);
            let taps = self.tap_columns(&g);
            let dw = want_w.then(|| self.weight_product(saved, &taps));
            let dx = want_x.then(|| self.from_channel_rows(&self.adjoint_product(&taps, weight), None, false));
            [dx, dw, want_b.then_some(db)]
        }
    }

    /// Pixels of the input side, every image: the adjoint's and the weight gradient's columns.
    fn input_positions(&self) -> usize {
        self.images * self.side_in * self.side_in
    }

    /// The transposed convolution of `rows` (its input as `[c_in][(i, y, x)]`) with its crop, plus
    /// `bias` and through the ReLU where given: one product of every tap's weights with the input,
    /// `[(co, tap)][(i, y, x)]`, then each output pixel the sum of its phase's taps (one, two or
    /// four), `[images, c_out, side_out, side_out]`. One product of depth `c_in` and a sum that reads
    /// 9 values per 4 output pixels, where a product per output phase over its taps' gathered
    /// columns wrote and read every input value once per tap: `deeper`'s 7 × 7 layer's forward
    /// 24.5 → 19.2 ms, the 14 × 14 encoder layer's backward 12.2 → 9.7 ms (`cargo bench --bench
    /// throughput -- "layer deeper"`, 2 cores of an AMD EPYC 7001). The price: products for pixels
    /// the crop drops (`deeper`'s 4 × 4 → 7 × 7 layer computes 144 tap-pixels an image for 100 kept,
    /// its forward 11.3 → 13.8 ms). Each core takes blocks of ~512 positions and sums a block's
    /// products 16 output channels at a time, while they are in its cache, where one product over
    /// the whole batch wrote ~9 MB out to memory and read it back: that layer's forward 16.5–20.4
    /// → 12.5–12.8 ms, a `deeper` step 228 → 221–225 ms (alternating runs, a slower day).
    fn transposed(&self, rows: &[f32], weight: &[f32], bias: Option<&[f32]>, relu: bool) -> Vec<f32> {
        let (side, pixels, positions) = (self.side_in, self.side_in * self.side_in, self.input_positions());
        let (side_out, plane_out) = (self.side_out, self.side_out * self.side_out);
        let width = self.c_out * TAPS;
        let taps: Vec<Tap> = self.taps().collect();
        // Output pixel (2u + a, 2v + b) from input pixel (u − e_y, v − e_x), where inside: v from
        // max(e_x, 0) to min(side + e_x, the phase's columns), for each tap.
        let columns: Vec<(usize, usize)> = taps
            .iter()
            .map(|tap| (tap.shift[1].max(0) as usize, ((side as isize + tap.shift[1]).max(0) as usize).min(self.phase_side(tap.phase % 2))))
            .collect();
        // Each core takes blocks of images; a block's products, a few output channels at a time,
        // stay in its cache until they are summed.
        let per = (BLOCK_POSITIONS / pixels).clamp(1, self.images);
        let channels = BLOCK_CHANNELS.min(self.c_out);
        let mut out = zeroed(self.images * self.c_out * plane_out);
        for_each_chunk(&mut out, per * self.c_out * plane_out, |(k, chunk)| {
            let (first, count) = (k * per, chunk.len() / (self.c_out * plane_out));
            let n = count * pixels;
            let mut products = vec![0.0f32; channels * TAPS * n];
            for c0 in (0..self.c_out).step_by(channels) {
                let cs = channels.min(self.c_out - c0);
                // products[(co, tap)][(i, y, x)] = Σ_ci W[ci, co, tap] · X[ci][(i, y, x)]; the
                // weight `[c_in, c_out, 3, 3]` as it lies is that product's `[c_in][(co, tap)]`.
                product(
                    Operand { data: &mut products, start: 0, row: n as isize, column: 1 },
                    false,
                    [cs * TAPS, n, self.c_in],
                    Operand { data: weight, start: (c0 * TAPS) as isize, row: 1, column: width as isize },
                    Operand { data: rows, start: (first * pixels) as isize, row: positions as isize, column: 1 },
                );
                for i in 0..count {
                    for co in c0..c0 + cs {
                        let plane = &mut chunk[(i * self.c_out + co) * plane_out..][..plane_out];
                        for (tap, &(from, to)) in taps.iter().zip(&columns) {
                            let (a, b) = (tap.phase / 2, tap.phase % 2);
                            let [ey, ex] = tap.shift;
                            let src = &products[((co - c0) * TAPS + tap.index) * n + i * pixels..][..pixels];
                            if from >= to {
                                continue;
                            }
                            for u in 0..self.phase_side(a) {
                                let y = u as isize - ey;
                                if !(0..side as isize).contains(&y) {
                                    continue;
                                }
                                let line = &src[y as usize * side..][(from as isize - ex) as usize..][..to - from];
                                let dst = &mut plane[(2 * u + a) * side_out..][..side_out];
                                for (v, &value) in (from..to).zip(line) {
                                    dst[2 * v + b] += value;
                                }
                            }
                        }
                        let b = bias.map_or(0.0, |b| b[co]);
                        plane.iter_mut().for_each(|v| *v = if relu { (*v + b).max(0.0) } else { *v + b });
                    }
                }
            }
        });
        out
    }

    /// `g` (`[images, c_out, side_out, side_out]`) as tap columns `[(co, tap)][(i, y, x)]` over
    /// the input side: `G[i, co, 2(y + e_y) + a, 2(x + e_x) + b]` for tap `(a, b, e_y, e_x)`, zero
    /// outside (the crop included).
    fn tap_columns(&self, g: &[f32]) -> Vec<f32> {
        let (side, side_out) = (self.side_in, self.side_out);
        let taps: Vec<Tap> = self.taps().collect();
        let positions = self.input_positions();
        let mut columns = zeroed(self.c_out * TAPS * positions);
        for_each_chunk(&mut columns, positions, |(k, dst)| {
            let (co, tap) = (k / TAPS, taps[k % TAPS]);
            let (a, b) = ((tap.phase / 2) as isize, (tap.phase % 2) as isize);
            let [ey, ex] = tap.shift;
            // Output coordinate of input coordinate `t` along one axis, if inside.
            let at = |t: usize, e: isize, p: isize| {
                let o = 2 * (t as isize + e) + p;
                (0..side_out as isize).contains(&o).then_some(o as usize)
            };
            for i in 0..self.images {
                let plane = &g[(i * self.c_out + co) * side_out * side_out..][..side_out * side_out];
                for y in 0..side {
                    let Some(row) = at(y, ey, a) else { continue };
                    let line = &plane[row * side_out..][..side_out];
                    let dst = &mut dst[(i * side + y) * side..][..side];
                    for (x, d) in dst.iter_mut().enumerate() {
                        if let Some(column) = at(x, ex, b) {
                            *d = line[column];
                        }
                    }
                }
            }
        });
        columns
    }

    /// The adjoint: `[c_in][(i, y, x)] = Σ_(co, tap) W[ci, co, tap] · columns[(co, tap)][(i, y, x)]`
    /// (the weight is `[c_in, c_out · 9]` as it lies).
    fn adjoint_product(&self, columns: &[f32], weight: &[f32]) -> Vec<f32> {
        let (positions, depth) = (self.input_positions(), self.c_out * TAPS);
        let mut out = zeroed(self.c_in * positions);
        whole_product(
            Operand { data: &mut out, start: 0, row: positions as isize, column: 1 },
            false,
            [self.c_in, positions, depth],
            Operand { data: weight, start: 0, row: depth as isize, column: 1 },
            Operand { data: columns, start: 0, row: positions as isize, column: 1 },
        );
        out
    }

    /// `dW[ci, co, tap] = Σ_(i, y, x) A[ci][(i, y, x)] · columns[(co, tap)][(i, y, x)]`, which is
    /// `[c_in, c_out, 3, 3]` as it lies.
    ///
    /// Natively each core takes blocks of ~512 positions (whole images) and writes a block's
    /// partial gradient with a one-thread product; the partials are summed after, in order. One
    /// product over the whole batch, which gemm split between the cores along its short sides
    /// (`c_in` by `c_out · 9`), ran at a third of the cores' peak: the direct layers' backward,
    /// `deeper`'s 7 × 7 → 4 × 4 8.3 → 5.5–6.2 ms and its 14 × 14 → 7 × 7 6.0 → 4.2–4.4 ms (`cargo
    /// bench --bench throughput -- "layer deeper"`, 2 cores of an AMD EPYC family 25 model 17).
    /// In the page's worker, one thread, the whole batch's product stays: there the blocks'
    /// partials cost 2.5–3.5 % of the training step (the relaxed-SIMD worker swapped into the same
    /// page, alternated twice: 1 worker 593–599 against 613–622 images/s).
    fn weight_product(&self, a: &[f32], columns: &[f32]) -> Vec<f32> {
        let (positions, pixels, width) = (self.input_positions(), self.side_in * self.side_in, self.c_out * TAPS);
        let size = self.c_in * width;
        let over = |dw: &mut [f32], first: usize, len: usize| {
            product(
                Operand { data: dw, start: 0, row: width as isize, column: 1 },
                false,
                [self.c_in, width, len],
                Operand { data: a, start: first as isize, row: positions as isize, column: 1 },
                Operand { data: columns, start: first as isize, row: 1, column: positions as isize },
            )
        };
        if cfg!(target_arch = "wasm32") {
            let mut dw = zeroed(size);
            over(&mut dw, 0, positions);
            return dw;
        }
        let per = (BLOCK_POSITIONS / pixels).clamp(1, self.images);
        let mut partial = zeroed(self.images.div_ceil(per) * size);
        for_each_chunk(&mut partial, size, |(k, dst)| over(dst, k * per * pixels, (self.images - k * per).min(per) * pixels));
        sum_partials(&partial, size)
    }

    /// `[c_in][(i, y, x)]` as `[images, c_in, side_in, side_in]`, plus `bias` and through the
    /// ReLU where given.
    fn from_channel_rows(&self, rows: &[f32], bias: Option<&[f32]>, relu: bool) -> Vec<f32> {
        let (positions, pixels) = (self.input_positions(), self.side_in * self.side_in);
        let mut out = zeroed(self.images * self.c_in * pixels);
        for_each_chunk(&mut out, pixels, |(k, plane)| {
            let (i, ci) = (k / self.c_in, k % self.c_in);
            let b = bias.map_or(0.0, |b| b[ci]);
            let src = &rows[ci * positions + i * pixels..][..pixels];
            plane.iter_mut().zip(src).for_each(|(d, &v)| *d = if relu { (v + b).max(0.0) } else { v + b });
        });
        out
    }
}

/// `[images, channels, pixels]` as `[channels][(image, pixel)]`.
fn channel_rows(x: &[f32], images: usize, channels: usize, pixels: usize) -> Vec<f32> {
    let mut out = zeroed(channels * images * pixels);
    for_each_chunk(&mut out, images * pixels, |(c, row)| {
        for (i, dst) in row.chunks_exact_mut(pixels).enumerate() {
            dst.copy_from_slice(&x[(i * channels + c) * pixels..][..pixels]);
        }
    });
    out
}

/// `g` (`[images, channels, pixels]`) zeroed where `mask` (same shape) is ≤ 0 when given, and
/// each channel's sum of what is left (the bias gradient). On every core, a plane at a time; the
/// planes' sums added per channel in image order (on one core this was 1.1 % of a `deeper` step's
/// samples, with the other core idle).
fn masked(g: &[f32], mask: Option<&[f32]>, channels: usize, pixels: usize) -> (Vec<f32>, Vec<f32>) {
    let mut out = zeroed(g.len());
    let plane_sums = map_chunks(&mut out, pixels, |(k, plane)| {
        let src = &g[k * pixels..][..pixels];
        match mask {
            Some(mask) => {
                let mask = &mask[k * pixels..][..pixels];
                plane.iter_mut().zip(src).zip(mask).for_each(|((d, &v), &m)| *d = if m > 0.0 { v } else { 0.0 });
            }
            None => plane.copy_from_slice(src),
        }
        plane.iter().sum::<f32>()
    });
    let mut sums = vec![0.0f64; channels];
    for (k, sum) in plane_sums.into_iter().enumerate() {
        sums[k % channels] += f64::from(sum);
    }
    (out, sums.into_iter().map(|s| s as f32).collect())
}
