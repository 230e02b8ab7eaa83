//! The messages between the page's decode pool (`decode_pool`) and a decode worker
//! (`www/decode-worker.js` running the CPU build, answered by `decode`), as serde types like the
//! training worker's (`train_protocol`): `serde-wasm-bindgen` turns them into the JS objects
//! `postMessage` carries. Latents and pixels travel as little-endian `f32` bytes (a `Uint8Array`,
//! whose buffer is transferred, not copied). Plain data, tested natively.
//!
//! The page sends [`ToDecoder::Start`] once (the script boots the build with it), then `Load`
//! and `Decode` requests, and `LoadClassifier` and `Classify` (the digit classifier runs in the
//! first worker, off the page's thread), each answered by a [`FromDecoder`] with the request's
//! `id`.

use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;

use crate::study::metrics::ManifestFile;

/// Page → decode worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub(crate) enum ToDecoder {
    /// Boot this CPU build (its script and wasm; the worker's script handles it).
    Start {
        /// The build's JavaScript, an absolute URL.
        js: String,
        /// Its wasm, an absolute URL.
        wasm: String,
    },
    /// Install a variant's weights file (a `.bpk` record).
    Load {
        /// The request.
        id: u32,
        /// `Variant::key`.
        variant: String,
        /// The file.
        bytes: ByteBuf,
    },
    /// Decode `n × latent` latents into `n × 784` pixels.
    Decode {
        /// The request.
        id: u32,
        /// `Variant::key`.
        variant: String,
        /// The latents, as [`f32_bytes`].
        latents: ByteBuf,
    },
    /// Fetch the digit classifier's weights file as the manifest lists it (checked against its
    /// size and SHA-256) and install it: the page's thread never holds its 1.7 MB.
    LoadClassifier {
        /// The request.
        id: u32,
        /// The manifest's entry for it.
        listed: ManifestFile,
    },
    /// Read `n × 784` pixels with the digit classifier.
    Classify {
        /// The request.
        id: u32,
        /// The images, as [`f32_bytes`].
        images: ByteBuf,
    },
}

/// Decode worker → page: the answer to the request `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub(crate) enum FromDecoder {
    /// The weights are installed.
    Loaded {
        /// The request answered.
        id: u32,
    },
    /// The decoded pixels, as [`f32_bytes`].
    Decoded {
        /// The request answered.
        id: u32,
        /// `n × 784` intensities in 0..1.
        pixels: ByteBuf,
    },
    /// The classifier's `n × 10` probabilities, as [`f32_bytes`].
    Classified {
        /// The request answered.
        id: u32,
        /// Row `k`: how likely image `k` is each digit, 0 to 9.
        probabilities: ByteBuf,
    },
    /// The request failed.
    Failed {
        /// The request answered.
        id: u32,
        /// Why.
        error: String,
    },
}

impl FromDecoder {
    /// The request it answers.
    pub(crate) fn id(&self) -> u32 {
        match self {
            FromDecoder::Loaded { id }
            | FromDecoder::Decoded { id, .. }
            | FromDecoder::Classified { id, .. }
            | FromDecoder::Failed { id, .. } => *id,
        }
    }
}

/// `f32`s as little-endian bytes.
pub(crate) fn f32_bytes(values: &[f32]) -> ByteBuf {
    ByteBuf::from(values.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>())
}

/// Little-endian bytes back to `f32`s; an error when they are not whole `f32`s.
pub(crate) fn f32s(bytes: &[u8]) -> Result<Vec<f32>, String> {
    if bytes.len() % 4 != 0 {
        return Err(format!("{} bytes are not whole 32-bit floats", bytes.len()));
    }
    Ok(bytes.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_and_are_tagged_by_kind() {
        let decode = ToDecoder::Decode { id: 7, variant: "latent10".into(), latents: f32_bytes(&[0.5, -1.25]) };
        let json = serde_json::to_value(&decode).unwrap();
        assert_eq!((json["kind"].as_str(), json["id"].as_u64()), (Some("decode"), Some(7)));
        assert_eq!(serde_json::from_value::<ToDecoder>(json).unwrap(), decode);
        let start: ToDecoder = serde_json::from_str(r#"{"kind":"start","js":"a.js","wasm":"a.wasm"}"#).unwrap();
        assert_eq!(start, ToDecoder::Start { js: "a.js".into(), wasm: "a.wasm".into() });
        let classify = ToDecoder::Classify { id: 9, images: f32_bytes(&[0.0; 784]) };
        let json = serde_json::to_value(&classify).unwrap();
        assert_eq!(json["kind"].as_str(), Some("classify"));
        assert_eq!(serde_json::from_value::<ToDecoder>(json).unwrap(), classify);
        let classified: FromDecoder = serde_json::from_str(r#"{"kind":"classified","id":4,"probabilities":[0,0,128,63]}"#).unwrap();
        assert_eq!(classified.id(), 4);
        let failed: FromDecoder = serde_json::from_str(r#"{"kind":"failed","id":3,"error":"no weights"}"#).unwrap();
        assert_eq!(failed.id(), 3);
        assert!(serde_json::from_str::<ToDecoder>(r#"{"kind":"explode","id":1}"#).is_err());
    }

    #[test]
    fn floats_travel_exactly_and_torn_bytes_are_refused() {
        let values = [0.0, 1.0, -0.0, f32::MIN_POSITIVE, 0.123_456_79, f32::MAX];
        assert_eq!(f32s(&f32_bytes(&values)).unwrap(), values);
        assert!(f32s(&[0, 0, 128]).is_err());
    }
}
