//! A Report figure: title, its one-sentence reading first, the drawing (a long table folded), and
//! a download of the drawing (SVG as drawn, or PNG for a canvas).

use leptos::html;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// One figure. `name` is its file name and test id (`figure-<name>`, `reading-<name>`); `html`
/// the drawing as SVG / HTML text (`findings::figures`, escaped there) or `children`; `note` a
/// line on how to read it.
#[component]
pub(crate) fn Figure(
    title: String,
    name: String,
    #[prop(into)] reading: Signal<Option<String>>,
    #[prop(optional, into)] html: Signal<String>,
    #[prop(optional, into)] note: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let body = NodeRef::<html::Figure>::new();
    let failed = RwSignal::new(None::<String>);
    let file = name.clone();
    let save = move |_| {
        if let Some(body) = body.get_untracked()
            && let Err(e) = download(&body, &file)
        {
            failed.set(Some(format!("The download failed: {e}")));
        }
    };
    // A table of more than a screenful of rows is folded: its reading says what it shows.
    let long_table = move || html.with(|h| h.contains("<table") && h.matches("<tr").count() > 8);
    view! {
        <figure class="finding" data-testid=format!("figure-{name}") node_ref=body>
            <h3>{title.clone()}</h3>
            <p class="reading" data-testid=format!("reading-{name}")>{move || reading.get().unwrap_or_else(|| "Not measured yet.".into())}</p>
            {move || if long_table() {
                view! {
                    <details class="fold">
                        <summary>{format!("Show the table ({} rows)", html.with(|h| h.matches("<tr").count().saturating_sub(1)))}</summary>
                        <div class="finding-body" inner_html=move || html.get()></div>
                    </details>
                }.into_any()
            } else {
                view! { <div class="finding-body" inner_html=move || html.get()></div> }.into_any()
            }}
            {children.map(|c| c())}
            {(!note.is_empty()).then(|| view! { <p class="hint">{note}</p> })}
            // Named for its figure: a screen reader's list of buttons tells the ten apart.
            <button class="download" data-testid=format!("download-{name}") on:click=save>"Download"<span class="sr-only">{format!(" “{title}”")}</span></button>
            {move || failed.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        </figure>
    }
}

/// Saves the figure's first `<svg>` as `vae-lab-<name>.svg`, else its first `<canvas>` as PNG.
fn download(body: &web_sys::HtmlElement, name: &str) -> Result<(), String> {
    let js = |e: wasm_bindgen::JsValue| format!("{e:?}");
    let document = web_sys::window().and_then(|w| w.document()).ok_or("no document")?;
    let link: web_sys::HtmlAnchorElement = document.create_element("a").map_err(js)?.dyn_into().map_err(|_| "no anchor")?;
    let mut object_url = None;
    if let Some(svg) = body.query_selector("svg").map_err(js)? {
        let text = web_sys::XmlSerializer::new().map_err(js)?.serialize_to_string(&svg).map_err(js)?;
        let parts = js_sys::Array::of1(&text.into());
        let options = web_sys::BlobPropertyBag::new();
        options.set_type("image/svg+xml");
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options).map_err(js)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(js)?;
        link.set_href(&url);
        link.set_download(&format!("vae-lab-{name}.svg"));
        object_url = Some(url);
    } else if let Some(canvas) = body.query_selector("canvas").map_err(js)? {
        let canvas: web_sys::HtmlCanvasElement = canvas.dyn_into().map_err(|_| "not a canvas")?;
        link.set_href(&canvas.to_data_url().map_err(js)?);
        link.set_download(&format!("vae-lab-{name}.png"));
    } else {
        return Err("nothing drawn yet".into());
    }
    link.click();
    // Revoked once the download has had its turn (revoking at once can cancel it).
    if let (Some(url), Some(window)) = (object_url, web_sys::window()) {
        let revoke = wasm_bindgen::closure::Closure::once_into_js(move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        });
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 10_000);
    }
    Ok(())
}
