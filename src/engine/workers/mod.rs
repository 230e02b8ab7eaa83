//! The page's Web Workers, both sides: decoding big batches on every core (`decode_pool` on the
//! page, `decode` in the worker) and training (`train_client` on the page, `train` in the
//! worker), with their typed messages (`decode_protocol`, `train_protocol`).

#[cfg(target_arch = "wasm32")]
pub(crate) mod decode;
#[cfg(target_arch = "wasm32")]
pub(crate) mod decode_pool;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "page code: natively only its tests use it"))]
pub(crate) mod decode_protocol;
#[cfg(all(target_arch = "wasm32", feature = "train"))]
pub mod train;
#[cfg(target_arch = "wasm32")]
pub(crate) mod train_client;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "page code: natively only its tests use it"))]
pub(crate) mod train_protocol;
