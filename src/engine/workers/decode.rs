//! A decode worker's side (wasm only, the CPU build): its own engine, and the calls
//! `www/decode-worker.js` makes on it (`self.vaeLabWorker`). The page's side is `decode_pool`.

#[cfg(not(feature = "webgpu"))]
use std::rc::Rc;

#[cfg(not(feature = "webgpu"))]
use js_sys::{Float32Array, Object, Promise, Reflect};
#[cfg(not(feature = "webgpu"))]
use wasm_bindgen::prelude::*;

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
pub fn serve_if_worker() -> bool {
    false
}

/// In a worker (no `window`): installs `self.vaeLabWorker = {install(variant, bytes),
/// decode(variant, latents)}`, the calls `www/decode-worker.js` makes. Returns false on the page.
#[cfg(not(feature = "webgpu"))]
pub fn serve_if_worker() -> bool {
    if web_sys::window().is_some() {
        return false;
    }
    let global = js_sys::global();
    let api = Object::new();
    let install = Closure::<dyn Fn(String, Vec<u8>) -> Result<(), JsValue>>::new(|name: String, bytes: Vec<u8>| {
        let variant = Variant::from_key(&name).ok_or_else(|| JsValue::from_str(&format!("unknown variant {name}")))?;
        WORKER_ENGINE.with(|engine| engine.install(variant, bytes)).map_err(|e| JsValue::from_str(&e.to_string()))
    });
    let decode = Closure::<dyn Fn(String, Vec<f32>) -> Promise>::new(|name: String, latents: Vec<f32>| {
        wasm_bindgen_futures::future_to_promise(async move {
            let variant = Variant::from_key(&name).ok_or_else(|| JsValue::from_str(&format!("unknown variant {name}")))?;
            let engine = WORKER_ENGINE.with(Rc::clone);
            let pixels = engine.decode(variant, &latents).await.map_err(|e| JsValue::from_str(&e.to_string()))?;
            Ok(Float32Array::from(pixels.as_slice()).into())
        })
    });
    let _ = Reflect::set(&api, &JsValue::from_str("install"), install.as_ref());
    let _ = Reflect::set(&api, &JsValue::from_str("decode"), decode.as_ref());
    let _ = Reflect::set(&global, &JsValue::from_str(crate::engine::js_names::DECODER), &api);
    // They live as long as the worker.
    install.forget();
    decode.forget();
    true
}
