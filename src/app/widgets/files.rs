//! Files the visitor saves and opens: a download of bytes, the bytes of a picked or dropped file.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

fn js(e: wasm_bindgen::JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).unwrap_or_else(|| format!("{e:?}"))
}

/// Offers `bytes` as a download named `name`.
pub(crate) fn save_file(bytes: &[u8], name: &str, mime: &str) -> Result<(), String> {
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a").map_err(js)?.dyn_into().map_err(|_| "no anchor")?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob = web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(js)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js)?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // Revoked once the download has had its turn (revoking at once can cancel it).
    if let Some(window) = web_sys::window() {
        let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        });
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
    }
    Ok(())
}

/// The files of a file input or a drop, with their names.
pub(crate) fn files_of(list: Option<web_sys::FileList>) -> Vec<web_sys::File> {
    let Some(list) = list else { return Vec::new() };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

/// The most an opened file may be: 16 MiB, ten times the largest model file.
pub(crate) const MAX_OPENED_BYTES: f64 = 16.0 * 1024.0 * 1024.0;

/// A file's bytes; one larger than [`MAX_OPENED_BYTES`] is refused by its size, unread.
pub(crate) async fn read_file(file: &web_sys::File) -> Result<Vec<u8>, String> {
    if file.size() > MAX_OPENED_BYTES {
        const MIB: f64 = 1024.0 * 1024.0;
        return Err(format!(
            "{} is {:.0} MiB, more than a model file can be ({:.0} MiB at most), so it was not read.",
            file.name(),
            file.size() / MIB,
            MAX_OPENED_BYTES / MIB
        ));
    }
    read_blob(file, file).await
}

/// A file's first `n` bytes (its header), read alone.
pub(crate) async fn read_head(file: &web_sys::File, n: i32) -> Result<Vec<u8>, String> {
    let head = file.slice_with_i32_and_i32(0, n).map_err(|e| format!("{} could not be read ({})", file.name(), js(e)))?;
    read_blob(file, &head).await
}

async fn read_blob(file: &web_sys::File, blob: &web_sys::Blob) -> Result<Vec<u8>, String> {
    let buffer = JsFuture::from(blob.array_buffer()).await.map_err(|e| format!("{} could not be read ({})", file.name(), js(e)))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}
