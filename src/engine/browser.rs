//! Browser side of the engine (wasm only): choosing the device, fetching files with progress and
//! checking them against the manifest.

#[cfg(feature = "webgpu")]
use burn::prelude::Device;
use js_sys::{Reflect, Uint8Array};
use sha2::{Digest, Sha256};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use super::Engine;

/// Starts the engine: WebGPU when asked for and available, else the CPU. The second value says,
/// once, why WebGPU is not in use when it was asked for.
pub async fn start(prefer_gpu: bool) -> (Engine, Option<String>) {
    let (engine, notice) = start_device(prefer_gpu).await;
    match engine.backend() {
        super::BackendKind::Cpu => (engine.with_decode_pool(super::decode_pool::DecodePool::start()), notice),
        super::BackendKind::WebGpu(_) => (engine, notice),
    }
}

async fn start_device(prefer_gpu: bool) -> (Engine, Option<String>) {
    if !prefer_gpu {
        return on_cpu(None).await;
    }
    let has_webgpu = web_sys::window()
        .map(|w| Reflect::get(&w.navigator(), &JsValue::from_str("gpu")).map(|g| !g.is_undefined()).unwrap_or(false))
        .unwrap_or(false);
    if !has_webgpu {
        return on_cpu(Some("This browser has no WebGPU, so the models run on the CPU.".into())).await;
    }
    start_webgpu().await
}

#[cfg(feature = "webgpu")]
async fn start_webgpu() -> (Engine, Option<String>) {
    match Device::wgpu_options().init_with_setup_async().await {
        Ok((device, setup)) => {
            let adapter = setup.adapter.get_info().name;
            (Engine::on(device, super::BackendKind::WebGpu(adapter)), None)
        }
        Err(e) => on_cpu(Some(format!("WebGPU did not start ({e:?}), so the models run on the CPU."))).await,
    }
}

/// The CPU-only build: the page's loader picks it when the browser offers no WebGPU adapter, or
/// only a software one (then it sets `window.vaeLabSoftwareAdapter`), or when WebGPU failed in
/// this tab before (then [`fall_back_to_cpu`] left the reason in session storage).
#[cfg(not(feature = "webgpu"))]
async fn start_webgpu() -> (Engine, Option<String>) {
    if let Some(reason) = session_get(WEBGPU_FAILED) {
        let notice = format!("WebGPU stopped working in this tab ({reason}), so the models now run on the CPU; what you had on screen was kept.");
        return on_cpu(Some(notice)).await;
    }
    let software = web_sys::window().is_some_and(|w| field(&w, "vaeLabSoftwareAdapter").is_truthy());
    let notice = if software {
        "This browser's WebGPU adapter is a software renderer, slower than the CPU path, so the models run on the CPU (add ?backend=webgpu to the link to use it anyway)."
    } else {
        "WebGPU found no usable adapter in this browser, so the models run on the CPU."
    };
    on_cpu(Some(notice.into())).await
}

/// The CPU engine, and why it is in use.
#[cfg(not(feature = "webgpu"))]
async fn on_cpu(notice: Option<String>) -> (Engine, Option<String>) {
    (Engine::cpu(), notice)
}

/// The WebGPU build does not run the page on the CPU (its flex is for the training worker's
/// initialisation only; the CPU build has the fused CPU kernels and the decode workers): WebGPU
/// failed to start, so it reloads the page as the CPU build and never returns.
#[cfg(feature = "webgpu")]
async fn on_cpu(notice: Option<String>) -> (Engine, Option<String>) {
    fall_back_to_cpu(notice.as_deref().unwrap_or("it did not start"));
    std::future::pending().await
}

/// Session-storage key: why WebGPU failed in this tab. The loader (Trunk.toml) then fetches the
/// CPU build, whatever the link asks for; the CPU build says why.
const WEBGPU_FAILED: &str = "vaeLab.webgpuFailed";
fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

// Read by the CPU build only (it says why WebGPU is not in use).
#[cfg(not(feature = "webgpu"))]
fn session_get(key: &str) -> Option<String> {
    session()?.get_item(key).ok().flatten()
}

/// WebGPU failed (did not start, or its device was lost): remembers why for this tab and
/// reloads the page, which then runs the CPU build. The page's link holds the view, so the
/// reload shows the same view; the link itself says nothing of it, so it still opens WebGPU
/// elsewhere.
pub fn fall_back_to_cpu(reason: &str) {
    web_sys::console::warn_1(&format!("WebGPU failed ({reason}); reloading on the CPU").into());
    if let Some(storage) = session() {
        let _ = storage.set_item(WEBGPU_FAILED, reason);
    }
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

fn js_error(context: &str, value: JsValue) -> String {
    let detail = value.as_string().or_else(|| {
        value.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message()))
    });
    format!("{context}: {}", detail.unwrap_or_else(|| format!("{value:?}")))
}

/// Fetches `url` (relative to the page, or to the worker's script in a worker), reporting bytes
/// received to `progress`.
pub async fn fetch_bytes(url: &str, mut progress: impl FnMut(u64)) -> Result<Vec<u8>, String> {
    let request = match web_sys::window() {
        Some(window) => window.fetch_with_str(url),
        None => js_sys::global()
            .dyn_into::<web_sys::WorkerGlobalScope>()
            .map_err(|_| "neither a page nor a worker")?
            .fetch_with_str(url),
    };
    let response = JsFuture::from(request).await.map_err(|e| js_error(&format!("cannot fetch {url}"), e))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| format!("{url}: not a response"))?;
    if !response.ok() {
        return Err(format!("{url}: HTTP {}", response.status()));
    }
    let Some(body) = response.body() else {
        let buffer = JsFuture::from(response.array_buffer().map_err(|e| js_error(url, e))?).await.map_err(|e| js_error(url, e))?;
        return Ok(Uint8Array::new(&buffer).to_vec());
    };
    let reader: web_sys::ReadableStreamDefaultReader =
        body.get_reader().dyn_into().map_err(|_| format!("{url}: unreadable body"))?;
    let mut bytes = Vec::new();
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| js_error(url, e))?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done")).map(|d| d.is_truthy()).unwrap_or(true);
        if done {
            break;
        }
        if let Ok(value) = Reflect::get(&chunk, &JsValue::from_str("value")) {
            bytes.extend(Uint8Array::new(&value).to_vec());
            progress(bytes.len() as u64);
        }
    }
    Ok(bytes)
}

/// Checks fetched bytes against the manifest's size and SHA-256.
pub fn verify(name: &str, bytes: &[u8], size: u64, sha256: &str) -> Result<(), String> {
    if bytes.len() as u64 != size {
        return Err(format!("{name} has {} bytes, the manifest says {size}", bytes.len()));
    }
    let digest: String = Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    if digest != sha256 {
        return Err(format!("{name} does not match its checksum in the manifest (corrupted download?)"));
    }
    Ok(())
}

/// Property `name` of a JS object (`undefined` when absent or not an object).
pub fn field(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Milliseconds since the page (or the worker) started, for timing.
pub fn now_ms() -> f64 {
    let performance = match web_sys::window() {
        Some(window) => window.performance(),
        None => js_sys::global().dyn_into::<web_sys::WorkerGlobalScope>().ok().and_then(|w| w.performance()),
    };
    performance.map(|p| p.now()).unwrap_or(0.0)
}

/// Lets the browser handle input and paint (a worker: its messages) before the next slice of
/// work, waiting at least `ms`.
pub async fn sleep_ms(ms: i32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let _ = match web_sys::window() {
            Some(window) => window.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms),
            None => match js_sys::global().dyn_into::<web_sys::WorkerGlobalScope>() {
                Ok(worker) => worker.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms),
                Err(_) => resolve.call0(&JsValue::NULL).map(|_| 0),
            },
        };
    });
    let _ = JsFuture::from(promise).await;
}

/// Lets the browser handle input and paint before the next slice of work.
pub async fn yield_to_browser() {
    sleep_ms(0).await;
}
