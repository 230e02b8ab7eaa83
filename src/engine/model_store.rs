//! "Your model" kept in the browser (IndexedDB), so that it survives a reload: its weights and
//! its record, one entry. Every failure is an error for the caller to show; none loses the model
//! in the page.

use js_sys::{Function, Promise};
use serde::{Deserialize, Serialize};
use serde_bytes::ByteBuf;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::study::metrics::Metrics;

const DATABASE: &str = "vae-lab";
const STORE: &str = "models";
const KEY: &str = "yours";

/// A model trained in this browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct SavedModel {
    /// Its variant's key (`Variant::key`: `yours-b2`, …).
    pub(crate) variant: String,
    /// The `.bpk` burn record.
    pub(crate) weights: ByteBuf,
    /// Its metrics file.
    pub(crate) metrics: Metrics,
}

fn error(what: &str, e: JsValue) -> String {
    let detail = e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| e.as_string());
    format!("{what} ({})", detail.unwrap_or_else(|| "the browser gave no reason".into()))
}

/// Resolves with the request's result once it succeeds.
async fn done(request: &web_sys::IdbRequest) -> Result<JsValue, JsValue> {
    let promise = Promise::new(&mut |resolve: Function, reject: Function| {
        let target = request.clone();
        let ok = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::NULL, &target.result().unwrap_or(JsValue::UNDEFINED));
        });
        let failed = Closure::once_into_js(move |event: JsValue| {
            let _ = reject.call1(&JsValue::NULL, &event);
        });
        request.set_onsuccess(Some(ok.unchecked_ref()));
        request.set_onerror(Some(failed.unchecked_ref()));
    });
    JsFuture::from(promise).await
}

async fn open() -> Result<web_sys::IdbDatabase, String> {
    let factory = web_sys::window()
        .and_then(|w| w.indexed_db().ok().flatten())
        .ok_or("this browser keeps no data for pages (IndexedDB is off)")?;
    let request = factory.open_with_u32(DATABASE, 1).map_err(|e| error("the browser's storage could not be opened", e))?;
    let upgrade = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
        let Ok(request) = js_sys::Reflect::get(&event, &"target".into()).and_then(|t| t.dyn_into::<web_sys::IdbOpenDbRequest>())
        else {
            return;
        };
        if let Ok(db) = request.result().and_then(|r| r.dyn_into::<web_sys::IdbDatabase>()) {
            let _ = db.create_object_store(STORE);
        }
    });
    request.set_onupgradeneeded(Some(upgrade.as_ref().unchecked_ref()));
    let result = done(&request).await.map_err(|e| error("the browser's storage could not be opened", e));
    request.set_onupgradeneeded(None);
    result?.dyn_into().map_err(|_| "the browser's storage gave no database".into())
}

fn store(db: &web_sys::IdbDatabase, mode: web_sys::IdbTransactionMode) -> Result<web_sys::IdbObjectStore, String> {
    db.transaction_with_str_and_mode(STORE, mode)
        .and_then(|t| t.object_store(STORE))
        .map_err(|e| error("the browser's storage is unusable", e))
}

/// Keeps `model`, replacing the one kept before.
pub(crate) async fn save(model: &SavedModel) -> Result<(), String> {
    let value = serde::Serialize::serialize(model, &serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
        .map_err(|e| e.to_string())?;
    let db = open().await?;
    let request = store(&db, web_sys::IdbTransactionMode::Readwrite)?
        .put_with_key(&value, &KEY.into())
        .map_err(|e| error("your model could not be kept in this browser", e))?;
    done(&request).await.map(|_| ()).map_err(|e| error("your model could not be kept in this browser", e))
}

/// The model kept, if any.
pub(crate) async fn load() -> Result<Option<SavedModel>, String> {
    let db = open().await?;
    let request = store(&db, web_sys::IdbTransactionMode::Readonly)?
        .get(&KEY.into())
        .map_err(|e| error("your model could not be read back", e))?;
    let value = done(&request).await.map_err(|e| error("your model could not be read back", e))?;
    if value.is_undefined() || value.is_null() {
        return Ok(None);
    }
    serde_wasm_bindgen::from_value(value).map(Some).map_err(|e| format!("the model kept in this browser is damaged ({e})"))
}

/// Forgets the model kept.
pub(crate) async fn clear() -> Result<(), String> {
    let db = open().await?;
    let request = store(&db, web_sys::IdbTransactionMode::Readwrite)?
        .delete(&KEY.into())
        .map_err(|e| error("your model could not be removed", e))?;
    done(&request).await.map(|_| ()).map_err(|e| error("your model could not be removed", e))
}
