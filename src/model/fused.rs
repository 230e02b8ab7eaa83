//! A weights file's fused CPU kernels (`kernels::cpu_fused`), read straight from its tensors
//! without building burn's layers: what the engine runs on the CPU. The page's CPU builds run
//! nothing else, so they link no burn backend (1 MB less to fetch before the first digit).
//!
//! The shapes come from the model's configuration ([`VaeConfig`], the classifier's), and every
//! tensor of the file must have the shape those layers have, as burn's loader requires (the tests
//! check the kernels against burn's layers with the same weights).

use std::collections::HashMap;

use super::classifier::{CLASSES, DigitClassifierConfig};
use super::decoder::DecoderConfig;
use super::layers::{feature_sides, same_padding};
use super::vae::VaeConfig;
use super::weights::{Checked, WeightsError};
use crate::kernels::cpu_fused::{Conv, ConvKind, CpuClassifier, CpuDecoder, CpuEncoder};
use crate::study::Architecture;

/// A file's tensors by path (`encoder.convs.0.weight`, …): shape and values as `f32`.
pub(crate) struct Tensors {
    /// What errors call the file.
    name: String,
    by_path: HashMap<String, (Vec<usize>, Vec<f32>)>,
}

impl Tensors {
    /// Every tensor of a checked file, widened to `f32` (f16 and bf16 exactly; f64 rounded as
    /// burn's loader rounds it).
    pub(crate) fn read(checked: &Checked) -> Result<Tensors, WeightsError> {
        let name = checked.name().to_string();
        let corrupt = |detail: String| WeightsError::Corrupt { variant: name.clone(), detail };
        let bytes = checked.bytes().to_vec();
        // The reader indexes into the buffer; a malformed file must not take the page down.
        let tensors = std::panic::catch_unwind(|| {
            burn_pack::Reader::from_bytes(burn_pack::Bytes::from_bytes_vec(bytes)).and_then(|reader| reader.into_tensors())
        })
        .map_err(|_| corrupt("unreadable".into()))?
        .map_err(|e| corrupt(e.to_string()))?;
        let mut by_path = HashMap::new();
        for tensor in tensors {
            let (path, dtype, shape, _, data) = tensor.into_parts().map_err(|e| corrupt(e.to_string()))?;
            let values = floats(dtype, &data).ok_or_else(|| corrupt(format!("`{path}` is not a tensor of floats ({dtype:?})")))?;
            let shape = shape.to_vec();
            if shape.iter().product::<usize>() != values.len() {
                return Err(corrupt(format!("`{path}` holds {} values for a shape of {shape:?}", values.len())));
            }
            by_path.insert(path, (shape, values));
        }
        Ok(Tensors { name, by_path })
    }

    /// The shape of the tensor at `path`, if the file has one.
    fn shape(&self, path: &str) -> Option<&[usize]> {
        self.by_path.get(path).map(|(shape, _)| shape.as_slice())
    }

    /// The values at `path`, which must have `shape`.
    fn take(&mut self, path: &str, shape: &[usize]) -> Result<Vec<f32>, WeightsError> {
        let mismatch = |detail: String| WeightsError::Mismatch { variant: self.name.clone(), detail };
        match self.by_path.remove(path) {
            Some((found, values)) if found == shape => Ok(values),
            Some((found, _)) => Err(mismatch(format!("`{path}` has the shape {found:?}, the model's layer {shape:?}"))),
            None => Err(mismatch(format!("the file has no `{path}`"))),
        }
    }

    /// A 3×3 convolution's weights and bias at `path` (burn's `[c_out][c_in][ky][kx]`, or
    /// `[c_in][c_out][ky][kx]` for a transposed one) into `conv`, as `[ky][kx][c_in][c_out]`.
    fn conv(&mut self, path: &str, mut conv: Conv) -> Result<Conv, WeightsError> {
        let (c_in, c_out) = (conv.c_in, conv.c_out);
        let stored = match conv.kind {
            ConvKind::Direct => [c_out, c_in, 3, 3],
            ConvKind::Transposed => [c_in, c_out, 3, 3],
        };
        let values = self.take(&format!("{path}.weight"), &stored)?;
        let mut weights = vec![0.0; values.len()];
        for (at, &v) in values.iter().enumerate() {
            let (k, rest) = (at % 9, at / 9);
            let (first, second) = (rest / stored[1], rest % stored[1]);
            let (ci, co) = match conv.kind {
                ConvKind::Direct => (second, first),
                ConvKind::Transposed => (first, second),
            };
            weights[(k * c_in + ci) * c_out + co] = v;
        }
        conv.weights = weights;
        conv.bias = self.take(&format!("{path}.bias"), &[c_out])?;
        Ok(conv)
    }

    /// A dense layer's `[d_input][d_output]` weights and its bias at `path`.
    fn dense(&mut self, path: &str, d_input: usize, d_output: usize) -> Result<(Vec<f32>, Vec<f32>), WeightsError> {
        Ok((self.take(&format!("{path}.weight"), &[d_input, d_output])?, self.take(&format!("{path}.bias"), &[d_output])?))
    }

    /// The encoder-shaped network at `prefix` (stride-2 convolutions `convs.k` of `filters` on a
    /// `side`-pixel image, a dense layer of `hidden` units at `layers[0]`, two heads of `outputs`
    /// units at `layers[1]` and `layers[2]`) as a fused kernel.
    fn encoder(&mut self, prefix: &str, (side, filters, hidden): (usize, &[usize], usize), layers: [&str; 3], outputs: usize) -> Result<CpuEncoder, WeightsError> {
        let sides = feature_sides(side, filters.len());
        let mut convs = Vec::with_capacity(filters.len());
        let mut c_in = 1;
        for (k, &c_out) in filters.iter().enumerate() {
            let (padding, out_side) = same_padding(sides[k], 2);
            let shape = Conv { kind: ConvKind::Direct, c_in, c_out, in_side: sides[k], out_side, stride: 2, padding, weights: Vec::new(), bias: Vec::new(), relu: true };
            convs.push(self.conv(&format!("{prefix}convs.{k}"), shape)?);
            c_in = c_out;
        }
        let last = sides[filters.len()];
        let units = c_in * last * last;
        let [dense_at, first_at, second_at] = layers;
        let (dense, dense_bias) = self.dense(&format!("{prefix}{dense_at}"), units, hidden)?;
        // Units flattened channel-first, [c][y][x]; the kernel reads [y][x][c].
        let dense = channel_last_rows(&dense, c_in, last * last, hidden);
        let first = self.dense(&format!("{prefix}{first_at}"), hidden, outputs)?;
        let second = if second_at == first_at { first.clone() } else { self.dense(&format!("{prefix}{second_at}"), hidden, outputs)? };
        CpuEncoder::new(side, convs, dense, dense_bias, first, second).ok_or_else(|| self.uncovered())
    }

    /// The error for a model whose layers the fused kernels do not cover.
    fn uncovered(&self) -> WeightsError {
        WeightsError::Mismatch { variant: self.name.clone(), detail: "its layers have a shape the CPU kernels do not cover".into() }
    }
}

/// `values` as `[a][b][c]` laid out as `[b][a][c]`.
fn channel_last_rows(values: &[f32], a: usize, b: usize, c: usize) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for i in 0..a {
        for j in 0..b {
            out[(j * a + i) * c..][..c].copy_from_slice(&values[(i * b + j) * c..][..c]);
        }
    }
    out
}

/// Little-endian floats of `dtype` as `f32` (`None` for a type that is not a float).
fn floats(dtype: burn_pack::DType, data: &[u8]) -> Option<Vec<f32>> {
    Some(match dtype {
        burn_pack::DType::F32 | burn_pack::DType::Flex32 => data.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect(),
        burn_pack::DType::F16 => data.chunks_exact(2).map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32()).collect(),
        burn_pack::DType::BF16 => data.chunks_exact(2).map(|c| half::bf16::from_le_bytes([c[0], c[1]]).to_f32()).collect(),
        burn_pack::DType::F64 => data
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(<[u8; 8]>::try_from(c).unwrap_or([0; 8])) as f32)
            .collect(),
        _ => return None,
    })
}

/// A VAE's encoder and decoder as fused kernels, from its checked weights file.
pub(crate) fn vae_kernels(config: &VaeConfig, checked: &Checked) -> Result<(CpuEncoder, CpuDecoder), WeightsError> {
    let mut tensors = Tensors::read(checked)?;
    let network = (config.image_side, config.conv_filters.as_slice(), config.hidden);
    let encoder = tensors.encoder("encoder.", network, ["dense", "z_mean", "z_log_var"], config.latent_dim)?;
    let decoder_config = DecoderConfig::new(config.latent_dim, config.conv_filters.clone()).with_image_side(config.image_side);
    let ((channels, side), shapes) = decoder_config.geometry();
    let units = channels * side * side;
    let (dense, bias) = tensors.dense("decoder.dense", config.latent_dim, units)?;
    // Units reshaped channel-first, [c][y][x]; the kernel wants [y][x][c].
    let dense: Vec<f32> = dense.chunks_exact(units).flat_map(|row| channel_last_rows(row, channels, side * side, 1)).collect();
    let bias = channel_last_rows(&bias, channels, side * side, 1);
    let last = shapes.len() - 1;
    let convs = shapes
        .into_iter()
        .enumerate()
        .map(|(k, shape)| tensors.conv(&if k == last { "decoder.output".to_string() } else { format!("decoder.deconvs.{k}") }, shape))
        .collect::<Result<Vec<_>, _>>()?;
    let decoder = CpuDecoder::new(config.latent_dim, dense, bias, (channels, side), convs).ok_or_else(|| tensors.uncovered())?;
    Ok((encoder, decoder))
}

/// The digit classifier as a fused kernel, from its checked weights file.
pub(crate) fn classifier_kernel(checked: &Checked) -> Result<CpuClassifier, WeightsError> {
    let config = DigitClassifierConfig::new();
    let mut tensors = Tensors::read(checked)?;
    let network = tensors.encoder("", (28, &config.conv_filters, config.hidden), ["hidden", "output", "output"], CLASSES)?;
    CpuClassifier::new(network, CLASSES).ok_or_else(|| tensors.uncovered())
}

/// The architecture of a model trained in the page, read off its weights file's shapes (the
/// Train mode's: baseline or deeper, latent 1 to 16; the loss is not in the weights, so it says
/// BCE), checked by building its kernels from the file.
pub(crate) fn identify(checked: &Checked) -> Result<Architecture, WeightsError> {
    let tensors = Tensors::read(checked)?;
    let deeper = tensors.shape("encoder.convs.2.weight").is_some();
    let latent = tensors.shape("encoder.z_mean.weight").and_then(|s| s.get(1).copied());
    let fits = latent.and_then(|l| u8::try_from(l).ok()).and_then(|latent_dim| Architecture { deeper, latent_dim, mse: false }.checked().ok());
    let architecture = fits.ok_or_else(|| WeightsError::Mismatch {
        variant: checked.name().to_string(),
        detail: "its layers fit none of the Train mode's architectures (baseline or deeper, latent 1 to 16)".into(),
    })?;
    vae_kernels(&VaeConfig::from(architecture), checked)?;
    Ok(architecture)
}

/// `variant`'s reconstructions of `images` (`n × 784` intensities) straight from its weights
/// file: checked, read into the fused kernels, encoded to the posterior means and decoded. What the
/// page's first build (`src/bin/vae-lab-first.rs`) runs, alone.
pub fn reconstruct(variant: crate::study::Variant, bytes: Vec<u8>, images: &[f32]) -> Result<Vec<f32>, WeightsError> {
    let (encoder, decoder) = vae_kernels(&VaeConfig::from(variant), &super::weights::check(variant.name(), bytes)?)?;
    Ok(decoder.decode(&encoder.encode(images).0))
}

/// `model`'s fused kernels through its weights file, as the engine reads them: for the tests and
/// the benchmark, which build a model rather than read a file.
#[cfg(not(target_arch = "wasm32"))]
pub fn vae_kernels_of(variant: crate::study::Variant, model: super::Vae) -> Result<(CpuEncoder, CpuDecoder), WeightsError> {
    use burn::module::Module;
    let bytes = model.into_record().into_bytes().map_err(|e| WeightsError::Corrupt { variant: variant.name().into(), detail: e.to_string() })?;
    vae_kernels(&VaeConfig::from(variant), &super::weights::check(variant.name(), bytes.to_vec())?)
}

/// The classifier's fused kernel through its weights file (see [`vae_kernels_of`]).
#[cfg(test)]
pub(crate) fn classifier_kernel_of(model: super::classifier::DigitClassifier) -> Result<CpuClassifier, WeightsError> {
    use burn::module::Module;
    let bytes = model.into_record().into_bytes().map_err(|e| WeightsError::Corrupt { variant: "the classifier".into(), detail: e.to_string() })?;
    classifier_kernel(&super::weights::check("the classifier", bytes.to_vec())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::weights::check;
    use crate::study::Variant;

    fn shipped(name: &str) -> Checked {
        let path = format!("{}/www/models/{name}.bpk", env!("CARGO_MANIFEST_DIR"));
        check(name, std::fs::read(&path).expect("shipped weights")).expect("finite")
    }

    #[test]
    fn the_shipped_files_are_identified_by_their_shapes() {
        for (name, deeper, latent_dim) in [("baseline", false, 2), ("deeper", true, 2), ("latent10", false, 10), ("latent1", false, 1)] {
            assert_eq!(identify(&shipped(name)).expect(name), Architecture { deeper, latent_dim, mse: false }, "{name}");
        }
        assert!(matches!(identify(&shipped("classifier")), Err(WeightsError::Mismatch { .. })));
    }

    #[test]
    fn a_file_of_another_architecture_or_no_file_is_refused() {
        let baseline = VaeConfig::from(Variant::Baseline);
        assert!(vae_kernels(&baseline, &shipped("baseline")).is_ok());
        for other in ["latent10", "deeper", "classifier"] {
            match vae_kernels(&baseline, &shipped(other)) {
                Err(WeightsError::Mismatch { detail, .. }) => assert!(detail.contains('`'), "{other}: {detail}"),
                Err(e) => panic!("{other}: {e}"),
                Ok(_) => panic!("{other} read as the baseline"),
            }
        }
        assert!(classifier_kernel(&shipped("baseline")).is_err());
        let garbage = check("garbage", vec![7; 300]);
        assert!(matches!(garbage.and_then(|g| vae_kernels(&baseline, &g).map(|_| ())), Err(WeightsError::Corrupt { .. })));
    }

    #[test]
    fn dense_rows_are_laid_out_channel_last() {
        // [2 channels][3 pixels][1] → [3 pixels][2 channels].
        assert_eq!(channel_last_rows(&[0., 1., 2., 10., 11., 12.], 2, 3, 1), vec![0., 10., 1., 11., 2., 12.]);
    }
}

/// The kernels read from a model's file against burn's layers of that model: every variant, random
/// weights (biases too) and inputs wide enough to reach the whole sigmoid.
#[cfg(test)]
mod against_burns_layers {
    use burn::prelude::*;

    use super::*;
    use crate::kernels::seeded::Seeded;
    use crate::model::Vae;
    use crate::model::classifier::tests::random_classifier;
    use crate::model::decoder::tests::assert_decodes_like_the_burn_layers;
    use crate::model::encoder::EncoderConfig;
    use crate::model::encoder::tests::random_encoder;
    use crate::model::layers::Start;
    use crate::study::Variant;

    #[test]
    fn a_files_encoder_kernel_encodes_like_the_burn_layers() {
        let device = Device::flex();
        let mut seeded = Seeded::new(11);
        for variant in Variant::ALL {
            let encoder = random_encoder(variant, &mut seeded, &device);
            // Through the model's weights file, as the engine reads it.
            let decoder = DecoderConfig::new(variant.latent_dim(), variant.architecture().conv_filters()).init_as(&mut Start::Keras, &device);
            let vae = Vae { encoder: encoder.clone(), decoder };
            let (kernel, _) = vae_kernels_of(variant, vae).expect("every variant's file has CPU kernels");
            let images = seeded.uniform([7, 1, 28, 28], 0.0, 1.0, &device);
            let (mean, log_var) = encoder.forward(images.clone());
            let (got_mean, got_log_var) = kernel.encode(&images.into_data().try_into_vec::<f32>().expect("f32 pixels"));
            for (name, got, expected) in [("mean", got_mean, mean), ("log_var", got_log_var, log_var)] {
                let expected = expected.into_data().try_into_vec::<f32>().expect("f32 latents");
                assert_eq!(got.len(), expected.len(), "{variant:?} {name}");
                // Relative past 1: the values are not bounded.
                let diff = got.iter().zip(&expected).map(|(a, b)| (a - b).abs() / b.abs().max(1.0)).fold(0.0, f32::max);
                let spread = expected.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                eprintln!("{variant:?} {name}: max diff {diff}, largest |value| {spread}");
                assert!(diff <= 1e-4, "{variant:?} {name}: max diff {diff}");
                // Not a degenerate comparison (e.g. all zeros).
                assert!(spread > 0.01, "{variant:?} {name}: all values near 0");
            }
        }
    }

    #[test]
    fn a_files_decoder_kernel_decodes_like_the_burn_layers() {
        assert_decodes_like_the_burn_layers(7, "fused CPU kernel", |variant, decoder, z| {
            // Through the model's weights file, as the engine reads it.
            let encoder = EncoderConfig::new(variant.latent_dim(), variant.architecture().conv_filters()).init_as(&mut Start::Keras, &z.device());
            let vae = Vae { encoder, decoder: decoder.clone() };
            let (_, kernel) = vae_kernels_of(variant, vae).expect("every variant's file has CPU kernels");
            kernel.decode(&z.into_data().try_into_vec::<f32>().expect("f32 latents"))
        });
    }

    #[test]
    fn the_classifiers_file_gives_the_burn_layers_probabilities() {
        let device = Device::flex();
        let mut seeded = Seeded::new(5);
        let model = random_classifier(&mut seeded, &device);
        let kernel = classifier_kernel_of(model.clone()).expect("the classifier's file has a CPU kernel");
        let images = seeded.uniform([6, 1, 28, 28], 0.0, 1.0, &device);
        let expected = burn::tensor::activation::softmax(model.forward(images.clone()), 1).into_data().try_into_vec::<f32>().expect("f32");
        let got = kernel.probabilities(&images.into_data().try_into_vec::<f32>().expect("f32 pixels"));
        assert_eq!(got.len(), expected.len());
        let diff = got.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(diff <= 1e-5, "max diff {diff}");
        // Not a degenerate comparison: some image has a clear favourite.
        assert!(expected.chunks(CLASSES).any(|p| p.iter().copied().fold(0.0, f32::max) > 0.5), "{expected:?}");
        for row in got.chunks(CLASSES) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
    }
}
