//! The engine between the page and the model: owns weights (and, on the page, the device and the
//! async readback). Components talk to it, never to burn.

pub mod weights;

pub use weights::{WeightsError, load_vae};
