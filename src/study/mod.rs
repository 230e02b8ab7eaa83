//! The study and the files that carry it, without burn: the variants and their architectures,
//! what each training step and run reports, the schemas of the files the trainer writes and the
//! page reads (manifest, metrics, latent points, findings), and their checked parsing.

pub mod anatomy;
pub mod findings;
pub mod metrics;
pub mod parse;
pub mod report;
pub mod train_settings;
pub mod variant;

pub use variant::{Architecture, ReconLoss, StudyResult, Variant};
