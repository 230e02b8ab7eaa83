//! The engine between the page and the model: owns the device, the weights and the asynchronous
//! readback. Components talk to it with plain numbers and never name a burn type.
//!
//! `web` is the leaf every browser call goes through; `device` picks WebGPU or the CPU;
//! `inference` is the one dispatch point for the modes (fused CPU kernels, or burn's layers in
//! `layers` where the build has them); `workers` holds both sides of the decode
//! and training workers and their messages; `model_store` keeps "your model" in IndexedDB.

#[cfg(target_arch = "wasm32")]
pub(crate) mod device;
pub(crate) mod inference;
pub mod inside;
pub(crate) mod js_names;
#[cfg(feature = "burn-layers")]
mod layers;
#[cfg(target_arch = "wasm32")]
pub(crate) mod model_store;
#[cfg(target_arch = "wasm32")]
pub(crate) mod web;
pub mod workers;

pub use inference::{BackendKind, Encoded, Engine, EngineError, Inpainting};
pub use inside::Inside;
