//! A training run driven one step at a time: the page's Train mode runs it in a Web Worker, where
//! it must stop between steps to post progress, hear "pause" and let the browser breathe. The
//! step itself, the loss, Adam and the epoch's shuffle and ε seeds are the native trainer's
//! (`model::training::step`, `train::run`), so from the same seed both learn the same model.

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::prelude::*;
use burn::tensor::activation::sigmoid;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::evaluate::{Evaluation, batch_tensor, evaluate};
use crate::data::{Digits, PIXELS, SIDE};
use crate::metrics::{EpochRecord, Metrics, Protocol};
use crate::model::training::{self, StepSettings};
use crate::model::weights::load_module;
use crate::model::train_settings::{StepLoss, TrainSettings};
use crate::model::{Vae, Variant, WeightGradients};

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
        let config = settings.architecture.config();
        device.seed(settings.seed);
        let mut model = config.init(&device);
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
            optimizer: training::adam(),
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

    /// The settings it runs with.
    pub fn settings(&self) -> &TrainSettings {
        &self.settings
    }

    /// Steps in one epoch.
    pub fn steps_per_epoch(&self) -> usize {
        self.train.len().div_ceil(self.settings.batch)
    }

    /// Steps done.
    pub fn steps(&self) -> usize {
        self.steps
    }

    /// Whether every epoch is done.
    pub fn finished(&self) -> bool {
        self.history.len() >= self.settings.epochs
    }

    /// Whether the epoch under way has run all its batches (and awaits [`Session::end_epoch`]).
    pub fn epoch_ended(&self) -> bool {
        self.epoch > 0 && self.position >= self.order.len()
    }

    /// One optimisation step (starting the next epoch first when the last one has ended and
    /// been recorded).
    pub fn step(&mut self) -> Result<StepLoss, String> {
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
        let (model, loss) = training::step(self.model.clone(), &mut self.optimizer, images, &self.step_settings);
        self.model = model;
        let value = |t: Tensor<1>| t.inner().into_data().convert::<f64>().try_to_vec::<f64>().ok().and_then(|v| v.first().copied());
        let (recon, kl) = match (value(loss.recon), value(loss.kl)) {
            (Some(r), Some(k)) if (r + k).is_finite() => (r, k),
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
    pub fn add_seconds(&mut self, seconds: f64) {
        self.seconds += seconds;
    }

    fn begin_epoch(&mut self) {
        self.epoch += 1;
        // The trainer's per-epoch seed (train::run): the same shuffle and the same ε.
        let epoch_seed = self.settings.seed.wrapping_mul(1_000_003).wrapping_add(self.epoch as u64);
        self.order = (0..self.train.len()).collect();
        self.order.shuffle(&mut StdRng::seed_from_u64(epoch_seed));
        self.device.seed(epoch_seed);
        self.position = 0;
        self.sums = (0.0, 0.0, 0.0, 0);
        self.seconds = 0.0;
    }

    /// Closes the ended epoch: evaluates on `held_out` and records it.
    pub fn end_epoch(&mut self, held_out: &Digits) -> Result<EpochRecord, String> {
        if !self.epoch_ended() || self.history.len() == self.epoch {
            return Err("no epoch has ended".into());
        }
        let test = self.evaluate(held_out);
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
    pub fn evaluate(&self, digits: &Digits) -> Evaluation {
        evaluate(&self.model, digits, self.settings.architecture.config().recon_loss, self.settings.seed, &self.device)
    }

    /// Reconstructions (decoded posterior means, in 0..1) and posterior means of `images`
    /// (`n × 784` intensities).
    pub fn reconstruct(&self, images: &[f32]) -> (Vec<f32>, Vec<f32>) {
        let n = images.len() / PIXELS;
        let model = self.model.valid();
        let device = self.device.clone().inner();
        let input = Tensor::<4>::from_data(TensorData::new(images[..n * PIXELS].to_vec(), [n, 1, SIDE, SIDE]), &device);
        let (mean, _) = model.encoder.forward(input);
        let pixels = sigmoid(model.decoder.forward(mean.clone()));
        let read = |t: TensorData| t.convert::<f32>().try_to_vec::<f32>().unwrap_or_default();
        (read(pixels.into_data()), read(mean.into_data()))
    }

    /// Posterior means of `images` (`n × 784` intensities), `n × latent`.
    pub fn means(&self, images: &[f32]) -> Vec<f32> {
        let n = images.len() / PIXELS;
        let device = self.device.clone().inner();
        let input = Tensor::<4>::from_data(TensorData::new(images[..n * PIXELS].to_vec(), [n, 1, SIDE, SIDE]), &device);
        let (mean, _) = self.model.valid().encoder.forward(input);
        mean.into_data().convert::<f32>().try_to_vec::<f32>().unwrap_or_default()
    }

    /// The model's weights as a burn record (the format of the shipped `.bpk` files, f32).
    pub fn weights(&self) -> Result<Vec<u8>, String> {
        self.model.valid().into_record().into_bytes().map(|b| b.to_vec()).map_err(|e| e.to_string())
    }

    /// The run's record in the schema of the shipped metrics files; `data` says what it was
    /// trained on, `backend` where.
    pub fn metrics(&self, data: &str, held_out: usize, backend: &str) -> Metrics {
        let config = self.settings.architecture.config();
        let train_seconds: f64 = self.history.iter().map(|r| r.seconds).sum();
        let last = self.history.last();
        Metrics {
            // The key, not the name: it says the architecture (`yours-b2`), so a downloaded
            // record loads back as the model it describes.
            variant: Variant::Yours(self.settings.architecture).key(),
            latent_dim: config.latent_dim,
            recon_loss: config.recon_loss.name().into(),
            params: self.model.num_params(),
            protocol: Protocol {
                data: data.into(),
                train_images: self.train.len(),
                test_images: held_out,
                epochs: self.settings.epochs,
                batch: self.settings.batch,
                lr: self.settings.learning_rate,
                seed: self.settings.seed,
            },
            epochs_done: self.history.len(),
            history: self.history.clone(),
            train_seconds,
            images_per_second: if train_seconds > 0.0 { (self.history.len() * self.train.len()) as f64 / train_seconds } else { 0.0 },
            backend: backend.into(),
            final_train_loss: last.map_or(0.0, |r| r.train_loss),
            final_test_loss: last.map_or(0.0, |r| r.test_loss),
            kl_per_dim: self.last_test.as_ref().map(|t| t.kl_per_dim.clone()).unwrap_or_default(),
            study_final_loss: None,
            weights: "yours.bpk".into(),
            weights_dtype: "f32".into(),
            f16_test_loss: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Images;
    use crate::model::Architecture;

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
            let step = session.step().unwrap();
            sizes.push(step.images);
            if session.epoch_ended() {
                let record = session.end_epoch(&digits(8)).unwrap();
                assert!(record.test_loss.is_finite() && record.train_loss.is_finite());
            }
        }
        assert_eq!(sizes, [16, 16, 8, 16, 16, 8]);
        assert!(session.step().is_err(), "a finished run takes no more steps");
        let metrics = session.metrics("test digits", 8, "flex");
        assert_eq!((metrics.epochs_done, metrics.variant.as_str(), metrics.params), (2, "yours-b2", 134_165));
        let (pixels, means) = session.reconstruct(&digits(2).intensities(&[0, 1]));
        assert_eq!((pixels.len(), means.len()), (2 * PIXELS, 4));
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
