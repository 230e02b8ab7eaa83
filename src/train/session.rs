//! The training loop, driven one step at a time: the only one. The page's Train mode runs it in a
//! Web Worker, where it must stop between steps to post progress, hear "pause" and let the browser
//! breathe; the native trainer (`train::run`) drives the same session to the end and adds
//! checkpoints and exported weights around it. Each epoch draws its shuffle and its ε from a seed
//! of its own, so a resumed run replays exactly the epochs an uninterrupted one would.

use std::ops::Range;

use burn::module::{Module, ModuleVisitor, Param, ParamId};
use burn::optim::{GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::evaluate::{Evaluation, batch_tensor, evaluate_async, read_f32};
use crate::data::{Digits, PIXELS, SIDE};
use crate::study::metrics::{EpochRecord, Metrics, Protocol};
use crate::train::step::{self, StepSettings};
use crate::kernels::cpu_fused::{CpuDecoder, CpuEncoder};
use crate::model::fused::vae_kernels;
use crate::model::weights::{check, load_module};
use crate::study::train_settings::{Share, StepLoss, TrainSettings};
use crate::model::{Noise, Rows, Vae};
use crate::study::Variant;
use crate::kernels::conv_gradients::WeightGradients;
use crate::model::VaeConfig;

/// A run in progress.
pub struct Session {
    device: Device,
    model: Vae,
    optimizer: ModuleOptimizer,
    /// The epoch's ε.
    noise: Noise,
    step_settings: StepSettings,
    settings: TrainSettings,
    train: Digits,
    order: Vec<usize>,
    /// Next position in `order`; `order.len()` once the epoch's batches are all done.
    position: usize,
    /// The epoch under way (1-based; 0 before the first).
    epoch: usize,
    steps: usize,
    sums: (f64, f64, f64, usize),
    seconds: f64,
    history: Vec<EpochRecord>,
    last_test: Option<Evaluation>,
}

/// A replica's part of a step ([`Session::step_part`]), or the sum of every replica's (messages
/// carry it as `train_protocol::PartMessage`).
#[derive(Debug, Clone, PartialEq)]
pub struct StepPart {
    /// The step (1-based).
    pub step: usize,
    /// The gradient of the rows' share of the batch's loss, flat, in the model's parameter order.
    pub gradients: Vec<f32>,
    /// The reconstruction term summed over the rows.
    pub recon: f64,
    /// The KL term summed over the rows.
    pub kl: f64,
    /// The rows.
    pub images: usize,
}

impl StepPart {
    /// Adds `other`, another replica's part of the same step.
    pub fn add(&mut self, other: &StepPart) -> Result<(), String> {
        if other.step != self.step || other.gradients.len() != self.gradients.len() {
            return Err(format!("parts of different steps: step {} and step {}", self.step, other.step));
        }
        self.gradients.iter_mut().zip(&other.gradients).for_each(|(a, b)| *a += b);
        self.recon += other.recon;
        self.kl += other.kl;
        self.images += other.images;
        Ok(())
    }
}

impl Session {
    /// A run of `settings` on `train` (on an autodiff `device`), from the seed's initialisation or
    /// from `start`, the weights of a model of the same architecture (fine-tuning).
    pub fn new(settings: TrainSettings, start: Option<Vec<u8>>, train: Digits, device: Device) -> Result<Session, String> {
        let settings = settings.checked()?;
        if train.is_empty() {
            return Err("there are no digits to train on".into());
        }
        let config = VaeConfig::from(settings.architecture);
        // Drawn on the CPU whatever the device, so that a seed gives the native trainer's initial
        // weights on WebGPU too (each backend has its own random numbers).
        let mut model = config.init_seeded(settings.seed, &device);
        if let Some(bytes) = start {
            model = load_module("the model to fine-tune", model, bytes).map_err(|e| e.to_string())?;
        }
        let step_settings = StepSettings {
            learning_rate: settings.learning_rate,
            kl_weight: settings.kl_weight,
            weight_gradients: WeightGradients::Gemm,
            ..StepSettings::study(config.recon_loss)
        };
        Ok(Session {
            device,
            model,
            optimizer: step::adam(),
            noise: Noise::seeded(settings.seed),
            step_settings,
            settings,
            order: Vec::new(),
            position: 0,
            epoch: 0,
            steps: 0,
            sums: (0.0, 0.0, 0.0, 0),
            seconds: 0.0,
            history: Vec::new(),
            last_test: None,
            train,
        })
    }

    /// Steps in one epoch.
    pub(crate) fn steps_per_epoch(&self) -> usize {
        self.train.len().div_ceil(self.settings.batch)
    }

    /// The model as it is now.
    pub fn model(&self) -> &Vae {
        &self.model
    }

    /// The optimizer's state (for a checkpoint).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn optimizer(&self) -> &ModuleOptimizer {
        &self.optimizer
    }

    /// The finished epochs' records.
    pub fn history(&self) -> &[EpochRecord] {
        &self.history
    }

    /// The evaluation of the last finished epoch.
    pub fn last_evaluation(&self) -> Option<&Evaluation> {
        self.last_test.as_ref()
    }

    /// Mean loss (recon + KL) per image of the epoch under way so far (the trainer's progress bar).
    #[cfg(not(target_arch = "wasm32"))]
    pub(crate) fn epoch_mean(&self) -> f64 {
        let (loss, _, _, seen) = self.sums;
        loss / seen.max(1) as f64
    }

    /// Continues a run from a checkpoint: the model and optimizer after `history`'s epochs.
    pub fn restore(&mut self, model: Vae, optimizer: ModuleOptimizer, history: Vec<EpochRecord>) {
        self.model = model;
        self.optimizer = optimizer;
        self.epoch = history.len();
        self.steps = history.len() * self.steps_per_epoch();
        self.history = history;
        self.order.clear();
        self.position = 0;
        self.last_test = None;
    }

    /// Whether every epoch is done.
    pub(crate) fn finished(&self) -> bool {
        self.history.len() >= self.settings.epochs
    }

    /// Whether the epoch under way has run all its batches (and awaits [`Session::end_epoch`]).
    pub fn epoch_ended(&self) -> bool {
        self.epoch > 0 && self.position >= self.order.len()
    }

    /// One optimisation step (starting the next epoch first when the last one has ended and
    /// been recorded). Its loss is awaited: on WebGPU a browser cannot read it synchronously.
    pub async fn step(&mut self) -> Result<StepLoss, String> {
        let batch = self.next_batch()?;
        let images = batch_tensor(&self.train, &self.order[batch.clone()], &self.device);
        let (model, loss) = step::step(self.model.clone(), &mut self.optimizer, images, &self.step_settings, &mut self.noise);
        self.model = model;
        let values = read_f32(Tensor::cat(vec![loss.recon.inner(), loss.kl.inner()], 0)).await;
        match values[..] {
            [recon, kl] => self.count_step(batch.len(), f64::from(recon), f64::from(kl)),
            _ => self.count_step(batch.len(), f64::NAN, f64::NAN),
        }
    }

    /// This replica's part of the next step in data-parallel training, where each replica (a Web
    /// Worker) computes `share` of every batch: the gradient of its rows' share of the batch's
    /// loss and their loss. Every replica's parts added up ([`StepPart::add`]) are the whole
    /// batch's, which [`Session::apply_parts`] then applies in every replica alike — the run is
    /// the one-replica run up to the order of a sum.
    pub async fn step_part(&mut self, share: Share) -> Result<StepPart, String> {
        let batch = self.next_batch()?;
        let rows = share.rows(batch.len())?;
        let step = self.steps + 1;
        if rows.is_empty() {
            // No rows here (a batch smaller than the replicas): it draws the batch's ε all the
            // same, as every replica does, and adds nothing.
            self.noise.skip(batch.len(), self.settings.architecture.latent_dim());
            return Ok(StepPart { step, gradients: vec![0.0; self.model.num_params()], recon: 0.0, kl: 0.0, images: 0 });
        }
        let indices = &self.order[batch.start + rows.start..batch.start + rows.end];
        let images = batch_tensor(&self.train, indices, &self.device);
        let (grads, loss) = step::gradients(&self.model, images, &self.step_settings, Rows { start: rows.start, batch: batch.len() }, &mut self.noise);
        let mut flat = GradTensors { grads: &grads, tensors: Vec::new(), missing: false };
        self.model.visit(&mut flat);
        if flat.missing {
            return Err("a parameter of the model got no gradient".into());
        }
        let gradients = read_f32(Tensor::cat(flat.tensors, 0)).await;
        let values = read_f32(Tensor::cat(vec![loss.recon.inner(), loss.kl.inner()], 0)).await;
        let n = indices.len();
        match values[..] {
            [recon, kl] => Ok(StepPart { step, gradients, recon: f64::from(recon) * n as f64, kl: f64::from(kl) * n as f64, images: n }),
            _ => Err("the step's loss could not be read".into()),
        }
    }

    /// Ends a step of data-parallel training with `sum`, every replica's [`Session::step_part`] of
    /// it added up: Adam's update with the whole batch's gradient.
    pub fn apply_parts(&mut self, sum: &StepPart) -> Result<StepLoss, String> {
        let batch = self.next_batch()?;
        if sum.step != self.steps + 1 || sum.images != batch.len() || sum.gradients.len() != self.model.num_params() {
            return Err(format!(
                "the parts of step {} do not make it up: {} images of {}, {} gradients of {}",
                sum.step,
                sum.images,
                batch.len(),
                sum.gradients.len(),
                self.model.num_params()
            ));
        }
        let mut grads = FlatGrads { values: &sum.gradients, device: self.device.clone().inner(), grads: GradientsParams::new() };
        self.model.visit(&mut grads);
        self.model = step::apply(self.model.clone(), &mut self.optimizer, grads.grads, &self.step_settings);
        let n = sum.images as f64;
        self.count_step(sum.images, sum.recon / n, sum.kl / n)
    }

    /// Begins the next epoch when it is due; the positions in `order` of the next step's batch.
    fn next_batch(&mut self) -> Result<Range<usize>, String> {
        if self.finished() {
            return Err("the run has finished".into());
        }
        if self.epoch == 0 || (self.epoch_ended() && self.history.len() == self.epoch) {
            self.begin_epoch();
        }
        if self.epoch_ended() {
            return Err("the epoch has ended: record it first".into());
        }
        Ok(self.position..(self.position + self.settings.batch).min(self.order.len()))
    }

    /// Counts a step of `n` images with this mean loss.
    fn count_step(&mut self, n: usize, recon: f64, kl: f64) -> Result<StepLoss, String> {
        if !(recon + kl).is_finite() {
            return Err(format!("the loss stopped being a finite number at step {}: try a smaller learning rate", self.steps + 1));
        }
        self.position += n;
        self.steps += 1;
        let (l, r, k, seen) = self.sums;
        self.sums = (l + (recon + kl) * n as f64, r + recon * n as f64, k + kl * n as f64, seen + n);
        Ok(StepLoss { step: self.steps, epoch: self.epoch, loss: recon + kl, recon, kl, images: n })
    }

    /// Adds training time measured by the caller (for the record's seconds and images/s; the
    /// browser's clock: `std::time` does not run in wasm).
    pub(crate) fn add_seconds(&mut self, seconds: f64) {
        self.seconds += seconds;
    }

    fn begin_epoch(&mut self) {
        self.epoch += 1;
        // The trainer's per-epoch seed (train::run): the same shuffle and the same ε.
        let epoch_seed = self.settings.seed.wrapping_mul(1_000_003).wrapping_add(self.epoch as u64);
        self.order = (0..self.train.len()).collect();
        self.order.shuffle(&mut StdRng::seed_from_u64(epoch_seed));
        self.noise = Noise::seeded(epoch_seed);
        self.position = 0;
        self.sums = (0.0, 0.0, 0.0, 0);
        self.seconds = 0.0;
    }

    /// Closes the ended epoch: evaluates on `held_out` and records it.
    pub async fn end_epoch(&mut self, held_out: &Digits) -> Result<EpochRecord, String> {
        if !self.epoch_ended() || self.history.len() == self.epoch {
            return Err("no epoch has ended".into());
        }
        let test = self.evaluate(held_out).await;
        let (l, r, k, seen) = self.sums;
        let seen = seen.max(1) as f64;
        let record = EpochRecord {
            epoch: self.epoch,
            train_loss: l / seen,
            train_recon: r / seen,
            train_kl: k / seen,
            test_loss: test.loss,
            test_recon: test.recon,
            test_kl: test.kl,
            seconds: self.seconds,
        };
        self.history.push(record.clone());
        self.last_test = Some(test);
        Ok(record)
    }

    /// Closes the ended epoch with `record`, another replica's (data-parallel training: one
    /// replica evaluates and tells the others).
    pub fn end_epoch_as(&mut self, record: EpochRecord) -> Result<(), String> {
        if !self.epoch_ended() || self.history.len() == self.epoch || record.epoch != self.epoch {
            return Err(format!("epoch {} has not ended here", record.epoch));
        }
        self.history.push(record);
        Ok(())
    }

    /// The loss on `digits` (z sampled, the seed's ε, as the trainer evaluates).
    pub async fn evaluate(&self, digits: &Digits) -> Evaluation {
        evaluate_async(&self.model, digits, self.settings.architecture.recon_loss(), self.settings.seed, &self.device).await
    }

    /// The run's record under the name `variant`, with its weights in `weights`.
    pub(crate) fn record(&self, variant: String, weights: String, data: &str, held_out: usize, backend: &str) -> Metrics {
        let config = VaeConfig::from(self.settings.architecture);
        let protocol = Protocol {
            data: data.into(),
            train_images: self.train.len(),
            test_images: held_out,
            epochs: self.settings.epochs,
            batch: self.settings.batch,
            lr: self.settings.learning_rate,
            seed: self.settings.seed,
        };
        Metrics {
            params: self.model.num_params(),
            backend: backend.into(),
            kl_per_dim: self.last_test.as_ref().map(|t| t.kl_per_dim.clone()).unwrap_or_default(),
            ..Metrics::of_run(variant, config.latent_dim, config.recon_loss.name(), protocol, self.history.clone(), weights)
        }
    }
}

/// What the page's training worker reads of a session as it runs.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "the page's training worker's; natively only tests use it"))]
impl Session {
    /// Steps done.
    pub(crate) fn steps(&self) -> usize {
        self.steps
    }

    /// The posterior means of `images` (`n × 784` intensities) under the model as it is now.
    fn encode(&self, images: &[f32]) -> (Vae, Tensor<2>) {
        let n = images.len() / PIXELS;
        let model = self.model.valid();
        let device = self.device.clone().inner();
        let input = Tensor::<4>::from_data(TensorData::new(images[..n * PIXELS].to_vec(), [n, 1, SIDE, SIDE]), &device);
        let (mean, _) = model.encoder.forward(input);
        (model, mean)
    }

    /// Reconstructions (decoded posterior means, in 0..1) and posterior means of `images`
    /// (`n × 784` intensities).
    pub(crate) async fn reconstruct(&self, images: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let (model, mean) = self.encode(images);
        let pixels = sigmoid(model.decoder.forward(mean.clone()));
        (read_f32(pixels).await, read_f32(mean).await)
    }

    /// Posterior means of `images` (`n × 784` intensities), `n × latent`.
    pub(crate) async fn means(&self, images: &[f32]) -> Vec<f32> {
        read_f32(self.encode(images).1).await
    }

    /// The model's fused CPU kernels (`kernels::cpu_fused`), read from its weights as the page
    /// reads a shipped file: what the CPU training worker shows the run's progress with (the
    /// held-out digits' means for the latent map, the shown reconstructions), about twice as fast
    /// there as burn's layers.
    pub(crate) async fn cpu_kernels(&self) -> Result<(CpuEncoder, CpuDecoder), String> {
        let checked = check("your model", self.weights().await?).map_err(|e| e.to_string())?;
        vae_kernels(&VaeConfig::from(self.settings.architecture), &checked).map_err(|e| e.to_string())
    }

    /// The model's weights as a burn record (the format of the shipped `.bpk` files, f32): what
    /// `into_record().into_bytes()` writes, with the tensors read back asynchronously (a record
    /// reads them synchronously, which a WebGPU tensor in a browser cannot be).
    pub(crate) async fn weights(&self) -> Result<Vec<u8>, String> {
        let mut params = RecordParams::default();
        self.model.valid().visit(&mut params);
        let mut tensors = Vec::with_capacity(params.tensors.len());
        for (path, id, shape, tensor) in params.tensors {
            let data = tensor.into_data_async().await.map_err(|e| format!("the trained weights could not be read back ({e:?})"))?;
            let (bytes, _, dtype) = data.into_parts();
            tensors.push(burn_pack::Tensor::new(path, dtype, shape, Some(id.val()), bytes));
        }
        burn_pack::Writer::new(tensors).into_bytes().map(|b| b.to_vec()).map_err(|e| e.to_string())
    }

    /// The run's record as "your model" in the schema of the shipped metrics files; `data` says
    /// what it was trained on, `backend` where.
    pub(crate) fn metrics(&self, data: &str, held_out: usize, backend: &str) -> Metrics {
        // The key, not the name: it says the architecture (`yours-b2`), so a downloaded record
        // loads back as the model it describes.
        self.record(Variant::Yours(self.settings.architecture).key(), "yours.bpk".into(), data, held_out, backend)
    }
}

/// A module's float parameters as burn's record collects them — their paths
/// (`encoder.convs.0.weight`), ids and shapes in the module's order — but the values still on
/// their device, flattened, to be read asynchronously ([`Session::weights`]).
#[derive(Default)]
struct RecordParams {
    path: Vec<String>,
    tensors: Vec<(String, ParamId, Shape, Tensor<1>)>,
}

impl ModuleVisitor for RecordParams {
    fn enter_module(&mut self, name: &str, _container_type: &str) {
        self.path.push(name.to_string());
    }

    fn exit_module(&mut self, _name: &str, _container_type: &str) {
        self.path.pop();
    }

    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        // The saved form, as burn's record takes it (the same unless a layer maps it on save).
        let tensor = param.transform_for_save().val();
        self.tensors.push((self.path.join("."), param.id, tensor.shape(), tensor.flatten::<1>(0, D - 1)));
    }
}

/// A step's gradients of every float parameter, flattened, in the module's order.
struct GradTensors<'a> {
    grads: &'a GradientsParams,
    tensors: Vec<Tensor<1>>,
    /// Whether a parameter had none.
    missing: bool,
}

impl ModuleVisitor for GradTensors<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        match self.grads.get::<D>(param.id) {
            Some(grad) => self.tensors.push(grad.flatten::<1>(0, D - 1)),
            None => self.missing = true,
        }
    }
}

/// Gradients from [`GradTensors`]' flat values (of the same module: the caller checks the count).
struct FlatGrads<'a> {
    values: &'a [f32],
    device: Device,
    grads: GradientsParams,
}

impl ModuleVisitor for FlatGrads<'_> {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let shape = param.shape();
        let (these, rest) = self.values.split_at(shape.num_elements().min(self.values.len()));
        self.values = rest;
        self.grads.register::<D>(param.id, Tensor::from_data(TensorData::new(these.to_vec(), shape), &self.device));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Images;
    use crate::study::Architecture;

    fn digits(n: usize) -> Digits {
        let pixels = (0..n * PIXELS).map(|i| ((i * 7919) % 256) as u8 / 2).collect();
        Digits { images: Images { count: n, rows: SIDE, cols: SIDE, pixels }, labels: (0..n).map(|i| (i % 10) as u8).collect() }
    }

    #[test]
    fn a_session_runs_its_epochs_and_records_them() {
        let settings = TrainSettings { batch: 16, ..TrainSettings::study(Architecture::of(Variant::Baseline), 2, 3) };
        let mut session = Session::new(settings, None, digits(40), Device::flex().autodiff()).unwrap();
        assert_eq!(session.steps_per_epoch(), 3);
        let mut sizes = Vec::new();
        while !session.finished() {
            let step = pollster::block_on(session.step()).unwrap();
            sizes.push(step.images);
            if session.epoch_ended() {
                let record = pollster::block_on(session.end_epoch(&digits(8))).unwrap();
                assert!(record.test_loss.is_finite() && record.train_loss.is_finite());
            }
        }
        assert_eq!(sizes, [16, 16, 8, 16, 16, 8]);
        assert!(pollster::block_on(session.step()).is_err(), "a finished run takes no more steps");
        let metrics = session.metrics("test digits", 8, "flex");
        assert_eq!((metrics.epochs_done, metrics.variant.as_str(), metrics.params), (2, "yours-b2", 134_165));
        let (pixels, means) = pollster::block_on(session.reconstruct(&digits(2).intensities(&[0, 1])));
        assert_eq!((pixels.len(), means.len()), (2 * PIXELS, 4));
        // The weights read back load as the same model.
        let bytes = pollster::block_on(session.weights()).unwrap();
        // Byte for byte what burn's own record writes (which reads the tensors synchronously).
        assert_eq!(bytes, session.model().valid().into_record().into_bytes().unwrap().to_vec());
        let loaded = load_module("the weights read back", VaeConfig::from(Architecture::of(Variant::Baseline)).init(&Device::flex()), bytes).unwrap();
        let input = Tensor::<4>::from_data(TensorData::new(digits(2).intensities(&[0, 1]), [2, 1, SIDE, SIDE]), &Device::flex());
        let loaded_means: Vec<f32> = loaded.encoder.forward(input).0.into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(loaded_means, means);
        // The fused CPU kernels the training worker shows the run with give what burn's layers give.
        let (encoder, decoder) = pollster::block_on(session.cpu_kernels()).unwrap();
        let images = digits(2).intensities(&[0, 1]);
        let fused_means = encoder.encode(&images).0;
        let fused_pixels = decoder.decode(&fused_means);
        let furthest = |a: &[f32], b: &[f32]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
        assert_eq!((fused_means.len(), fused_pixels.len()), (means.len(), pixels.len()));
        assert!(furthest(&fused_means, &means) < 1e-4, "means differ by {}", furthest(&fused_means, &means));
        assert!(furthest(&fused_pixels, &pixels) < 1e-4, "pixels differ by {}", furthest(&fused_pixels, &pixels));
    }

    /// Every float parameter of a module, flattened, in the module's order.
    #[derive(Default)]
    struct ParamTensors(Vec<Tensor<1>>);

    impl ModuleVisitor for ParamTensors {
        fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
            self.0.push(param.val().flatten::<1>(0, D - 1));
        }
    }

    /// Every float parameter of `session`'s model, flat.
    fn parameters(session: &Session) -> Vec<f32> {
        let mut tensors = ParamTensors::default();
        session.model().valid().visit(&mut tensors);
        tensors.0.into_iter().flat_map(|t| t.into_data().try_to_vec::<f32>().unwrap()).collect()
    }

    /// Runs `steps` steps of `settings` on `train` with `count` replicas, each computing its part
    /// of every batch, against one session taking whole steps; returns the largest relative
    /// difference of a step's loss and the largest difference of a reconstructed pixel (0..1).
    fn replicas_against_one(settings: TrainSettings, train: Digits, count: usize, steps: usize) -> (f64, f64) {
        let device = Device::flex().autodiff();
        let mut one = Session::new(settings.clone(), None, train.clone(), device.clone()).unwrap();
        let mut replicas: Vec<Session> = (0..count).map(|_| Session::new(settings.clone(), None, train.clone(), device.clone()).unwrap()).collect();
        let mut loss_difference = 0.0_f64;
        for _ in 0..steps {
            let whole = pollster::block_on(one.step()).unwrap();
            let mut parts = replicas.iter_mut().enumerate().map(|(index, r)| pollster::block_on(r.step_part(Share { index, count })).unwrap());
            let mut sum = parts.next().unwrap();
            for part in parts {
                sum.add(&part).unwrap();
            }
            let losses: Vec<StepLoss> = replicas.iter_mut().map(|r| r.apply_parts(&sum).unwrap()).collect();
            assert!(losses.iter().all(|l| *l == losses[0]), "the replicas agree exactly: {losses:?}");
            assert_eq!((losses[0].step, losses[0].images), (whole.step, whole.images));
            loss_difference = loss_difference.max((losses[0].loss - whole.loss).abs() / whole.loss.abs());
            if one.epoch_ended() {
                pollster::block_on(one.end_epoch(&digits(4))).unwrap();
                // The first replica evaluates; the others take its record.
                let record = pollster::block_on(replicas[0].end_epoch(&digits(4))).unwrap();
                for r in &mut replicas[1..] {
                    r.end_epoch_as(record.clone()).unwrap();
                }
            }
        }
        let weights = parameters(&replicas[0]);
        for r in &replicas[1..] {
            assert_eq!(parameters(r), weights, "the replicas' models are the same");
        }
        // The models compute the same: their reconstructions of the training digits. (Their
        // weights agree less closely than what they compute: Adam moves a weight by about the
        // learning rate whatever its gradient's size, so where a gradient is rounding noise —
        // a unit almost never active — the order of a sum decides the step's direction.)
        let images = train.intensities(&(0..train.len().min(64)).collect::<Vec<_>>());
        let (expected, _) = pollster::block_on(one.reconstruct(&images));
        let (got, _) = pollster::block_on(replicas[0].reconstruct(&images));
        let pixels = got.iter().zip(&expected).fold(0.0_f32, |m, (a, b)| m.max((a - b).abs()));
        let scale = parameters(&one).iter().fold(0.0_f32, |m, v| m.max(v.abs()));
        let moved = weights.iter().zip(parameters(&one)).filter(|(a, b)| (*a - b).abs() > 1e-5 * scale).count();
        eprintln!("{count} replicas, {steps} steps: losses within {loss_difference:e} (relative), reconstructions within {pixels:e}; {moved} of {} weights differ by more than 1e-5 of the largest", weights.len());
        (loss_difference, f64::from(pixels))
    }

    #[test]
    fn replicas_that_each_compute_a_part_of_every_batch_train_as_one_session() {
        // 20 steps of 33 images in two parts (16 and 17 rows), as the page's two training
        // workers would: the same run up to the order of a sum.
        let settings = TrainSettings { batch: 33, ..TrainSettings::study(Architecture::of(Variant::Baseline), 1, 7) };
        let (loss, pixels) = replicas_against_one(settings, digits(33 * 20), 2, 20);
        assert!(loss <= 1e-5 && pixels <= 1e-4, "losses {loss:e}, pixels {pixels:e}");
        // A last batch smaller than the replicas: one of three has no rows (and still draws the
        // batch's ε); the next epoch's first step follows. MSE and β ≠ 1 on the way.
        let settings = TrainSettings {
            batch: 4,
            kl_weight: 0.5,
            ..TrainSettings::study(Architecture::of(Variant::Mse), 2, 3)
        };
        let (loss, pixels) = replicas_against_one(settings, digits(6), 3, 4);
        assert!(loss <= 1e-5 && pixels <= 1e-4, "losses {loss:e}, pixels {pixels:e}");
    }

    #[test]
    fn parts_that_do_not_make_up_the_step_are_refused() {
        let settings = TrainSettings { batch: 8, ..TrainSettings::study(Architecture::of(Variant::Baseline), 1, 1) };
        let mut session = Session::new(settings, None, digits(16), Device::flex().autodiff()).unwrap();
        assert!(pollster::block_on(session.step_part(Share { index: 2, count: 2 })).err().unwrap().contains("no part 3 of 2"));
        let mut half = pollster::block_on(session.step_part(Share { index: 0, count: 2 })).unwrap();
        assert!(session.apply_parts(&half).err().unwrap().contains("4 images of 8"));
        let mut later = half.clone();
        later.step = 2;
        assert!(half.add(&later).is_err());
        half.images = 8;
        half.gradients.pop();
        assert!(session.apply_parts(&half).is_err());
        assert_eq!(session.steps(), 0, "nothing was applied");
    }

    #[test]
    fn bad_settings_and_damaged_weights_are_refused_with_a_reason() {
        let base = TrainSettings::study(Architecture::of(Variant::Baseline), 1, 1);
        let device = Device::flex().autodiff();
        let too_big = TrainSettings { architecture: Architecture { latent_dim: 40, ..base.architecture }, ..base.clone() };
        assert!(Session::new(too_big, None, digits(4), device.clone()).err().unwrap().contains("latent size of 40"));
        let nan_lr = TrainSettings { learning_rate: f64::NAN, ..base.clone() };
        assert!(Session::new(nan_lr, None, digits(4), device.clone()).err().unwrap().contains("learning rate"));
        let damaged = Session::new(base.clone(), Some(vec![1, 2, 3]), digits(4), device.clone());
        assert!(damaged.err().unwrap().contains("not a valid burn record"));
        assert!(Session::new(base, None, digits(0), device).err().unwrap().contains("no digits"));
    }
}
