//! Fused CPU kernels of the [`Encoder`](crate::model::Encoder) and [`Decoder`](crate::model::Decoder): the same
//! layers and weights, computed by plain Rust loops that the compiler vectorises (wasm `simd128`
//! on the page, SSE/AVX natively). The page runs them when it computes on the CPU.
//!
//! Why: for one image, burn's CPU backend spends about half of a decode outside the multiply-adds
//! (a GEMM per layer, then col2im, bias, ReLU and crop as separate passes with their own buffers).
//! Here each output pixel of a convolution is accumulated in registers straight from its few
//! contributing input pixels (no im2col or col2im), with bias, ReLU and crop fused, on buffers
//! kept between the images of a batch. `encoder::tests` and `decoder::tests` check them against
//! the burn layers on random weights and inputs (max abs diff ≤ 1e-4).
//!
//! Layout: activations are channel-last (`[y][x][c]`) with a one-pixel zero border, so the
//! column taps of every output pixel read inside the buffer; rows use only their valid taps.

/// Output channels accumulated together (4 `f32x4` registers).
const CHANNEL_BLOCK: usize = 16;
/// Output pixels accumulated together: they share every weight load. 2 pixels × 16 channels was
/// the fastest of 1–4 × 8–32 in Chromium on x86 (16 SIMD registers): 0.35 ms per baseline
/// decode, against 0.42–0.45 ms for 3×8, 4×8, 1×16.
const PIXEL_BLOCK: usize = 2;
/// Kernel side of every convolution in the VAE.
const KERNEL: usize = 3;

/// Direct (encoder) or transposed (decoder) convolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConvKind {
    /// `i = stride·o + k − padding`.
    Direct,
    /// `o = stride·i + k − padding`.
    Transposed,
}

/// One 3×3 convolution, with its output crop and activation.
#[derive(Debug, Clone)]
pub(crate) struct Conv {
    pub(crate) kind: ConvKind,
    pub(crate) c_in: usize,
    pub(crate) c_out: usize,
    pub(crate) in_side: usize,
    /// Output side (after the crop, for a transposed convolution).
    pub(crate) out_side: usize,
    pub(crate) stride: usize,
    /// Padding before the first row and column.
    pub(crate) padding: usize,
    /// `[ky][kx][c_in][c_out]` as built; the kernels' constructors reorder them into blocks of
    /// output channels (see `block_weights`).
    pub(crate) weights: Vec<f32>,
    pub(crate) bias: Vec<f32>,
    /// ReLU after (every layer but the decoder's last, whose logits go through a sigmoid).
    pub(crate) relu: bool,
}

/// A [`Conv`] ready to run: weights blocked by output channel, and where each output row and
/// column reads, worked out once (per call it was ~1–2 % of a reconstruction, in allocations).
#[derive(Debug, Clone)]
struct Layer {
    conv: Conv,
    /// Per output row: its valid row taps, `(ky, padded input row)`.
    rows: Vec<Vec<(usize, usize)>>,
    /// Output columns grouped by the column taps they share (see `Conv::column_classes`).
    classes: Vec<ColumnClass>,
    /// Input columns between consecutive output columns of a class.
    step: usize,
}

/// Output columns whose consecutive members read input columns `step` apart through the same taps.
#[derive(Debug, Clone)]
struct ColumnClass {
    columns: Vec<usize>,
    /// `(kx, padded input column of the first output column)`.
    taps: Vec<(usize, usize)>,
}

impl Layer {
    fn new(mut conv: Conv) -> Layer {
        conv.block_weights();
        let rows = (0..conv.out_side)
            .map(|oy| {
                (0..KERNEL)
                    .filter_map(|ky| conv.source(oy, ky).map(|iy| (ky, iy)))
                    .filter(|&(_, iy)| iy >= 0 && iy < conv.in_side as isize)
                    .map(|(ky, iy)| (ky, (iy + 1) as usize))
                    .collect()
            })
            .collect();
        let (columns, step) = conv.column_classes();
        let classes = columns
            .into_iter()
            .filter_map(|columns| {
                let &first = columns.first()?;
                let taps = (0..KERNEL).filter_map(|kx| conv.source(first, kx).map(|ix| (kx, (ix + 1) as usize))).collect();
                Some(ColumnClass { columns, taps })
            })
            .collect();
        Layer { conv, rows, classes, step }
    }

    /// `input`: padded `[in_side+2][in_side+2][c_in]`; writes the interior of `output`, padded
    /// `[out_side+2][out_side+2][c_out]`.
    #[inline(always)]
    fn forward(&self, input: &[f32], output: &mut [f32]) {
        let conv = &self.conv;
        let in_row = padded(conv.in_side) * conv.c_in;
        let out_width = padded(conv.out_side) * conv.c_out;
        for (oy, rows) in self.rows.iter().enumerate() {
            let out_row = &mut output[(oy + 1) * out_width..][..out_width];
            for ColumnClass { columns, taps } in &self.classes {
                let mut block = 0;
                while block < columns.len() {
                    let width = if columns.len() - block >= PIXEL_BLOCK { PIXEL_BLOCK } else { 1 };
                    let spot = Spot { rows, taps, column: block * self.step, step: self.step, in_row };
                    let out_at = |j: usize| (columns[block + j] + 1) * conv.c_out;
                    if conv.c_out == 1 {
                        for j in 0..width {
                            out_row[out_at(j)] = conv.dot(input, &spot, j);
                        }
                    } else if width == PIXEL_BLOCK {
                        conv.accumulate::<PIXEL_BLOCK>(input, &spot, out_row, std::array::from_fn(out_at));
                    } else {
                        conv.accumulate::<1>(input, &spot, out_row, [out_at(0)]);
                    }
                    block += width;
                }
            }
        }
    }
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
    layers: Vec<Layer>,
}

/// The encoder's weights, laid out for [`CpuEncoder::encode`].
#[derive(Debug, Clone)]
pub struct CpuEncoder {
    side: usize,
    convs: Vec<Layer>,
    /// Dense weights `[unit][hidden]`, units in channel-last order `[y][x][c]`.
    dense_weights: Vec<f32>,
    dense_bias: Vec<f32>,
    /// `[hidden][latent]`.
    mean_weights: Vec<f32>,
    mean_bias: Vec<f32>,
    log_var_weights: Vec<f32>,
    log_var_bias: Vec<f32>,
}

/// Side of a padded buffer.
fn padded(side: usize) -> usize {
    side + 2
}

/// One zeroed padded buffer per activation: the input's, then each layer's output.
fn buffers(side: usize, channels: usize, layers: &[Layer]) -> Vec<Vec<f32>> {
    std::iter::once((side, channels))
        .chain(layers.iter().map(|l| (l.conv.out_side, l.conv.c_out)))
        .map(|(side, channels)| vec![0.0; padded(side) * padded(side) * channels])
        .collect()
}

/// Runs `layers` in turn over `buffers` (as made by [`buffers`], input already written).
fn run_layers(layers: &[Layer], buffers: &mut [Vec<f32>]) {
    // The relaxed-SIMD build: fused multiply-adds (see `multiply_add`).
    #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
    run_layers_relaxed(layers, buffers);
    #[cfg(not(all(target_arch = "wasm32", feature = "relaxed-simd")))]
    run_layers_plain(layers, buffers);
}

/// Every other build: a multiply and an add per multiply-add.
#[cfg(not(all(target_arch = "wasm32", feature = "relaxed-simd")))]
fn run_layers_plain(layers: &[Layer], buffers: &mut [Vec<f32>]) {
    // Natively on x86-64 the baseline target is SSE2, where these loops measured 12× slower
    // than with AVX's three-operand forms (2.7 vs 0.23 ms per decode): use AVX where the CPU has it.
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx") {
        // SAFETY: the CPU supports AVX (checked just above).
        unsafe { run_layers_avx(layers, buffers) };
        return;
    }
    run_layers_portable(layers, buffers);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
fn run_layers_avx(layers: &[Layer], buffers: &mut [Vec<f32>]) {
    run_layers_portable(layers, buffers);
}

/// Only in the page's relaxed-SIMD build (`vae-lab-relaxed-simd`), which the loader picks where
/// the browser validates a relaxed-SIMD module: a module with these instructions does not load
/// anywhere else.
#[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
#[target_feature(enable = "relaxed-simd")]
fn run_layers_relaxed(layers: &[Layer], buffers: &mut [Vec<f32>]) {
    run_layers_portable(layers, buffers);
}

#[inline(always)]
fn run_layers_portable(layers: &[Layer], buffers: &mut [Vec<f32>]) {
    for (i, layer) in layers.iter().enumerate() {
        let (before, after) = buffers.split_at_mut(i + 1);
        layer.forward(&before[i], &mut after[0]);
    }
}

/// `out[j] = bias[j] + Σ_i x[i]·w[i][j]` (`w` row-major `[x.len()][out.len()]`).
fn dense(x: &[f32], weights: &[f32], bias: &[f32], out: &mut [f32]) {
    out.copy_from_slice(bias);
    for (&xi, row) in x.iter().zip(weights.chunks_exact(out.len().max(1))) {
        for (o, &w) in out.iter_mut().zip(row) {
            *o += xi * w;
        }
    }
}

impl CpuDecoder {
    /// Assembles the kernel, or `None` when a layer has a shape it does not cover (the caller
    /// then decodes with burn).
    pub(crate) fn new(
        latent: usize,
        dense_weights: Vec<f32>,
        dense_bias: Vec<f32>,
        (start_channels, start_side): (usize, usize),
        layers: Vec<Conv>,
    ) -> Option<CpuDecoder> {
        let units = start_channels * start_side * start_side;
        let ok = latent > 0
            && dense_weights.len() == latent * units
            && dense_bias.len() == units
            && chained(start_channels, start_side, &layers)
            && layers.iter().all(|l| l.kind == ConvKind::Transposed)
            && layers.last()?.c_out == 1;
        let layers = layers.into_iter().map(Layer::new).collect();
        ok.then_some(CpuDecoder { latent, dense_weights, dense_bias, start_side, start_channels, layers })
    }

    /// Side of the output image.
    pub(crate) fn side(&self) -> usize {
        self.layers.last().map_or(0, |l| l.conv.out_side)
    }

    /// Decodes `n × latent` values into `n × side²` intensities in 0..1 (`n = z.len() / latent`;
    /// a trailing partial latent is ignored).
    pub fn decode(&self, z: &[f32]) -> Vec<f32> {
        let side = self.side();
        let n = z.len() / self.latent;
        let mut out = vec![0.0; n * side * side];
        let mut buffers = buffers(self.start_side, self.start_channels, &self.layers);
        let mut units = vec![0.0; self.dense_bias.len()];
        for (latent, image) in z.chunks_exact(self.latent).zip(out.chunks_exact_mut(side * side)) {
            self.run_one(latent, &mut buffers, &mut units);
            // The last buffer: one channel of logits inside its border.
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

    /// Every stage of one decode, channel-first (`[c][y][x]`): the dense layer's output (after
    /// ReLU, as maps), each transposed convolution's output, the last one's logits (before the
    /// sigmoid). `None` unless `latent` is one latent vector.
    pub(crate) fn decode_stages(&self, latent: &[f32]) -> Option<Vec<Vec<f32>>> {
        if latent.len() != self.latent {
            return None;
        }
        let mut buffers = buffers(self.start_side, self.start_channels, &self.layers);
        let mut units = vec![0.0; self.dense_bias.len()];
        self.run_one(latent, &mut buffers, &mut units);
        let shapes = std::iter::once((self.start_side, self.start_channels)).chain(self.layers.iter().map(|l| (l.conv.out_side, l.conv.c_out)));
        Some(shapes.zip(&buffers).map(|((side, channels), buffer)| channel_first(buffer, side, channels)).collect())
    }

    /// One latent vector through the dense layer and every transposed convolution (into `buffers`).
    fn run_one(&self, latent: &[f32], buffers: &mut [Vec<f32>], units: &mut [f32]) {
        dense(latent, &self.dense_weights, &self.dense_bias, units);
        write_interior(units, self.start_side, self.start_channels, &mut buffers[0], |v| v.max(0.0));
        run_layers(&self.layers, buffers);
    }
}

/// The interior of a padded channel-last buffer, channel-first: `[c][y][x]`.
fn channel_first(buffer: &[f32], side: usize, channels: usize) -> Vec<f32> {
    let mut out = vec![0.0; side * side * channels];
    for y in 0..side {
        for x in 0..side {
            let at = ((y + 1) * padded(side) + x + 1) * channels;
            for (c, &v) in buffer[at..at + channels].iter().enumerate() {
                out[(c * side + y) * side + x] = v;
            }
        }
    }
    out
}

/// Writes channel-last `values` (`side × side × channels`) into the interior of a padded buffer.
fn write_interior(values: &[f32], side: usize, channels: usize, into: &mut [f32], f: impl Fn(f32) -> f32) {
    for (pixel, values) in values.chunks_exact(channels).enumerate() {
        let (y, x) = (pixel / side, pixel % side);
        let at = ((y + 1) * padded(side) + x + 1) * channels;
        for (d, &v) in into[at..at + channels].iter_mut().zip(values) {
            *d = f(v);
        }
    }
}

/// Whether each layer takes the previous one's output (the first: `channels` × `side`²) and fits
/// the kernel.
fn chained(channels: usize, side: usize, layers: &[Conv]) -> bool {
    let mut shape = (channels, side);
    for layer in layers {
        if (layer.c_in, layer.in_side) != shape || !layer.supported() {
            return false;
        }
        shape = (layer.c_out, layer.out_side);
    }
    !layers.is_empty()
}

impl CpuEncoder {
    /// Assembles the kernel, or `None` when a layer has a shape it does not cover.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        side: usize,
        convs: Vec<Conv>,
        dense_weights: Vec<f32>,
        dense_bias: Vec<f32>,
        (mean_weights, mean_bias): (Vec<f32>, Vec<f32>),
        (log_var_weights, log_var_bias): (Vec<f32>, Vec<f32>),
    ) -> Option<CpuEncoder> {
        let last = convs.last()?;
        let units = last.c_out * last.out_side * last.out_side;
        let hidden = dense_bias.len();
        let latent = mean_bias.len();
        let ok = chained(1, side, &convs)
            && convs.iter().all(|c| c.kind == ConvKind::Direct && c.relu)
            && hidden > 0
            && latent > 0
            && dense_weights.len() == units * hidden
            && mean_weights.len() == hidden * latent
            && log_var_weights.len() == hidden * latent
            && log_var_bias.len() == latent;
        let convs = convs.into_iter().map(Layer::new).collect();
        ok.then_some(CpuEncoder { side, convs, dense_weights, dense_bias, mean_weights, mean_bias, log_var_weights, log_var_bias })
    }

    /// Size of a latent vector.
    pub(crate) fn latent_dim(&self) -> usize {
        self.mean_bias.len()
    }

    /// Posterior means and log-variances (`n × latent` each) of `n × side²` intensities (a
    /// trailing partial image is ignored).
    pub(crate) fn encode(&self, images: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let pixels = self.side * self.side;
        let latent = self.latent_dim();
        let n = images.len() / pixels;
        let (mut means, mut log_vars) = (vec![0.0; n * latent], vec![0.0; n * latent]);
        let mut buffers = buffers(self.side, 1, &self.convs);
        let mut hidden = vec![0.0; self.dense_bias.len()];
        for ((image, mean), log_var) in
            images.chunks_exact(pixels).zip(means.chunks_exact_mut(latent)).zip(log_vars.chunks_exact_mut(latent))
        {
            self.run_one(image, &mut buffers, &mut hidden);
            dense(&hidden, &self.mean_weights, &self.mean_bias, mean);
            dense(&hidden, &self.log_var_weights, &self.log_var_bias, log_var);
        }
        (means, log_vars)
    }

    /// Every stage of one encode: each convolution's output channel-first (`[c][y][x]`, after
    /// ReLU), the hidden dense layer's (after ReLU), the means and the log-variances. `None`
    /// unless `image` is one image.
    pub(crate) fn encode_stages(&self, image: &[f32]) -> Option<EncoderStages> {
        if image.len() != self.side * self.side {
            return None;
        }
        let mut buffers = buffers(self.side, 1, &self.convs);
        let mut hidden = vec![0.0; self.dense_bias.len()];
        self.run_one(image, &mut buffers, &mut hidden);
        let maps = self.convs.iter().zip(&buffers[1..]).map(|(l, b)| channel_first(b, l.conv.out_side, l.conv.c_out)).collect();
        let (mut mean, mut log_var) = (vec![0.0; self.latent_dim()], vec![0.0; self.latent_dim()]);
        dense(&hidden, &self.mean_weights, &self.mean_bias, &mut mean);
        dense(&hidden, &self.log_var_weights, &self.log_var_bias, &mut log_var);
        Some(EncoderStages { maps, hidden, mean, log_var })
    }

    /// One image through the convolutions (into `buffers`) and the hidden dense layer (into
    /// `hidden`, after ReLU).
    fn run_one(&self, image: &[f32], buffers: &mut [Vec<f32>], hidden: &mut [f32]) {
        write_interior(image, self.side, 1, &mut buffers[0], |v| v);
        run_layers(&self.convs, buffers);
        self.hidden(buffers, hidden);
    }

    /// The hidden dense layer (after ReLU) from the last convolution's output in `buffers`.
    fn hidden(&self, buffers: &[Vec<f32>], hidden: &mut [f32]) {
        let last = self.convs.len();
        // The dense layer reads the last activation's interior, pixel by pixel.
        let (side, channels) = (self.convs[last - 1].conv.out_side, self.convs[last - 1].conv.c_out);
        hidden.copy_from_slice(&self.dense_bias);
        let rows = self.dense_weights.chunks_exact(channels * hidden.len());
        for (pixel, weights) in rows.enumerate() {
            let (y, x) = (pixel / side, pixel % side);
            let at = ((y + 1) * padded(side) + x + 1) * channels;
            let values = &buffers[last][at..at + channels];
            for (&v, row) in values.iter().zip(weights.chunks_exact(hidden.len())) {
                for (h, &w) in hidden.iter_mut().zip(row) {
                    *h += v * w;
                }
            }
        }
        hidden.iter_mut().for_each(|h| *h = h.max(0.0));
    }
}

/// The time of each stage of one input through `encoder` and `decoder` (seconds, the median of
/// `iters` runs each), in the order of `study::anatomy::stages` without the input: the
/// convolutions, the hidden layer, μ and log σ², z, the decoder's dense layer, the transposed
/// convolutions, the sigmoid. For the benchmark (`cargo bench --bench throughput -- inside`).
#[cfg(not(target_arch = "wasm32"))]
pub fn stage_times(encoder: &CpuEncoder, decoder: &CpuDecoder, image: &[f32], iters: usize) -> Vec<f64> {
    fn median_of(iters: usize, mut run: impl FnMut()) -> f64 {
        let mut times: Vec<f64> = (0..iters.max(1) + 1)
            .map(|_| {
                let started = std::time::Instant::now();
                run();
                started.elapsed().as_secs_f64()
            })
            .skip(1)
            .collect();
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    }
    let mut out = Vec::new();
    let mut encoded = buffers(encoder.side, 1, &encoder.convs);
    write_interior(image, encoder.side, 1, &mut encoded[0], |v| v);
    for i in 0..encoder.convs.len() {
        out.push(median_of(iters, || run_layers(&encoder.convs[i..i + 1], &mut encoded[i..i + 2])));
    }
    let mut hidden = vec![0.0; encoder.dense_bias.len()];
    out.push(median_of(iters, || encoder.hidden(&encoded, &mut hidden)));
    let latent = encoder.latent_dim();
    let (mut mean, mut log_var) = (vec![0.0; latent], vec![0.0; latent]);
    out.push(median_of(iters, || dense(&hidden, &encoder.mean_weights, &encoder.mean_bias, &mut mean)));
    out.push(median_of(iters, || dense(&hidden, &encoder.log_var_weights, &encoder.log_var_bias, &mut log_var)));
    let epsilon = vec![0.5; latent];
    let mut z = vec![0.0; latent];
    out.push(median_of(iters, || {
        for (((z, &m), &lv), &e) in z.iter_mut().zip(&mean).zip(&log_var).zip(&epsilon) {
            *z = m + (0.5 * lv).exp() * e;
        }
        std::hint::black_box(&z);
    }));
    let mut decoded = buffers(decoder.start_side, decoder.start_channels, &decoder.layers);
    let mut units = vec![0.0; decoder.dense_bias.len()];
    out.push(median_of(iters, || {
        dense(&z, &decoder.dense_weights, &decoder.dense_bias, &mut units);
        write_interior(&units, decoder.start_side, decoder.start_channels, &mut decoded[0], |v| v.max(0.0));
    }));
    for i in 0..decoder.layers.len() {
        out.push(median_of(iters, || run_layers(&decoder.layers[i..i + 1], &mut decoded[i..i + 2])));
    }
    // The sigmoid, folded into the last transposed convolution's stage.
    let side = decoder.side();
    let mut image = vec![0.0f32; side * side];
    let sigmoid = median_of(iters, || {
        let last = &decoded[decoder.layers.len()];
        for (y, row) in image.chunks_exact_mut(side).enumerate() {
            for (p, &l) in row.iter_mut().zip(&last[(y + 1) * padded(side) + 1..][..side]) {
                *p = 1.0 / (1.0 + (-l).exp());
            }
        }
        std::hint::black_box(&image);
    });
    if let Some(last) = out.last_mut() {
        *last += sigmoid;
    }
    out
}

/// The digit classifier as a fused kernel: the encoder's network, its first head the ten digits'
/// logits (`model::classifier`).
#[derive(Debug, Clone)]
pub struct CpuClassifier(CpuEncoder);

impl CpuClassifier {
    /// The kernel of an encoder-shaped network whose first head gives `classes` logits.
    pub fn new(network: CpuEncoder, classes: usize) -> Option<CpuClassifier> {
        (network.latent_dim() == classes).then_some(CpuClassifier(network))
    }

    /// Each class's probability (the softmax of the logits) for each of `n × side²` images:
    /// `n × classes` values.
    pub(crate) fn probabilities(&self, images: &[f32]) -> Vec<f32> {
        let (mut logits, _) = self.0.encode(images);
        for row in logits.chunks_exact_mut(self.0.latent_dim()) {
            softmax(row);
        }
        logits
    }
}

/// Turns `logits` into probabilities, in place.
pub(crate) fn softmax(logits: &mut [f32]) {
    let top = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in logits.iter_mut() {
        *v = (*v - top).exp();
        sum += *v;
    }
    logits.iter_mut().for_each(|v| *v /= sum);
}

/// What [`CpuEncoder::encode_stages`] returns.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct EncoderStages {
    /// Each convolution's output, channel-first, after ReLU.
    pub(crate) maps: Vec<Vec<f32>>,
    /// The hidden dense layer's output, after ReLU.
    pub(crate) hidden: Vec<f32>,
    /// Posterior means.
    pub(crate) mean: Vec<f32>,
    /// Posterior log-variances.
    pub(crate) log_var: Vec<f32>,
}

/// Where a block of output pixels reads: its row taps, its class's column taps, and the first
/// pixel's offset (in input columns) from the class's first output column.
struct Spot<'a> {
    rows: &'a [(usize, usize)],
    taps: &'a [(usize, usize)],
    column: usize,
    /// Input columns between consecutive output pixels of the class.
    step: usize,
    in_row: usize,
}

impl Conv {
    /// Input index that output `o` reads through kernel tap `k`, if any.
    pub(crate) fn source(&self, o: usize, k: usize) -> Option<isize> {
        let (o, k, s, p) = (o as isize, k as isize, self.stride as isize, self.padding as isize);
        match self.kind {
            ConvKind::Direct => Some(s * o + k - p),
            ConvKind::Transposed => {
                let shifted = o + p - k;
                (shifted.rem_euclid(s) == 0).then(|| shifted.div_euclid(s))
            }
        }
    }

    /// Output columns in classes whose consecutive members read input columns `step` apart
    /// through the same taps: `(classes, step)`.
    fn column_classes(&self) -> (Vec<Vec<usize>>, usize) {
        match self.kind {
            ConvKind::Direct => (vec![(0..self.out_side).collect()], self.stride),
            ConvKind::Transposed => {
                let classes = (0..self.stride.min(self.out_side)).map(|r| (r..self.out_side).step_by(self.stride).collect());
                (classes.collect(), 1)
            }
        }
    }

    /// Reorders `[ky][kx][c_in][c_out]` weights into blocks of output channels,
    /// `[c_out / CHANNEL_BLOCK][ky][kx][c_in][CHANNEL_BLOCK]`, so that `accumulate` reads them in order.
    fn block_weights(&mut self) {
        if self.c_out % CHANNEL_BLOCK != 0 {
            return;
        }
        let mut blocked = Vec::with_capacity(self.weights.len());
        for block in (0..self.c_out).step_by(CHANNEL_BLOCK) {
            for row in self.weights.chunks_exact(self.c_out) {
                blocked.extend_from_slice(&row[block..block + CHANNEL_BLOCK]);
            }
        }
        self.weights = blocked;
    }

    /// Whether every column tap stays within the one-pixel border, and the sizes fit.
    fn supported(&self) -> bool {
        let columns_fit = (0..self.out_side).all(|o| {
            (0..KERNEL).filter_map(|k| self.source(o, k)).all(|i| (-1..=self.in_side as isize).contains(&i))
        });
        columns_fit
            && self.stride > 0
            && (self.c_out == 1 || self.c_out % CHANNEL_BLOCK == 0)
            && self.weights.len() == KERNEL * KERNEL * self.c_in * self.c_out
            && self.bias.len() == self.c_out
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
                    let c_in = self.c_in;
                    let pixels: [&[f32]; W] =
                        std::array::from_fn(|j| &input[x_at + j * spot.step * c_in..][..c_in]);
                    // Blocked layout: [block][ky][kx][c_in][CHANNEL_BLOCK].
                    let at = ((block / CHANNEL_BLOCK * KERNEL + ky) * KERNEL + kx) * c_in * CHANNEL_BLOCK;
                    let (weights, _) = self.weights[at..][..c_in * CHANNEL_BLOCK].as_chunks::<CHANNEL_BLOCK>();
                    for (w, ci) in weights.iter().zip(0..pixels[0].len()) {
                        for (a, pixel) in acc.iter_mut().zip(&pixels) {
                            multiply_add(a, pixel[ci], w);
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
                let x_at = row_at * spot.in_row + (column + spot.column + j * spot.step) * self.c_in;
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

/// `acc[i] += s · w[i]`. In the relaxed-SIMD build a fused multiply-add (`f32x4.relaxed_madd`,
/// one instruction where the CPU has FMA, rounded once), else a multiply and an add that the
/// compiler vectorises (wasm `simd128`, AVX natively).
#[inline(always)]
fn multiply_add(acc: &mut [f32; CHANNEL_BLOCK], s: f32, w: &[f32; CHANNEL_BLOCK]) {
    #[cfg(all(target_arch = "wasm32", feature = "relaxed-simd"))]
    {
        use core::arch::wasm32::{f32x4_relaxed_madd, f32x4_splat, v128, v128_load, v128_store};
        let s = f32x4_splat(s);
        for (a, w) in acc.as_chunks_mut::<4>().0.iter_mut().zip(w.as_chunks::<4>().0) {
            // SAFETY: `a` and `w` are 4 f32s each (16 bytes); v128_load / v128_store take any alignment.
            unsafe { v128_store(a.as_mut_ptr().cast::<v128>(), f32x4_relaxed_madd(s, v128_load(w.as_ptr().cast::<v128>()), v128_load(a.as_ptr().cast::<v128>()))) };
        }
    }
    #[cfg(not(all(target_arch = "wasm32", feature = "relaxed-simd")))]
    for (a, &w) in acc.iter_mut().zip(w) {
        *a += s * w;
    }
}
