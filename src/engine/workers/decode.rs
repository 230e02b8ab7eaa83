//! A decode worker's side (wasm only, the CPU build): its own engine, answering the page's
//! [`decode_protocol`](super::decode_protocol) requests. `www/decode-worker.js` boots the build
//! and passes each request to `self.vaeLabWorker.receive`, whose promise is the reply. The page's
//! side is `decode_pool`.

#[cfg(not(feature = "webgpu"))]
use std::rc::Rc;

#[cfg(not(feature = "webgpu"))]
use js_sys::{Object, Promise, Reflect};
#[cfg(not(feature = "webgpu"))]
use wasm_bindgen::prelude::*;

#[cfg(not(feature = "webgpu"))]
use super::decode_protocol::{FromDecoder, ToDecoder, f32_bytes, f32s};
#[cfg(not(feature = "webgpu"))]
use crate::engine::inference::Engine;
#[cfg(not(feature = "webgpu"))]
use crate::study::Variant;

#[cfg(not(feature = "webgpu"))]
thread_local! {
    /// The engine of a decode worker (in a worker's own instance of the CPU build).
    static WORKER_ENGINE: Rc<Engine> = Rc::new(Engine::cpu());
}

/// The WebGPU build never runs in a decode worker (they load the CPU build).
#[cfg(feature = "webgpu")]
pub(crate) fn serve_if_worker() -> bool {
    false
}

/// In a worker (no `window`): installs `self.vaeLabWorker = { receive(request) }`, which
/// `www/decode-worker.js` calls. Returns false on the page.
#[cfg(not(feature = "webgpu"))]
pub(crate) fn serve_if_worker() -> bool {
    if web_sys::window().is_some() {
        return false;
    }
    let receive = Closure::<dyn Fn(JsValue) -> Promise>::new(|message: JsValue| {
        wasm_bindgen_futures::future_to_promise(async move {
            let reply = match serde_wasm_bindgen::from_value::<ToDecoder>(message) {
                Ok(request) => answer(request).await,
                Err(e) => FromDecoder::Failed { id: 0, error: format!("a message the decode worker does not know ({e})") },
            };
            serde_wasm_bindgen::to_value(&reply).map_err(|e| JsValue::from_str(&e.to_string()))
        })
    });
    let api = Object::new();
    let _ = Reflect::set(&api, &JsValue::from_str("receive"), receive.as_ref());
    let _ = Reflect::set(&js_sys::global(), &JsValue::from_str(crate::engine::js_names::DECODER), &api);
    // It lives as long as the worker.
    receive.forget();
    true
}

#[cfg(not(feature = "webgpu"))]
async fn answer(request: ToDecoder) -> FromDecoder {
    let variant = |name: &str| Variant::from_key(name).ok_or_else(|| format!("unknown variant {name}"));
    match request {
        // The script boots the build with it; nothing is left to do here.
        ToDecoder::Start { .. } => FromDecoder::Loaded { id: 0 },
        ToDecoder::Load { id, variant: name, bytes } => {
            let installed = variant(&name).and_then(|v| WORKER_ENGINE.with(|engine| engine.install(v, bytes.into_vec())).map_err(|e| e.to_string()));
            match installed {
                Ok(()) => FromDecoder::Loaded { id },
                Err(error) => FromDecoder::Failed { id, error },
            }
        }
        ToDecoder::LoadClassifier { id, listed } => {
            let engine = WORKER_ENGINE.with(Rc::clone);
            let installed = async {
                let bytes = crate::engine::web::fetch_listed(&listed, |_| {}).await?;
                engine.install_classifier(bytes).map_err(|e| e.to_string())
            };
            match installed.await {
                Ok(()) => FromDecoder::Loaded { id },
                Err(error) => FromDecoder::Failed { id, error },
            }
        }
        ToDecoder::Classify { id, images } => {
            let engine = WORKER_ENGINE.with(Rc::clone);
            let read = async { engine.classify(&f32s(&images)?).await.map_err(|e| e.to_string()) };
            match read.await {
                Ok(probabilities) => FromDecoder::Classified { id, probabilities: f32_bytes(&probabilities) },
                Err(error) => FromDecoder::Failed { id, error },
            }
        }
        ToDecoder::Decode { id, variant: name, latents } => {
            let engine = WORKER_ENGINE.with(Rc::clone);
            let decoded = async {
                let v = variant(&name)?;
                let z = f32s(&latents)?;
                engine.decode(v, &z).await.map_err(|e| e.to_string())
            };
            match decoded.await {
                Ok(pixels) => FromDecoder::Decoded { id, pixels: f32_bytes(&pixels) },
                Err(error) => FromDecoder::Failed { id, error },
            }
        }
    }
}
