//! `vae-lab`: natively the trainer CLI; in the browser (wasm32) the page.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

// Training allocates and frees large activation buffers every step; glibc returns them to the
// kernel each time (page faults, TLB shootdowns), mimalloc keeps them: 540 → ~860 images/s
// (and with `keep_freed_pages`, for good: vae_lab::train::memory).
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    vae_lab::train::memory::keep_freed_pages();
    cli::main()
}

/// The page's CPU-only build (the WebGPU build is `src/bin/vae-lab-webgpu.rs`).
#[cfg(all(target_arch = "wasm32", feature = "ui"))]
fn main() {
    vae_lab::app::mount();
}

#[cfg(all(target_arch = "wasm32", not(feature = "ui")))]
compile_error!("the page (`vae-lab` for wasm32) needs the `ui` feature: build it as index.html does (`trunk build`)");
