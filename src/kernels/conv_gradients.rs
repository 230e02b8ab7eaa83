//! The convolutions' weight gradients as one im2col matrix product each, for training on flex.
//!
//! burn's default `conv2d_weight_backward` / `conv_transpose2d_weight_backward` (which flex
//! inherits) compute a weight gradient as a convolution of the input with the output gradient as
//! a dilated kernel — 14×14 and 28×28 kernels with 3×3 outputs for this model, which flex runs
//! through im2col with tiny outputs (most of a training step's time, README "Training speed").
//! Written out, both weight gradients are one correlation:
//!
//! `dW[a, b, ky, kx] = Σ_{n, y, x} A[n, a, y, x] · B[n, b, y·s + ky − p, x·s + kx − p]`
//!
//! — a convolution's with `A` = output gradient, `B` = input; a transposed convolution's with
//! `A` = input, `B` = output gradient — i.e. one GEMM, `A` as `[a, n·y·x]` times the patches of
//! `B` as `[n·y·x, b·9]`, about 0.85 G multiply-adds per baseline step of 128 images.
//!
//! A [`backend_extension`] with its own backward pass ([`ConvGradients`]): the forward and the
//! input gradients stay flex's own (the same numbers as burn's layers), only the weight gradients
//! change — and in the decoder's output layer (stride 1, one channel) both gradients are direct
//! loops (`OneChannel`; the same sums in another order). Used by [`conv2d`] and
//! [`conv_transpose2d`] on an autodiff flex device (the trainer); on any other device they are
//! the burn layers' `forward`.
//!
//! The model's stride-2 layers go through [`conv2d_activated`] / [`conv_transpose2d_activated`]
//! instead: one node each with bias, crop and ReLU, whose forward and backward are
//! [`crate::kernels::phase_planes`]' matrix products (the same extension, `conv_phases`).

use burn::nn::PaddingConfig2d;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::prelude::*;

#[cfg(flex_train)]
pub(crate) use gemm::ConvGradients;

/// Where a training forward pass's convolutions get their weight gradients (the choice is per
/// call, so a test can run burn's beside ours).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WeightGradients {
    /// [`ConvGradients`]' GEMM on an autodiff flex device, burn's elsewhere.
    #[default]
    Gemm,
    /// burn's own (the layers' `forward`).
    Burn,
}

// Where there is autodiff: natively (the trainer) and in the page's training build.
#[cfg(flex_train)]
mod gemm {
    use burn::backend::autodiff::checkpoint::base::Checkpointer;
    use burn::backend::autodiff::checkpoint::strategy::CheckpointStrategy;
    use burn::backend::autodiff::grads::Gradients;
    use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
    use burn::backend::autodiff::Autodiff;
    use burn::backend::ops::{ConvOptions, ConvTransposeOptions, FloatTensorOps, ModuleOps};
    use burn::backend::tensor::FloatTensor;
    use burn::backend::{Backend, Flex, backend_extension};
    use burn::prelude::*;
    use burn::tensor::TensorData;
    use burn::backend::flex::FlexTensor;

    use crate::kernels::phase_planes::{PhaseConv, for_each_chunk, zeroed};

    /// Convolutions whose weight gradient is [`weight_gradient`]'s GEMM.
    #[backend_extension(Flex, Autodiff)]
    pub trait ConvGradients: Backend {
        /// burn's `conv2d` with a bias.
        fn conv2d_gemm_grad(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>, options: ConvOptions<2>) -> FloatTensor<Self>;
        /// burn's `conv_transpose2d` with a bias.
        fn conv_transpose2d_gemm_grad(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            bias: FloatTensor<Self>,
            options: ConvTransposeOptions<2>,
        ) -> FloatTensor<Self>;
        /// A stride-2 convolution or transposed convolution with its crop, bias and ReLU ([`PhaseConv`]).
        fn conv_phases(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>, layer: PhaseConv) -> FloatTensor<Self>;
    }

    impl ConvGradients for Flex {
        fn conv2d_gemm_grad(x: FlexTensor, weight: FlexTensor, bias: FlexTensor, options: ConvOptions<2>) -> FlexTensor {
            Flex::conv2d(x, weight, Some(bias), options)
        }

        fn conv_transpose2d_gemm_grad(x: FlexTensor, weight: FlexTensor, bias: FlexTensor, options: ConvTransposeOptions<2>) -> FlexTensor {
            Flex::conv_transpose2d(x, weight, Some(bias), options)
        }

        fn conv_phases(x: FlexTensor, weight: FlexTensor, bias: FlexTensor, layer: PhaseConv) -> FlexTensor {
            phases_forward(layer, &x, &weight, &bias).1
        }
    }

    /// [`PhaseConv::forward`]: the input's planes and the output as a tensor.
    fn phases_forward(layer: PhaseConv, x: &FlexTensor, weight: &FlexTensor, bias: &FlexTensor) -> (Vec<f32>, FlexTensor) {
        let (x, weight, bias) = (x.clone().to_contiguous(), weight.clone().to_contiguous(), bias.clone().to_contiguous());
        let (saved, out) = layer.forward(slice(&x), slice(&weight), slice(&bias));
        (saved, FlexTensor::from_data(TensorData::new(out, layer.output_shape())))
    }

    /// What [`PhaseBackward`] needs: the input as planes, the weight, the output (its ReLU mask).
    type PhaseSaved = (std::sync::Arc<Vec<f32>>, FlexTensor, FlexTensor, PhaseConv);

    /// The backward step of [`ConvGradients::conv_phases`].
    #[derive(Debug)]
    struct PhaseBackward;

    impl Backward<Flex, 3> for PhaseBackward {
        type State = PhaseSaved;

        fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
            let [node_x, node_weight, node_bias] = ops.parents;
            let grad = grads.consume::<Flex>(&ops.node).to_contiguous();
            let (saved, weight, output, layer) = ops.state;
            let (weight, output) = (weight.to_contiguous(), output.to_contiguous());
            let wanted = [node_x.is_some(), node_weight.is_some(), node_bias.is_some()];
            let [dx, dw, db] = layer.backward(&saved, slice(&weight), slice(&output), slice(&grad), wanted);
            let shapes = [layer.input_shape().to_vec(), vec![layer.c_in, layer.c_out, 3, 3], vec![layer.bias_len()]];
            for ((node, values), shape) in [node_x, node_weight, node_bias].into_iter().zip([dx, dw, db]).zip(shapes) {
                if let (Some(node), Some(values)) = (node, values) {
                    grads.register::<Flex>(node.id, FlexTensor::from_data(TensorData::new(values, shape)));
                }
            }
        }
    }

    /// What a convolution's backward pass needs: its input, weight, bias and options.
    type Saved<O> = (FlexTensor, FlexTensor, FlexTensor, O);

    /// A layer's gradients, told apart by its options' type.
    trait LayerGradients: Clone + Send + std::fmt::Debug + 'static {
        /// The bias gradient: the output gradient summed over images and pixels.
        fn bias(x: FlexTensor, bias: FlexTensor, grad: FlexTensor) -> FlexTensor;
        /// `[input, weight]` gradients, each only where `wanted`.
        fn gradients(self, x: FlexTensor, weight: FlexTensor, grad: FlexTensor, wanted: [bool; 2]) -> [Option<FlexTensor>; 2];
    }

    impl LayerGradients for ConvOptions<2> {
        fn bias(x: FlexTensor, bias: FlexTensor, grad: FlexTensor) -> FlexTensor {
            Flex::conv2d_bias_backward(x, bias, grad)
        }

        fn gradients(self, x: FlexTensor, weight: FlexTensor, grad: FlexTensor, [want_x, want_w]: [bool; 2]) -> [Option<FlexTensor>; 2] {
            let dw = want_w.then(|| match Correlation::of_conv(&self, &weight) {
                Some(c) => {
                    let [_, _, h, w] = grad.layout().shape().dims();
                    c.weight_gradient(grad.clone(), c.patches(x.clone().to_contiguous(), [h, w]))
                }
                None => Flex::conv2d_weight_backward(x.clone(), weight.clone(), grad.clone(), self.clone()),
            });
            [want_x.then(|| Flex::conv2d_x_backward(x, weight, grad, self)), dw]
        }
    }

    impl LayerGradients for ConvTransposeOptions<2> {
        fn bias(x: FlexTensor, bias: FlexTensor, grad: FlexTensor) -> FlexTensor {
            Flex::conv_transpose2d_bias_backward(x, bias, grad)
        }

        fn gradients(self, x: FlexTensor, weight: FlexTensor, grad: FlexTensor, [want_x, want_w]: [bool; 2]) -> [Option<FlexTensor>; 2] {
            if let Some(layer) = OneChannel::of(&self, &weight, &x) {
                let dw = want_w.then(|| layer.weight_gradient(x.clone(), grad.clone()));
                return [want_x.then(|| layer.input_gradient(weight, grad)), dw];
            }
            let Some(correlation) = Correlation::of_conv_transpose(&self, &weight) else {
                let dw = want_w.then(|| Flex::conv_transpose2d_weight_backward(x, weight.clone(), grad.clone(), self.clone()));
                return [want_x.then(|| Flex::conv_transpose2d_x_backward(weight, grad, self)), dw];
            };
            // Both gradients read the output gradient's patches at the input's pixels: one im2col.
            let [n, c_in, h, w] = x.layout().shape().dims();
            let patches = correlation.patches(grad.to_contiguous(), [h, w]);
            let dw = want_w.then(|| correlation.weight_gradient(x, patches.clone()));
            let dx = want_x.then(|| {
                // dx[(n, y, x), c_in] = patches · Wᵀ, W as [c_in, c_out·kh·kw].
                let [_, c_out, kh, kw] = weight.layout().shape().dims();
                let weight = Flex::float_reshape(weight, Shape::new([c_in, c_out * kh * kw]));
                let dx = Flex::float_matmul(patches, Flex::float_permute(weight, &[1, 0]));
                let dx = Flex::float_permute(Flex::float_reshape(dx, Shape::new([n, h * w, c_in])), &[0, 2, 1]);
                Flex::float_reshape(dx, Shape::new([n, c_in, h, w]))
            });
            [dx, dw]
        }
    }

    /// The backward step of a convolution (`ConvOptions`) or transposed one (`ConvTransposeOptions`).
    #[derive(Debug)]
    struct ConvBackward<O>(std::marker::PhantomData<O>);

    impl<O: LayerGradients> ConvBackward<O> {
        fn new() -> Self {
            ConvBackward(std::marker::PhantomData)
        }
    }

    impl<O: LayerGradients> Backward<Flex, 3> for ConvBackward<O> {
        type State = Saved<O>;

        fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
            let [node_x, node_weight, node_bias] = ops.parents;
            let grad = grads.consume::<Flex>(&ops.node);
            let (x, weight, bias, options) = ops.state;
            if let Some(node) = node_bias {
                grads.register::<Flex>(node.id, O::bias(x.clone(), bias, grad.clone()));
            }
            let [dx, dw] = options.gradients(x, weight, grad, [node_x.is_some(), node_weight.is_some()]);
            if let (Some(node), Some(dx)) = (node_x, dx) {
                grads.register::<Flex>(node.id, dx);
            }
            if let (Some(node), Some(dw)) = (node_weight, dw) {
                grads.register::<Flex>(node.id, dw);
            }
        }
    }

    impl<C: CheckpointStrategy> ConvGradients for Autodiff<Flex, C> {
        fn conv2d_gemm_grad(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>, options: ConvOptions<2>) -> FloatTensor<Self> {
            tracked::<C, _>([x, weight, bias], options, Flex::conv2d)
        }

        fn conv_transpose2d_gemm_grad(
            x: FloatTensor<Self>,
            weight: FloatTensor<Self>,
            bias: FloatTensor<Self>,
            options: ConvTransposeOptions<2>,
        ) -> FloatTensor<Self> {
            tracked::<C, _>([x, weight, bias], options, Flex::conv_transpose2d)
        }

        fn conv_phases(x: FloatTensor<Self>, weight: FloatTensor<Self>, bias: FloatTensor<Self>, layer: PhaseConv) -> FloatTensor<Self> {
            match PhaseBackward.prepare::<C>([x.node(), weight.node(), bias.node()]).compute_bound().stateful() {
                OpsKind::Tracked(prep) => {
                    let (x, weight, bias) = (x.into_primitive(), weight.into_primitive(), bias.into_primitive());
                    let (saved, output) = phases_forward(layer, &x, &weight, &bias);
                    prep.finish((std::sync::Arc::new(saved), weight, output.clone(), layer), output)
                }
                OpsKind::UnTracked(prep) => prep.finish(Flex::conv_phases(x.into_primitive(), weight.into_primitive(), bias.into_primitive(), layer)),
            }
        }
    }

    /// flex's `forward` of `[x, weight, bias]`, with [`ConvBackward`] as its backward when any of
    /// them is tracked.
    fn tracked<C: CheckpointStrategy, O: LayerGradients>(
        [x, weight, bias]: [FloatTensor<Autodiff<Flex, C>>; 3],
        options: O,
        forward: fn(FlexTensor, FlexTensor, Option<FlexTensor>, O) -> FlexTensor,
    ) -> FloatTensor<Autodiff<Flex, C>> {
        match ConvBackward::<O>::new().prepare::<C>([x.node(), weight.node(), bias.node()]).compute_bound().stateful() {
            OpsKind::Tracked(prep) => {
                let (x, weight, bias) = (x.into_primitive(), weight.into_primitive(), bias.into_primitive());
                let output = forward(x.clone(), weight.clone(), Some(bias.clone()), options.clone());
                prep.finish((x, weight, bias, options), output)
            }
            OpsKind::UnTracked(prep) => prep.finish(forward(x.into_primitive(), weight.into_primitive(), Some(bias.into_primitive()), options)),
        }
    }

    /// The correlation of the module comment for one layer: `B`'s rows `y·stride + k − padding`.
    #[derive(Debug, Clone, Copy)]
    struct Correlation {
        stride: [usize; 2],
        padding: [usize; 2],
        kernel: [usize; 2],
    }

    impl Correlation {
        /// A convolution's, if it is one this covers (no dilation, no groups).
        fn of_conv(options: &ConvOptions<2>, weight: &FlexTensor) -> Option<Correlation> {
            let [_, _, kh, kw] = weight.layout().shape().dims();
            (options.dilation == [1, 1] && options.groups == 1)
                .then(|| Correlation { stride: options.stride, padding: options.padding_begin(), kernel: [kh, kw] })
        }

        /// A transposed convolution's: output row `Y = y·stride + k − padding` for input row `y`.
        fn of_conv_transpose(options: &ConvTransposeOptions<2>, weight: &FlexTensor) -> Option<Correlation> {
            let [_, _, kh, kw] = weight.layout().shape().dims();
            (options.dilation == [1, 1] && options.groups == 1)
                .then(|| Correlation { stride: options.stride, padding: options.padding, kernel: [kh, kw] })
        }

        /// `dW[a, b, ky, kx]` from `a` `[n, a, h, w]` and `b`'s [`Correlation::patches`] at
        /// `a`'s pixels: one GEMM.
        fn weight_gradient(self, a: FlexTensor, patches: FlexTensor) -> FlexTensor {
            let [n, ca, h, w] = a.layout().shape().dims();
            let [kh, kw] = self.kernel;
            let [_, cols] = patches.layout().shape().dims();
            let rows = Flex::float_reshape(a, Shape::new([n, ca, h * w]));
            let rows = Flex::float_reshape(Flex::float_permute(rows, &[1, 0, 2]), Shape::new([ca, n * h * w]));
            let dw = Flex::float_matmul(rows, patches);
            Flex::float_reshape(dw, Shape::new([ca, cols / (kh * kw), kh, kw]))
        }

        /// im2col of `b`: `[n·h·w, c·kh·kw]`, row `(n, y, x)`, column `(c, ky, kx)`, zero where the
        /// row falls outside `b`.
        fn patches(self, b: FlexTensor, [h, w]: [usize; 2]) -> FlexTensor {
            let [n, c, bh, bw] = b.layout().shape().dims();
            let [kh, kw] = self.kernel;
            let cols = c * kh * kw;
            let src: &[f32] = b.as_slice().expect("a contiguous f32 tensor (to_contiguous above)");
            let mut out = zeroed(n * h * w * cols);
            let fill = |(i, sample): (usize, &mut [f32])| {
                let src = &src[i * c * bh * bw..(i + 1) * c * bh * bw];
                for y in 0..h {
                    for x in 0..w {
                        let row = &mut sample[(y * w + x) * cols..(y * w + x + 1) * cols];
                        for ky in 0..kh {
                            let Some(by) = (y * self.stride[0] + ky).checked_sub(self.padding[0]).filter(|&by| by < bh) else { continue };
                            for kx in 0..kw {
                                let Some(bx) = (x * self.stride[1] + kx).checked_sub(self.padding[1]).filter(|&bx| bx < bw) else { continue };
                                for ch in 0..c {
                                    row[(ch * kh + ky) * kw + kx] = src[(ch * bh + by) * bw + bx];
                                }
                            }
                        }
                    }
                }
            };
            for_each_chunk(&mut out, h * w * cols, fill);
            FlexTensor::from_data(TensorData::new(out, [n * h * w, cols]))
        }
    }

    /// The gradients of the decoder's output layer — a stride-1 transposed convolution to one
    /// channel (32 → 1 at 28 × 28) — as direct loops. The im2col GEMMs are at their worst there
    /// (patches 9 wide): 11.0 ms of the 108 ms baseline step (README, per-layer timings); this
    /// way 5.0–7.5 ms against 14.9 ms in one session's runs. Each plane is zero-padded, so that one tap
    /// is one multiply-add over the whole plane at a fixed offset (on a grid as wide as the padded
    /// plane, whose extra columns are dropped or zeroed): a few long loops the compiler
    /// vectorises, not one per row. (Its forward pass this way was no faster than flex's.)
    #[derive(Debug, Clone, Copy)]
    struct OneChannel {
        padding: [usize; 2],
        kernel: [usize; 2],
        /// Input `[n, c, h, w]`.
        input: [usize; 4],
        /// Output side `[h, w]`: `in + kernel − 1 − 2·padding`.
        output: [usize; 2],
    }

    /// `plane` (`rows × cols`) with `[top, bottom, left, right]` zero rows / columns around it.
    fn padded(plane: &[f32], [rows, cols]: [usize; 2], [top, bottom, left, right]: [usize; 4]) -> Vec<f32> {
        let width = left + cols + right;
        let mut out = vec![0.0f32; (top + rows + bottom) * width];
        for (r, row) in plane.chunks(cols).enumerate() {
            out[(top + r) * width + left..][..cols].copy_from_slice(row);
        }
        out
    }

    /// `dst[i] += a · src[i]` over the shorter of the two.
    fn multiply_add(dst: &mut [f32], a: f32, src: &[f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (just detected).
            return unsafe { wide::multiply_add(dst, a, src) };
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (just detected).
            return unsafe { avx2::multiply_add(dst, a, src) };
        }
        plain::multiply_add(dst, a, src)
    }

    /// `Σ a[i] · b[i]` over the shorter of the two.
    fn dot(a: &[f32], b: &[f32]) -> f32 {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (just detected).
            return unsafe { wide::dot(a, b) };
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (just detected).
            return unsafe { avx2::dot(a, b) };
        }
        plain::dot(a, b)
    }

    /// The loops, written for the compiler to vectorise: the crate is built for baseline x86-64
    /// (SSE2), so natively they are also compiled for AVX-512 ([`wide`]) and AVX2 ([`avx2`]) and
    /// picked at run time, as flex's own kernels are (burn's `x86-v4`); in wasm they become
    /// SIMD128.
    mod plain {
        #[inline(always)]
        pub(crate) fn multiply_add(dst: &mut [f32], a: f32, src: &[f32]) {
            dst.iter_mut().zip(src).for_each(|(d, s)| *d += a * s);
        }

        /// 16 partial sums, so that the loop vectorises (a single f32 sum must stay in order).
        #[inline(always)]
        pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
            let n = a.len().min(b.len());
            let (a, b) = (&a[..n], &b[..n]);
            let mut lanes = [0.0f32; 16];
            for (x, y) in a.chunks_exact(16).zip(b.chunks_exact(16)) {
                for j in 0..16 {
                    lanes[j] += x[j] * y[j];
                }
            }
            let tail = n / 16 * 16;
            lanes.iter().sum::<f32>() + a[tail..].iter().zip(&b[tail..]).map(|(x, y)| x * y).sum::<f32>()
        }
    }

    /// The same loops for AVX2 (8 lanes), where there is no AVX-512 (AMD's EPYCs before Zen 4):
    /// the same operations in the same order (no fused multiply-add), so the same numbers. The
    /// output layer's backward 5.7–7.2 → 3.9–6.2 ms against SSE2 (`cargo bench --bench throughput
    /// -- "layer deeper"`, four alternating runs, 2 cores of an AMD EPYC family 25).
    #[cfg(target_arch = "x86_64")]
    mod avx2 {
        #[target_feature(enable = "avx2")]
        pub(crate) unsafe fn multiply_add(dst: &mut [f32], a: f32, src: &[f32]) {
            super::plain::multiply_add(dst, a, src)
        }

        #[target_feature(enable = "avx2")]
        pub(crate) unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
            super::plain::dot(a, b)
        }
    }

    #[cfg(target_arch = "x86_64")]
    mod wide {
        #[target_feature(enable = "avx512f")]
        pub(crate) unsafe fn multiply_add(dst: &mut [f32], a: f32, src: &[f32]) {
            super::plain::multiply_add(dst, a, src)
        }

        #[target_feature(enable = "avx512f")]
        pub(crate) unsafe fn dot(a: &[f32], b: &[f32]) -> f32 {
            super::plain::dot(a, b)
        }
    }

    impl OneChannel {
        fn of(options: &ConvTransposeOptions<2>, weight: &FlexTensor, x: &FlexTensor) -> Option<OneChannel> {
            let [_, c_out, kh, kw] = weight.layout().shape().dims();
            let input = x.layout().shape().dims::<4>();
            let plain = c_out == 1 && options.stride == [1, 1] && options.dilation == [1, 1] && options.groups == 1 && options.padding_out == [0, 0];
            let [ph, pw] = options.padding;
            let output = [(input[2] + kh - 1).checked_sub(2 * ph)?, (input[3] + kw - 1).checked_sub(2 * pw)?];
            (plain && ph < kh && pw < kw).then_some(OneChannel { padding: options.padding, kernel: [kh, kw], input, output })
        }

        /// The padding that puts every input pixel an output pixel reads (`Y + p − ky`,
        /// `X + p − kx`) inside the input: `[top, bottom, left, right]`. Output sides are `in + k − 1 − 2p`, so
        /// both sides get `k − 1 − p`.
        fn input_padding(self) -> [usize; 4] {
            let [kh, kw] = self.kernel;
            let [ph, pw] = self.padding;
            [kh - 1 - ph, kh - 1 - ph, kw - 1 - pw, kw - 1 - pw]
        }

        /// Offset of tap `(ky, kx)` in a padded input plane of `width`, from output pixel `(Y, X)` at
        /// `Y · width + X`: input `(Y + p − ky + top, X + p − kx + left)`.
        fn input_offset(self, [ky, kx]: [usize; 2], width: usize) -> usize {
            let [kh, kw] = self.kernel;
            (kh - 1 - ky) * width + (kw - 1 - kx)
        }

        /// `dx[n, c, y, x] = Σ_ky,kx g[n, 0, y + ky − p, x + kx − p] · w[c, 0, ky, kx]`.
        fn input_gradient(self, weight: FlexTensor, grad: FlexTensor) -> FlexTensor {
            let [n, c, h, w] = self.input;
            let ([oh, ow], [kh, kw], [ph, pw]) = (self.output, self.kernel, self.padding);
            // The output gradient padded by p: input pixel (y, x) reads it at (y + ky, x + kx).
            let pad = [ph, ph, pw, pw];
            let width = pw + ow + pw;
            let (grad, weight) = (grad.to_contiguous(), weight.to_contiguous());
            let (gs, ws) = (slice(&grad), slice(&weight));
            let mut out = zeroed(n * c * h * w);
            for_each_chunk(&mut out, c * h * w, |(i, image)| {
                let g = padded(&gs[i * oh * ow..][..oh * ow], [oh, ow], pad);
                let mut wide = vec![0.0f32; (h - 1) * width + w];
                for (ch, plane) in image.chunks_mut(h * w).enumerate() {
                    wide.fill(0.0);
                    for ky in 0..kh {
                        for kx in 0..kw {
                            multiply_add(&mut wide, ws[(ch * kh + ky) * kw + kx], &g[ky * width + kx..]);
                        }
                    }
                    for (row, out_row) in plane.chunks_mut(w).enumerate() {
                        out_row.copy_from_slice(&wide[row * width..][..w]);
                    }
                }
            });
            FlexTensor::from_data(TensorData::new(out, [n, c, h, w]))
        }

        /// `dw[c, 0, ky, kx] = Σ_n,Y,X x[n, c, Y + p − ky, X + p − kx] · g[n, 0, Y, X]`: per image
        /// a dot product of the padded input plane at the tap's offset with the output gradient
        /// on the wide grid (its extra columns zero), summed over images in f64.
        fn weight_gradient(self, x: FlexTensor, grad: FlexTensor) -> FlexTensor {
            let [n, c, h, w] = self.input;
            let ([oh, ow], [kh, kw]) = (self.output, self.kernel);
            let pad = self.input_padding();
            let width = pad[2] + w + pad[3];
            let (x, grad) = (x.to_contiguous(), grad.to_contiguous());
            let (xs, gs) = (slice(&x), slice(&grad));
            let wide: Vec<Vec<f32>> = (0..n).map(|i| padded(&gs[i * oh * ow..][..oh * ow], [oh, ow], [0, 0, 0, width - ow])).collect();
            let mut out = vec![0.0f32; c * kh * kw];
            for_each_chunk(&mut out, kh * kw, |(ch, taps)| {
                let mut sums = vec![0.0f64; kh * kw];
                for (i, g) in wide.iter().enumerate() {
                    let plane = padded(&xs[(i * c + ch) * h * w..][..h * w], [h, w], pad);
                    for ky in 0..kh {
                        for kx in 0..kw {
                            let at = &plane[self.input_offset([ky, kx], width)..];
                            sums[ky * kw + kx] += f64::from(dot(g, at));
                        }
                    }
                }
                taps.iter_mut().zip(sums).for_each(|(t, s)| *t = s as f32);
            });
            FlexTensor::from_data(TensorData::new(out, [c, 1, kh, kw]))
        }
    }

    /// A contiguous f32 tensor's values (`to_contiguous` above).
    fn slice(t: &FlexTensor) -> &[f32] {
        t.as_slice().expect("a contiguous f32 tensor")
    }
}

/// Whether `device` is where [`ConvGradients`] applies: autodiff over flex.
#[cfg(flex_train)]
fn trains_on_flex(device: &Device) -> bool {
    device.is_autodiff() && matches!(device.clone().without_autodiff().as_dispatch(), burn::backend::DispatchDevice::Flex(_))
}

/// `(before, after)` padding along spatial axis `axis` as burn's `Conv2d::forward` computes it
/// (its helper is crate-private): `Same` is TensorFlow's, the odd pixel after.
#[cfg_attr(not(flex_train), allow(dead_code))]
fn padding_pair(padding: &PaddingConfig2d, axis: usize, side: usize, kernel: usize, stride: usize) -> (usize, usize) {
    match *padding {
        PaddingConfig2d::Valid => (0, 0),
        PaddingConfig2d::Same => {
            let out = side.div_ceil(stride);
            let total = if out > 0 { ((out - 1) * stride + kernel).saturating_sub(side) } else { 0 };
            (total / 2, total - total / 2)
        }
        PaddingConfig2d::Explicit(top, left, bottom, right) => [(top, bottom), (left, right)][axis],
    }
}

/// `layer.forward(x)`, with [`ConvGradients`]' weight gradient when `grads` asks for it and the
/// device trains on flex.
pub(crate) fn conv2d(layer: &Conv2d, x: Tensor<4>, grads: WeightGradients) -> Tensor<4> {
    #[cfg(flex_train)]
    if let Some(bias) = layer.bias.as_ref().filter(|_| grads == WeightGradients::Gemm && trains_on_flex(&x.device())) {
        let [_, _, height, width] = x.dims();
        let padding = [0, 1].map(|i| padding_pair(&layer.padding, i, [height, width][i], layer.kernel_size[i], layer.stride[i]));
        let options = burn::backend::ops::ConvOptions::new_with_padding(layer.stride, padding, layer.dilation, layer.groups);
        return Tensor::from_dispatch(<burn::backend::Dispatch as ConvGradients>::conv2d_gemm_grad(
            x.into_dispatch(),
            layer.weight.val().into_dispatch(),
            bias.val().into_dispatch(),
            options,
        ));
    }
    let _ = grads;
    layer.forward(x)
}

/// `layer.forward(x)`, with [`ConvGradients`]' weight gradient when `grads` asks for it and the
/// device trains on flex.
pub(crate) fn conv_transpose2d(layer: &ConvTranspose2d, x: Tensor<4>, grads: WeightGradients) -> Tensor<4> {
    #[cfg(flex_train)]
    if let Some(bias) = layer.bias.as_ref().filter(|_| grads == WeightGradients::Gemm && trains_on_flex(&x.device())) {
        let options =
            burn::backend::ops::ConvTransposeOptions::new(layer.stride, layer.padding, layer.padding_out, layer.dilation, layer.groups);
        return Tensor::from_dispatch(<burn::backend::Dispatch as ConvGradients>::conv_transpose2d_gemm_grad(
            x.into_dispatch(),
            layer.weight.val().into_dispatch(),
            bias.val().into_dispatch(),
            options,
        ));
    }
    let _ = grads;
    layer.forward(x)
}

/// `relu(layer.forward(x))` (the ReLU only when `relu`). On an autodiff flex device with `grads`
/// [`WeightGradients::Gemm`], a stride-2 3 × 3 layer runs as one node with
/// [`crate::kernels::phase_planes`]' matrix products (as the adjoint of a transposed one); otherwise
/// [`conv2d`] and burn's ReLU.
pub fn conv2d_activated(layer: &Conv2d, x: Tensor<4>, relu: bool, grads: WeightGradients) -> Tensor<4> {
    #[cfg(flex_train)]
    if let Some((bias, phases)) = layer.bias.as_ref().zip(direct_phase_conv(layer, &x, relu)).filter(|_| grads == WeightGradients::Gemm && trains_on_flex(&x.device())) {
        return Tensor::from_dispatch(<burn::backend::Dispatch as ConvGradients>::conv_phases(
            x.into_dispatch(),
            layer.weight.val().into_dispatch(),
            bias.val().into_dispatch(),
            phases,
        ));
    }
    let y = conv2d(layer, x, grads);
    if relu { burn::tensor::activation::relu(y) } else { y }
}

/// `layer` on `x` as the adjoint [`PhaseConv`], if it is one: stride 2, 3 × 3, square, no
/// dilation or groups.
#[cfg(flex_train)]
fn direct_phase_conv(layer: &Conv2d, x: &Tensor<4>, relu: bool) -> Option<crate::kernels::phase_planes::PhaseConv> {
    let [images, c_in, height, width] = x.dims();
    let [c_out, w_in, kh, kw] = layer.weight.dims();
    let (before, after) = padding_pair(&layer.padding, 0, height, kh, 2);
    let plain = layer.stride == [2, 2]
        && [kh, kw] == [3, 3]
        && layer.dilation == [1, 1]
        && layer.groups == 1
        && height == width
        && padding_pair(&layer.padding, 1, width, kw, 2) == (before, after)
        && w_in == c_in;
    let side = (height + before + after).checked_sub(kh)? / 2 + 1;
    let phases = crate::kernels::phase_planes::PhaseConv { images, c_in: c_out, c_out: c_in, side_in: side, side_out: height, padding: before, relu, direct: true };
    (plain && phases.supported()).then_some(phases)
}

/// `relu(crop(layer.forward(x)))` (`crop` 0: none; the ReLU only when `relu`). On an autodiff
/// flex device with `grads` [`WeightGradients::Gemm`], a stride-2 3 × 3 layer runs as one node
/// with [`crate::kernels::phase_planes`]' matrix products each way; otherwise burn's ops in turn.
pub fn conv_transpose2d_activated(layer: &ConvTranspose2d, x: Tensor<4>, crop: usize, relu: bool, grads: WeightGradients) -> Tensor<4> {
    #[cfg(flex_train)]
    if let Some((bias, phases)) = layer.bias.as_ref().zip(phase_conv(layer, &x, crop, relu)).filter(|_| grads == WeightGradients::Gemm && trains_on_flex(&x.device())) {
        return Tensor::from_dispatch(<burn::backend::Dispatch as ConvGradients>::conv_phases(
            x.into_dispatch(),
            layer.weight.val().into_dispatch(),
            bias.val().into_dispatch(),
            phases,
        ));
    }
    let y = conv_transpose2d(layer, x, grads);
    let y = if crop == 0 { y } else { y.narrow(2, 0, crop).narrow(3, 0, crop) };
    if relu { burn::tensor::activation::relu(y) } else { y }
}

/// `layer` as a [`PhaseConv`] on `x`, if it is one: stride 2, 3 × 3, square, no dilation, groups
/// or output padding.
#[cfg(flex_train)]
fn phase_conv(layer: &ConvTranspose2d, x: &Tensor<4>, crop: usize, relu: bool) -> Option<crate::kernels::phase_planes::PhaseConv> {
    let [images, c_in, height, width] = x.dims();
    let [w_in, c_out, kh, kw] = layer.weight.dims();
    let plain = layer.stride == [2, 2]
        && [kh, kw] == [3, 3]
        && layer.padding[0] == layer.padding[1]
        && layer.dilation == [1, 1]
        && layer.groups == 1
        && layer.padding_out == [0, 0]
        && height == width
        && w_in == c_in;
    let mut phases = crate::kernels::phase_planes::PhaseConv { images, c_in, c_out, side_in: height, side_out: crop, padding: layer.padding[0], relu, direct: false };
    if crop == 0 {
        phases.side_out = phases.full_side();
    }
    (plain && phases.supported()).then_some(phases)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::seeded::Seeded;

    /// The layers the model no longer sends here (every stride-2 layer goes through
    /// `phase_planes`) keep their GEMM gradients for other shapes: stride-1 convolutions and
    /// transposed convolutions to several channels, and stride-2 ones through `conv2d` /
    /// `conv_transpose2d` directly.
    #[test]
    fn gemm_gradients_of_other_shapes_are_burns() {
        use burn::nn::PaddingConfig2d;
        use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
        let device = Device::flex().autodiff();
        let mut seeded = Seeded::new(23);
        let convs = [
            Conv2dConfig::new([3, 4], [3, 3]).with_padding(PaddingConfig2d::Same).init(&device),
            Conv2dConfig::new([2, 5], [3, 3]).with_stride([2, 2]).with_padding(PaddingConfig2d::Same).init(&device),
        ];
        let deconvs = [
            ConvTranspose2dConfig::new([4, 3], [3, 3]).with_padding([1, 1]).init(&device),
            ConvTranspose2dConfig::new([3, 2], [3, 3]).with_stride([2, 2]).init(&device),
        ];
        let read = |t: Tensor<4>| t.into_data().try_into_vec::<f32>().expect("f32 gradients");
        let compare = |what: String, ours: Vec<f32>, burns: Vec<f32>| {
            let scale = burns.iter().fold(0f32, |m, v| m.max(v.abs()));
            let diff = ours.iter().zip(&burns).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
            assert!(scale > 1e-6 && ours.len() == burns.len(), "{what}: nothing to compare");
            assert!(diff <= 1e-4 * scale, "{what}: max |diff| {diff} against max |grad| {scale}");
        };
        // The input and weight gradients of sum(layer(x)²) through both routes.
        let check = |what: String, x: Tensor<4>, weight: Tensor<4>, layer: &dyn Fn(Tensor<4>, WeightGradients) -> Tensor<4>| {
            let x = x.require_grad();
            let run = |grads| {
                let gradients = layer(x.clone(), grads).powi_scalar(2).sum().backward();
                (read(x.grad(&gradients).expect("dx")), read(weight.grad(&gradients).expect("dw")))
            };
            let ((dx, dw), (burn_dx, burn_dw)) = (run(WeightGradients::Gemm), run(WeightGradients::Burn));
            compare(format!("{what} dx"), dx, burn_dx);
            compare(format!("{what} dw"), dw, burn_dw);
        };
        for conv in &convs {
            let [_, c_in, _, _] = conv.weight.dims();
            check(format!("conv {:?}", conv.stride), seeded.normal([3, c_in, 9, 9], 1.0, &device), conv.weight.val(), &|x, g| conv2d(conv, x, g));
        }
        for deconv in &deconvs {
            let [c_in, _, _, _] = deconv.weight.dims();
            check(format!("deconv {:?}", deconv.stride), seeded.normal([3, c_in, 6, 6], 1.0, &device), deconv.weight.val(), &|x, g| conv_transpose2d(deconv, x, g));
        }
    }
}
