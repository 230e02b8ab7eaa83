//! The decoder's stride-2 transposed convolutions for training, with their crop, bias and ReLU, as
//! nine whole-batch matrix products per pass: forward, input gradient, weight gradient.
//!
//! Why: on flex a training step of the baseline spent most of its time moving data, not
//! multiplying (perf, `cargo bench --bench throughput`: gemm's micro-kernel ~20 % of the step;
//! im2col / col2im, NCHW ↔ NHWC copies, the crop, the ReLU and their backward passes, and page
//! faults on their buffers the rest).
//!
//! How: output pixel `Y = 2y + ky − p` of a stride-2 transposed convolution lies in phase
//! `a = Y mod 2` at `u = (Y − a) / 2 = y + e`, where tap `ky` fixes `a` and the shift
//! `e ∈ {−1, 0, 1}`. So each tap is an ordinary matrix product between channels, of the input
//! shifted by `(e_y, e_x)` into one of four output phases. Every image and channel is stored as
//! a zero-bordered plane in one flat row per channel (`[channel][image · plane]`, see
//! [`Planes`]), so that a shift is an offset into the row: one GEMM per tap over the whole batch
//! (`gemm` crate, strided operands, no copies), at the price of computing the border positions
//! too (15 % more multiply-adds for the baseline's 14 × 14 layer). The input gradient reads the
//! output gradient's phases at the opposite shift, the weight gradient multiplies the input rows
//! with the shifted phase rows; the borders are zero, so they add nothing.
//!
//! Layers of 7 × 7 and less, where the borders cost the most, run the same products over
//! gathered columns instead ([`crate::kernels::phase_columns`]).
//!
//! Tested against burn's `ConvTranspose2d` + crop + ReLU, gradients included, on every variant
//! (`conv_gradients::tests`), in both forms.

use super::strided::Operand;

/// One stride-2, 3 × 3 transposed convolution (square, no dilation or groups) cropped to
/// `side_out` and optionally followed by a ReLU, for a batch of `images`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PhaseConv {
    pub(crate) images: usize,
    pub(crate) c_in: usize,
    pub(crate) c_out: usize,
    pub(crate) side_in: usize,
    /// Output side after the crop (at most the full `2·(side_in − 1) + 3 − 2·padding`).
    pub(crate) side_out: usize,
    pub(crate) padding: usize,
    pub(crate) relu: bool,
    /// The layer is the direct stride-2 convolution whose adjoint this is: `c_in` of these its
    /// output channels, `side_in` its output side, `c_out` / `side_out` its input's (see
    /// [`PhaseConv::forward`]).
    pub(crate) direct: bool,
}

const KERNEL: usize = 3;
pub(super) const TAPS: usize = KERNEL * KERNEL;

/// A block of images in [`PhaseConv::for_each_block`]: its first position in the batch's planes,
/// its positions (the last block's may be fewer), a whole block's positions, and the layout of
/// the block's own planes.
#[derive(Debug, Clone, Copy)]
struct Block {
    first: usize,
    len: usize,
    size: usize,
    local: Planes,
}

/// The flat layout of a batch of zero-bordered planes: pixel `(r, c)` of image `i` at
/// `margin + i·plane + (r + 1)·side + c + 1`, for `r, c ∈ [0, side − 1)`. Row `side − 1` of one
/// image is row `−1` of the next, and column `side − 1` of a row is column `−1` of the next, so a
/// one-pixel zero border costs one row and one column per image. The margins (`side + 1` zeros
/// at each end) let a shift of up to one pixel read in bounds from every position.
#[derive(Debug, Clone, Copy)]
struct Planes {
    side: usize,
    images: usize,
}

impl Planes {
    fn plane(self) -> usize {
        self.side * self.side
    }

    fn margin(self) -> usize {
        self.side + 1
    }

    /// Positions a product computes: every image's whole plane.
    fn positions(self) -> usize {
        self.images * self.plane()
    }

    /// One channel's row, margins included.
    fn row(self) -> usize {
        self.positions() + 2 * self.margin()
    }

    /// Position (no margin) of pixel `(r, c)` of image `i`.
    fn at(self, i: usize, r: usize, c: usize) -> usize {
        i * self.plane() + (r + 1) * self.side + c + 1
    }

    /// Flat offset of a shift by `(e_y, e_x)` pixels.
    fn shift(self, [ey, ex]: [isize; 2]) -> isize {
        ey * self.side as isize + ex
    }
}

/// Tap `(ky, kx)`: its output phase `(a, b)` and shift `(e_y, e_x)` (see the module comment).
#[derive(Debug, Clone, Copy)]
pub(super) struct Tap {
    pub(super) index: usize,
    pub(super) phase: usize,
    pub(super) shift: [isize; 2],
}

impl PhaseConv {
    /// Side of the full (uncropped) output.
    pub(crate) fn full_side(&self) -> usize {
        (2 * (self.side_in - 1) + KERNEL).saturating_sub(2 * self.padding)
    }

    /// Whether the shapes fit this formulation.
    pub(crate) fn supported(&self) -> bool {
        self.images > 0
            && self.c_in > 0
            && self.c_out > 0
            && self.side_in > 0
            && self.padding < KERNEL
            && self.side_out > 0
            && self.side_out <= self.full_side()
    }

    /// Rows of output phase `a` (`2u + a < side_out`).
    pub(super) fn phase_side(&self, a: usize) -> usize {
        (self.side_out.saturating_sub(a)).div_ceil(2)
    }

    fn planes(&self) -> Planes {
        Planes { side: self.plane_side(), images: self.images }
    }

    /// Side of the zero-bordered planes: the larger of the input's and the even phase's, plus
    /// the border.
    pub(super) fn plane_side(&self) -> usize {
        self.side_in.max(self.phase_side(0)) + 1
    }

    pub(super) fn taps(&self) -> impl Iterator<Item = Tap> + '_ {
        let p = self.padding as isize;
        (0..TAPS).map(move |index| {
            let (ky, kx) = ((index / KERNEL) as isize, (index % KERNEL) as isize);
            let (a, b) = ((ky - p).rem_euclid(2), (kx - p).rem_euclid(2));
            Tap { index, phase: (a * 2 + b) as usize, shift: [(ky - p - a) / 2, (kx - p - b) / 2] }
        })
    }

    /// `[images, channels, side, side]` values at the input's side (`side_in`) as planes,
    /// `[channel][row]`, zeroed where `mask` (same shape) is ≤ 0 when given; and each channel's
    /// sum of what was written.
    fn plain_planes(&self, x: &[f32], channels: usize, mask: Option<&[f32]>) -> (Vec<f32>, Vec<f32>) {
        let planes = self.planes();
        let (side, row) = (self.side_in, planes.row());
        let mut out = zeroed(channels * row);
        let sums = map_chunks(&mut out, row, |(c, dst)| {
            let mut sum = 0.0f64;
            for i in 0..self.images {
                let at = (i * channels + c) * side * side;
                for (r, line) in x[at..][..side * side].chunks_exact(side).enumerate() {
                    let dst = &mut dst[planes.margin() + planes.at(i, r, 0)..][..side];
                    match mask {
                        Some(mask) => {
                            let mask = &mask[at + r * side..][..side];
                            dst.iter_mut().zip(line).zip(mask).for_each(|((d, &v), &m)| *d = if m > 0.0 { v } else { 0.0 });
                        }
                        None => dst.copy_from_slice(line),
                    }
                    sum += f64::from(dst.iter().sum::<f32>());
                }
            }
            sum as f32
        });
        (out, sums)
    }

    /// `[images, channels, side_out, side_out]` values as their four phases' planes,
    /// `[channel][phase][row]`, masked as [`PhaseConv::plain_planes`]; and each channel's sum.
    fn phase_planes(&self, y: &[f32], channels: usize, mask: Option<&[f32]>) -> (Vec<f32>, Vec<f32>) {
        let planes = self.planes();
        let row = planes.row();
        let side = self.side_out;
        let mut phases = zeroed(channels * 4 * row);
        let sums = map_chunks(&mut phases, 4 * row, |(c, dst)| {
            let mut sum = 0.0f64;
            for i in 0..self.images {
                let at = (i * channels + c) * side * side;
                let values = &y[at..][..side * side];
                for (r, line) in values.chunks_exact(side).enumerate() {
                    let mask = mask.map(|m| &m[at + r * side..][..side]);
                    let keep = |x: usize, v: f32| if mask.is_some_and(|m| m[x] <= 0.0) { 0.0 } else { v };
                    // This row's two phases (even and odd columns), from column 0.
                    let even = ((r % 2) * 2) * row + planes.margin() + planes.at(i, r / 2, 0);
                    let (evens, odds) = dst[even..].split_at_mut(row);
                    let (pairs, last) = line.as_chunks::<2>();
                    let mut line_sum = [0.0f32; 2];
                    for (v, ((&[v0, v1], e), o)) in pairs.iter().zip(evens.iter_mut()).zip(odds.iter_mut()).enumerate() {
                        (*e, *o) = (keep(2 * v, v0), keep(2 * v + 1, v1));
                        line_sum = [line_sum[0] + *e, line_sum[1] + *o];
                    }
                    if let [v] = last {
                        evens[side / 2] = keep(side - 1, *v);
                        line_sum[0] += evens[side / 2];
                    }
                    sum += f64::from(line_sum[0]) + f64::from(line_sum[1]);
                }
            }
            sum as f32
        });
        (phases, sums)
    }

    /// Images per block of a product: a block's operands and result stay in the core's cache
    /// (~512 positions), and the blocks are what the cores share.
    fn block_images(&self) -> usize {
        (BLOCK_POSITIONS / self.planes().plane()).clamp(1, self.images)
    }

    /// An output of `image` values an image, each core filling blocks of images: `fill(block,
    /// the block's part of the output)`.
    fn for_each_block(&self, image: usize, fill: impl Fn(Block, &mut [f32]) + Send + Sync) -> Vec<f32> {
        let (planes, per) = (self.planes(), self.block_images());
        let mut out = zeroed(self.images * image);
        for_each_chunk(&mut out, per * image, |(k, chunk)| {
            let size = per * planes.plane();
            let local = Planes { side: planes.side, images: per };
            fill(Block { first: k * size, len: chunk.len() / image * planes.plane(), size, local }, chunk)
        });
        out
    }

    /// The blocks of images: `(first position, positions)` of each.
    fn blocks(&self) -> Vec<(usize, usize)> {
        let (plane, per) = (self.planes().plane(), self.block_images());
        (0..self.images).step_by(per).map(move |i| (i * plane, (self.images - i).min(per) * plane)).collect()
    }

    /// The transposed convolution of `x_planes` (`[c_in][row]`) with the weight `[c_in, c_out, 3,
    /// 3]`, as `[images, c_out, side_out, side_out]`, plus `bias` and through the ReLU where
    /// given. Each core takes blocks of images: a block's products, its four output phases
    /// `[c_out][phase][position in the block]`, stay in the core's cache until they are
    /// interleaved into the block's output, where products over the whole batch first wrote them
    /// all out to memory (15 MB for `deeper`'s 14 × 14 layer): that layer's forward 28.7–30.3 →
    /// 25.4–25.8 ms, a `deeper` step 213–220 → 210–216 ms (alternating runs, `cargo bench --bench
    /// throughput -- "layer deeper"`, 2 cores of an AMD EPYC 7001).
    fn transposed_planes(&self, x_planes: &[f32], weight: &[f32], bias: Option<&[f32]>, relu: bool) -> Vec<f32> {
        let planes = self.planes();
        let side = self.side_out;
        self.for_each_block(self.c_out * side * side, |Block { first, len, size: block, local }, chunk| {
            let mut phases = vec![0.0f32; self.c_out * 4 * block];
            let mut started = [false; 4];
            for tap in self.taps() {
                // out[co, j] (+)= Σ_ci W[ci, co, tap] · X[ci, j − shift]
                product(
                    Operand { data: &mut phases, start: (tap.phase * block) as isize, row: (4 * block) as isize, column: 1 },
                    std::mem::replace(&mut started[tap.phase], true),
                    [self.c_out, len, self.c_in],
                    Operand { data: weight, start: tap.index as isize, row: TAPS as isize, column: (self.c_out * TAPS) as isize },
                    Operand { data: x_planes, start: (planes.margin() + first) as isize - planes.shift(tap.shift), row: planes.row() as isize, column: 1 },
                );
            }
            for (k, plane) in chunk.chunks_exact_mut(side * side).enumerate() {
                let (i, co) = (k / self.c_out, k % self.c_out);
                let at = co * 4 * block;
                let b = bias.map_or(0.0, |b| b[co]);
                let activate = |v: f32| if relu { (v + b).max(0.0) } else { v + b };
                for (y, line) in plane.chunks_exact_mut(side).enumerate() {
                    // This row's two phases (even and odd columns), from column 0.
                    let row = at + ((y % 2) * 2) * block + local.at(i, y / 2, 0);
                    let (even, odd) = (&phases[row..][..side.div_ceil(2)], &phases[row + block..][..side / 2]);
                    // Pairs of columns (even, odd): two plain loops' worth of work, which vectorises.
                    let (pairs, last) = line.as_chunks_mut::<2>();
                    for ((pair, &e), &o) in pairs.iter_mut().zip(even).zip(odd) {
                        *pair = [activate(e), activate(o)];
                    }
                    if let [v] = last {
                        *v = activate(even[side / 2]);
                    }
                }
            }
        })
    }

    /// The adjoint of [`PhaseConv::transposed_planes`]: from four phases' planes (`[c_out][phase][row]`)
    /// and the weight, `[images, c_in, side_in, side_in]`, plus `bias` and through the ReLU where
    /// given; per block of images as there, the block's products `[c_in][position in the block]`
    /// extracted while in cache.
    fn adjoint_planes(&self, phases: &[f32], weight: &[f32], bias: Option<&[f32]>, relu: bool) -> Vec<f32> {
        let planes = self.planes();
        let row = planes.row();
        let side = self.side_in;
        self.for_each_block(self.c_in * side * side, |Block { first, len, size: block, local }, chunk| {
            let mut wide = vec![0.0f32; self.c_in * block];
            for tap in self.taps() {
                // dx[ci, j] (+)= Σ_co W[ci, co, tap] · G_phase[co, j + shift]
                product(
                    Operand { data: &mut wide, start: 0, row: block as isize, column: 1 },
                    tap.index > 0,
                    [self.c_in, len, self.c_out],
                    Operand { data: weight, start: tap.index as isize, row: (self.c_out * TAPS) as isize, column: TAPS as isize },
                    Operand { data: phases, start: (tap.phase * row + planes.margin() + first) as isize + planes.shift(tap.shift), row: (4 * row) as isize, column: 1 },
                );
            }
            for (k, plane) in chunk.chunks_exact_mut(side * side).enumerate() {
                let (i, ci) = (k / self.c_in, k % self.c_in);
                let b = bias.map_or(0.0, |b| b[ci]);
                for (y, line) in plane.chunks_exact_mut(side).enumerate() {
                    let src = &wide[ci * block + local.at(i, y, 0)..][..side];
                    line.iter_mut().zip(src).for_each(|(d, &v)| *d = if relu { (v + b).max(0.0) } else { v + b });
                }
            }
        })
    }

    /// `dW[ci, co, tap] = Σ_j X[ci, j] · G_phase[co, j + shift]` from `x_planes` (`[c_in][row]`)
    /// and four phases' planes (`[c_out][phase][row]`): `[c_in, c_out, 3, 3]`.
    fn weight_products(&self, x_planes: &[f32], phases: &[f32]) -> Vec<f32> {
        let planes = self.planes();
        let row = planes.row();
        let blocks = self.blocks();
        // Per block of images a partial dW, summed after.
        let size = self.c_in * self.c_out * TAPS;
        let mut partial = zeroed(blocks.len() * size);
        for_each_chunk(&mut partial, size, |(k, dst)| {
            let (first, len) = blocks[k];
            for tap in self.taps() {
                product(
                    Operand { data: &mut *dst, start: tap.index as isize, row: (self.c_out * TAPS) as isize, column: TAPS as isize },
                    false,
                    [self.c_in, self.c_out, len],
                    Operand { data: x_planes, start: (planes.margin() + first) as isize, row: row as isize, column: 1 },
                    Operand { data: phases, start: (tap.phase * row + planes.margin() + first) as isize + planes.shift(tap.shift), row: 1, column: (4 * row) as isize },
                );
            }
        });
        sum_partials(&partial, size)
    }

    /// The layer's input shape: `[images, c_in, side_in, side_in]` for a transposed convolution,
    /// `[images, c_out, side_out, side_out]` for the direct one this is the adjoint of.
    pub(crate) fn input_shape(&self) -> [usize; 4] {
        if self.direct { [self.images, self.c_out, self.side_out, self.side_out] } else { [self.images, self.c_in, self.side_in, self.side_in] }
    }

    /// The layer's bias length (its output channels).
    pub(crate) fn bias_len(&self) -> usize {
        if self.direct { self.c_in } else { self.c_out }
    }

    /// The layer's output shape (the other one).
    pub(crate) fn output_shape(&self) -> [usize; 4] {
        if self.direct { [self.images, self.c_in, self.side_in, self.side_in] } else { [self.images, self.c_out, self.side_out, self.side_out] }
    }

    /// The layer's output `[output_shape]` from its input `x`, the weight (`[c_in, c_out, 3, 3]`
    /// either way: a transposed convolution's `[in, out]`, a direct one's `[out, in]`) and the
    /// bias; with what [`PhaseConv::backward`] needs of the input (its planes).
    pub(crate) fn forward(&self, x: &[f32], weight: &[f32], bias: &[f32]) -> (Vec<f32>, Vec<f32>) {
        if self.columns() { self.forward_columns(x, weight, bias) } else { self.forward_planes(x, weight, bias) }
    }

    /// [`PhaseConv::forward`] over the zero-bordered planes.
    fn forward_planes(&self, x: &[f32], weight: &[f32], bias: &[f32]) -> (Vec<f32>, Vec<f32>) {
        if self.direct {
            let (phases, _) = self.phase_planes(x, self.c_out, None);
            let out = self.adjoint_planes(&phases, weight, Some(bias), self.relu);
            (phases, out)
        } else {
            let (planes, _) = self.plain_planes(x, self.c_in, None);
            let out = self.transposed_planes(&planes, weight, Some(bias), self.relu);
            (planes, out)
        }
    }

    /// `[input, weight, bias]` gradients from the forward's `saved` planes, the weight, its
    /// `output` (the ReLU's mask) and the output gradient `grad`, each only where `wanted`.
    pub(crate) fn backward(&self, saved: &[f32], weight: &[f32], output: &[f32], grad: &[f32], wanted: [bool; 3]) -> [Option<Vec<f32>>; 3] {
        if self.columns() { self.backward_columns(saved, weight, output, grad, wanted) } else { self.backward_planes(saved, weight, output, grad, wanted) }
    }

    /// [`PhaseConv::backward`] over the zero-bordered planes.
    fn backward_planes(&self, saved: &[f32], weight: &[f32], output: &[f32], grad: &[f32], [want_x, want_w, want_b]: [bool; 3]) -> [Option<Vec<f32>>; 3] {
        let mask = self.relu.then_some(output);
        if self.direct {
            // The output gradient is at the adjoint's input side: plain planes; the input's phases were saved.
            let (g_planes, db) = self.plain_planes(grad, self.c_in, mask);
            let dw = want_w.then(|| self.weight_products(&g_planes, saved));
            let dx = want_x.then(|| self.transposed_planes(&g_planes, weight, None, false));
            [dx, dw, want_b.then_some(db)]
        } else {
            let (g_phases, db) = self.phase_planes(grad, self.c_out, mask);
            let dw = want_w.then(|| self.weight_products(saved, &g_phases));
            let dx = want_x.then(|| self.adjoint_planes(&g_phases, weight, None, false));
            [dx, dw, want_b.then_some(db)]
        }
    }
}

/// The sum of `partial`'s blocks of `size` values (per block of images, a partial weight
/// gradient), summed on every core, a range of the sum each, the blocks in order.
pub(super) fn sum_partials(partial: &[f32], size: usize) -> Vec<f32> {
    let mut sum = zeroed(size);
    let range = size.div_ceil(8).max(1);
    for_each_chunk(&mut sum, range, |(k, dst)| {
        let at = k * range;
        for part in partial.chunks_exact(size) {
            dst.iter_mut().zip(&part[at..]).for_each(|(d, p)| *d += p);
        }
    });
    sum
}

/// Positions per block of a product (see [`PhaseConv::block_images`]).
pub(super) const BLOCK_POSITIONS: usize = 512;

/// `dst (+)= lhs · rhs` for `[m, n, k]` (`dst` `m × n`, `lhs` `m × k`, `rhs` `k × n`), adding to
/// `dst` when `accumulate`: the `gemm` crate (flex's own matrix product) on strided views, or in
/// wasm the register-tiled kernels of [`crate::kernels::tiled_product`].
pub(super) fn product(dst: Operand<&mut [f32]>, accumulate: bool, dims: [usize; 3], lhs: Operand<&[f32]>, rhs: Operand<&[f32]>) {
    // One thread: the callers share the blocks out between the cores.
    product_on(gemm::Parallelism::None, dst, accumulate, dims, lhs, rhs);
}

/// [`product`] on every core natively (gemm's own split over rayon), one thread in wasm.
pub(super) fn whole_product(dst: Operand<&mut [f32]>, accumulate: bool, dims: [usize; 3], lhs: Operand<&[f32]>, rhs: Operand<&[f32]>) {
    #[cfg(not(target_arch = "wasm32"))]
    let parallelism = gemm::Parallelism::Rayon(0);
    #[cfg(target_arch = "wasm32")]
    let parallelism = gemm::Parallelism::None;
    product_on(parallelism, dst, accumulate, dims, lhs, rhs);
}

/// [`product`] with gemm's `parallelism`.
fn product_on(parallelism: gemm::Parallelism, dst: Operand<&mut [f32]>, accumulate: bool, [m, n, k]: [usize; 3], lhs: Operand<&[f32]>, rhs: Operand<&[f32]>) {
    dst.check(m, n);
    lhs.check(m, k);
    rhs.check(k, n);
    // In the page's training worker, the products' two layouts on register tiles that fit wasm
    // (kernels::tiled_product); gemm natively, and for any other layout.
    #[cfg(target_arch = "wasm32")]
    let mut dst = dst;
    #[cfg(target_arch = "wasm32")]
    if super::tiled_product::product(&mut dst, accumulate, [m, n, k], &lhs, &rhs) {
        return;
    }
    // SAFETY: `check` put every element of the three views inside their slices; `dst` is a unique
    // borrow, so it aliases neither operand.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.data.as_mut_ptr().offset(dst.start),
            dst.column,
            dst.row,
            accumulate,
            lhs.data.as_ptr().offset(lhs.start),
            lhs.column,
            lhs.row,
            rhs.data.as_ptr().offset(rhs.start),
            rhs.column,
            rhs.row,
            1.0,
            1.0,
            false,
            false,
            false,
            parallelism,
        );
    }
}

/// `len` zeros: written by every core natively (rayon writes its parts straight into the new
/// vector), where `vec![0.0; len]` zeroes a reused allocation on one thread — 9.5 % of a `deeper`
/// training step's samples (perf, 2 cores, AMD EPYC), the other core idle meanwhile. In wasm
/// (one thread) `vec!`.
pub(crate) fn zeroed(len: usize) -> Vec<f32> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        let mut out = Vec::with_capacity(len);
        out.par_extend(rayon::iter::repeat_n(0.0f32, len));
        out
    }
    #[cfg(target_arch = "wasm32")]
    vec![0.0f32; len]
}

/// `fill(i, chunk)` for each `size`-long chunk of `out`: on every core natively (rayon, like
/// flex's GEMM), in turn in wasm (one worker, one thread). Also `conv_gradients`' loops.
pub(crate) fn for_each_chunk(out: &mut [f32], size: usize, fill: impl Fn((usize, &mut [f32])) + Send + Sync) {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(size).enumerate().for_each(fill);
    }
    #[cfg(target_arch = "wasm32")]
    out.chunks_mut(size).enumerate().for_each(fill);
}

/// `f(i, chunk)` for each `size`-long chunk of `out`, collected (as [`for_each_chunk`]).
pub(super) fn map_chunks<R: Send>(out: &mut [f32], size: usize, f: impl Fn((usize, &mut [f32])) -> R + Send + Sync) -> Vec<R> {
    #[cfg(not(target_arch = "wasm32"))]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(size).enumerate().map(f).collect()
    }
    #[cfg(target_arch = "wasm32")]
    out.chunks_mut(size).enumerate().map(f).collect()
}

#[cfg(test)]
mod tests {
    use burn::backend::ops::{ConvOptions, ConvTransposeOptions};
    use burn::prelude::*;
    use burn::tensor::activation::relu;
    use burn::tensor::module::{conv2d, conv_transpose2d};

    use super::PhaseConv;
    use crate::kernels::seeded::Seeded;

    fn read<const D: usize>(t: Tensor<D>) -> Vec<f32> {
        t.into_data().try_into_vec::<f32>().expect("f32 values")
    }

    /// Largest difference between `got` and `expected`, against `expected`'s largest value.
    fn assert_close(what: &str, got: &[f32], expected: &[f32]) {
        assert_eq!(got.len(), expected.len(), "{what}: lengths");
        let scale = expected.iter().fold(0f32, |m, v| m.max(v.abs()));
        let diff = got.iter().zip(expected).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
        assert!(scale > 0.0, "{what}: all zero compares nothing");
        assert!(diff <= 1e-5 * scale, "{what}: max |diff| {diff} against max |value| {scale}");
    }

    /// burn's layer (`transposed` or direct, then crop and ReLU) on `x`, its output and the
    /// gradients `[x, weight, bias]` of `Σ output · grad`.
    fn burns(layer: &PhaseConv, [x, weight, bias, grad]: [Tensor<4>; 4], bias_len: usize, after: usize) -> (Vec<f32>, [Vec<f32>; 3]) {
        let (x, weight) = (x.require_grad(), weight.require_grad());
        let bias = bias.reshape([bias_len]).require_grad();
        let p = layer.padding;
        let y = if layer.direct {
            conv2d(x.clone(), weight.clone(), Some(bias.clone()), ConvOptions::new_with_padding([2, 2], [(p, after), (p, after)], [1, 1], 1))
        } else {
            let y = conv_transpose2d(x.clone(), weight.clone(), Some(bias.clone()), ConvTransposeOptions::new([2, 2], [p, p], [0, 0], [1, 1], 1));
            y.narrow(2, 0, layer.side_out).narrow(3, 0, layer.side_out)
        };
        let y = if layer.relu { relu(y) } else { y };
        let grads = (y.clone() * grad).sum().backward();
        let g = |t: Tensor<4>| read(t.grad(&grads).expect("a gradient"));
        (read(y.inner()), [g(x), g(weight), read(bias.grad(&grads).expect("a bias gradient"))])
    }

    #[test]
    fn phase_planes_are_burns_layers_forward_and_backward() {
        let device = Device::flex().autodiff();
        let mut seeded = Seeded::new(3);
        // (images, c_in, c_out, side_in, side_out (0: uncropped), padding, relu): odd and even
        // sides, every padding, cropped or not, one image or several blocks of them (70 images of
        // 3 × 3: several blocks of planes and two of columns, the last ones partial).
        let transposed = [
            (3, 4, 5, 7, 14, 0, true),
            (2, 3, 2, 4, 7, 1, true),
            (70, 2, 3, 3, 0, 0, false),
            (1, 1, 1, 5, 0, 2, true),
            (5, 6, 1, 6, 11, 1, false),
            (2, 2, 2, 1, 0, 0, true),
        ];
        for (images, c_in, c_out, side_in, side_out, padding, relu) in transposed {
            let mut layer = PhaseConv { images, c_in, c_out, side_in, side_out, padding, relu, direct: false };
            if side_out == 0 {
                layer.side_out = layer.full_side();
            }
            assert!(layer.supported(), "{layer:?}");
            let x = seeded.normal([images, c_in, side_in, side_in], 1.0, &device);
            let weight = seeded.normal([c_in, c_out, 3, 3], 0.5, &device);
            let bias = seeded.normal([1, 1, 1, c_out], 0.5, &device);
            let grad = seeded.normal([images, c_out, layer.side_out, layer.side_out], 1.0, &device);
            check(&layer, [x, weight, bias, grad], c_out, 0);
        }
        // Direct: (images, c_in, c_out, side, padding before, after, relu).
        let direct = [(3, 1, 4, 28, 0, 1, true), (2, 5, 3, 14, 0, 1, true), (2, 3, 4, 7, 1, 1, true), (70, 2, 2, 5, 1, 1, false), (2, 2, 3, 9, 1, 1, true), (1, 3, 2, 8, 0, 1, true)];
        for (images, c_in, c_out, side, before, after, relu) in direct {
            let out_side = (side + before + after - 3) / 2 + 1;
            let layer = PhaseConv { images, c_in: c_out, c_out: c_in, side_in: out_side, side_out: side, padding: before, relu, direct: true };
            assert!(layer.supported(), "{layer:?}");
            let x = seeded.normal([images, c_in, side, side], 1.0, &device);
            let weight = seeded.normal([c_out, c_in, 3, 3], 0.5, &device);
            let bias = seeded.normal([1, 1, 1, c_out], 0.5, &device);
            let grad = seeded.normal([images, c_out, out_side, out_side], 1.0, &device);
            check(&layer, [x, weight, bias, grad], c_out, after);
        }
    }

    fn check(layer: &PhaseConv, tensors: [Tensor<4>; 4], bias_len: usize, after: usize) {
        let [x, weight, bias, grad] = tensors.clone().map(|t| read(t.inner()));
        let (out, [dx, dw, db]) = burns(layer, tensors, bias_len, after);
        // Both forms, whichever `forward` would pick for these shapes.
        for columns in [false, true] {
            let form = if columns { "columns" } else { "planes" };
            let (saved, got) = if columns { layer.forward_columns(&x, &weight, &bias) } else { layer.forward_planes(&x, &weight, &bias) };
            assert_close(&format!("{layer:?} {form} output"), &got, &out);
            let grads = if columns { layer.backward_columns(&saved, &weight, &got, &grad, [true; 3]) } else { layer.backward_planes(&saved, &weight, &got, &grad, [true; 3]) };
            let [gx, gw, gb] = grads.map(|g| g.expect("asked for"));
            assert_close(&format!("{layer:?} {form} input gradient"), &gx, &dx);
            assert_close(&format!("{layer:?} {form} weight gradient"), &gw, &dw);
            assert_close(&format!("{layer:?} {form} bias gradient"), &gb, &db);
        }
    }
}
