//! Helpers shared by the integration tests.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use vae_lab::data::Digits;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sample test digits (`www/data/test-sample-*`, written by `scripts/make-sample.sh`), and how
/// many of them are the stratified draw.
pub fn shipped_sample() -> (Digits, usize) {
    let dir = root().join("www/data");
    let read = |name: &str| {
        std::fs::read(dir.join(name)).unwrap_or_else(|e| {
            panic!("www/data/{name}: {e}; write the sample digits first: bash scripts/make-sample.sh (reads MNIST from ../shared/data/mnist or $MNIST_DIR)")
        })
    };
    let digits = Digits::from_idx(
        &read("test-sample-images-idx3-ubyte.gz"),
        &read("test-sample-labels-idx1-ubyte.gz"),
    )
    .expect("shipped sample parses");
    let index: serde_json::Value =
        serde_json::from_slice(&read("test-sample.json")).expect("sample index is JSON");
    let stratified = index["stratified"].as_u64().expect("stratified count") as usize;
    (digits, stratified)
}

/// The page's engine on the CPU with `variant`'s committed weights installed.
pub fn engine_with(variant: vae_lab::study::Variant) -> vae_lab::engine::Engine {
    let engine = vae_lab::engine::Engine::cpu();
    let bytes = std::fs::read(root().join(format!("www/models/{}.bpk", variant.name()))).expect("committed weights");
    engine.install(variant, bytes).expect("weights load");
    engine
}

/// The `k`-th of the study's three digits (1098, 4865, 7584) as shipped.
pub fn study_digit(k: usize) -> Vec<f32> {
    let (sample, stratified) = shipped_sample();
    sample.intensities(&[stratified + k])
}

/// burn's CPU backend has one process-wide random generator, which initialisation, training,
/// evaluation and the tests' seeded draws share: every test that runs a model takes its turn
/// (the whole test), or one would draw another's numbers (a run repeated with one seed then
/// differs from its third step on).
pub fn device_rng() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
