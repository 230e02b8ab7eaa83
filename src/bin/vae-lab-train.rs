//! The page's training worker (`www/train-worker.js`): the CPU build with autodiff and Adam, kept
//! apart from the page's builds so that their first load carries none of it. Fetched only when
//! the Train mode starts a run.

#[cfg(target_arch = "wasm32")]
unsafe extern "C" {
    /// Runs the static constructors (see `app::start::mount`).
    fn __wasm_call_ctors();
}

#[cfg(target_arch = "wasm32")]
fn main() {
    // Once, explicitly: otherwise wasm-ld reruns every constructor around each exported call.
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
    vae_lab::engine::workers::train::serve();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    eprintln!("vae-lab-train is the page's training worker: build it for wasm32 with `trunk build`.");
    std::process::ExitCode::FAILURE
}
