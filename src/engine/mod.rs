//! The engine between the page and the model: owns the device, the weights and the asynchronous
//! readback. Components talk to it with plain numbers and never name a burn type.

#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(target_arch = "wasm32")]
pub mod decode_pool;
pub mod inference;
#[cfg(target_arch = "wasm32")]
pub mod model_store;
#[cfg(target_arch = "wasm32")]
pub mod train_client;
pub mod train_protocol;
#[cfg(all(target_arch = "wasm32", feature = "train"))]
pub mod train_worker;

pub use inference::{BackendKind, Encoded, Engine, EngineError, Inpainting};
pub use crate::model::weights::{WeightsError, load_vae};
