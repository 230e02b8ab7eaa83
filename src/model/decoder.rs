//! Decoder: z → image logits.

use burn::config::Config;
use burn::module::Param;
use burn::nn::conv::{ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::Linear;
use burn::prelude::*;
use burn::tensor::activation::{relu, sigmoid};

use super::layers::{Start, channel_last_storage, dense, feature_sides, glorot_uniform, zeros};
use crate::kernels::conv_gradients::{self, WeightGradients};
use crate::kernels::cpu_fused::{Conv, ConvKind};
#[cfg(feature = "burn-layers")]
use crate::kernels::sub_pixel::{PhaseConv, SubPixelDecoder};

fn keras_init(deconv: &mut ConvTranspose2d, c_in: usize, c_out: usize, start: &mut Start<'_>, device: &Device) {
    // burn's layout is [c_in, c_out, kh, kw]; Keras' fans are 9·c_out and 9·c_in.
    deconv.weight = glorot_uniform([c_in, c_out, 3, 3], (9 * c_out, 9 * c_in), start, device);
    deconv.bias = Some(zeros(c_out, device));
}

/// Configuration of a [`Decoder`].
#[derive(Config, Debug)]
pub(crate) struct DecoderConfig {
    /// Size of the latent vector.
    pub(crate) latent_dim: usize,
    /// Filters of the encoder's convolutions, input side first; the decoder mirrors them.
    pub(crate) conv_filters: Vec<usize>,
    /// Side of the square output image.
    #[config(default = 28)]
    pub(crate) image_side: usize,
}

/// How a Keras `same` transposed convolution from `input` to `output` pixels maps onto burn's
/// symmetric padding: `(padding, crop)`.
///
/// Keras' `Conv2DTranspose(padding="same")` is the gradient of a `same` convolution from `output`
/// to `input`: that convolution pads `before = total / 2` on top/left, so the transposed one keeps
/// rows `before .. before + output` of its full `(input - 1) * stride + kernel` result. burn pads
/// both sides alike, so when the rows to drop are not symmetric we keep one more and crop.
pub(crate) fn same_transpose_padding(
    input: usize,
    output: usize,
    kernel: usize,
    stride: usize,
) -> (usize, Option<usize>) {
    let total = ((input - 1) * stride + kernel).saturating_sub(output);
    let before = total / 2;
    let after = total - before;
    if before == after {
        (before, None)
    } else {
        // `after > before`: pad by `before`, which leaves `after - before` surplus rows at the end.
        (before, Some(output))
    }
}

impl DecoderConfig {
    /// The decoder's shape, without weights: the dense layer's output as `(channels, side)`, and
    /// each transposed convolution, output layer last, as a [`Conv`] whose weights and bias are
    /// empty (its `out_side` after the crop). Mirror of the encoder: one stride-2 transposed
    /// convolution per convolution, filters reversed, then a stride-1 one to a single channel.
    pub(crate) fn geometry(&self) -> ((usize, usize), Vec<Conv>) {
        let layers = self.conv_filters.len();
        let sides = feature_sides(self.image_side, layers);
        let start = (self.conv_filters[layers - 1], sides[layers]);
        let transposed = |c_in, c_out, in_side: usize, out_side, stride, relu| {
            let (padding, crop) = same_transpose_padding(in_side, out_side, 3, stride);
            let full = (in_side - 1) * stride + 3 - 2 * padding;
            let out_side = crop.unwrap_or(full);
            Conv { kind: ConvKind::Transposed, c_in, c_out, in_side, out_side, stride, padding, weights: Vec::new(), bias: Vec::new(), relu }
        };
        let mut convs = Vec::with_capacity(layers + 1);
        let mut in_channels = start.0;
        for (i, &filters) in self.conv_filters.iter().enumerate().rev() {
            convs.push(transposed(in_channels, filters, sides[i + 1], sides[i], 2, true));
            in_channels = filters;
        }
        convs.push(transposed(in_channels, 1, self.image_side, self.image_side, 1, false));
        (start, convs)
    }

    /// Builds the decoder on `device`, its kernels starting as `start` says.
    pub(crate) fn init_as(&self, start: &mut Start<'_>, device: &Device) -> Decoder {
        let ((start_channels, start_side), shapes) = self.geometry();
        let mut layers: Vec<(ConvTranspose2d, usize)> = shapes
            .iter()
            .map(|conv| {
                let mut deconv = ConvTranspose2dConfig::new([conv.c_in, conv.c_out], [3, 3])
                    .with_stride([conv.stride, conv.stride])
                    .with_padding([conv.padding, conv.padding])
                    .init(device);
                keras_init(&mut deconv, conv.c_in, conv.c_out, start, device);
                let full = (conv.in_side - 1) * conv.stride + 3 - 2 * conv.padding;
                (deconv, if conv.out_side == full { 0 } else { conv.out_side })
            })
            .collect();
        let crops = layers.iter().map(|(_, crop)| *crop).collect();
        let (output, _) = layers.pop().expect("the geometry ends with the output layer");
        Decoder {
            dense: dense(self.latent_dim, start_channels * start_side * start_side, start, device),
            deconvs: layers.into_iter().map(|(deconv, _)| deconv).collect(),
            output,
            crops,
            start_channels,
            start_side,
        }
    }
}

/// Transposed-convolution decoder of the VAE.
#[derive(Module, Debug)]
pub struct Decoder {
    dense: Linear,
    deconvs: Vec<ConvTranspose2d>,
    output: ConvTranspose2d,
    /// Side to crop each transposed conv's output to (0: no crop), deconvs then output.
    crops: Vec<usize>,
    start_channels: usize,
    start_side: usize,
}

impl Decoder {
    /// Decodes latent vectors into per-pixel logits (apply a sigmoid for intensities).
    ///
    /// # Shapes
    ///
    /// - z: `[batch, latent]`
    /// - output: `[batch, 1, 28, 28]` logits
    pub(crate) fn forward(&self, z: Tensor<2>) -> Tensor<4> {
        self.forward_with(z, WeightGradients::default())
    }

    /// [`Decoder::forward`] with the transposed convolutions' weight gradients from `grads`.
    pub(crate) fn forward_with(&self, z: Tensor<2>, grads: WeightGradients) -> Tensor<4> {
        let [batch, _] = z.dims();
        let h = relu(self.dense.forward(z));
        let mut x: Tensor<4> =
            h.reshape([batch, self.start_channels, self.start_side, self.start_side]);
        for (deconv, &crop) in self.deconvs.iter().zip(&self.crops) {
            x = conv_gradients::conv_transpose2d_activated(deconv, x, crop, true, grads);
        }
        let last_crop = self.crops.last().copied().unwrap_or(0);
        conv_gradients::conv_transpose2d_activated(&self.output, x, last_crop, false, grads)
    }

    /// Every stage of a decode with burn's layers: the dense layer's output (after ReLU, as
    /// maps), each transposed convolution's output (after ReLU), and the last one's logits
    /// (before the sigmoid). On the CPU the fused kernels compute the same
    /// (`CpuDecoder::decode_stages`).
    #[cfg_attr(not(feature = "burn-layers"), allow(dead_code, reason = "burn's layers: the page's CPU builds run the fused kernels (model::fused)"))]
    pub(crate) fn stages(&self, z: Tensor<2>) -> Vec<Tensor<4>> {
        let [batch, _] = z.dims();
        let grads = WeightGradients::default();
        let h = relu(self.dense.forward(z));
        let mut x: Tensor<4> = h.reshape([batch, self.start_channels, self.start_side, self.start_side]);
        let mut stages = vec![x.clone()];
        for (deconv, &crop) in self.deconvs.iter().zip(&self.crops) {
            x = conv_gradients::conv_transpose2d_activated(deconv, x, crop, true, grads);
            stages.push(x.clone());
        }
        let last_crop = self.crops.last().copied().unwrap_or(0);
        stages.push(conv_gradients::conv_transpose2d_activated(&self.output, x, last_crop, false, grads));
        stages
    }

    /// Weights and biases of each layer, latent side first: the dense layer, the transposed
    /// convolutions, the output layer.
    pub fn layer_params(&self) -> Vec<usize> {
        std::iter::once(self.dense.num_params()).chain(self.transposed_convs().map(|d| d.num_params())).collect()
    }

    /// What every ReLU of [`Decoder::forward_with`] takes in, as `grads`' route computes it (see
    /// `Encoder::relu_inputs`).
    #[cfg(test)]
    pub(crate) fn relu_inputs(&self, z: Tensor<2>, grads: WeightGradients) -> Vec<Vec<f32>> {
        let [batch, _] = z.dims();
        let pre = self.dense.forward(z);
        let mut inputs = vec![super::layers::values(pre.clone()).expect("f32 values")];
        let mut x: Tensor<4> = relu(pre).reshape([batch, self.start_channels, self.start_side, self.start_side]);
        for (deconv, &crop) in self.deconvs.iter().zip(&self.crops) {
            let pre = conv_gradients::conv_transpose2d_activated(deconv, x, crop, false, grads);
            inputs.push(super::layers::values(pre.clone()).expect("f32 values"));
            x = relu(pre);
        }
        inputs
    }

    /// Decodes latent vectors into pixel intensities in 0..1.
    ///
    /// # Shapes
    ///
    /// - z: `[batch, latent]`
    /// - output: `[batch, 1, 28, 28]`
    pub fn decode(&self, z: Tensor<2>) -> Tensor<4> {
        sigmoid(self.forward(z))
    }
}

/// A transposed convolution's shape as a [`Conv`] without its weights (`weights` and `bias`
/// empty): what the sub-pixel form needs, with no read of the weights.
#[cfg(feature = "burn-layers")]
fn transposed_geometry(deconv: &ConvTranspose2d, in_side: usize, crop: usize, relu: bool) -> Option<Conv> {
    let [c_in, c_out, kh, kw] = deconv.weight.dims();
    let plain = deconv.stride[0] == deconv.stride[1]
        && deconv.padding[0] == deconv.padding[1]
        && deconv.dilation == [1, 1]
        && deconv.groups == 1
        && deconv.padding_out == [0, 0]
        && [kh, kw] == [3, 3];
    if !plain {
        return None;
    }
    let (stride, padding) = (deconv.stride[0], deconv.padding[0]);
    let full = ((in_side - 1) * stride + 3).checked_sub(2 * padding)?;
    Some(Conv {
        kind: ConvKind::Transposed,
        c_in,
        c_out,
        in_side,
        out_side: if crop == 0 { full } else { crop },
        stride,
        padding,
        weights: Vec::new(),
        bias: Vec::new(),
        relu,
    })
}

impl Decoder {
    /// The same decoder with its transposed-convolution weights stored channel-last
    /// ([`super::channel_last_storage`]).
    pub fn with_channel_last_weights(mut self) -> Decoder {
        for deconv in self.deconvs.iter_mut().chain(std::iter::once(&mut self.output)) {
            deconv.weight = Param::from_tensor(channel_last_storage(deconv.weight.val()));
        }
        self
    }

    /// The transposed convolutions, output layer last.
    pub fn transposed_convs(&self) -> impl Iterator<Item = &ConvTranspose2d> {
        self.deconvs.iter().chain(std::iter::once(&self.output))
    }

    /// The transposed convolutions, output layer last, each with its [`transposed_geometry`]
    /// (`None` for a layer whose shape the fast forms do not cover).
    #[cfg(feature = "burn-layers")]
    fn layers(&self) -> impl Iterator<Item = Option<(&ConvTranspose2d, Conv)>> {
        let last_crop = self.crops.last().copied().unwrap_or(0);
        let all = self.deconvs.iter().zip(self.crops.iter().copied()).map(|(d, crop)| (d, crop, true));
        let mut in_side = self.start_side;
        all.chain(std::iter::once((&self.output, last_crop, false))).map(move |(deconv, crop, relu)| {
            let geometry = transposed_geometry(deconv, in_side, crop, relu)?;
            in_side = geometry.out_side;
            Some((deconv, geometry))
        })
    }

    /// The same decoder as sub-pixel convolutions ([`SubPixelDecoder`]), on the decoder's device
    /// and without reading its weights (device ops only), or `None` if a layer's shape is one it
    /// does not cover.
    #[cfg(feature = "burn-layers")]
    pub(crate) fn sub_pixel(&self) -> Option<SubPixelDecoder> {
        let layers = self.layers().map(|layer| {
            let (deconv, geometry) = layer?;
            let bias = deconv.bias.as_ref().map(|b| b.val()).unwrap_or_else(|| Tensor::zeros([geometry.c_out], &deconv.weight.device()));
            PhaseConv::new(&geometry, deconv.weight.val(), bias)
        });
        Some(SubPixelDecoder::new(self.dense.clone(), (self.start_channels, self.start_side), layers.collect::<Option<_>>()?))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::study::Variant;
    use crate::kernels::seeded::Seeded;

    /// A variant's decoder with every weight and bias random: Keras' init zeroes the biases, and
    /// its weights, scaled up, spread the outputs over the whole sigmoid.
    pub(crate) fn random_decoder(variant: Variant, seeded: &mut Seeded, device: &Device) -> Decoder {
        let mut decoder = DecoderConfig::new(variant.latent_dim(), variant.architecture().conv_filters()).init_as(&mut Start::Keras, device);
        decoder.dense.bias = decoder.dense.bias.map(|b| seeded.bias(&b, 0.3));
        decoder.dense.weight = seeded.weights(&decoder.dense.weight, 3.0);
        for deconv in decoder.deconvs.iter_mut().chain(std::iter::once(&mut decoder.output)) {
            deconv.bias = deconv.bias.take().map(|b| seeded.bias(&b, 0.3));
            deconv.weight = seeded.weights(&deconv.weight, 3.0);
        }
        decoder
    }

    /// `decode` (another form of the decoder given, as pixels) against burn's layers, all five
    /// variants with random weights and wide latents (outputs over the whole sigmoid).
    pub(crate) fn assert_decodes_like_the_burn_layers(seed: u64, form: &str, decode: impl Fn(Variant, &Decoder, Tensor<2>) -> Vec<f32>) {
        let device = Device::flex();
        let mut seeded = Seeded::new(seed);
        for variant in Variant::ALL {
            let decoder = random_decoder(variant, &mut seeded, &device);
            let z = seeded.normal([9, variant.latent_dim()], 2.0, &device);
            let expected = decoder.decode(z.clone()).into_data().try_into_vec::<f32>().expect("f32 pixels");
            let got = decode(variant, &decoder, z);
            assert_eq!(got.len(), expected.len(), "{form}, {variant:?}");
            let diff = got.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            let spread = expected.iter().filter(|&&p| (0.05..0.95).contains(&p)).count();
            let (lowest, highest) = expected.iter().fold((1f32, 0f32), |(lo, hi), &p| (lo.min(p), hi.max(p)));
            eprintln!("{form}, {variant:?}: max abs diff {diff}; outputs {lowest}..{highest}, {spread} of {} in 0.05..0.95", expected.len());
            assert!(diff <= 1e-4, "{form}, {variant:?}: max abs diff {diff}");
            assert!(lowest < 0.2 && highest > 0.8, "{variant:?}: outputs only span {lowest}..{highest}");
            assert!(spread > expected.len() / 10, "{variant:?}: only {spread} pixels away from 0 and 1");
        }
    }

    #[test]
    fn sub_pixel_decodes_like_the_burn_layers() {
        assert_decodes_like_the_burn_layers(13, "sub-pixel", |_, decoder, z| {
            let sub_pixel = decoder.sub_pixel().expect("every variant's decoder has a sub-pixel form");
            let pixels = sub_pixel.decode(z);
            assert_eq!(pixels.dims()[1..], [1, 28, 28]);
            pixels.into_data().try_into_vec::<f32>().expect("f32 pixels")
        });
    }

    #[test]
    fn keras_same_transpose_padding() {
        // 7 → 14 and 14 → 28: TF drops the last row of the 15/29-row full output.
        assert_eq!(same_transpose_padding(7, 14, 3, 2), (0, Some(14)));
        assert_eq!(same_transpose_padding(14, 28, 3, 2), (0, Some(28)));
        // 4 → 7 (deeper variant): one row off each side.
        assert_eq!(same_transpose_padding(4, 7, 3, 2), (1, None));
        // stride 1, 28 → 28: one row off each side.
        assert_eq!(same_transpose_padding(28, 28, 3, 1), (1, None));
    }
}
