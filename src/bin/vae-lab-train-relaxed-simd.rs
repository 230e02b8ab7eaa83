//! The page's training worker with fused multiply-adds in its matrix products (wasm relaxed SIMD,
//! `relaxed-simd`: `kernels::tiled_product`): `vae-lab-train` again, which the relaxed-SIMD page
//! build starts instead (`TrainBackend::worker_script`), so only where the loader found relaxed
//! SIMD. Fetched only when the Train mode starts a run.

#[cfg(target_arch = "wasm32")]
fn main() {
    vae_lab::engine::workers::train::main();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    eprintln!("vae-lab-train-relaxed-simd is the page's training worker: build it for wasm32 with `trunk build`.");
    std::process::ExitCode::FAILURE
}
