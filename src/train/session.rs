//! The training loop, driven one step at a time: the only one. The page's Train mode runs it in a
//! Web Worker, where it must stop between steps to post progress, hear "pause" and let the browser
//! breathe; the native trainer (`train::run`) drives the same session to the end and adds
//! checkpoints and exported weights around it. Each epoch draws its shuffle and its ε from a seed
//! of its own, so a resumed run replays exactly the epochs an uninterrupted one would.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::evaluate::{Evaluation, batch_tensor, evaluate_async, read_f32};
use crate::data::{Digits, PIXELS, SIDE};
use crate::study::metrics::{EpochRecord, Metrics, Protocol};
use crate::train::step::{self, StepSettings};
use crate::model::layers::Start;
use crate::model::weights::load_module;
use crate::study::train_settings::{StepLoss, TrainSettings};
use crate::model::Vae;
use crate::study::Variant;
use crate::kernels::conv_gradients::WeightGradients;
use crate::model::VaeConfig;

/// A run in progress.
pub struct Session {
    device: Device,
    model: Vae,
    optimizer: ModuleOptimizer,
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

impl Session {
    /// A run of `settings` on `train` (on an autodiff `device`), from the seed's initialisation or
    /// from `start`, the weights of a model of the same architecture (fine-tuning).
    pub fn new(settings: TrainSettings, start: Option<Vec<u8>>, train: Digits, device: Device) -> Result<Session, String> {
        let settings = settings.checked()?;
        if train.is_empty() {
            return Err("there are no digits to train on".into());
        }
        let config = VaeConfig::from(settings.architecture);
        // Initialised on the CPU whatever the device, so that a seed gives the native trainer's
        // initial weights on WebGPU too (each backend has its own random numbers).
        let cpu = Device::flex();
        cpu.seed(settings.seed);
        let initial = config.init(&cpu).into_record().into_bytes().map_err(|e| e.to_string())?;
        let mut model = load_module("the initial weights", config.init(&device), initial.to_vec()).map_err(|e| e.to_string())?;
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
        if self.finished() {
            return Err("the run has finished".into());
        }
        if self.epoch == 0 || (self.epoch_ended() && self.history.len() == self.epoch) {
            self.begin_epoch();
        }
        if self.epoch_ended() {
            return Err("the epoch has ended: record it first".into());
        }
        let end = (self.position + self.settings.batch).min(self.order.len());
        let batch = &self.order[self.position..end];
        let images = batch_tensor(&self.train, batch, &self.device);
        let (model, loss) = step::step(self.model.clone(), &mut self.optimizer, images, &self.step_settings);
        self.model = model;
        let values = read_f32(Tensor::cat(vec![loss.recon.inner(), loss.kl.inner()], 0)).await;
        let (recon, kl) = match values[..] {
            [r, k] if (r + k).is_finite() => (f64::from(r), f64::from(k)),
            _ => return Err(format!("the loss stopped being a finite number at step {}: try a smaller learning rate", self.steps + 1)),
        };
        let n = batch.len();
        self.position = end;
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
        crate::model::seed(&self.device, epoch_seed);
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
        // evaluate() seeded the device, as the trainer's does; the next epoch seeds it again.
        Ok(record)
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

    /// The model's weights as a burn record (the format of the shipped `.bpk` files, f32), read
    /// back asynchronously into a CPU copy (a record reads its tensors synchronously).
    pub(crate) async fn weights(&self) -> Result<Vec<u8>, String> {
        let mut tensors = ParamTensors::default();
        let model = self.model.valid();
        model.visit(&mut tensors);
        let mut values = Vec::with_capacity(tensors.0.len());
        for tensor in tensors.0 {
            values.push(read_f32(tensor).await);
        }
        // Zeros, not a draw: the values are replaced next.
        let cpu = VaeConfig::from(self.settings.architecture).init_as(Start::Zeros, &Device::flex());
        let mut fill = FillParams { values: values.into_iter(), missing: false };
        let cpu = cpu.map(&mut fill);
        if fill.missing {
            return Err("the trained weights could not be read back".into());
        }
        cpu.into_record().into_bytes().map(|b| b.to_vec()).map_err(|e| e.to_string())
    }

    /// The run's record as "your model" in the schema of the shipped metrics files; `data` says
    /// what it was trained on, `backend` where.
    pub(crate) fn metrics(&self, data: &str, held_out: usize, backend: &str) -> Metrics {
        // The key, not the name: it says the architecture (`yours-b2`), so a downloaded record
        // loads back as the model it describes.
        self.record(Variant::Yours(self.settings.architecture).key(), "yours.bpk".into(), data, held_out, backend)
    }
}

/// Every float parameter of a module, flattened, in the module's order.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "the page's training worker's; natively only tests use it"))]
#[derive(Default)]
struct ParamTensors(Vec<Tensor<1>>);

impl ModuleVisitor for ParamTensors {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        self.0.push(param.val().flatten::<1>(0, D - 1));
    }
}

/// Replaces a module's float parameters, in its order, by `values` ([`ParamTensors`]' order).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "the page's training worker's; natively only tests use it"))]
struct FillParams<I> {
    values: I,
    /// Whether a parameter found no values of its size (a different module).
    missing: bool,
}

impl<I: Iterator<Item = Vec<f32>>> ModuleMapper for FillParams<I> {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let values = self.values.next();
        let missing = &mut self.missing;
        param.map(|tensor| match values {
            Some(values) if values.len() == tensor.shape().num_elements() => Tensor::from_data(TensorData::new(values, tensor.shape()), &tensor.device()),
            _ => {
                *missing = true;
                tensor
            }
        })
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
        let loaded = load_module("the weights read back", VaeConfig::from(Architecture::of(Variant::Baseline)).init(&Device::flex()), bytes).unwrap();
        let input = Tensor::<4>::from_data(TensorData::new(digits(2).intensities(&[0, 1]), [2, 1, SIDE, SIDE]), &Device::flex());
        let loaded_means: Vec<f32> = loaded.encoder.forward(input).0.into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(loaded_means, means);
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
