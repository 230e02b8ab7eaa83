//! The page's training worker (`www/train-worker.js`): the CPU build with autodiff and Adam, kept
//! apart from the page's builds so that their first load carries none of it. Fetched only when
//! the Train mode starts a run.

#[cfg(target_arch = "wasm32")]
fn main() {
    vae_lab::engine::workers::train::main();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    eprintln!("vae-lab-train is the page's training worker: build it for wasm32 with `trunk build`.");
    std::process::ExitCode::FAILURE
}
