//! A small digit classifier: the report's judge of *meaning* (does a reconstruction, an
//! inpainting or a prior sample still read as a digit, and which one?), not a part of any VAE.

use burn::config::Config;
use burn::module::Module;
use burn::nn::Linear;
use burn::nn::conv::Conv2d;
use burn::prelude::*;
use burn::tensor::activation::relu;

use super::layers::{Start, dense, stride2_conv};

/// The ten classes.
pub(crate) const CLASSES: usize = 10;

/// The shipped classifier's weights file, in the models directory (the page finds it in the
/// manifest).
#[cfg(not(target_arch = "wasm32"))]
pub const WEIGHTS_FILE: &str = "classifier.bpk";

/// Configuration of a [`DigitClassifier`]: the VAE encoder's two stride-2 convolutions, then a
/// hidden dense layer and ten logits.
#[derive(Config, Debug)]
pub(crate) struct DigitClassifierConfig {
    /// Filters of the stride-2 convolutions (28 → 14 → 7).
    #[config(default = "vec![32, 64]")]
    pub(crate) conv_filters: Vec<usize>,
    /// Units of the hidden dense layer.
    #[config(default = 128)]
    pub(crate) hidden: usize,
}

impl DigitClassifierConfig {
    /// Builds the classifier with Keras-style initial weights on `device` (the trainer's).
    #[cfg(not(target_arch = "wasm32"))]
    pub fn init(&self, device: &Device) -> DigitClassifier {
        self.init_as(&mut Start::Keras, device)
    }

    /// Builds the classifier on `device`, its kernels starting as `start` says.
    pub(crate) fn init_as(&self, start: &mut Start<'_>, device: &Device) -> DigitClassifier {
        let mut in_channels = 1;
        let mut side: usize = 28;
        let convs = self
            .conv_filters
            .iter()
            .map(|&filters| {
                let conv = stride2_conv(in_channels, filters, start, device);
                in_channels = filters;
                side = side.div_ceil(2);
                conv
            })
            .collect();
        DigitClassifier {
            convs,
            hidden: dense(in_channels * side * side, self.hidden, start, device),
            output: dense(self.hidden, CLASSES, start, device),
        }
    }
}

/// A convolutional digit classifier.
#[derive(Module, Debug)]
pub struct DigitClassifier {
    convs: Vec<Conv2d>,
    hidden: Linear,
    output: Linear,
}

impl DigitClassifier {
    /// Class logits.
    ///
    /// # Shapes
    ///
    /// - images: `[batch, 1, 28, 28]`, values in 0..1
    /// - output: `[batch, 10]`
    #[cfg_attr(not(feature = "burn-layers"), allow(dead_code, reason = "burn's layers: the page's CPU builds run the fused kernels (model::fused)"))]
    pub(crate) fn forward(&self, images: Tensor<4>) -> Tensor<2> {
        let mut x = images;
        for conv in &self.convs {
            x = relu(conv.forward(x));
        }
        let x: Tensor<2> = x.flatten(1, 3);
        self.output.forward(relu(self.hidden.forward(x)))
    }

    /// The most likely class of each image.
    ///
    /// # Shapes
    ///
    /// - images: `[batch, 1, 28, 28]`
    /// - output: `[batch]`
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn predict(&self, images: Tensor<4>) -> Tensor<1, Int> {
        self.forward(images).argmax(1).flatten(0, 1)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::kernels::seeded::Seeded;

    /// The classifier with random biases too, weights scaled up: the logits spread, the softmax
    /// is not flat.
    pub(crate) fn random_classifier(seeded: &mut Seeded, device: &Device) -> DigitClassifier {
        let mut model = DigitClassifierConfig::new().init(device);
        for conv in model.convs.iter_mut() {
            conv.bias = conv.bias.take().map(|b| seeded.bias(&b, 0.3));
            conv.weight = seeded.weights(&conv.weight, 3.0);
        }
        for linear in [&mut model.hidden, &mut model.output] {
            linear.bias = linear.bias.take().map(|b| seeded.bias(&b, 0.3));
            linear.weight = seeded.weights(&linear.weight, 3.0);
        }
        model
    }

    #[test]
    fn gives_ten_logits_per_image() {
        let device = Device::flex();
        let model = DigitClassifierConfig::new().init(&device);
        let images = Tensor::<4>::zeros([3, 1, 28, 28], &device);
        assert_eq!(model.forward(images.clone()).dims(), [3, CLASSES]);
        assert_eq!(model.predict(images).dims(), [3]);
    }
}
