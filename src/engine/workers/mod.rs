//! The page's Web Workers, both sides: decoding big batches on every core (`decode_pool` on the
//! page, `decode` in the worker) and training (`train_client` on the page, `train` in the
//! worker), with their typed messages (`decode_protocol`, `train_protocol`).

#[cfg(target_arch = "wasm32")]
pub mod decode;
#[cfg(target_arch = "wasm32")]
pub mod decode_pool;
pub mod decode_protocol;
#[cfg(all(target_arch = "wasm32", feature = "train"))]
pub mod train;
#[cfg(target_arch = "wasm32")]
pub mod train_client;
pub mod train_protocol;
