//! VAE Lab: variational autoencoders on MNIST, trained natively and run in the browser.
//!
//! Rooms, with arrows pointing one way: `train → model, data`; the page's `engine → model, data`.

pub mod app;
pub mod data;
pub mod engine;
pub mod findings;
pub mod metrics;
pub mod model;
// Natively the trainer; in the page's training build only its session and evaluation.
#[cfg(any(not(target_arch = "wasm32"), feature = "train"))]
pub mod train;
