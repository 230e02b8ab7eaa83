//! VAE Lab: variational autoencoders on MNIST, trained natively and run in the browser.
//!
//! Layers, each using only those below it (ARCHITECTURE.md):
//! `study`, `data` ← `kernels` ← `model` ← `train` ← `engine` ← `app`; the CLI (`src/cli/`)
//! stands on `train`.

pub mod app;
pub mod data;
pub mod engine;
pub mod kernels;
pub mod model;
pub mod study;
// Natively the trainer; in the page's training build only its step, session and evaluation.
#[cfg(any(not(target_arch = "wasm32"), feature = "train"))]
pub mod train;
