//! The engine: one device, the loaded models, and every inference the page runs, each ending in
//! one asynchronous readback (a WebGPU tensor must never be read synchronously in a browser).
//!
//! Inputs and outputs are plain `f32` slices: 784 intensities per image, `latent_dim` values per
//! latent vector. Nothing outside this module sees a burn type.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use burn::prelude::*;

use crate::model::classifier::DigitClassifier;
use crate::model::weights::{Checked, WeightsError, check, load_checked_vae, load_classifier};
use crate::data::{PIXELS, SIDE};
use crate::model::Vae;
use crate::kernels::cpu_fused::{CpuClassifier, CpuDecoder, CpuEncoder};
use crate::kernels::sub_pixel::SubPixelDecoder;
use crate::study::Variant;

/// Which compute path runs the models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendKind {
    /// burn-wgpu on a WebGPU adapter, with its name.
    WebGpu(String),
    /// burn's flex backend on the CPU.
    Cpu,
}

impl BackendKind {
    /// What the badge shows.
    pub(crate) fn label(&self) -> String {
        match self {
            BackendKind::WebGpu(adapter) if adapter.is_empty() => "WebGPU".into(),
            BackendKind::WebGpu(adapter) => format!("WebGPU · {adapter}"),
            BackendKind::Cpu => "CPU".into(),
        }
    }
}

/// Why an inference could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The variant's weights are not loaded yet.
    #[error("the `{0}` model is not loaded")]
    NotLoaded(String),
    /// Inputs of the wrong size.
    #[error("{0}")]
    BadInput(String),
    /// The device failed while computing or reading back.
    #[error("the {backend} backend failed: {detail}")]
    Device {
        /// Backend label.
        backend: String,
        /// What it said.
        detail: String,
    },
}

/// Posterior parameters of a batch of images.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// `n × latent` means.
    pub(crate) mean: Vec<f32>,
    /// `n × latent` log-variances.
    pub(crate) log_var: Vec<f32>,
}

/// Result of inpainting one image.
#[derive(Debug, Clone, PartialEq)]
pub struct Inpainting {
    /// The study's way: one pass of the masked image through the VAE.
    pub one_pass: Vec<f32>,
    /// Iterative projection: known pixels kept, masked ones replaced by the reconstruction.
    pub iterative: Vec<f32>,
}

/// A model's fused CPU kernels (either may be missing if a layer's shape is not covered).
struct Fused {
    encoder: Option<Rc<CpuEncoder>>,
    decoder: Option<Rc<CpuDecoder>>,
}

/// The digit classifier: burn's layers and, on the CPU, its fused kernel.
#[derive(Clone)]
struct Classifier {
    model: DigitClassifier,
    fused: Option<Rc<CpuClassifier>>,
}

/// Where the digit classifier runs.
enum ClassifierAt {
    /// On this thread.
    Here(Classifier),
    /// In the first decode worker, which fetched it as the manifest lists it (fetched here too
    /// if the worker fails).
    #[cfg(target_arch = "wasm32")]
    Workers(crate::study::metrics::ManifestFile),
}

/// A model read from its weights file and not yet installed ([`Engine::read_weights`]).
pub(crate) struct ReadWeights {
    variant: Variant,
    model: Vae,
    /// The file again, for the decode workers.
    #[cfg(target_arch = "wasm32")]
    for_pool: Option<Vec<u8>>,
}

/// Device, backend and loaded models.
pub struct Engine {
    device: Device,
    backend: BackendKind,
    models: RefCell<HashMap<Variant, Vae>>,
    /// On the CPU: each model as fused kernels (`kernels::cpu_fused`), about 2× faster than burn's
    /// layers for one image.
    kernels: RefCell<HashMap<Variant, Rc<Fused>>>,
    /// On WebGPU: each model's decoder as sub-pixel convolutions (`kernels::sub_pixel`), about 30 %
    /// faster than burn's transposed-convolution kernels over SwiftShader.
    sub_pixel: RefCell<HashMap<Variant, Rc<SubPixelDecoder>>>,
    /// The digit classifier, once installed ([`Engine::install_classifier`]).
    classifier: RefCell<Option<ClassifierAt>>,
    /// `false` computes with burn's layers even where kernels or the sub-pixel decoder exist
    /// (benchmark, checks).
    use_fast_paths: Cell<bool>,
    /// Set by [`Engine::simulate_device_loss`]: every later readback fails as after a lost GPU.
    lost: Cell<bool>,
    /// Web Workers for big CPU decodes, started when first needed (wasm only; `None` natively, on
    /// WebGPU, or in a worker).
    #[cfg(target_arch = "wasm32")]
    pool: Option<super::workers::decode_pool::LazyPool>,
}

impl Engine {
    /// An engine on burn's CPU backend (not in the page's WebGPU build, which has no flex).
    #[cfg(feature = "cpu")]
    pub fn cpu() -> Engine {
        Engine::on(Device::flex(), BackendKind::Cpu)
    }

    /// An engine on a device already initialised.
    pub fn on(device: Device, backend: BackendKind) -> Engine {
        Engine {
            device,
            backend,
            models: RefCell::new(HashMap::new()),
            kernels: RefCell::new(HashMap::new()),
            sub_pixel: RefCell::new(HashMap::new()),
            classifier: RefCell::new(None),
            use_fast_paths: Cell::new(true),
            lost: Cell::new(false),
            #[cfg(target_arch = "wasm32")]
            pool: None,
        }
    }

    /// Lets Web Workers share big CPU decodes (see `decode_pool`). They start at the first big
    /// decode or at [`Engine::start_decode_pool`], not now: their start (fetching and compiling
    /// the page's wasm, loading every model again) would compete with the page's own.
    #[cfg(target_arch = "wasm32")]
    pub fn with_decode_pool(mut self) -> Engine {
        self.pool = Some(super::workers::decode_pool::LazyPool::default());
        self
    }

    /// Starts the decode workers now, if this engine has them and they have not started (the
    /// page calls it once its own start-up is over).
    #[cfg(target_arch = "wasm32")]
    pub(crate) fn start_decode_pool(&self) {
        if let Some(pool) = &self.pool {
            pool.start();
        }
    }

    /// The backend in use.
    pub fn backend(&self) -> &BackendKind {
        &self.backend
    }

    /// Installs `variant` from the bytes of its weights file.
    pub fn install(&self, variant: Variant, bytes: Vec<u8>) -> Result<(), WeightsError> {
        let read = self.read_weights(variant, Engine::check_weights(variant, bytes)?)?;
        self.install_read(read);
        Ok(())
    }

    /// The first of [`Engine::install`]'s three parts: every float of `variant`'s weights file
    /// checked finite (the file read once; the page's thread is given back before the model is
    /// built from it).
    pub(crate) fn check_weights(variant: Variant, bytes: Vec<u8>) -> Result<Checked, WeightsError> {
        check(variant.name(), bytes)
    }

    /// The second of [`Engine::install`]'s three parts: `variant`'s model built from its
    /// checked weights file ([`Engine::check_weights`], the first), not yet installed. The page gives
    /// the browser its thread back between them, and before the third, [`Engine::install_read`].
    pub(crate) fn read_weights(&self, variant: Variant, checked: Checked) -> Result<ReadWeights, WeightsError> {
        // The workers get the file only once it has loaded here.
        #[cfg(target_arch = "wasm32")]
        let for_pool = self.pool.is_some().then(|| checked.bytes().to_vec());
        let model = load_checked_vae(variant, checked, &self.device)?;
        Ok(ReadWeights {
            variant,
            model,
            #[cfg(target_arch = "wasm32")]
            for_pool,
        })
    }

    /// The second half of [`Engine::install`]: the model's fast paths, then the model itself,
    /// here and in the decode workers.
    pub(crate) fn install_read(&self, read: ReadWeights) {
        #[cfg(target_arch = "wasm32")]
        let ReadWeights { variant, model, for_pool } = read;
        #[cfg(not(target_arch = "wasm32"))]
        let ReadWeights { variant, model } = read;
        let model = match self.backend {
            BackendKind::WebGpu(_) => {
                if let Some(decoder) = model.decoder.sub_pixel() {
                    self.sub_pixel.borrow_mut().insert(variant, Rc::new(decoder));
                }
                // Weights in the order burn-cubecl's convolutions read (no copy per call).
                model.with_channel_last_weights()
            }
            BackendKind::Cpu => {
                // Read synchronously: only CPU tensors may be.
                let fused = Fused {
                    encoder: model.encoder.cpu_kernel(SIDE).map(Rc::new),
                    decoder: model.decoder.cpu_kernel().map(Rc::new),
                };
                self.kernels.borrow_mut().insert(variant, Rc::new(fused));
                model
            }
        };
        self.models.borrow_mut().insert(variant, model);
        #[cfg(target_arch = "wasm32")]
        if let (Some(pool), Some(bytes)) = (&self.pool, for_pool) {
            pool.install(variant, bytes);
        }
    }

    /// Installs the digit classifier (the Report's judge) from the bytes of its weights file:
    /// [`Engine::classify`] then says which digit an image looks like.
    pub fn install_classifier(&self, bytes: Vec<u8>) -> Result<(), WeightsError> {
        self.install_classifier_here(bytes).map(|_| ())
    }

    /// Fetches the digit classifier the manifest lists and installs it. On the page's CPU path
    /// the first decode worker fetches and runs it (its 1.7 MB file and its kernel cost the
    /// page's thread ~100 ms); here where there are no workers, or they fail.
    #[cfg(target_arch = "wasm32")]
    pub async fn load_classifier(&self, listed: &crate::study::metrics::ManifestFile) -> Result<(), String> {
        if let Some(pool) = self.pool.as_ref().and_then(|p| p.start()).filter(|p| p.usable()) {
            match pool.load_classifier(listed).await {
                Ok(()) => {
                    *self.classifier.borrow_mut() = Some(ClassifierAt::Workers(listed.clone()));
                    return Ok(());
                }
                Err(e) => web_sys::console::warn_1(&format!("the decode worker did not load the digit classifier ({e}); it runs on the page").into()),
            }
        }
        let bytes = super::web::fetch_listed(listed, |_| {}).await?;
        self.install_classifier(bytes).map_err(|e| e.to_string())
    }

    /// Installs the classifier on this thread; the classifier installed.
    fn install_classifier_here(&self, bytes: Vec<u8>) -> Result<Classifier, WeightsError> {
        let model = load_classifier(bytes, &self.device)?;
        let fused = match self.backend {
            // Read synchronously: only CPU tensors may be.
            BackendKind::Cpu => model.cpu_kernel().map(Rc::new),
            BackendKind::WebGpu(_) => None,
        };
        let classifier = Classifier { model, fused };
        *self.classifier.borrow_mut() = Some(ClassifierAt::Here(classifier.clone()));
        Ok(classifier)
    }

    /// How likely each image of `n × 784` is each digit, to the classifier: `n × 10`
    /// probabilities (row `k` for image `k`, digits 0 to 9).
    pub async fn classify(&self, images: &[f32]) -> Result<Vec<f32>, EngineError> {
        Self::count_images(images)?;
        let here: Result<Classifier, crate::study::metrics::ManifestFile> = match &*self.classifier.borrow() {
            None => return Err(EngineError::NotLoaded("digit classifier".into())),
            Some(ClassifierAt::Here(classifier)) => Ok(classifier.clone()),
            #[cfg(target_arch = "wasm32")]
            Some(ClassifierAt::Workers(listed)) => Err(listed.clone()),
        };
        let classifier = match here {
            Ok(classifier) => classifier,
            #[cfg(target_arch = "wasm32")]
            Err(listed) => {
                if let Some(pool) = self.pool.as_ref().and_then(|p| p.started()).filter(|p| p.usable()) {
                    match pool.classify(images).await {
                        Ok(probabilities) => return Ok(probabilities),
                        Err(e) => web_sys::console::warn_1(&format!("the decode worker could not classify ({e}); the classifier moves to the page").into()),
                    }
                }
                let failed = |detail: String| EngineError::Device { backend: self.backend.label(), detail };
                let bytes = super::web::fetch_listed(&listed, |_| {}).await.map_err(failed)?;
                self.install_classifier_here(bytes).map_err(|e| failed(e.to_string()))?
            }
            // Only the page's decode workers hold it elsewhere.
            #[cfg(not(target_arch = "wasm32"))]
            Err(_) => return Err(EngineError::NotLoaded("digit classifier".into())),
        };
        match classifier.fused.filter(|_| self.use_fast_paths.get()) {
            Some(fused) => Ok(fused.probabilities(images)),
            None => self.read(burn::tensor::activation::softmax(classifier.model.forward(self.images(images)?), 1)).await,
        }
    }

    /// The trained-in-the-page variant whose layers `bytes` fit (checked as a shipped file is).
    pub fn identify(&self, bytes: &[u8]) -> Result<Variant, WeightsError> {
        crate::model::weights::identify(bytes, &self.device).map(Variant::Yours)
    }

    /// Whether `variant` is installed.
    pub fn has(&self, variant: Variant) -> bool {
        self.models.borrow().contains_key(&variant)
    }

    /// Whether inference takes the fast paths (the default: fused kernels on the CPU, the sub-pixel
    /// decoder on WebGPU) or burn's layers; the benchmark and the in-page check compare the two.
    pub fn set_fast_paths(&self, on: bool) {
        self.use_fast_paths.set(on);
    }

    /// The fast path `variant` runs on, once loaded: fused CPU kernels (encoder and decoder) on
    /// the CPU, the sub-pixel decoder on WebGPU; `None` if it has none.
    pub fn fast_path(&self, variant: Variant) -> Option<&'static str> {
        if self.kernels.borrow().get(&variant).is_some_and(|f| f.encoder.is_some() && f.decoder.is_some()) {
            Some("fused CPU kernels")
        } else if self.sub_pixel.borrow().contains_key(&variant) {
            Some("sub-pixel decoder")
        } else {
            None
        }
    }

    /// The fused kernels of `variant`, when the engine runs on the CPU and uses them.
    fn fused(&self, variant: Variant) -> Option<Rc<Fused>> {
        if !self.use_fast_paths.get() {
            return None;
        }
        self.kernels.borrow().get(&variant).cloned()
    }

    /// The fused encoder of `variant`, if in use.
    pub(super) fn encoder_kernel(&self, variant: Variant) -> Option<Rc<CpuEncoder>> {
        self.fused(variant).and_then(|f| f.encoder.clone())
    }

    /// Decodes on the device: the sub-pixel decoder where there is one (and it is in use), else
    /// burn's layers. `[n, latent]` → `[n, 1, 28, 28]` intensities.
    fn decode_tensor(&self, variant: Variant, model: &Vae, z: Tensor<2>) -> Tensor<4> {
        let sub_pixel = self.use_fast_paths.get().then(|| self.sub_pixel.borrow().get(&variant).cloned()).flatten();
        match sub_pixel {
            Some(decoder) => decoder.decode(z),
            None => model.decoder.decode(z),
        }
    }

    /// [`Vae::reconstruct`] through [`Engine::decode_tensor`].
    fn reconstruct_tensor(&self, variant: Variant, model: &Vae, images: Tensor<4>) -> Tensor<4> {
        let (mean, _) = model.encoder.forward(images);
        self.decode_tensor(variant, model, mean)
    }

    /// The fused decoder of `variant`, if in use.
    pub(super) fn decoder_kernel(&self, variant: Variant) -> Option<Rc<CpuDecoder>> {
        self.fused(variant).and_then(|f| f.decoder.clone())
    }

    /// Posterior means of `n × 784` images: the fused encoder where there is one, else burn's.
    async fn means(&self, variant: Variant, model: &Vae, images: &[f32]) -> Result<Vec<f32>, EngineError> {
        Self::count_images(images)?;
        match self.encoder_kernel(variant) {
            Some(encoder) => Ok(encoder.encode(images).0),
            None => self.read(model.encoder.forward(self.images(images)?).0).await,
        }
    }

    pub(super) fn model(&self, variant: Variant) -> Result<Vae, EngineError> {
        // Modules are cheap handles to device tensors: cloning does not copy weights.
        self.models.borrow().get(&variant).cloned().ok_or_else(|| EngineError::NotLoaded(variant.name().into()))
    }

    /// How many images `images` holds, if a whole number of 28×28 ones.
    fn count_images(images: &[f32]) -> Result<usize, EngineError> {
        if images.is_empty() || images.len() % PIXELS != 0 {
            return Err(EngineError::BadInput(format!("{} values is not a whole number of 28×28 images", images.len())));
        }
        Ok(images.len() / PIXELS)
    }

    pub(super) fn images(&self, images: &[f32]) -> Result<Tensor<4>, EngineError> {
        let n = Self::count_images(images)?;
        // Built as [n, 28, 28, 1] and viewed as [n, 1, 28, 28] (the same memory): burn-cubecl's
        // first convolution then finds its input channel-last already and does not copy it.
        Ok(Tensor::from_data(TensorData::new(images.to_vec(), [n, SIDE, SIDE, 1]), &self.device).permute([0, 3, 1, 2]))
    }

    /// How many latents `z` holds, if a whole number of `variant`'s.
    fn count_latents(variant: Variant, z: &[f32]) -> Result<usize, EngineError> {
        let latent = variant.latent_dim();
        if z.is_empty() || z.len() % latent != 0 {
            return Err(EngineError::BadInput(format!("{} values is not a whole number of {latent}-D latents", z.len())));
        }
        Ok(z.len() / latent)
    }

    /// Makes every later readback fail the way it does once the browser has lost the GPU device
    /// (the page's tests check the fallback to the CPU with it).
    #[cfg(feature = "bench")]
    pub(crate) fn simulate_device_loss(&self) {
        self.lost.set(true);
    }

    pub(super) async fn read<const D: usize>(&self, tensor: Tensor<D>) -> Result<Vec<f32>, EngineError> {
        let failed = |detail: String| EngineError::Device { backend: self.backend.label(), detail };
        if self.lost.get() {
            return Err(failed("the device was lost".into()));
        }
        let data = tensor.into_data_async().await.map_err(|e| failed(format!("{e:?}")))?;
        data.try_to_vec::<f32>().map_err(|e| failed(format!("{e:?}")))
    }

    /// Decodes latent vectors (`n × latent_dim`) into `n × 784` intensities.
    /// Big batches on the CPU go to the Web Workers when the page has them.
    pub async fn decode(&self, variant: Variant, z: &[f32]) -> Result<Vec<f32>, EngineError> {
        let model = self.model(variant)?;
        #[cfg(target_arch = "wasm32")]
        {
            use super::workers::decode_pool::{MAX_BATCH_WHILE_STARTING, MIN_POOLED_BATCH};
            let n = z.len() / variant.latent_dim();
            let big = n >= MIN_POOLED_BATCH && z.len() % variant.latent_dim() == 0;
            // The first big decode starts the workers; one of a few dozen digits does not wait
            // for them.
            let starting = self.pool.as_ref().is_some_and(|p| !p.has_started());
            let wait = !starting || n > MAX_BATCH_WHILE_STARTING;
            if let Some(pool) = self.pool.as_ref().filter(|_| big).and_then(|p| p.start()).filter(|p| wait && p.usable()) {
                match pool.decode(variant, z).await {
                    Ok(pixels) => return Ok(pixels),
                    // Not lost: decoded below, on this thread.
                    Err(e) => web_sys::console::warn_1(&format!("decode workers failed ({e}); decoding on the page").into()),
                }
            }
        }
        self.decode_here(variant, model, z).await
    }

    /// Decodes on this thread, never in the workers (the benchmark compares the two).
    pub async fn decode_on_this_thread(&self, variant: Variant, z: &[f32]) -> Result<Vec<f32>, EngineError> {
        let model = self.model(variant)?;
        self.decode_here(variant, model, z).await
    }

    async fn decode_here(&self, variant: Variant, model: Vae, z: &[f32]) -> Result<Vec<f32>, EngineError> {
        let n = Self::count_latents(variant, z)?;
        match self.decoder_kernel(variant) {
            Some(decoder) => Ok(decoder.decode(z)),
            None => {
                let latents = Tensor::from_data(TensorData::new(z.to_vec(), [n, z.len() / n]), &self.device);
                self.read(self.decode_tensor(variant, &model, latents)).await
            }
        }
    }

    /// How many Web Workers share big decodes (0: all on this thread).
    #[cfg(feature = "bench")]
    pub(crate) fn decode_workers(&self) -> usize {
        #[cfg(target_arch = "wasm32")]
        if let Some(pool) = self.pool.as_ref().and_then(|p| p.started()).filter(|p| p.usable()) {
            return pool.workers();
        }
        0
    }

    /// Posterior means and log-variances of `n × 784` images.
    pub async fn encode(&self, variant: Variant, images: &[f32]) -> Result<Encoded, EngineError> {
        let model = self.model(variant)?;
        if let Some(encoder) = self.encoder_kernel(variant) {
            Self::count_images(images)?;
            let (mean, log_var) = encoder.encode(images);
            return Ok(Encoded { mean, log_var });
        }
        let (mean, log_var) = model.encoder.forward(self.images(images)?);
        Ok(Encoded { mean: self.read(mean).await?, log_var: self.read(log_var).await? })
    }

    /// Encodes to the posterior mean and decodes: `n × 784` in, `n × 784` out.
    pub async fn reconstruct(&self, variant: Variant, images: &[f32]) -> Result<Vec<f32>, EngineError> {
        let model = self.model(variant)?;
        match self.decoder_kernel(variant) {
            Some(decoder) => Ok(decoder.decode(&self.means(variant, &model, images).await?)),
            None => self.read(self.reconstruct_tensor(variant, &model, self.images(images)?)).await,
        }
    }

    /// Reconstructs `n × 784` images through their posterior means and returns both:
    /// `(n × 784 reconstructions, n × latent means)`, one encoder pass.
    pub async fn reconstruct_with_mean(&self, variant: Variant, images: &[f32]) -> Result<(Vec<f32>, Vec<f32>), EngineError> {
        let model = self.model(variant)?;
        if let Some(decoder) = self.decoder_kernel(variant) {
            let mean = self.means(variant, &model, images).await?;
            return Ok((decoder.decode(&mean), mean));
        }
        let (mean, _) = model.encoder.forward(self.images(images)?);
        let pixels = self.decode_tensor(variant, &model, mean.clone());
        Ok((self.read(pixels).await?, self.read(mean).await?))
    }

    /// Reconstructs `image` with the pixels where `mask` is true unknown (zeroed), once as the
    /// study did and by `steps` rounds of iterative projection, all on the device.
    pub async fn inpaint(&self, variant: Variant, image: &[f32], mask: &[bool], steps: usize) -> Result<Inpainting, EngineError> {
        if image.len() != PIXELS || mask.len() != PIXELS {
            return Err(EngineError::BadInput("inpainting takes one 28×28 image and a 28×28 mask".into()));
        }
        if self.decoder_kernel(variant).is_some() {
            return self.inpaint_on_cpu(variant, image, mask, steps).await;
        }
        let model = self.model(variant)?;
        let hole: Vec<f32> = mask.iter().map(|&m| if m { 1.0 } else { 0.0 }).collect();
        let hole = self.images(&hole)?;
        let known = hole.clone().neg().add_scalar(1.0);
        let masked = self.images(image)? * known.clone();
        let one_pass = self.reconstruct_tensor(variant, &model, masked.clone());
        let mut current = masked.clone() + one_pass.clone() * hole.clone();
        for _ in 1..steps.max(1) {
            let guess = self.reconstruct_tensor(variant, &model, current);
            current = masked.clone() + guess * hole.clone();
        }
        Ok(Inpainting { one_pass: self.read(one_pass).await?, iterative: self.read(current).await? })
    }

    /// [`Engine::inpaint`] on the CPU, with the fused decoder: the same rounds on host vectors.
    async fn inpaint_on_cpu(&self, variant: Variant, image: &[f32], mask: &[bool], steps: usize) -> Result<Inpainting, EngineError> {
        let masked: Vec<f32> = image.iter().zip(mask).map(|(&p, &m)| if m { 0.0 } else { p }).collect();
        // Known pixels from the image, the hole from the guess.
        let fill = |guess: Vec<f32>| -> Vec<f32> { masked.iter().zip(guess).zip(mask).map(|((&k, g), &m)| if m { g } else { k }).collect() };
        let one_pass = self.reconstruct(variant, &masked).await?;
        let mut current = fill(one_pass.clone());
        for _ in 1..steps.max(1) {
            current = fill(self.reconstruct(variant, &current).await?);
        }
        Ok(Inpainting { one_pass, iterative: current })
    }
}
