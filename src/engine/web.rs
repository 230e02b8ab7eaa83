//! The browser's side of everything (wasm only), a leaf: a build's start, fetching files with progress and
//! checking them against the manifest, the clock, yielding to the browser, JS properties, and
//! the tab's memory of a failed WebGPU.

use js_sys::{Reflect, Uint8Array};
use sha2::{Digest, Sha256};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::study::metrics::ManifestFile;

/// Session-storage key: why WebGPU failed in this tab. The loader (www/loader.js) then fetches
/// the CPU build, whatever the link asks for; the CPU build says why.
pub(crate) use super::js_names::WEBGPU_FAILED;

unsafe extern "C" {
    /// Runs the static constructors (cubecl registers its IR dialects through `inventory`).
    fn __wasm_call_ctors();
}

/// Runs the static constructors, once, at the start of a build's `main`: otherwise wasm-ld
/// treats the binary as a one-shot "command" and wraps every export (each call from JavaScript,
/// each resolved future) in a rerun of all constructors, which took ~30 % of a warm decode
/// (profiled in Chromium).
pub(crate) fn run_constructors_once() {
    // SAFETY: wasm-ld's function, called before any other code of the build runs.
    unsafe { __wasm_call_ctors() };
}

fn session() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

// Read by the CPU build only (it says why WebGPU is not in use).
#[cfg(not(feature = "webgpu"))]
pub(crate) fn session_get(key: &str) -> Option<String> {
    session()?.get_item(key).ok().flatten()
}

/// WebGPU failed (did not start, or its device was lost): remembers why for this tab and
/// reloads the page, which then runs the CPU build. The page's link holds the view, so the
/// reload shows the same view; the link itself says nothing of it, so it still opens WebGPU
/// elsewhere.
pub(crate) fn fall_back_to_cpu(failure: WebGpuFailure, detail: &str) {
    web_sys::console::warn_1(&format!("WebGPU failed ({detail}); reloading on the CPU").into());
    if let Some(storage) = session() {
        let _ = storage.set_item(WEBGPU_FAILED, failure.key());
    }
    if let Some(window) = web_sys::window() {
        let _ = window.location().reload();
    }
}

/// Why the page left WebGPU for the CPU, kept for the tab; the detail goes to the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WebGpuFailure {
    /// The browser has no WebGPU.
    Unavailable,
    /// WebGPU did not start (no adapter, no device).
    DidNotStart,
    /// WebGPU stopped working (most often a lost device).
    Lost,
}

impl WebGpuFailure {
    fn key(self) -> &'static str {
        match self {
            WebGpuFailure::Unavailable => "unavailable",
            WebGpuFailure::DidNotStart => "did-not-start",
            WebGpuFailure::Lost => "lost",
        }
    }

    /// The failure kept under `key` (an unknown key, from an older page: it stopped working).
    #[cfg(not(feature = "webgpu"))]
    pub(crate) fn from_key(key: &str) -> WebGpuFailure {
        [WebGpuFailure::Unavailable, WebGpuFailure::DidNotStart].into_iter().find(|f| f.key() == key).unwrap_or(WebGpuFailure::Lost)
    }

    /// What the visitor is told: one plain sentence.
    #[cfg(not(feature = "webgpu"))]
    pub(crate) fn notice(self) -> &'static str {
        match self {
            WebGpuFailure::Unavailable => "This browser has no WebGPU, so the models run on the CPU.",
            WebGpuFailure::DidNotStart => "WebGPU could not start in this browser, so the models run on the CPU.",
            WebGpuFailure::Lost => "WebGPU stopped working in this tab, so the models now run on the CPU; what you had on screen was kept.",
        }
    }
}

fn js_error(context: &str, value: JsValue) -> String {
    let detail = value.as_string().or_else(|| {
        value.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message()))
    });
    format!("{context}: {}", detail.unwrap_or_else(|| format!("{value:?}")))
}

/// The most a file the manifest does not list may be (the manifest, the test and training
/// digits): 16 MiB, ten times the largest such file shipped, so a damaged deploy cannot fill the
/// page's memory.
pub(crate) const MAX_UNLISTED_BYTES: u64 = 16 << 20;

/// Fetches `url` (relative to the page, or to the worker's script in a worker), reporting bytes
/// received to `progress`; refuses it, without reading further, once it is larger than `limit`.
pub(crate) async fn fetch_bytes(url: &str, limit: u64, mut progress: impl FnMut(u64)) -> Result<Vec<u8>, String> {
    let too_large = || format!("{url} is larger than the {limit} bytes expected");
    let request = match web_sys::window() {
        Some(window) => take_prefetched(&window, url).unwrap_or_else(|| window.fetch_with_str(url)),
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
    // The size the server announces, when it does: refused before a byte is read.
    let announced = response.headers().get("content-length").ok().flatten().and_then(|n| n.trim().parse::<u64>().ok());
    if announced.is_some_and(|n| n > limit) {
        if let Some(body) = response.body() {
            let _ = body.cancel();
        }
        return Err(too_large());
    }
    let Some(body) = response.body() else {
        let buffer = JsFuture::from(response.array_buffer().map_err(|e| js_error(url, e))?).await.map_err(|e| js_error(url, e))?;
        let bytes = Uint8Array::new(&buffer);
        if u64::from(bytes.length()) > limit {
            return Err(too_large());
        }
        return Ok(bytes.to_vec());
    };
    let reader: web_sys::ReadableStreamDefaultReader =
        body.get_reader().dyn_into().map_err(|_| format!("{url}: unreadable body"))?;
    // Room for what the server announced, at once (not regrown chunk by chunk).
    let mut bytes = Vec::with_capacity(announced.unwrap_or(0) as usize);
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|e| js_error(url, e))?;
        let done = Reflect::get(&chunk, &JsValue::from_str("done")).map(|d| d.is_truthy()).unwrap_or(true);
        if done {
            break;
        }
        if let Ok(value) = Reflect::get(&chunk, &JsValue::from_str("value")) {
            let value = Uint8Array::new(&value);
            // Streamed and stopped as soon as it passes the limit: memory stays where it was.
            if bytes.len() as u64 + u64::from(value.length()) > limit {
                let _ = reader.cancel();
                return Err(too_large());
            }
            bytes.extend(value.to_vec());
            progress(bytes.len() as u64);
        }
    }
    Ok(bytes)
}

/// The loader's fetch of `url` (`www/loader.js`: the models list and the first model, started
/// while the wasm downloads), taken over once: a later fetch of it goes to the network.
fn take_prefetched(window: &web_sys::Window, url: &str) -> Option<js_sys::Promise> {
    let fetched = field(window, super::js_names::PREFETCHED);
    if !fetched.is_object() {
        return None;
    }
    let key = JsValue::from_str(url);
    let promise = Reflect::get(&fetched, &key).ok()?.dyn_into::<js_sys::Promise>().ok()?;
    let _ = Reflect::delete_property(fetched.unchecked_ref::<js_sys::Object>(), &key);
    Some(promise)
}

/// A models file's link with its manifest hash in the query: static hosts ignore it, and the
/// service worker (www/sw.js) caches the file under it, so a new deploy's file is never confused
/// with the old one.
pub fn hashed_url(file: &ManifestFile) -> String {
    format!("models/{}?sha256={}", file.file, file.sha256)
}

/// A file the manifest lists, fetched under its [`hashed_url`], read no further than its listed
/// size, and checked against that size and its SHA-256: the one way the page loads a models file.
pub async fn fetch_listed(listed: &ManifestFile, progress: impl FnMut(u64)) -> Result<Vec<u8>, String> {
    let bytes = fetch_bytes(&hashed_url(listed), listed.bytes, progress).await?;
    verify(&listed.file, &bytes, listed.bytes, &listed.sha256).await?;
    Ok(bytes)
}

/// Checks fetched bytes against the manifest's size and SHA-256.
async fn verify(name: &str, bytes: &[u8], size: u64, sha256: &str) -> Result<(), String> {
    if bytes.len() as u64 != size {
        return Err(format!("{name} has {} bytes, the manifest says {size}", bytes.len()));
    }
    let digest = match browser_sha256(bytes).await {
        Some(digest) => digest,
        None => Sha256::digest(bytes).to_vec(),
    };
    let digest: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if digest != sha256 {
        return Err(format!("{name} does not match its checksum in the manifest (corrupted download?)"));
    }
    Ok(())
}

/// The SHA-256 of `bytes` computed by the browser (SubtleCrypto: native code, off the page's
/// thread; sha2 here took ~10 ms of it for a model at start-up, in wasm not yet optimised), where
/// it has one: pages served over plain HTTP from elsewhere than this machine do not.
async fn browser_sha256(bytes: &[u8]) -> Option<Vec<u8>> {
    let subtle: web_sys::SubtleCrypto = field(&field(&js_sys::global(), "crypto"), "subtle").dyn_into().ok()?;
    let digest = JsFuture::from(subtle.digest_with_str_and_u8_array("SHA-256", bytes).ok()?).await.ok()?;
    Some(Uint8Array::new(&digest).to_vec())
}

/// Property `name` of a JS object (`undefined` when absent or not an object).
pub(crate) fn field(value: &JsValue, name: &str) -> JsValue {
    Reflect::get(value, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
}

/// The browser's logical cores (`navigator.hardwareConcurrency`; 1 where it does not say).
pub(crate) fn cores() -> usize {
    web_sys::window().map_or(1, |w| (w.navigator().hardware_concurrency() as usize).max(1))
}

/// Milliseconds since the page (or the worker) started, for timing.
pub(crate) fn now_ms() -> f64 {
    let performance = match web_sys::window() {
        Some(window) => window.performance(),
        None => js_sys::global().dyn_into::<web_sys::WorkerGlobalScope>().ok().and_then(|w| w.performance()),
    };
    performance.map(|p| p.now()).unwrap_or(0.0)
}

/// Lets the browser handle input and paint (a worker: its messages) before the next slice of
/// work, waiting at least `ms`.
pub(crate) async fn sleep_ms(ms: i32) {
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
pub(crate) async fn yield_to_browser() {
    sleep_ms(0).await;
}
