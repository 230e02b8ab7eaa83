//! The page's CPU-only build with fused multiply-adds in its CPU kernels (wasm relaxed SIMD,
//! `relaxed-simd`): the same page as `vae-lab`, which the loader fetches instead where the browser
//! validates a relaxed-SIMD module (index.html, Trunk.toml).

#[cfg(target_arch = "wasm32")]
fn main() {
    vae_lab::app::mount();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    eprintln!("vae-lab-relaxed-simd is one of the page's builds: build it for wasm32 with `trunk build`.");
    std::process::ExitCode::FAILURE
}
