//! The page on WebGPU (burn-wgpu; no CPU backend). Several times the bytes of the CPU-only build
//! (`vae-lab`), so the page's loader fetches it only where the browser has a WebGPU adapter.

#[cfg(target_arch = "wasm32")]
fn main() {
    vae_lab::app::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    eprintln!("vae-lab-webgpu is the page's WebGPU build: build it for wasm32 with `trunk build`.");
    std::process::ExitCode::FAILURE
}
