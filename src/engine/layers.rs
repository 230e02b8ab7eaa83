//! burn's layers behind the engine: the models built on a burn device, where the build has one
//! (cargo feature `burn-layers`: natively, and the page's WebGPU build; not the page's CPU
//! builds, which run the fused kernels alone and so link no burn backend). On WebGPU they are the
//! path, with the sub-pixel decoder; on the CPU natively they are what the tests compare the
//! fused kernels with.
//!
//! Each method returns tensors still on the device, or `None` when the model is not installed;
//! [`super::Engine`] reads them back (once per call, asynchronously) and says what failed.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use burn::prelude::*;

use crate::data::{PIXELS, SIDE};
use crate::kernels::sub_pixel::SubPixelDecoder;
use crate::model::Vae;
use crate::model::classifier::{DigitClassifier, DigitClassifierConfig};
use crate::model::layers::Start;
use crate::model::weights::{Checked, WeightsError, load_checked, load_checked_vae};
use crate::study::Variant;

/// The device and the models on it.
pub(super) struct Layers {
    device: Device,
    models: RefCell<HashMap<Variant, Vae>>,
    /// On WebGPU: each model's decoder as sub-pixel convolutions (`kernels::sub_pixel`), about 30 %
    /// faster than burn's transposed-convolution kernels over SwiftShader.
    sub_pixel: RefCell<HashMap<Variant, Rc<SubPixelDecoder>>>,
    classifier: RefCell<Option<DigitClassifier>>,
}

impl Layers {
    pub(super) fn on(device: Device) -> Layers {
        Layers { device, models: RefCell::default(), sub_pixel: RefCell::default(), classifier: RefCell::default() }
    }

    /// `variant`'s model built from its checked weights file, not yet installed.
    pub(super) fn read(&self, variant: Variant, checked: Checked) -> Result<Vae, WeightsError> {
        load_checked_vae(variant, checked, &self.device)
    }

    /// Installs a model read by [`Layers::read`]; on WebGPU with its sub-pixel decoder and its
    /// weights in the order burn-cubecl's convolutions read (no copy per call).
    pub(super) fn install(&self, variant: Variant, model: Vae, on_webgpu: bool) {
        let model = if on_webgpu {
            if let Some(decoder) = model.decoder.sub_pixel() {
                self.sub_pixel.borrow_mut().insert(variant, Rc::new(decoder));
            }
            model.with_channel_last_weights()
        } else {
            model
        };
        self.models.borrow_mut().insert(variant, model);
    }

    /// Installs the digit classifier from its checked weights file.
    pub(super) fn install_classifier(&self, checked: Checked) -> Result<(), WeightsError> {
        let model = load_checked(DigitClassifierConfig::new().init_as(&mut Start::Zeros, &self.device), checked)?;
        *self.classifier.borrow_mut() = Some(model);
        Ok(())
    }

    pub(super) fn has(&self, variant: Variant) -> bool {
        self.models.borrow().contains_key(&variant)
    }

    pub(super) fn has_sub_pixel(&self, variant: Variant) -> bool {
        self.sub_pixel.borrow().contains_key(&variant)
    }

    fn model(&self, variant: Variant) -> Option<Vae> {
        // Modules are cheap handles to device tensors: cloning does not copy weights.
        self.models.borrow().get(&variant).cloned()
    }

    /// `n × 784` intensities as a `[n, 1, 28, 28]` tensor (the caller has checked the count).
    fn images(&self, images: &[f32]) -> Tensor<4> {
        let n = images.len() / PIXELS;
        // Built as [n, 28, 28, 1] and viewed as [n, 1, 28, 28] (the same memory): burn-cubecl's
        // first convolution then finds its input channel-last already and does not copy it.
        Tensor::from_data(TensorData::new(images.to_vec(), [n, SIDE, SIDE, 1]), &self.device).permute([0, 3, 1, 2])
    }

    /// Decodes on the device: the sub-pixel decoder where there is one and `fast` says to use
    /// it, else burn's layers. `[n, latent]` → `[n, 1, 28, 28]` intensities.
    fn decode_tensor(&self, variant: Variant, model: &Vae, z: Tensor<2>, fast: bool) -> Tensor<4> {
        match self.sub_pixel.borrow().get(&variant).filter(|_| fast) {
            Some(decoder) => decoder.decode(z),
            None => model.decoder.decode(z),
        }
    }

    /// [`Vae::reconstruct`] through [`Layers::decode_tensor`].
    fn reconstruct_tensor(&self, variant: Variant, model: &Vae, images: Tensor<4>, fast: bool) -> Tensor<4> {
        let (mean, _) = model.encoder.forward(images);
        self.decode_tensor(variant, model, mean, fast)
    }

    /// Latents (`z`, a whole number of `variant`'s: checked by the caller) decoded.
    pub(super) fn decode(&self, variant: Variant, z: &[f32], fast: bool) -> Option<Tensor<4>> {
        let model = self.model(variant)?;
        let n = z.len() / variant.latent_dim();
        let latents = Tensor::from_data(TensorData::new(z.to_vec(), [n, z.len() / n]), &self.device);
        Some(self.decode_tensor(variant, &model, latents, fast))
    }

    /// Posterior means and log-variances.
    pub(super) fn encode(&self, variant: Variant, images: &[f32]) -> Option<(Tensor<2>, Tensor<2>)> {
        Some(self.model(variant)?.encoder.forward(self.images(images)))
    }

    /// Reconstructions through the posterior means, and the means.
    pub(super) fn reconstruct_with_mean(&self, variant: Variant, images: &[f32], fast: bool) -> Option<(Tensor<4>, Tensor<2>)> {
        let model = self.model(variant)?;
        let (mean, _) = model.encoder.forward(self.images(images));
        Some((self.decode_tensor(variant, &model, mean.clone(), fast), mean))
    }

    /// Reconstructions through the posterior means.
    pub(super) fn reconstruct(&self, variant: Variant, images: &[f32], fast: bool) -> Option<Tensor<4>> {
        let model = self.model(variant)?;
        Some(self.reconstruct_tensor(variant, &model, self.images(images), fast))
    }

    /// [`super::Engine::inpaint`] on the device: the one pass, and `steps` rounds of iterative
    /// projection.
    pub(super) fn inpaint(&self, variant: Variant, image: &[f32], mask: &[bool], steps: usize, fast: bool) -> Option<(Tensor<4>, Tensor<4>)> {
        let model = self.model(variant)?;
        let hole: Vec<f32> = mask.iter().map(|&m| if m { 1.0 } else { 0.0 }).collect();
        let hole = self.images(&hole);
        let known = hole.clone().neg().add_scalar(1.0);
        let masked = self.images(image) * known.clone();
        let one_pass = self.reconstruct_tensor(variant, &model, masked.clone(), fast);
        let mut current = masked.clone() + one_pass.clone() * hole.clone();
        for _ in 1..steps.max(1) {
            let guess = self.reconstruct_tensor(variant, &model, current, fast);
            current = masked.clone() + guess * hole.clone();
        }
        Some((one_pass, current))
    }

    /// Every stage of one image through burn's layers, following z = μ + σ ⊙ `epsilon`, flattened
    /// into one tensor (one readback), with each stage's length: the input, the convolutions'
    /// maps, the hidden layer, μ, log σ², z, then the decoder's stages (logits last).
    pub(super) fn inside(&self, variant: Variant, image: &[f32], epsilon: &[f32]) -> Option<(Tensor<1>, Vec<usize>)> {
        let model = self.model(variant)?;
        let (maps, hidden, mean, log_var) = model.encoder.stages(self.images(image));
        let epsilon = Tensor::<2>::from_data(TensorData::new(epsilon.to_vec(), [1, epsilon.len()]), &mean.device());
        let z = mean.clone() + log_var.clone().mul_scalar(0.5).exp() * epsilon;
        let decoded = model.decoder.stages(z.clone());
        let flat: Vec<Tensor<1>> = std::iter::once(self.images(image).flatten(0, 3))
            .chain(maps.into_iter().map(|m| m.flatten(0, 3)))
            .chain([hidden, mean, log_var, z].into_iter().map(|v| v.flatten(0, 1)))
            .chain(decoded.into_iter().map(|m| m.flatten(0, 3)))
            .collect();
        let lengths = flat.iter().map(|t| t.dims()[0]).collect();
        Some((Tensor::cat(flat, 0), lengths))
    }

    /// The classifier's probabilities, `[n, 10]`, if it is installed here.
    pub(super) fn classify(&self, images: &[f32]) -> Option<Tensor<2>> {
        let model = self.classifier.borrow().clone()?;
        Some(burn::tensor::activation::softmax(model.forward(self.images(images)), 1))
    }
}
