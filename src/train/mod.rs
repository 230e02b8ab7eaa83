//! Training. Natively: the loop, checkpoints, metrics and the exported weights (`run`, and the
//! CLI's other commands). In the page's training build (wasm32, feature `train`) only what the
//! Train mode's worker needs: the evaluation and the step-by-step [`session`].

#[cfg(not(target_arch = "wasm32"))]
pub mod card;
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod checkpoint;
#[cfg(not(target_arch = "wasm32"))]
pub mod classifier;
#[cfg(not(target_arch = "wasm32"))]
pub mod download;
pub mod evaluate;
#[cfg(not(target_arch = "wasm32"))]
pub mod export;
#[cfg(not(target_arch = "wasm32"))]
pub mod files;
#[cfg(not(target_arch = "wasm32"))]
pub mod findings;
#[cfg(not(target_arch = "wasm32"))]
pub mod memory;
#[cfg(not(target_arch = "wasm32"))]
pub mod points;
#[cfg(not(target_arch = "wasm32"))]
pub mod report;
#[cfg(not(target_arch = "wasm32"))]
mod run;
#[cfg(not(target_arch = "wasm32"))]
pub mod sample;
pub mod session;
pub mod step;

pub use evaluate::{Evaluation, batch_tensor, evaluate_async};
#[cfg(not(target_arch = "wasm32"))]
pub use evaluate::evaluate;
#[cfg(not(target_arch = "wasm32"))]
pub use run::{Backend, Event, TrainOptions, load_mnist, take, train};
