//! `vae-lab`: natively the trainer CLI; in the browser (wasm32) the page.

#[cfg(not(target_arch = "wasm32"))]
mod cli;

// Training allocates and frees large activation buffers every step; glibc returns them to the
// kernel each time (page faults, TLB shootdowns), mimalloc keeps them: 540 → ~860 images/s.
#[cfg(not(target_arch = "wasm32"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

#[cfg(target_arch = "wasm32")]
unsafe extern "C" {
    /// Runs the static constructors (cubecl registers its IR dialects through `inventory`).
    fn __wasm_call_ctors();
}

#[cfg(target_arch = "wasm32")]
fn main() {
    // Called once, explicitly: otherwise wasm-ld treats this binary as a one-shot "command" and
    // wraps every export — each call from JavaScript, each resolved future — in a rerun of all
    // constructors, which took ~30 % of a warm decode (profiled in Chromium).
    unsafe { __wasm_call_ctors() };
    vae_lab::app::mount();
}
