//! The study and the files that carry it, without burn: the variants and their architectures,
//! what each training step and run reports, the schemas of the files the trainer writes and the
//! page reads (manifest, metrics, latent points, findings), and their checked parsing.

pub mod anatomy;
pub mod findings;
pub mod metrics;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "page code: natively only its tests use it"))]
pub(crate) mod parse;
pub(crate) mod report;
pub mod train_settings;
pub(crate) mod variant;

pub use variant::{Architecture, ReconLoss, StudyResult, Variant};
