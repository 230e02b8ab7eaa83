//! The training convolutions' matrix products in the page's training worker (wasm32), in the two
//! layouts [`crate::kernels::phase_planes`] and [`crate::kernels::phase_columns`] use, with
//! register tiles that fit the 15 vector registers V8 gives wasm code on x86-64.
//!
//! Why: gemm's wasm kernel keeps a 12 × 4 tile, 12 accumulators, which with the operands and a
//! product in flight is more vectors than there are registers, so V8 spills inside its inner loop.
//! On the step's own calls (the baseline's layers, batch 64 a worker, blocks of 450 positions), in
//! Chromium 156 on 2 cores of an AMD EPYC family 25 (Zen 3), multiply-adds a second:
//! - `rows` (each output row a sum of rows of `rhs`: the forward and input-gradient products),
//!   a 4 × 8 tile: 14.6–15.3 G against gemm's 10.8–11.5 G;
//! - `dots` (each output a dot product along `k`: the weight gradients), a 3 × 3 tile of
//!   4-lane partial sums: 15.1–15.3 G against gemm's 11.9–12.1 G.
//!
//! In the relaxed-SIMD training worker (`vae-lab-train-relaxed-simd`) `dots` multiplies and adds
//! in one fused `f32x4.relaxed_madd` (see [`rows`] for why `rows` does not).
//!
//! Natively these kernels run on four-float arrays instead of `v128` (the same code, lane by
//! lane, `dots` fused as on a CPU with FMA), only for the tests that check them against gemm in
//! every layout and size; the native trainer keeps gemm, which has AVX2 / AVX-512 kernels and
//! splits over the cores.

use super::strided::Operand;

/// Four lanes: wasm's `v128` in the page, an array natively (tests only).
mod lanes {
    #[cfg(target_arch = "wasm32")]
    pub(super) use wasm::*;
    #[cfg(not(target_arch = "wasm32"))]
    pub(super) use portable::*;

    #[cfg(target_arch = "wasm32")]
    mod wasm {
        use core::arch::wasm32::{f32x4_add, f32x4_extract_lane, f32x4_mul, f32x4_splat, v128, v128_load, v128_load32_splat, v128_store};

        pub(in super::super) type V = v128;

        #[inline(always)]
        pub(in super::super) fn zero() -> V {
            f32x4_splat(0.0)
        }

        /// # Safety
        /// `p..p + 4` is readable.
        #[inline(always)]
        pub(in super::super) unsafe fn load(p: *const f32) -> V {
            // SAFETY: the caller's; v128_load takes any alignment.
            unsafe { v128_load(p.cast::<v128>()) }
        }

        /// # Safety
        /// `p` is readable.
        #[inline(always)]
        pub(in super::super) unsafe fn splat(p: *const f32) -> V {
            // SAFETY: the caller's.
            unsafe { v128_load32_splat(p.cast::<u32>()) }
        }

        /// # Safety
        /// `p..p + 4` is writable.
        #[inline(always)]
        pub(in super::super) unsafe fn store(p: *mut f32, v: V) {
            // SAFETY: the caller's.
            unsafe { v128_store(p.cast::<v128>(), v) }
        }

        /// `a · b + c`, a multiply and an add (two roundings) in every build.
        #[inline(always)]
        pub(in super::super) fn mul_add(a: V, b: V, c: V) -> V {
            f32x4_add(f32x4_mul(a, b), c)
        }

        /// `a · b + c`: in the relaxed-SIMD build a fused multiply-add (`f32x4.relaxed_madd`, one
        /// instruction where the CPU has FMA, rounded once; inlined only into [`super::super::dots`],
        /// which that build compiles with relaxed SIMD), else [`mul_add`].
        #[inline(always)]
        pub(in super::super) fn madd(a: V, b: V, c: V) -> V {
            #[cfg(feature = "relaxed-simd")]
            return core::arch::wasm32::f32x4_relaxed_madd(a, b, c);
            #[cfg(not(feature = "relaxed-simd"))]
            mul_add(a, b, c)
        }

        #[inline(always)]
        pub(in super::super) fn add(a: V, b: V) -> V {
            f32x4_add(a, b)
        }


        #[inline(always)]
        pub(in super::super) fn sum(v: V) -> f32 {
            (f32x4_extract_lane::<0>(v) + f32x4_extract_lane::<1>(v)) + (f32x4_extract_lane::<2>(v) + f32x4_extract_lane::<3>(v))
        }

        #[inline(always)]
        pub(in super::super) fn first(v: V) -> f32 {
            f32x4_extract_lane::<0>(v)
        }
    }

    #[cfg(not(target_arch = "wasm32"))]
    mod portable {
        pub(in super::super) type V = [f32; 4];

        pub(in super::super) fn zero() -> V {
            [0.0; 4]
        }

        /// # Safety
        /// `p..p + 4` is readable.
        pub(in super::super) unsafe fn load(p: *const f32) -> V {
            // SAFETY: the caller's.
            unsafe { std::array::from_fn(|l| *p.add(l)) }
        }

        /// # Safety
        /// `p` is readable.
        pub(in super::super) unsafe fn splat(p: *const f32) -> V {
            // SAFETY: the caller's.
            unsafe { [*p; 4] }
        }

        /// # Safety
        /// `p..p + 4` is writable.
        pub(in super::super) unsafe fn store(p: *mut f32, v: V) {
            for (l, x) in v.into_iter().enumerate() {
                // SAFETY: the caller's.
                unsafe { *p.add(l) = x };
            }
        }

        pub(in super::super) fn mul_add(a: V, b: V, c: V) -> V {
            std::array::from_fn(|l| a[l] * b[l] + c[l])
        }

        /// Fused (rounded once), as the relaxed-SIMD build's on a CPU with FMA.
        pub(in super::super) fn madd(a: V, b: V, c: V) -> V {
            std::array::from_fn(|l| a[l].mul_add(b[l], c[l]))
        }

        pub(in super::super) fn add(a: V, b: V) -> V {
            std::array::from_fn(|l| a[l] + b[l])
        }

        pub(in super::super) fn sum(v: V) -> f32 {
            (v[0] + v[1]) + (v[2] + v[3])
        }

        pub(in super::super) fn first(v: V) -> f32 {
            v[0]
        }
    }
}

use lanes::V;

/// `dst (+)= lhs · rhs` for `[m, n, k]` where one of the two kernels fits the layout: `true` if
/// it ran, `false` to leave it to gemm. The caller has checked that every element of the three
/// views lies inside its slice (`Operand::check`).
pub(super) fn product(dst: &mut Operand<&mut [f32]>, accumulate: bool, [m, n, k]: [usize; 3], lhs: &Operand<&[f32]>, rhs: &Operand<&[f32]>) -> bool {
    if dst.column == 1 && rhs.column == 1 {
        // SAFETY: the views were checked (above); `dst` is a unique borrow, so no operand aliases it.
        unsafe { rows(dst, accumulate, [m, n, k], lhs, rhs) };
        true
    } else if lhs.column == 1 && rhs.row == 1 {
        // SAFETY: as above.
        unsafe { dots(dst, accumulate, [m, n, k], lhs, rhs) };
        true
    } else {
        false
    }
}

/// Rows of `lhs` in a tile.
const ROWS_TILE: usize = 4;
/// Vectors of `rhs`'s row in a tile (8 columns).
const ROWS_VECTORS: usize = 2;

/// `dst`'s and `rhs`'s columns one apart: each `ROWS_TILE × 8` tile of `dst` sums `k` rows of
/// `rhs` (two vectors each) times one value of `lhs` (from a copy of `lhs` packed as
/// `[tile][k][ROWS_TILE]`), in 8 accumulators. Columns past the last 8 one at a time.
///
/// A multiply and an add even in the relaxed-SIMD build: with `f32x4.relaxed_madd` here (10 %
/// more images a second with 2 workers in Chromium on an AMD EPYC family 25), 2 workers drifted
/// from 1 worker's run, 2.2e-5 relative by step 20 and growing ×1.7 a step from step 9, where
/// with a multiply and an add they stay within 1.2e-7 for 20 steps (`tests/e2e/train.test.mjs`:
/// the issue asks for 1e-5). The weight gradients' sums ([`dots`]) take the fused form without
/// that drift.
///
/// # Safety
/// The three views are inside their slices for `[m, n, k]`, and `dst` aliases neither operand.
unsafe fn rows(dst: &mut Operand<&mut [f32]>, accumulate: bool, [m, n, k]: [usize; 3], lhs: &Operand<&[f32]>, rhs: &Operand<&[f32]>) {
    let tiles = m.div_ceil(ROWS_TILE);
    let mut packed = vec![0.0f32; tiles * k * ROWS_TILE];
    for (t, tile) in packed.chunks_exact_mut(k * ROWS_TILE).enumerate() {
        for (kk, values) in tile.chunks_exact_mut(ROWS_TILE).enumerate() {
            for (r, v) in values.iter_mut().enumerate() {
                let i = t * ROWS_TILE + r;
                if i < m {
                    *v = lhs.data[(lhs.start + i as isize * lhs.row + kk as isize * lhs.column) as usize];
                }
            }
        }
    }
    const WIDTH: usize = 4 * ROWS_VECTORS;
    let (b, d) = (rhs.data.as_ptr(), dst.data.as_mut_ptr());
    let whole = n / WIDTH * WIDTH;
    for j in (0..whole).step_by(WIDTH) {
        for (t, tile) in packed.chunks_exact(k * ROWS_TILE).enumerate() {
            let mut acc = [[lanes::zero(); ROWS_VECTORS]; ROWS_TILE];
            // SAFETY (every pointer below): rows `0..k` and columns `j..j + 8 <= n` of `rhs`, rows
            // `i < m` and the same columns of `dst`, all inside the checked views.
            let mut from = unsafe { b.offset(rhs.start + j as isize) };
            for values in tile.chunks_exact(ROWS_TILE) {
                let row: [V; ROWS_VECTORS] = std::array::from_fn(|v| unsafe { lanes::load(from.add(4 * v)) });
                for (r, acc) in acc.iter_mut().enumerate() {
                    let a = unsafe { lanes::splat(values.as_ptr().add(r)) };
                    for (c, &x) in acc.iter_mut().zip(&row) {
                        *c = lanes::mul_add(a, x, *c);
                    }
                }
                // Wrapping: after the last row this points past `rhs` and is never read.
                from = from.wrapping_offset(rhs.row);
            }
            for (r, acc) in acc.iter().enumerate() {
                let i = t * ROWS_TILE + r;
                if i >= m {
                    break;
                }
                let to = unsafe { d.offset(dst.start + i as isize * dst.row + j as isize) };
                for (v, &c) in acc.iter().enumerate() {
                    let at = unsafe { to.add(4 * v) };
                    unsafe { lanes::store(at, if accumulate { lanes::add(lanes::load(at), c) } else { c }) };
                }
            }
        }
    }
    // The last `n % 8` columns one at a time, with the tiles' own multiply-add in the same order
    // (on splatted values): a column gives the same bits whether it falls in a tile or here, so
    // that how a batch is cut into blocks (one worker or several) changes no image's result.
    let a = lhs.data.as_ptr();
    for j in whole..n {
        for i in 0..m {
            let mut acc = lanes::zero();
            for kk in 0..k {
                // SAFETY: row `i < m`, column `kk < k` of `lhs`; row `kk`, column `j < n` of `rhs`.
                let (x, y) = unsafe {
                    (lanes::splat(a.offset(lhs.start + i as isize * lhs.row + kk as isize * lhs.column)), lanes::splat(b.offset(rhs.start + kk as isize * rhs.row + j as isize)))
                };
                acc = lanes::mul_add(x, y, acc);
            }
            let s = lanes::first(acc);
            let at = (dst.start + i as isize * dst.row + j as isize) as usize;
            dst.data[at] = if accumulate { dst.data[at] + s } else { s };
        }
    }
}

/// Rows of `lhs` and columns of `rhs` in a tile of [`dots`].
const DOTS_TILE: usize = 3;

/// `lhs`'s rows and `rhs`'s columns one apart along `k`: each output a dot product, a
/// `DOTS_TILE × DOTS_TILE` tile of them as 4-lane partial sums (9 accumulators) over `k` four at a
/// time, the lanes and the last `k % 4` added at the end. A tile past the last row or column
/// repeats it and drops the copy.
///
/// # Safety
/// The three views are inside their slices for `[m, n, k]`, and `dst` aliases neither operand;
/// in the relaxed-SIMD build, the browser has relaxed SIMD (the loader validated a module with it).
#[cfg_attr(all(target_arch = "wasm32", feature = "relaxed-simd"), target_feature(enable = "relaxed-simd"))]
unsafe fn dots(dst: &mut Operand<&mut [f32]>, accumulate: bool, [m, n, k]: [usize; 3], lhs: &Operand<&[f32]>, rhs: &Operand<&[f32]>) {
    let whole = k / 4 * 4;
    let (a, b, d) = (lhs.data.as_ptr(), rhs.data.as_ptr(), dst.data.as_mut_ptr());
    for i in (0..m).step_by(DOTS_TILE) {
        // SAFETY (every pointer below): rows `i + r < m` of `lhs` and columns `j + q < n` of
        // `rhs` (a tile past the end repeats the last), `0..k` along each, and `dst`'s element of
        // each pair, all inside the checked views.
        let left: [*const f32; DOTS_TILE] = std::array::from_fn(|r| unsafe { a.offset(lhs.start + (i + r).min(m - 1) as isize * lhs.row) });
        for j in (0..n).step_by(DOTS_TILE) {
            let right: [*const f32; DOTS_TILE] = std::array::from_fn(|q| unsafe { b.offset(rhs.start + (j + q).min(n - 1) as isize * rhs.column) });
            let mut acc = [[lanes::zero(); DOTS_TILE]; DOTS_TILE];
            for kk in (0..whole).step_by(4) {
                let cols: [V; DOTS_TILE] = std::array::from_fn(|q| unsafe { lanes::load(right[q].add(kk)) });
                for (acc, &row) in acc.iter_mut().zip(&left) {
                    let x = unsafe { lanes::load(row.add(kk)) };
                    for (c, &y) in acc.iter_mut().zip(&cols) {
                        *c = lanes::madd(x, y, *c);
                    }
                }
            }
            for (r, acc) in acc.iter().enumerate().take(m - i) {
                for (q, &c) in acc.iter().enumerate().take(n - j) {
                    let s = (whole..k).fold(lanes::sum(c), |s, t| s + unsafe { *left[r].add(t) * *right[q].add(t) });
                    let at = unsafe { d.offset(dst.start + (i + r) as isize * dst.row + (j + q) as isize * dst.column) };
                    unsafe { *at = if accumulate { *at + s } else { s } };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// `dst (+)= lhs · rhs` with gemm, as `phase_planes::product` runs it.
    fn by_gemm(dst: &mut Operand<&mut [f32]>, accumulate: bool, [m, n, k]: [usize; 3], lhs: &Operand<&[f32]>, rhs: &Operand<&[f32]>) {
        // SAFETY: the tests' views lie inside their slices (the layouts below).
        unsafe {
            gemm::gemm(
                m, n, k,
                dst.data.as_mut_ptr().offset(dst.start), dst.column, dst.row, accumulate,
                lhs.data.as_ptr().offset(lhs.start), lhs.column, lhs.row,
                rhs.data.as_ptr().offset(rhs.start), rhs.column, rhs.row,
                1.0, 1.0, false, false, false, gemm::Parallelism::None,
            );
        }
    }

    /// The two kernels give gemm's products (to float rounding) in the layouts the phase products
    /// use, on sizes with every kind of remainder (tiles, vectors, `k % 4`), added or written, in
    /// views with slack around them.
    #[test]
    fn the_tiled_products_are_gemms_in_every_layout_and_size() {
        let mut rng = StdRng::seed_from_u64(11);
        let mut worst = 0.0f32;
        for (m, n, k) in [(1, 1, 1), (3, 7, 5), (4, 8, 4), (5, 9, 3), (32, 450, 64), (64, 450, 32), (13, 17, 19), (9, 3, 450), (64, 32, 451), (288, 50, 64)] {
            for accumulate in [false, true] {
                for layout in 0..4 {
                    // Strides with slack (a view inside a bigger buffer), as the callers' are.
                    let (pad_m, pad_n, pad_k) = (m + 3, n + 5, k + 2);
                    let (start, len) = (7isize, 7 + pad_m * pad_n.max(pad_k) * 2 + pad_k * pad_n * 2);
                    let mut values = |len: usize| (0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect::<Vec<f32>>();
                    let (a, b, d0) = (values(len), values(len), values(len));
                    // 0, 1: rows (dst and rhs one apart along a row; lhs either way);
                    // 2, 3: dots (lhs one apart along k, rhs one apart along k; dst either way).
                    let (lhs_rc, rhs_rc, dst_rc) = match layout {
                        0 => ((pad_k as isize, 1), (pad_n as isize, 1), (pad_n as isize, 1)),
                        1 => ((1, pad_m as isize), (pad_n as isize, 1), (pad_n as isize, 1)),
                        2 => ((pad_k as isize, 1), (1, pad_k as isize), (pad_n as isize, 1)),
                        _ => ((pad_k as isize, 1), (1, pad_k as isize), (1, pad_m as isize)),
                    };
                    let lhs = Operand { data: &a[..], start, row: lhs_rc.0, column: lhs_rc.1 };
                    let rhs = Operand { data: &b[..], start, row: rhs_rc.0, column: rhs_rc.1 };
                    let (mut want, mut got) = (d0.clone(), d0.clone());
                    by_gemm(&mut Operand { data: &mut want[..], start, row: dst_rc.0, column: dst_rc.1 }, accumulate, [m, n, k], &lhs, &rhs);
                    let mut dst = Operand { data: &mut got[..], start, row: dst_rc.0, column: dst_rc.1 };
                    assert!(product(&mut dst, accumulate, [m, n, k], &lhs, &rhs), "layout {layout} taken");
                    // A sum of k products of values in ±1 is ~√k in size, and so are its rounding errors.
                    let scale = (k as f32).sqrt().max(1.0);
                    for (at, (w, g)) in want.iter().zip(&got).enumerate() {
                        let diff = (w - g).abs() / scale;
                        worst = worst.max(diff);
                        assert!(diff <= 1e-5, "{m}×{n}×{k}, layout {layout}, accumulate {accumulate}: element {at} {g} vs gemm's {w}");
                    }
                }
            }
        }
        // A column gives the same bits in a tile as in the tail after the last tile: here column
        // 16 of `rhs` is the tail of a 17-column product, then inside the second tile of the same
        // product started one column later.
        let (m, k, width) = (5, 37, 40);
        let mut values = |len: usize| (0..len).map(|_| rng.random_range(-1.0f32..1.0)).collect::<Vec<f32>>();
        let (a, b) = (values(m * k), values(k * width));
        let lhs = Operand { data: &a[..], start: 0, row: k as isize, column: 1 };
        let mut tail = vec![0.0f32; m * width];
        assert!(product(&mut Operand { data: &mut tail[..], start: 0, row: width as isize, column: 1 }, false, [m, 17, k], &lhs, &Operand { data: &b[..], start: 0, row: width as isize, column: 1 }));
        let mut tiled = vec![0.0f32; m * width];
        assert!(product(&mut Operand { data: &mut tiled[..], start: 1, row: width as isize, column: 1 }, false, [m, 16, k], &lhs, &Operand { data: &b[..], start: 1, row: width as isize, column: 1 }));
        for i in 0..m {
            assert_eq!(tail[i * width + 16].to_bits(), tiled[i * width + 16].to_bits(), "row {i}: the tail's column 16 and the tile's differ");
        }
        // A layout neither kernel fits is left to gemm.
        let (a, b, mut d) = (vec![0.0f32; 16], vec![0.0f32; 16], vec![0.0f32; 16]);
        let taken = product(&mut Operand { data: &mut d[..], start: 0, row: 1, column: 4 }, false, [4, 4, 4],
            &Operand { data: &a[..], start: 0, row: 4, column: 1 }, &Operand { data: &b[..], start: 0, row: 4, column: 1 });
        assert!(!taken);
        println!("tiled products: worst difference from gemm {worst:e} (over √k)");
    }
}
