//! The native trainer: a [`Session`] (the one training loop) driven to the end, with checkpoints
//! to resume from, metrics and exported weights after every epoch.

use std::path::PathBuf;
use std::time::Instant;

use burn::module::Module;
use burn::optim::ModuleOptimizer;
use burn::prelude::*;

use super::checkpoint::{CheckpointDir, Progress};
use super::evaluate::{Evaluation, evaluate};
use super::files::{FolderLock, write_atomic};
use super::session::Session;
use super::{checkpoint, export, step};
use crate::data::{Digits, Mnist};
use crate::model::Vae;
use crate::study::Variant;
use crate::study::metrics::{EpochRecord, Metrics};
use crate::study::train_settings::TrainSettings;

/// Where training runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Backend {
    /// burn's pure-Rust CPU backend (SIMD, all cores).
    Flex,
    /// burn-wgpu on the machine's GPU (build with `--features wgpu`).
    Wgpu,
}

impl Backend {
    /// The autodiff device for this backend, or why it is not available.
    pub(crate) fn device(self) -> Result<Device, String> {
        match self {
            Backend::Flex => Ok(Device::flex().autodiff()),
            #[cfg(feature = "wgpu")]
            Backend::Wgpu => Ok(Device::wgpu(Default::default()).autodiff()),
            #[cfg(not(feature = "wgpu"))]
            Backend::Wgpu => Err("this trainer was built without wgpu; rebuild with \
                `cargo run --release --features wgpu -- train ...`"
                .into()),
        }
    }

    /// A description for the metrics file.
    pub(crate) fn describe(self) -> String {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        match self {
            Backend::Flex => format!("burn 0.22.1 flex (CPU, {cores} cores, {})", std::env::consts::ARCH),
            Backend::Wgpu => "burn 0.22.1 wgpu (GPU)".to_string(),
        }
    }
}

/// Everything a training run needs to know.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Variant to train.
    pub variant: Variant,
    /// Epochs in all (a resumed run continues up to this count).
    pub epochs: usize,
    /// Images per step.
    pub batch: usize,
    /// Adam learning rate.
    pub lr: f64,
    /// Seed of initialisation, shuffling and sampling.
    pub seed: u64,
    /// Continue from the checkpoint in `checkpoint_dir` if there is one.
    pub resume: bool,
    /// Checkpoints go here.
    pub checkpoint_dir: PathBuf,
    /// Weights, metrics and manifest go here (`www/models`).
    pub out_dir: PathBuf,
    /// Where to train.
    pub backend: Backend,
    /// Stop after this many epochs in this invocation (for tests of resuming).
    pub stop_after: Option<usize>,
}

impl TrainOptions {
    /// Refuses options that cannot make a model, before anything is written.
    pub(crate) fn check(&self, data: &Mnist) -> Result<(), String> {
        if self.batch == 0 {
            return Err("--batch must be at least 1".into());
        }
        if self.epochs == 0 {
            return Err("--epochs must be at least 1".into());
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(format!("--lr must be a positive number, not {}", self.lr));
        }
        if data.train.is_empty() {
            return Err("there are no training images (--limit must be at least 1)".into());
        }
        if data.test.is_empty() {
            return Err("there are no test images to evaluate on".into());
        }
        Ok(())
    }
}

/// What the loop reports as it goes.
#[derive(Debug, Clone)]
pub enum Event {
    /// An epoch starts: `steps` batches.
    EpochStart {
        /// 1-based.
        epoch: usize,
        /// Batches in this epoch.
        steps: usize,
    },
    /// A batch finished.
    Step {
        /// Running mean of the epoch's loss.
        loss: f64,
        /// Images per second so far this epoch.
        images_per_second: f64,
    },
    /// An epoch and its evaluation finished.
    EpochEnd(EpochRecord),
}

/// Trains (or resumes) a variant on `data` by driving a [`Session`] (the page's loop), and
/// checkpoints and exports after every epoch.
pub fn train(
    options: &TrainOptions,
    data: &Mnist,
    data_name: &str,
    mut report: impl FnMut(Event),
) -> Result<Metrics, String> {
    options.check(data)?;
    let device = options.backend.device()?;
    // One trainer per folder: a second one on the same output or checkpoints stops here.
    let _out_lock = FolderLock::acquire(&options.out_dir)?;
    let _checkpoint_lock = if same_folder(&options.out_dir, &options.checkpoint_dir) {
        None
    } else {
        Some(FolderLock::acquire(&options.checkpoint_dir)?)
    };
    let variant = options.variant;
    let checkpoints = CheckpointDir::new(&options.checkpoint_dir);
    // A run killed between writing its files and the manifest left the manifest out of step:
    // every run starts by listing what is really there.
    if options.out_dir.join("manifest.json").is_file() {
        export::write_manifest(&options.out_dir)?;
    }

    let settings = TrainSettings {
        batch: options.batch,
        learning_rate: options.lr,
        ..TrainSettings::study(variant.architecture(), options.epochs, options.seed)
    };
    let mut session = Session::new(settings, None, data.train.clone(), device.clone())?;
    let mut progress = Progress {
        variant: variant.name().into(),
        seed: options.seed,
        batch: options.batch,
        train_images: data.train.len(),
        epochs_done: 0,
        history: Vec::new(),
        sha256: None,
    };

    if options.resume {
        if let Some(saved) = checkpoints.load_progress()? {
            let same_run = saved.variant == progress.variant
                && saved.seed == progress.seed
                && saved.batch == progress.batch
                && saved.train_images == progress.train_images;
            if !same_run {
                return Err(format!(
                    "the checkpoint in {} is of another run ({} seed {} batch {} on {} images); \
                     use another --checkpoint-dir or drop --resume",
                    checkpoints.path().display(),
                    saved.variant,
                    saved.seed,
                    saved.batch,
                    saved.train_images
                ));
            }
            checkpoints.verify(&saved)?;
            let epoch = saved.epochs_done;
            let model = session
                .model()
                .clone()
                .try_load_file(checkpoints.model(epoch))
                .map_err(|e| format!("cannot load the checkpoint's model: {e}"))?;
            let optimizer = step::adam()
                .load(checkpoints.optimizer(epoch))
                .map_err(|e| format!("cannot load the checkpoint's optimizer: {e}"))?;
            session.restore(model, optimizer, saved.history.clone());
            progress = saved;
        }
    }

    let recon_loss = variant.recon_loss();
    let mut epochs_this_run = 0;
    while !session.finished() && !options.stop_after.is_some_and(|n| epochs_this_run >= n) {
        let epoch = session.history().len() + 1;
        report(Event::EpochStart { epoch, steps: session.steps_per_epoch() });
        let started = Instant::now();
        let mut seen = 0;
        loop {
            let step = pollster::block_on(session.step())?;
            seen += step.images;
            report(Event::Step {
                loss: session.epoch_mean(),
                images_per_second: seen as f64 / started.elapsed().as_secs_f64(),
            });
            if session.epoch_ended() {
                break;
            }
        }
        session.add_seconds(started.elapsed().as_secs_f64());
        let record = pollster::block_on(session.end_epoch(&data.test))?;
        progress.history = session.history().to_vec();
        progress.epochs_done = record.epoch;
        epochs_this_run += 1;

        save_checkpoint(&checkpoints, session.model(), session.optimizer(), &progress)?;
        let test = session.last_evaluation().cloned().ok_or("the epoch was not evaluated")?;
        let model = session.model();
        let half = export::half_precision(&model.valid());
        let half_test = evaluate(&half, &data.test, recon_loss, options.seed, &device);
        let mut metrics = build_metrics(options, data, data_name, &session, &test);
        metrics.f16_test_loss = Some(half_test.loss);
        let use_half = ((half_test.loss - test.loss) / test.loss).abs() < export::HALF_TOLERANCE;
        metrics.weights_dtype = if use_half { "f16" } else { "f32" }.into();
        export::export_variant(&options.out_dir, if use_half { &half } else { model }, &metrics)?;
        report(Event::EpochEnd(record));
    }

    // The last epoch's evaluation describes the final model; only a run with nothing left to
    // train (resumed after its last epoch) evaluates here.
    let test = match session.last_evaluation() {
        Some(test) => test.clone(),
        None => pollster::block_on(session.evaluate(&data.test)),
    };
    Ok(build_metrics(options, data, data_name, &session, &test))
}

/// Whether two paths name one folder (both exist by now: the first lock created its folder).
fn same_folder(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn save_checkpoint(
    checkpoints: &CheckpointDir,
    model: &Vae,
    optimizer: &ModuleOptimizer,
    progress: &Progress,
) -> Result<(), String> {
    let epoch = progress.epochs_done;
    let io = |e: std::io::Error| format!("cannot write a checkpoint: {e}");
    let model_bytes = model.clone().into_record().into_bytes().map_err(|e| e.to_string())?;
    write_atomic(&checkpoints.model(epoch), &model_bytes).map_err(io)?;
    let optimizer_bytes = optimizer.into_bytes().map_err(|e| e.to_string())?;
    write_atomic(&checkpoints.optimizer(epoch), &optimizer_bytes).map_err(io)?;
    let hashes = checkpoint::CheckpointHashes {
        model: super::files::sha256_hex(&model_bytes),
        optimizer: super::files::sha256_hex(&optimizer_bytes),
    };
    let progress = Progress { sha256: Some(hashes), ..progress.clone() };
    let json = serde_json::to_vec_pretty(&progress).map_err(|e| e.to_string())?;
    write_atomic(&checkpoints.progress(), &json).map_err(io)?;
    // Only now is the previous checkpoint superseded.
    if epoch > 0 {
        let _ = std::fs::remove_file(checkpoints.model(epoch - 1));
        let _ = std::fs::remove_file(checkpoints.optimizer(epoch - 1));
    }
    Ok(())
}

fn build_metrics(options: &TrainOptions, data: &Mnist, data_name: &str, session: &Session, test: &Evaluation) -> Metrics {
    let variant = options.variant;
    Metrics {
        backend: options.backend.describe(),
        kl_per_dim: test.kl_per_dim.clone(),
        study_final_loss: variant.study().map(|s| s.final_loss),
        ..session.record(variant.name().into(), format!("{}.bpk", variant.name()), data_name, data.test.len(), "")
    }
}

/// Loads digits for training, or says which file is wrong.
pub fn load_mnist(dir: &std::path::Path) -> Result<Mnist, String> {
    Mnist::load(dir).map_err(|e| format!("cannot load MNIST from {}: {e}", dir.display()))
}

/// A tiny copy of a set, for tests and smoke runs.
pub fn take(digits: &Digits, count: usize) -> Digits {
    let indices: Vec<usize> = (0..count.min(digits.len())).collect();
    digits.subset(&indices)
}
