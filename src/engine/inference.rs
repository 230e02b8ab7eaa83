//! The engine: the loaded models and every inference the page runs. On the CPU the fused kernels
//! compute (read straight from the weights files: the page's CPU builds have nothing else); on
//! WebGPU burn's layers (`super::layers`), each call ending in one asynchronous readback (a WebGPU
//! tensor must never be read synchronously in a browser).
//!
//! Inputs and outputs are plain `f32` slices: 784 intensities per image, `latent_dim` values per
//! latent vector. Nothing outside the engine sees a burn type.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

#[cfg(feature = "burn-layers")]
use super::layers::Layers;
use crate::data::PIXELS;
use crate::kernels::cpu_fused::{CpuClassifier, CpuDecoder, CpuEncoder};
#[cfg(feature = "burn-layers")]
use crate::model::Vae;
use crate::model::VaeConfig;
use crate::model::fused::{classifier_kernel, identify, vae_kernels};
use crate::model::weights::{Checked, WeightsError, check};
use crate::study::Variant;

/// Which compute path runs the models.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BackendKind {
    /// burn-wgpu on a WebGPU adapter, with its name.
    WebGpu(String),
    /// The CPU: the fused kernels (`kernels::cpu_fused`).
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

/// A model's fused CPU kernels (`kernels::cpu_fused`), read from its weights file
/// (`model::fused`): how the engine computes on the CPU.
struct Fused {
    encoder: Rc<CpuEncoder>,
    decoder: Rc<CpuDecoder>,
}

/// The digit classifier as a fused kernel (on the CPU), or on burn's layers
/// ([`super::layers::Layers::classify`], on WebGPU).
#[derive(Clone)]
struct Classifier {
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
    /// Its fused kernels, on the CPU.
    fused: Option<Fused>,
    /// burn's layers, where the build has them.
    #[cfg(feature = "burn-layers")]
    model: Vae,
    /// The file again, for the decode workers.
    #[cfg(target_arch = "wasm32")]
    for_pool: Option<Vec<u8>>,
}

/// Backend and loaded models.
pub struct Engine {
    backend: BackendKind,
    /// burn's layers on the device (natively and on WebGPU; the page's CPU builds have none).
    #[cfg(feature = "burn-layers")]
    pub(super) layers: Layers,
    /// On the CPU: each model as fused kernels, about 2× faster than burn's layers for one image.
    kernels: RefCell<HashMap<Variant, Rc<Fused>>>,
    /// The digit classifier, once installed ([`Engine::install_classifier`]).
    classifier: RefCell<Option<ClassifierAt>>,
    /// `false` computes with burn's layers even where kernels or the sub-pixel decoder exist
    /// (benchmark, checks).
    use_fast_paths: Cell<bool>,
    /// Set by [`Engine::simulate_device_loss`]: every later readback fails as after a lost GPU.
    #[cfg(feature = "burn-layers")]
    lost: Cell<bool>,
    /// Web Workers for big CPU decodes, started when first needed (wasm only; `None` natively, on
    /// WebGPU, or in a worker).
    #[cfg(target_arch = "wasm32")]
    pool: Option<super::workers::decode_pool::LazyPool>,
}

impl Engine {
    /// An engine on the CPU: the fused kernels, and burn's flex layers where the build has them
    /// (not in the page's WebGPU build, which has no flex).
    #[cfg(any(feature = "cpu", not(feature = "burn-layers")))]
    pub fn cpu() -> Engine {
        Engine::new(
            BackendKind::Cpu,
            #[cfg(feature = "burn-layers")]
            Layers::on(burn::prelude::Device::flex()),
        )
    }

    /// An engine on a burn device already initialised.
    #[cfg(feature = "burn-layers")]
    pub fn on(device: burn::prelude::Device, backend: BackendKind) -> Engine {
        Engine::new(backend, Layers::on(device))
    }

    fn new(backend: BackendKind, #[cfg(feature = "burn-layers")] layers: Layers) -> Engine {
        Engine {
            backend,
            #[cfg(feature = "burn-layers")]
            layers,
            kernels: RefCell::new(HashMap::new()),
            classifier: RefCell::new(None),
            use_fast_paths: Cell::new(true),
            #[cfg(feature = "burn-layers")]
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
    /// checked weights file ([`Engine::check_weights`], the first), not yet installed: on the CPU
    /// its fused kernels, and burn's layers where the build has them. The page gives the browser
    /// its thread back between them, and before the third, [`Engine::install_read`].
    pub(crate) fn read_weights(&self, variant: Variant, checked: Checked) -> Result<ReadWeights, WeightsError> {
        // The workers get the file only once it has loaded here.
        #[cfg(target_arch = "wasm32")]
        let for_pool = self.pool.is_some().then(|| checked.bytes().to_vec());
        let fused = match self.backend {
            BackendKind::Cpu => {
                let (encoder, decoder) = vae_kernels(&VaeConfig::from(variant), &checked)?;
                Some(Fused { encoder: Rc::new(encoder), decoder: Rc::new(decoder) })
            }
            BackendKind::WebGpu(_) => None,
        };
        Ok(ReadWeights {
            variant,
            fused,
            #[cfg(feature = "burn-layers")]
            model: self.layers.read(variant, checked)?,
            #[cfg(target_arch = "wasm32")]
            for_pool,
        })
    }

    /// The last of [`Engine::install`]'s parts: the model read, installed here and in the decode
    /// workers.
    pub(crate) fn install_read(&self, read: ReadWeights) {
        if let Some(fused) = read.fused {
            self.kernels.borrow_mut().insert(read.variant, Rc::new(fused));
        }
        #[cfg(feature = "burn-layers")]
        self.layers.install(read.variant, read.model, matches!(self.backend, BackendKind::WebGpu(_)));
        #[cfg(target_arch = "wasm32")]
        if let (Some(pool), Some(bytes)) = (&self.pool, read.for_pool) {
            pool.install(read.variant, bytes);
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

    /// Installs the classifier on this thread (its fused kernel on the CPU, burn's layers where
    /// the build has them); the classifier installed.
    fn install_classifier_here(&self, bytes: Vec<u8>) -> Result<Classifier, WeightsError> {
        let checked = check("the digit classifier", bytes)?;
        let fused = match self.backend {
            BackendKind::Cpu => Some(Rc::new(classifier_kernel(&checked)?)),
            BackendKind::WebGpu(_) => None,
        };
        #[cfg(feature = "burn-layers")]
        self.layers.install_classifier(checked)?;
        let classifier = Classifier { fused };
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
        if let Some(fused) = classifier.fused.filter(|_| self.use_fast_paths.get()) {
            return Ok(fused.probabilities(images));
        }
        #[cfg(feature = "burn-layers")]
        if let Some(probabilities) = self.layers.classify(images) {
            return self.read(probabilities).await;
        }
        Err(EngineError::NotLoaded("digit classifier".into()))
    }

    /// The trained-in-the-page variant whose layers `bytes` fit (checked as a shipped file is).
    pub fn identify(&self, bytes: &[u8]) -> Result<Variant, WeightsError> {
        identify(&check("a model trained in the page", bytes.to_vec())?).map(Variant::Yours)
    }

    /// Whether `variant` is installed.
    pub fn has(&self, variant: Variant) -> bool {
        #[cfg(feature = "burn-layers")]
        if self.layers.has(variant) {
            return true;
        }
        self.kernels.borrow().contains_key(&variant)
    }

    /// Whether inference takes the fast paths (the default: fused kernels on the CPU, the sub-pixel
    /// decoder on WebGPU) or burn's layers; the benchmark and the in-page check compare the two.
    /// The page's CPU builds have no burn layers: there it changes nothing.
    pub fn set_fast_paths(&self, on: bool) {
        self.use_fast_paths.set(on);
    }

    /// The fast path `variant` runs on, once loaded: fused CPU kernels (encoder and decoder) on
    /// the CPU, the sub-pixel decoder on WebGPU; `None` if it has none.
    pub fn fast_path(&self, variant: Variant) -> Option<&'static str> {
        if self.kernels.borrow().contains_key(&variant) {
            return Some("fused CPU kernels");
        }
        #[cfg(feature = "burn-layers")]
        if self.layers.has_sub_pixel(variant) {
            return Some("sub-pixel decoder");
        }
        None
    }

    /// The fused kernels of `variant`, if installed and in use (on the CPU). `None` sends a call
    /// to burn's layers.
    fn fused(&self, variant: Variant) -> Option<Rc<Fused>> {
        #[cfg(feature = "burn-layers")]
        if !self.use_fast_paths.get() {
            return None;
        }
        self.kernels.borrow().get(&variant).cloned()
    }

    /// The fused encoder of `variant`, if in use.
    pub(super) fn encoder_kernel(&self, variant: Variant) -> Option<Rc<CpuEncoder>> {
        self.fused(variant).map(|f| f.encoder.clone())
    }

    /// The fused decoder of `variant`, if in use.
    pub(super) fn decoder_kernel(&self, variant: Variant) -> Option<Rc<CpuDecoder>> {
        self.fused(variant).map(|f| f.decoder.clone())
    }

    /// A call the fused kernels do not take, where the build has no burn layers to take it (the
    /// page's CPU builds install every model as fused kernels, so: a model not loaded).
    #[cfg(not(feature = "burn-layers"))]
    fn not_loaded(variant: Variant) -> EngineError {
        EngineError::NotLoaded(variant.name().into())
    }

    /// What burn's layers gave, or that `variant` is not installed there.
    #[cfg(feature = "burn-layers")]
    pub(super) fn loaded<T>(variant: Variant, value: Option<T>) -> Result<T, EngineError> {
        value.ok_or_else(|| EngineError::NotLoaded(variant.name().into()))
    }

    /// Whether the sub-pixel decoder and the fused kernels are in use.
    #[cfg(feature = "burn-layers")]
    fn fast(&self) -> bool {
        self.use_fast_paths.get()
    }

    /// How many images `images` holds, if a whole number of 28×28 ones.
    fn count_images(images: &[f32]) -> Result<usize, EngineError> {
        if images.is_empty() || images.len() % PIXELS != 0 {
            return Err(EngineError::BadInput(format!("{} values is not a whole number of 28×28 images", images.len())));
        }
        Ok(images.len() / PIXELS)
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
    /// `false` where there is no device to lose (the page's CPU builds).
    #[cfg(feature = "bench")]
    pub(crate) fn simulate_device_loss(&self) -> bool {
        #[cfg(feature = "burn-layers")]
        self.lost.set(true);
        cfg!(feature = "burn-layers")
    }

    /// A device tensor's values, read asynchronously (a WebGPU tensor must never be read
    /// synchronously in a browser).
    #[cfg(feature = "burn-layers")]
    pub(super) async fn read<const D: usize>(&self, tensor: burn::prelude::Tensor<D>) -> Result<Vec<f32>, EngineError> {
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
        if !self.has(variant) {
            return Err(EngineError::NotLoaded(variant.name().into()));
        }
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
        self.decode_on_this_thread(variant, z).await
    }

    /// Decodes on this thread, never in the workers (the benchmark compares the two).
    pub async fn decode_on_this_thread(&self, variant: Variant, z: &[f32]) -> Result<Vec<f32>, EngineError> {
        Self::count_latents(variant, z)?;
        match self.decoder_kernel(variant) {
            Some(decoder) => Ok(decoder.decode(z)),
            #[cfg(feature = "burn-layers")]
            None => self.read(Self::loaded(variant, self.layers.decode(variant, z, self.fast()))?).await,
            #[cfg(not(feature = "burn-layers"))]
            None => Err(Self::not_loaded(variant)),
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
        Self::count_images(images)?;
        if let Some(encoder) = self.encoder_kernel(variant) {
            let (mean, log_var) = encoder.encode(images);
            return Ok(Encoded { mean, log_var });
        }
        #[cfg(feature = "burn-layers")]
        {
            let (mean, log_var) = Self::loaded(variant, self.layers.encode(variant, images))?;
            Ok(Encoded { mean: self.read(mean).await?, log_var: self.read(log_var).await? })
        }
        #[cfg(not(feature = "burn-layers"))]
        Err(Self::not_loaded(variant))
    }

    /// Encodes to the posterior mean and decodes: `n × 784` in, `n × 784` out.
    pub async fn reconstruct(&self, variant: Variant, images: &[f32]) -> Result<Vec<f32>, EngineError> {
        Self::count_images(images)?;
        match self.fused(variant) {
            Some(fused) => Ok(fused.decoder.decode(&fused.encoder.encode(images).0)),
            #[cfg(feature = "burn-layers")]
            None => self.read(Self::loaded(variant, self.layers.reconstruct(variant, images, self.fast()))?).await,
            #[cfg(not(feature = "burn-layers"))]
            None => Err(Self::not_loaded(variant)),
        }
    }

    /// Reconstructs `n × 784` images through their posterior means and returns both:
    /// `(n × 784 reconstructions, n × latent means)`, one encoder pass.
    pub async fn reconstruct_with_mean(&self, variant: Variant, images: &[f32]) -> Result<(Vec<f32>, Vec<f32>), EngineError> {
        Self::count_images(images)?;
        if let Some(fused) = self.fused(variant) {
            let mean = fused.encoder.encode(images).0;
            return Ok((fused.decoder.decode(&mean), mean));
        }
        #[cfg(feature = "burn-layers")]
        {
            let (pixels, mean) = Self::loaded(variant, self.layers.reconstruct_with_mean(variant, images, self.fast()))?;
            Ok((self.read(pixels).await?, self.read(mean).await?))
        }
        #[cfg(not(feature = "burn-layers"))]
        Err(Self::not_loaded(variant))
    }

    /// Reconstructs `image` with the pixels where `mask` is true unknown (zeroed), once as the
    /// study did and by `steps` rounds of iterative projection, all on the device.
    pub async fn inpaint(&self, variant: Variant, image: &[f32], mask: &[bool], steps: usize) -> Result<Inpainting, EngineError> {
        if image.len() != PIXELS || mask.len() != PIXELS {
            return Err(EngineError::BadInput("inpainting takes one 28×28 image and a 28×28 mask".into()));
        }
        if self.fused(variant).is_some() {
            return self.inpaint_on_cpu(variant, image, mask, steps).await;
        }
        #[cfg(feature = "burn-layers")]
        {
            let (one_pass, iterative) = Self::loaded(variant, self.layers.inpaint(variant, image, mask, steps, self.fast()))?;
            Ok(Inpainting { one_pass: self.read(one_pass).await?, iterative: self.read(iterative).await? })
        }
        #[cfg(not(feature = "burn-layers"))]
        Err(Self::not_loaded(variant))
    }

    /// [`Engine::inpaint`] on the CPU, with the fused kernels: the same rounds on host vectors.
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
