//! The page's first build: ~100 KB of wasm (gzip) with the fused CPU kernels and nothing else. The
//! loader (`www/loader.js`) runs it on the prefetched weights before the page's own build
//! downloads, to show a first reconstruction on the start screen (index.html's #boot) within
//! the first third of a megabyte.

/// The first digit of the shipped test sample (`www/data/test-sample-images-idx3-ubyte.gz`, a 7),
/// its 784 pixels as bytes (tests/it/weights.rs checks it is that digit).
#[cfg(target_arch = "wasm32")]
const DIGIT: &[u8; 784] = include_bytes!("first-digit.bin");

/// The digit the start screen shows, as 784 intensities in 0..1.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn digit() -> Vec<f32> {
    DIGIT.iter().map(|&p| f32::from(p) / 255.0).collect()
}

/// `variant`'s reconstructions of `images` (`n × 784` intensities), from its weights file
/// (checked as the page checks one: every float finite, every layer's shape).
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn reconstruct(variant: &str, weights: Vec<u8>, images: Vec<f32>) -> Result<Vec<f32>, String> {
    let variant = vae_lab::study::Variant::from_name(variant).ok_or_else(|| format!("no model named {variant}"))?;
    vae_lab::model::fused::reconstruct(variant, weights, &images).map_err(|e| e.to_string())
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    eprintln!("vae-lab-first is one of the page's builds: build it for wasm32 with `trunk build`.");
    std::process::ExitCode::FAILURE
}
