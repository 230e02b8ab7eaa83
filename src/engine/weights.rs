//! Turning a weights file's bytes into a [`Vae`], with a clear error for anything wrong.

use burn::module::Module;
use burn::prelude::Device;
use burn::store::{DTypePolicy, ModuleRecord};
use burn::tensor::Bytes;

use crate::model::{Vae, Variant};

/// Why a weights file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeightsError {
    /// Not a burnpack record at all (truncated, corrupted, another format).
    #[error("the weights file for `{variant}` is not a valid burn record ({detail})")]
    Corrupt {
        /// Variant being loaded.
        variant: String,
        /// What burn said.
        detail: String,
    },
    /// A valid record, but of another architecture.
    #[error("the weights file does not fit the `{variant}` model ({detail})")]
    Mismatch {
        /// Variant being loaded.
        variant: String,
        /// What burn said.
        detail: String,
    },
}

/// Builds `variant` on `device` with the weights in `bytes` (a burnpack record, f32 or f16; f16
/// is widened to the model's f32 on load).
pub fn load_vae(variant: Variant, bytes: Vec<u8>, device: &Device) -> Result<Vae, WeightsError> {
    let name = variant.name().to_string();
    // burn's reader indexes into the buffer it is given; a malformed file must not take the
    // page down, so a panic inside it is turned into an error like any other.
    let record = std::panic::catch_unwind(|| ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)))
        .map_err(|_| WeightsError::Corrupt { variant: name.clone(), detail: "unreadable".into() })?
        .map_err(|e| WeightsError::Corrupt { variant: name.clone(), detail: e.to_string() })?;
    let model = variant.config().init(device);
    model
        .try_load_record(record.with_dtype_policy(DTypePolicy::CastToModule))
        .map_err(|e| WeightsError::Mismatch { variant: name, detail: e.to_string() })
}
