//! The messages between the page and its training worker (`www/train-worker.js`, running the
//! `vae-lab-train` build, or the WebGPU build on WebGPU), as serde types: `serde-wasm-bindgen`
//! turns them into the JS objects `postMessage` carries (bytes as `Uint8Array`). Plain data,
//! tested natively.
//!
//! A run: the page sends [`ToTrainer::Train`]; the worker answers `Loading` while it fetches
//! the training digits, `Started`, then a `Step` per step, a `Snapshot` at least every
//! [`SNAPSHOT_EVERY_MS`], an `Epoch` and `Weights` after each epoch; `Pause` / `Resume` /
//! `Stop` at any time (a pause and a stop answer with the `Weights` so far, then `Paused` /
//! `Finished`). Anything that goes wrong ends the run with `Failed`.
//!
//! On the CPU a run may use several workers (`TrainRequest::workers`, data-parallel): the page's
//! worker starts the others itself and sends each a `Replica`; each answers `ReplicaReady`, then,
//! every step, a `Part` for the page's worker's `Part`, which adds them up and sends the sum back
//! (`Apply`), and after each epoch its record (`Record`). For latent 2 each replica also gets the
//! held-out digits once (`HeldOut`) and computes a slice of every snapshot's map (`Means`,
//! answered with `Means`). The page sees one worker.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::study::metrics::{EpochRecord, Metrics};
use crate::study::train_settings::{Share, StepLoss, TrainSettings};

/// Held-out digits (the first of the page's shipped test digits) the test loss is computed on.
#[cfg(feature = "train")]
pub(crate) const HELD_OUT: usize = 1000;
/// Held-out digits whose reconstructions the live view shows.
pub(crate) const SHOWN: usize = 8;
/// Longest wait between two snapshots of the live view while training.
#[cfg(feature = "train")]
pub(crate) const SNAPSHOT_EVERY_MS: f64 = 1500.0;
/// Digits in the shipped training sample (`www/data/train-sample-*`).
pub(crate) const SAMPLE_DIGITS: usize = 10_001;

/// Page → worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub(crate) enum ToTrainer {
    /// Start a run (one at a time: a second `Train` while one runs is refused).
    Train(TrainRequest),
    /// Stop after the current step, keep everything.
    Pause,
    /// Continue a paused run from the same step.
    Resume,
    /// End the run after the current step.
    Stop,
    /// Become replica `share` of a data-parallel run of `request` (from the run's first worker).
    Replica {
        /// The run.
        request: TrainRequest,
        /// This replica's part of every batch.
        share: Share,
    },
    /// Compute this replica's part of the next step.
    Part,
    /// The step's parts added up: apply them.
    Apply {
        /// Every replica's part, added up.
        sum: PartMessage,
    },
    /// The epoch that ended, as the first worker recorded it.
    Record {
        /// Its record.
        record: EpochRecord,
    },
    /// The held-out digits whose latent means the live view maps (latent 2), 784 bytes each: once,
    /// so that the replicas compute part of every map.
    HeldOut {
        /// Their pixels.
        pixels: ByteBuf,
    },
    /// Compute the latent means of this replica's share of the held-out digits (its `Share`'s
    /// rows of them) for the live view's map.
    Means,
}

/// A replica's part of a step (`train::session::StepPart`), as messages carry it: the gradients
/// as little-endian f32 bytes (`Uint8Array`: one copy, not an array of numbers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PartMessage {
    /// The step (1-based).
    pub(crate) step: usize,
    /// The gradients, 4 bytes each.
    pub(crate) gradients: ByteBuf,
    /// The reconstruction term summed over the rows.
    pub(crate) recon: f64,
    /// The KL term summed over the rows.
    pub(crate) kl: f64,
    /// The rows.
    pub(crate) images: usize,
}

#[cfg(any(not(target_arch = "wasm32"), feature = "train"))]
impl From<&crate::train::session::StepPart> for PartMessage {
    fn from(part: &crate::train::session::StepPart) -> PartMessage {
        PartMessage {
            step: part.step,
            gradients: ByteBuf::from(part.gradients.iter().flat_map(|g| g.to_le_bytes()).collect::<Vec<u8>>()),
            recon: part.recon,
            kl: part.kl,
            images: part.images,
        }
    }
}

#[cfg(any(not(target_arch = "wasm32"), feature = "train"))]
impl From<PartMessage> for crate::train::session::StepPart {
    fn from(part: PartMessage) -> crate::train::session::StepPart {
        crate::train::session::StepPart {
            step: part.step,
            gradients: part.gradients.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect(),
            recon: part.recon,
            kl: part.kl,
            images: part.images,
        }
    }
}

/// How many workers a CPU run of `cores` logical cores (the browser's `hardwareConcurrency`) trains
/// on by default: one per core, up to [`MAX_WORKERS`].
pub(crate) fn default_workers(cores: usize) -> usize {
    cores.clamp(1, MAX_WORKERS)
}

/// The most workers a run uses (each holds the training digits and a copy of the model).
pub(crate) const MAX_WORKERS: usize = 8;

/// What to train, on what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TrainRequest {
    /// Architecture and hyper-parameters.
    pub(crate) settings: TrainSettings,
    /// The weights to fine-tune (a `.bpk` record of `settings.architecture`); none: from
    /// scratch.
    pub(crate) start_from: Option<ByteBuf>,
    /// What the model started from, in words (for the record): "Baseline (latent 2)".
    pub(crate) base: Option<String>,
    /// How many digits of the shipped training sample to train on (0 to [`SAMPLE_DIGITS`]).
    pub(crate) sample_digits: usize,
    /// The visitor's own digits, 784 bytes each (0 = black, 255 = white ink).
    pub(crate) drawings: ByteBuf,
    /// Where to train.
    pub(crate) backend: TrainBackend,
    /// Workers to train on (data-parallel; the CPU only, WebGPU trains on one).
    #[serde(default = "one")]
    pub(crate) workers: usize,
}

fn one() -> usize {
    1
}

/// Where the worker trains: where the page runs. The page's WebGPU build carries training too
/// (`www/train-worker.js?build=webgpu` boots it, already in the browser's cache); the CPU build's
/// worker boots the `vae-lab-train` build (or `vae-lab-train-relaxed-simd`: see `worker_script`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) enum TrainBackend {
    /// burn's flex backend in wasm, with the trainer's convolution gradients.
    Cpu,
    /// burn-wgpu on the browser's WebGPU adapter, with burn's layers.
    WebGpu,
}

impl TrainBackend {
    /// The backend of the page build this code runs in.
    pub(crate) const OF_THIS_BUILD: TrainBackend = if cfg!(feature = "webgpu") { TrainBackend::WebGpu } else { TrainBackend::Cpu };

    /// The training worker's script for it (relative to the page). On the CPU the worker runs
    /// the flavour of SIMD the build that starts it runs: the relaxed-SIMD page build (which the
    /// loader picked where the browser has relaxed SIMD) and the relaxed-SIMD worker's replicas
    /// start `vae-lab-train-relaxed-simd`, every other build `vae-lab-train`.
    pub(crate) fn worker_script(self) -> &'static str {
        match self {
            TrainBackend::Cpu if cfg!(feature = "relaxed-simd") => "train-worker.js?build=train-relaxed-simd",
            TrainBackend::Cpu => "train-worker.js",
            TrainBackend::WebGpu => "train-worker.js?build=webgpu",
        }
    }
}

/// Worker → page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub(crate) enum FromTrainer {
    /// The training digits are downloading.
    Loading {
        /// Bytes so far.
        received: u64,
        /// Bytes in all (0 when unknown).
        total: u64,
    },
    /// The data is in and the model built.
    Started {
        /// Training digits (sample and drawings).
        train_images: usize,
        /// Steps per epoch.
        steps_per_epoch: usize,
        /// The held-out digits shown reconstructed, 784 bytes each.
        shown: ByteBuf,
        /// Labels of the held-out digits (the scatter's colours).
        held_out_labels: ByteBuf,
        /// The workers it trains on.
        workers: usize,
    },
    /// One optimisation step finished.
    Step {
        /// Its loss.
        loss: StepLoss,
        /// Training images per second over the last steps (the steps' time alone).
        images_per_second: f64,
        /// Estimated seconds to the end of the run, with the time the run spends between steps
        /// (the live view's snapshots, the epochs' evaluations) as it has so far.
        seconds_left: f64,
    },
    /// The live view: reconstructions of the shown digits and the held-out latent means.
    Snapshot {
        /// Steps done.
        step: usize,
        /// [`SHOWN`] reconstructions, 784 bytes each.
        reconstructions: ByteBuf,
        /// Posterior means of the held-out digits (`n × latent`), for latent sizes of 2 only.
        means: Vec<f32>,
    },
    /// An epoch ended and was evaluated on the held-out digits.
    Epoch {
        /// Its record (the shipped metrics' schema).
        record: EpochRecord,
    },
    /// The model so far: weights and record, in the shipped files' formats.
    Weights {
        /// A `.bpk` burn record.
        weights: ByteBuf,
        /// The metrics file.
        metrics: Box<Metrics>,
    },
    /// Paused after this many steps.
    Paused {
        /// Steps done.
        step: usize,
    },
    /// Running again.
    Resumed,
    /// The run ended: every epoch done, or stopped.
    Finished {
        /// Stopped before its last epoch.
        stopped: bool,
    },
    /// A replica is ready for its first `Part`.
    ReplicaReady,
    /// A replica's part of the live view's map (`ToTrainer::Means`).
    Means {
        /// The replica's index in the run.
        index: usize,
        /// The means of its digits, `n × latent`.
        means: Vec<f32>,
    },
    /// A replica's part of a step.
    Part {
        /// The part.
        part: PartMessage,
    },
    /// The run could not go on.
    Failed {
        /// Why, for the visitor.
        message: String,
    },
}

/// 0..1 intensities as bytes (what the messages carry).
pub(crate) fn to_bytes(pixels: &[f32]) -> ByteBuf {
    ByteBuf::from(pixels.iter().map(|p| (p.clamp(0.0, 1.0) * 255.0).round() as u8).collect::<Vec<u8>>())
}

/// Bytes back to 0..1 intensities.
pub(crate) fn to_intensities(bytes: &[u8]) -> Vec<f32> {
    bytes.iter().map(|&b| f32::from(b) / 255.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::{Architecture, Variant};

    #[test]
    fn messages_round_trip_and_are_tagged_by_kind() {
        let request = ToTrainer::Train(TrainRequest {
            settings: TrainSettings::study(Architecture::of(Variant::Deeper), 3, 9),
            start_from: Some(ByteBuf::from(vec![1, 2, 3])),
            base: Some("Deeper (3 convs)".into()),
            sample_digits: 500,
            drawings: to_bytes(&[0.0, 0.5, 1.0, 2.0]),
            backend: TrainBackend::WebGpu,
            workers: 2,
        });
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["kind"], "train");
        assert_eq!(json["backend"], "webGpu");
        assert_eq!(json["drawings"], serde_json::json!([0, 128, 255, 255]));
        assert_eq!(serde_json::from_value::<ToTrainer>(json).unwrap(), request);
        let pause: ToTrainer = serde_json::from_str(r#"{"kind":"pause"}"#).unwrap();
        assert_eq!(pause, ToTrainer::Pause);
        let step = FromTrainer::Step {
            loss: StepLoss { step: 3, epoch: 1, loss: 200.0, recon: 195.0, kl: 5.0, images: 128 },
            images_per_second: 300.0,
            seconds_left: 12.5,
        };
        let json = serde_json::to_string(&step).unwrap();
        assert!(json.contains(r#""kind":"step""#));
        assert_eq!(serde_json::from_str::<FromTrainer>(&json).unwrap(), step);
        assert!(serde_json::from_str::<ToTrainer>(r#"{"kind":"explode"}"#).is_err());
        // A replica's gradients travel as bytes and come back the same floats.
        let part = crate::train::session::StepPart { step: 4, gradients: vec![1.5, -0.0, f32::MIN_POSITIVE, 3e-9], recon: 9.0, kl: 1.0, images: 16 };
        let message = FromTrainer::Part { part: PartMessage::from(&part) };
        let back = serde_json::from_str::<FromTrainer>(&serde_json::to_string(&message).unwrap()).unwrap();
        let FromTrainer::Part { part: back } = back else { panic!("{back:?}") };
        assert_eq!(crate::train::session::StepPart::from(back), part);
        // The live view's map, split between the workers: the digits as bytes, the means as floats.
        for message in [ToTrainer::HeldOut { pixels: ByteBuf::from(vec![0, 7, 255]) }, ToTrainer::Means] {
            assert_eq!(serde_json::from_str::<ToTrainer>(&serde_json::to_string(&message).unwrap()).unwrap(), message);
        }
        let means = FromTrainer::Means { index: 1, means: vec![0.25, -1.5] };
        let json = serde_json::to_string(&means).unwrap();
        assert!(json.contains(r#""kind":"means""#));
        assert_eq!(serde_json::from_str::<FromTrainer>(&json).unwrap(), means);
        assert_eq!((default_workers(0), default_workers(2), default_workers(64)), (1, 2, MAX_WORKERS));
    }

    #[test]
    fn intensities_survive_the_byte_round_trip_to_half_a_level() {
        let pixels: Vec<f32> = (0..=100).map(|i| i as f32 / 100.0).collect();
        let back = to_intensities(&to_bytes(&pixels));
        assert!(pixels.iter().zip(&back).all(|(a, b)| (a - b).abs() <= 0.5 / 255.0 + 1e-6));
    }
}
