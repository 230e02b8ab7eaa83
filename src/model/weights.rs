//! Turning a weights file's bytes into a model, with a clear error for anything wrong. Bytes in,
//! model out: where the bytes come from (a fetch, a file) is the caller's business.

use burn::module::Module;
use burn::prelude::Device;
use burn::store::{DTypePolicy, ModuleRecord};
use burn::tensor::Bytes;

use super::layers::Start;
use super::vae::{Vae, VaeConfig};
use crate::study::Variant;

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
    /// A readable record holding NaN or infinite values (a damaged or diverged file).
    #[error("the weights file for `{variant}` holds {count} values that are not finite numbers (in `{tensor}`)")]
    NotFinite {
        /// Variant being loaded.
        variant: String,
        /// The first tensor with such values.
        tensor: String,
        /// How many values are not finite, in all.
        count: usize,
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

/// Whether `head`, a file's first bytes, starts as a weights file does (burnpack's magic number):
/// an opened file is checked by its first four bytes before the rest is read.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "page code: natively only its tests use it"))]
pub(crate) fn starts_as_weights(head: &[u8]) -> bool {
    head.len() >= 4 && u32::from_le_bytes([head[0], head[1], head[2], head[3]]) == burn_pack::MAGIC_NUMBER
}

#[cfg(test)]
mod header_tests {
    #[test]
    fn the_shipped_weights_start_as_weights_and_other_files_do_not() {
        let shipped = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/www/models/baseline.bpk")).expect("shipped weights");
        assert!(super::starts_as_weights(&shipped[..4]));
        assert!(!super::starts_as_weights(b"{\"va"));
        assert!(!super::starts_as_weights(b"NRU"));
        assert!(!super::starts_as_weights(&[0; 16]));
    }
}

/// Builds `variant` on `device` with the weights in `bytes` (a burnpack record, f32 or f16; f16
/// is widened to the model's f32 on load).
pub fn load_vae(variant: Variant, bytes: Vec<u8>, device: &Device) -> Result<Vae, WeightsError> {
    load_checked_vae(variant, check(variant.name(), bytes)?, device)
}

/// [`load_vae`] from a file [`check`] has passed (the page checks and loads in separate tasks).
pub(crate) fn load_checked_vae(variant: Variant, checked: Checked, device: &Device) -> Result<Vae, WeightsError> {
    load_checked(VaeConfig::from(variant).init_as(&mut Start::Zeros, device), checked)
}

/// The digit classifier (the Report's judge, and the page's reading of what a digit looks like)
/// with the weights in `bytes`, checked as a model's are.
pub fn load_classifier(bytes: Vec<u8>, device: &Device) -> Result<super::classifier::DigitClassifier, WeightsError> {
    load_module("the digit classifier", super::classifier::DigitClassifierConfig::new().init_as(&mut Start::Zeros, device), bytes)
}

/// Applies the weights in `bytes` to `model` (freshly initialised, of the expected
/// architecture); `name` is what errors call it.
pub(crate) fn load_module<M: Module>(name: &str, model: M, bytes: Vec<u8>) -> Result<M, WeightsError> {
    load_checked(model, check(name, bytes)?)
}

/// A weights file whose every float is finite ([`check`]), not yet read into a model.
pub(crate) struct Checked {
    /// What errors call it.
    name: String,
    bytes: Vec<u8>,
}

impl Checked {
    /// What errors call it.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The file.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "the page's decode workers get the file"))]
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Checks a weights file's floats (see [`check_finite`]); `name` is what errors call it.
pub(crate) fn check(name: &str, bytes: Vec<u8>) -> Result<Checked, WeightsError> {
    check_finite(name, &bytes)?;
    Ok(Checked { name: name.to_string(), bytes })
}

/// Applies a checked file's weights to `model` (freshly initialised, of the expected
/// architecture).
pub(crate) fn load_checked<M: Module>(model: M, checked: Checked) -> Result<M, WeightsError> {
    let Checked { name, bytes } = checked;
    // burn's reader indexes into the buffer it is given; a malformed file must not take the
    // page down, so a panic inside it is turned into an error like any other.
    let record = std::panic::catch_unwind(|| ModuleRecord::from_bytes(Bytes::from_bytes_vec(bytes)))
        .map_err(|_| WeightsError::Corrupt { variant: name.clone(), detail: "unreadable".into() })?
        .map_err(|e| WeightsError::Corrupt { variant: name.clone(), detail: e.to_string() })?;
    model
        .try_load_record(record.with_dtype_policy(DTypePolicy::CastToModule))
        .map_err(|e| WeightsError::Mismatch { variant: name, detail: e.to_string() })
}

/// Checks that every float in a burnpack file is finite: a NaN weight loads without complaint and
/// turns every output into garbage, and once on a WebGPU device it could only be read back
/// asynchronously.
fn check_finite(variant: &str, bytes: &[u8]) -> Result<(), WeightsError> {
    let corrupt = |detail: String| WeightsError::Corrupt { variant: variant.into(), detail };
    let tensors = std::panic::catch_unwind(|| {
        burn_pack::Reader::from_bytes(burn_pack::Bytes::from_bytes_vec(bytes.to_vec()))
            .and_then(|reader| reader.into_tensors())
    })
    .map_err(|_| corrupt("unreadable".into()))?
    .map_err(|e| corrupt(e.to_string()))?;
    let mut first = None;
    let mut count = 0;
    for tensor in tensors {
        let (path, dtype, _, _, data) = tensor.into_parts().map_err(|e| corrupt(e.to_string()))?;
        let bad = non_finite(dtype, &data);
        if bad > 0 && first.is_none() {
            first = Some(path);
        }
        count += bad;
    }
    match first {
        Some(tensor) => Err(WeightsError::NotFinite { variant: variant.into(), tensor, count }),
        None => Ok(()),
    }
}

/// How many of the little-endian floats in `data` are NaN or infinite (0 for non-float types).
fn non_finite(dtype: burn_pack::DType, data: &[u8]) -> usize {
    match dtype {
        burn_pack::DType::F32 | burn_pack::DType::Flex32 => data
            .chunks_exact(4)
            .filter(|c| !f32::from_le_bytes([c[0], c[1], c[2], c[3]]).is_finite())
            .count(),
        burn_pack::DType::F64 => data
            .chunks_exact(8)
            .filter(|c| !f64::from_le_bytes(<[u8; 8]>::try_from(*c).unwrap_or([0; 8])).is_finite())
            .count(),
        // Half precision (IEEE and bfloat16): all exponent bits set means NaN or infinity.
        burn_pack::DType::F16 => data.chunks_exact(2).filter(|c| u16::from_le_bytes([c[0], c[1]]) & 0x7c00 == 0x7c00).count(),
        burn_pack::DType::BF16 => data.chunks_exact(2).filter(|c| u16::from_le_bytes([c[0], c[1]]) & 0x7f80 == 0x7f80).count(),
        _ => 0,
    }
}
