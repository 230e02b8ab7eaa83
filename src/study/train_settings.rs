//! What a training run is asked to do and what each step reports: plain data shared by the
//! page (its Train mode's form and messages, built without autodiff) and the training session
//! (`train::session`).

use serde::{Deserialize, Serialize};

use super::variant::Architecture;

/// What a visitor chooses before training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainSettings {
    /// The model's architecture (a fine-tuned model keeps its base's).
    pub architecture: Architecture,
    /// β, the KL term's weight (1 is the study's loss).
    pub kl_weight: f64,
    /// Images per step.
    pub batch: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Epochs over the training digits.
    pub epochs: usize,
    /// Seed of the initialisation, the shuffles and ε.
    pub seed: u64,
}

impl TrainSettings {
    /// The study's settings for `architecture`: β 1, batch 128, Adam 1e-3.
    pub fn study(architecture: Architecture, epochs: usize, seed: u64) -> TrainSettings {
        TrainSettings { architecture, kl_weight: 1.0, batch: 128, learning_rate: 1e-3, epochs, seed }
    }

    /// Checks what a form or a message could get wrong.
    pub(crate) fn checked(self) -> Result<TrainSettings, String> {
        self.architecture.checked()?;
        if !(1..=1024).contains(&self.batch) {
            return Err(format!("a batch of {} images is not offered (1 to 1024)", self.batch));
        }
        if !(self.learning_rate > 0.0 && self.learning_rate <= 0.1) {
            return Err(format!("a learning rate of {} is not offered (above 0, at most 0.1)", self.learning_rate));
        }
        if !(self.kl_weight >= 0.0 && self.kl_weight <= 100.0) {
            return Err(format!("a KL weight of {} is not offered (0 to 100)", self.kl_weight));
        }
        if !(1..=1000).contains(&self.epochs) {
            return Err(format!("{} epochs are not offered (1 to 1000)", self.epochs));
        }
        Ok(self)
    }
}

/// Which part of every step's batch a replica computes in data-parallel training (the page's
/// training workers): the `index`-th of `count` runs of consecutive rows, their sizes differing by
/// one at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Share {
    /// This replica's place, from 0.
    pub index: usize,
    /// The replicas.
    pub count: usize,
}

impl Share {
    /// Its rows of a batch of `batch` images.
    pub fn rows(self, batch: usize) -> Result<std::ops::Range<usize>, String> {
        if self.index >= self.count {
            return Err(format!("there is no part {} of {}", self.index + 1, self.count));
        }
        Ok(batch * self.index / self.count..batch * (self.index + 1) / self.count)
    }
}

/// The loss of one step, read back.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StepLoss {
    /// Steps done in all, this one included.
    pub(crate) step: usize,
    /// The epoch it belongs to (1-based).
    pub(crate) epoch: usize,
    /// Recon + KL (the study's loss, whatever β).
    pub loss: f64,
    /// Summed reconstruction error per image, batch mean.
    pub(crate) recon: f64,
    /// KL per image, batch mean.
    pub(crate) kl: f64,
    /// Images in the batch.
    pub(crate) images: usize,
}
