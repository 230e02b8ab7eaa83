//! The VAE in burn: its configuration, layers, encoder, decoder and loss, the weights file, and
//! the digit classifier the report judges with. No I/O, no knowledge of where weights come from;
//! compiles for native and wasm32. The fast layers it runs on are in `kernels`.

pub(crate) mod classifier;
pub(crate) mod decoder;
pub(crate) mod encoder;
pub mod fused;
#[cfg(test)]
mod gradient_check;
pub(crate) mod layers;
pub mod loss;
pub(crate) mod noise;
pub(crate) mod vae;
pub mod weights;

pub use decoder::Decoder;
pub use encoder::Encoder;
pub use loss::{VaeLoss, kl_per_dim, vae_loss};
pub use noise::Noise;
pub use vae::{Rows, Vae, VaeConfig, VaeOutput};
