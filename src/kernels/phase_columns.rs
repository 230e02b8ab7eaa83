//! [`PhaseConv`]'s products over gathered columns, for small planes.
//!
//! Why: the zero-bordered planes of [`crate::kernels::phase_planes`] compute every position of
//! a plane with its border, `(side + 1)²` of them: 64 for a 7 × 7 layer's 49 pixels (31 % more
//! multiply-adds), 25 for a 4 × 4 one's 16 (56 %), and `deeper`'s even output phases at 4 × 4
//! use 12 of 25. Those are the layers where the trainer lost to PyTorch (`cargo bench --bench
//! throughput -- "layer deeper"` beside `benches/pytorch_vae.py --layers`, docs/performance.md).
//!
//! How: the pixels alone, copied once per tap into columns, zero where a tap falls outside the
//! image. A transposed convolution's output phase is then one product of depth taps × channels
//! (`[tap · c_in][image · phase pixel]`); its input gradient, the adjoint, one product of depth
//! nine taps × `c_out` over the output gradient's columns `[c_out · tap][image · input pixel]`,
//! and the weight gradient one product of the input with those same columns. The copies cost one
//! read and write per tap and value against `c_in` or `c_out` multiply-adds per value in the
//! products. gemm splits each product over the cores itself.
//!
//! Same layer as the planes, same results: `phase_planes`' tests run both against burn's layers.

use super::phase_planes::{Operand, PhaseConv, TAPS, Tap, for_each_chunk, whole_product, zeroed};

/// The largest plane side (border included: `side + 1`) whose layers use the columns: 7 × 7
/// layers and less.
const COLUMNS_UP_TO: usize = 8;

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
            let out = self.transposed(x, weight, Some(bias), self.relu);
            (channel_rows(x, self.images, self.c_in, self.side_in * self.side_in), out)
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
            let dw = want_w.then(|| self.weight_product(&channel_rows(&g, self.images, self.c_in, pixels), saved));
            let dx = want_x.then(|| self.transposed(&g, weight, None, false));
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

    /// The transposed convolution of `x` (`[images, c_in, side_in, side_in]`) with its crop, plus
    /// `bias` and through the ReLU where given: each output phase one product over its taps'
    /// columns, then the phases interleaved into `[images, c_out, side_out, side_out]`.
    fn transposed(&self, x: &[f32], weight: &[f32], bias: Option<&[f32]>, relu: bool) -> Vec<f32> {
        let (side, pixels) = (self.side_in, self.side_in * self.side_in);
        let sides = [self.phase_side(0), self.phase_side(1)];
        let taps: Vec<Tap> = self.taps().collect();
        let phases: Vec<Vec<f32>> = (0..4)
            .map(|phase| {
                let (rows, cols) = (sides[phase / 2], sides[phase % 2]);
                let positions = self.images * rows * cols;
                let mine: Vec<Tap> = taps.iter().copied().filter(|t| t.phase == phase).collect();
                if positions == 0 || mine.is_empty() {
                    return Vec::new();
                }
                let depth = mine.len() * self.c_in;
                // columns[(tap, ci)][(i, u, v)] = X[i, ci, u − e_y, v − e_x], zero outside.
                let mut columns = zeroed(depth * positions);
                for_each_chunk(&mut columns, positions, |(k, dst)| {
                    let (tap, ci) = (mine[k / self.c_in], k % self.c_in);
                    let [ey, ex] = tap.shift;
                    for i in 0..self.images {
                        let plane = &x[(i * self.c_in + ci) * pixels..][..pixels];
                        for u in 0..rows {
                            let y = u as isize - ey;
                            if !(0..side as isize).contains(&y) {
                                continue;
                            }
                            let line = &plane[y as usize * side..][..side];
                            let dst = &mut dst[(i * rows + u) * cols..][..cols];
                            // v − e_x within 0..side: v from max(e_x, 0) to min(side + e_x, cols).
                            let (from, to) = (ex.max(0) as usize, ((side as isize + ex).max(0) as usize).min(cols));
                            if from < to {
                                dst[from..to].copy_from_slice(&line[(from as isize - ex) as usize..][..to - from]);
                            }
                        }
                    }
                });
                // The phase's weights as `[c_out][(tap, ci)]`.
                let mut w = vec![0.0f32; self.c_out * depth];
                for (co, row) in w.chunks_exact_mut(depth).enumerate() {
                    for (t, tap) in mine.iter().enumerate() {
                        for ci in 0..self.c_in {
                            row[t * self.c_in + ci] = weight[(ci * self.c_out + co) * TAPS + tap.index];
                        }
                    }
                }
                let mut out = zeroed(self.c_out * positions);
                whole_product(
                    Operand { data: &mut out, start: 0, row: positions as isize, column: 1 },
                    false,
                    [self.c_out, positions, depth],
                    Operand { data: &w, start: 0, row: depth as isize, column: 1 },
                    Operand { data: &columns, start: 0, row: positions as isize, column: 1 },
                );
                out
            })
            .collect();
        let side_out = self.side_out;
        let mut out = zeroed(self.images * self.c_out * side_out * side_out);
        for_each_chunk(&mut out, side_out * side_out, |(k, plane)| {
            let (i, co) = (k / self.c_out, k % self.c_out);
            let b = bias.map_or(0.0, |b| b[co]);
            let activate = |v: f32| if relu { (v + b).max(0.0) } else { v + b };
            for (y, line) in plane.chunks_exact_mut(side_out).enumerate() {
                // This row's two phases (even and odd columns), from column 0.
                let (a, rows) = (y % 2, sides[y % 2]);
                let row = |phase: usize, cols: usize| &phases[phase][((co * self.images + i) * rows + y / 2) * cols..][..cols];
                let (even, odd) = (row(2 * a, sides[0]), row(2 * a + 1, sides[1]));
                let (pairs, last) = line.as_chunks_mut::<2>();
                for ((pair, &e), &o) in pairs.iter_mut().zip(even).zip(odd) {
                    *pair = [activate(e), activate(o)];
                }
                if let [v] = last {
                    *v = activate(even[side_out / 2]);
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
    fn weight_product(&self, a: &[f32], columns: &[f32]) -> Vec<f32> {
        let (positions, width) = (self.input_positions(), self.c_out * TAPS);
        let mut dw = zeroed(self.c_in * width);
        whole_product(
            Operand { data: &mut dw, start: 0, row: width as isize, column: 1 },
            false,
            [self.c_in, width, positions],
            Operand { data: a, start: 0, row: positions as isize, column: 1 },
            Operand { data: columns, start: 0, row: 1, column: positions as isize },
        );
        dw
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
/// each channel's sum of what is left (the bias gradient).
fn masked(g: &[f32], mask: Option<&[f32]>, channels: usize, pixels: usize) -> (Vec<f32>, Vec<f32>) {
    let out: Vec<f32> = match mask {
        Some(mask) => g.iter().zip(mask).map(|(&v, &m)| if m > 0.0 { v } else { 0.0 }).collect(),
        None => g.to_vec(),
    };
    let mut sums = vec![0.0f64; channels];
    for (k, plane) in out.chunks_exact(pixels).enumerate() {
        sums[k % channels] += f64::from(plane.iter().sum::<f32>());
    }
    (out, sums.into_iter().map(|s| s as f32).collect())
}
