//! VAE Lab: variational autoencoders on MNIST, trained natively and run in the browser.
//!
//! Layers, each using only those below it (ARCHITECTURE.md):
//! `study`, `data` ← `kernels` ← `model` ← `train` ← `engine` ← `app`; the CLI (`src/cli/`)
//! stands on `train`.

// The training workers' builds (wasm without `ui`) use the engine's training side only: the
// page's side of the lower layers is dead there and checked in the page's builds and natively.
#![cfg_attr(
    all(target_arch = "wasm32", not(feature = "ui")),
    allow(dead_code, reason = "a training worker's build: what only the page uses is unused here")
)]

// The page: natively its view code (for its tests); in wasm only the page's builds (`ui`), not
// the training workers'.
#[cfg(any(not(target_arch = "wasm32"), feature = "ui"))]
pub mod app;
pub mod data;
pub mod engine;
pub mod kernels;
pub mod model;
pub mod study;
// Natively the trainer; in the page's training build only its step, session and evaluation.
#[cfg(any(not(target_arch = "wasm32"), feature = "train"))]
pub mod train;
