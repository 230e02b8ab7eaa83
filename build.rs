//! One name for a condition the code tests in several places: `flex_train`, training on flex
//! (burn's CPU backend) with the convolution gradients of `kernels::conv_gradients` — natively,
//! and in the page's CPU training worker (`--features train` with the default `cpu`), not in the
//! WebGPU build, which trains on WebGPU without a CPU backend.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(flex_train)");
    println!("cargo::rerun-if-changed=build.rs");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|arch| arch == "wasm32");
    let feature = |name: &str| std::env::var_os(format!("CARGO_FEATURE_{name}")).is_some();
    if !wasm || (feature("TRAIN") && feature("CPU")) {
        println!("cargo::rustc-cfg=flex_train");
    }
}
