//! Choosing the device the page computes on: WebGPU when asked for and available, else the CPU
//! (with its decode workers), and why.

#[cfg(feature = "webgpu")]
use burn::prelude::Device;
use js_sys::Reflect;
use wasm_bindgen::JsValue;

use super::inference::{BackendKind, Engine};
use super::web::WebGpuFailure;
#[cfg(not(feature = "webgpu"))]
use super::web::{WEBGPU_FAILED, field, session_get};
#[cfg(feature = "webgpu")]
use super::web::fall_back_to_cpu;

/// Starts the engine: WebGPU when asked for and available, else the CPU. The second value says,
/// once, why WebGPU is not in use when it was asked for.
pub async fn start(prefer_gpu: bool) -> (Engine, Option<String>) {
    let (engine, notice) = start_device(prefer_gpu).await;
    match engine.backend() {
        BackendKind::Cpu => (engine.with_decode_pool(), notice),
        BackendKind::WebGpu(_) => (engine, notice),
    }
}

async fn start_device(prefer_gpu: bool) -> (Engine, Option<String>) {
    if !prefer_gpu {
        return cpu(None).await;
    }
    let has_webgpu = web_sys::window()
        .map(|w| Reflect::get(&w.navigator(), &JsValue::from_str("gpu")).map(|g| !g.is_undefined()).unwrap_or(false))
        .unwrap_or(false);
    if !has_webgpu {
        return on_cpu(WebGpuFailure::Unavailable, "navigator.gpu is undefined").await;
    }
    start_webgpu().await
}

#[cfg(feature = "webgpu")]
async fn start_webgpu() -> (Engine, Option<String>) {
    match Device::wgpu_options().init_with_setup_async().await {
        Ok((device, setup)) => {
            let adapter = setup.adapter.get_info().name;
            (Engine::on(device, BackendKind::WebGpu(adapter)), None)
        }
        Err(e) => on_cpu(WebGpuFailure::DidNotStart, &format!("{e:?}")).await,
    }
}

/// The CPU-only build: the page's loader picks it when the browser offers no WebGPU adapter, or
/// only a software one (then it sets `window.vaeLabSoftwareAdapter`), or when WebGPU failed in
/// this tab before (then [`fall_back_to_cpu`] left the reason in session storage).
#[cfg(not(feature = "webgpu"))]
async fn start_webgpu() -> (Engine, Option<String>) {
    if let Some(key) = session_get(WEBGPU_FAILED) {
        return cpu(Some(WebGpuFailure::from_key(&key).notice().into())).await;
    }
    let software = web_sys::window().is_some_and(|w| field(&w, super::js_names::SOFTWARE_ADAPTER).is_truthy());
    let notice = if software {
        "This browser's WebGPU adapter is a software renderer, slower than the CPU path, so the models run on the CPU (add ?backend=webgpu to the link to use it anyway)."
    } else {
        "WebGPU found no usable adapter in this browser, so the models run on the CPU."
    };
    cpu(Some(notice.into())).await
}

/// The CPU engine, and why it is in use.
#[cfg(not(feature = "webgpu"))]
async fn cpu(notice: Option<String>) -> (Engine, Option<String>) {
    (Engine::cpu(), notice)
}

/// WebGPU is not to be had: the CPU engine, saying why.
#[cfg(not(feature = "webgpu"))]
async fn on_cpu(failure: WebGpuFailure, _detail: &str) -> (Engine, Option<String>) {
    cpu(Some(failure.notice().into())).await
}

/// The WebGPU build does not run the page on the CPU (it has no CPU backend; the CPU build has the
/// fused CPU kernels and the decode workers): WebGPU
/// failed to start, so it reloads the page as the CPU build and never returns.
#[cfg(feature = "webgpu")]
async fn on_cpu(failure: WebGpuFailure, detail: &str) -> (Engine, Option<String>) {
    fall_back_to_cpu(failure, detail);
    std::future::pending().await
}

/// The WebGPU build asked for the CPU (`?backend=cpu`, which the loader answers with the CPU
/// build): it reloads as the CPU build.
#[cfg(feature = "webgpu")]
async fn cpu(_notice: Option<String>) -> (Engine, Option<String>) {
    on_cpu(WebGpuFailure::DidNotStart, "the CPU was asked for").await
}

