//! Share links, browser side: the page's URL always holds the view (`view::link` encodes it), so
//! a reload keeps it and a copied link opens it; back and forward walk through its discrete
//! changes; the "Copy link" button.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::app::context::{Gallery, Lab, use_lab};
use crate::app::view::link::{self, Frame, Link};
use crate::app::view::history::discrete;
use crate::app::view::state::{InpaintSource, ViewState};
use crate::engine::web::field;
use crate::app::view::state::ViewStateStoreFields;
use crate::app::view::store::ViewActions;


/// How long a continuous change (a slider drag, a hover, a pen stroke in progress) waits before
/// it replaces the current history entry: browsers throttle faster history writes.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(300);

fn location() -> Option<web_sys::Location> {
    web_sys::window().map(|w| w.location())
}

/// The view the page's URL names.
pub(crate) fn current_link() -> Link {
    link::decode(&location().and_then(|l| l.search().ok()).unwrap_or_default())
}

/// What to tell the visitor once when a link could not be used whole.
pub(crate) fn dropped_notice(dropped: &[String]) -> Option<String> {
    (!dropped.is_empty()).then(|| {
        format!("This link was damaged or is from another version, so part of it was left out: {}. The rest of the view is as shared.", dropped.join("; "))
    })
}

/// This page's address with `query` (none when it is empty).
fn url_with(query: &str) -> String {
    let path = location().and_then(|l| l.pathname().ok()).unwrap_or_default();
    if query.is_empty() { path } else { format!("{path}?{query}") }
}

fn write(query: &str, push: bool) {
    let Some(window) = web_sys::window() else { return };
    let url = url_with(query);
    if let Ok(history) = window.history() {
        let _ = if push {
            history.push_state_with_url(&JsValue::NULL, "", Some(&url))
        } else {
            history.replace_state_with_url(&JsValue::NULL, "", Some(&url))
        };
    }
}

fn current_query() -> String {
    location().and_then(|l| l.search().ok()).unwrap_or_default().trim_start_matches('?').to_string()
}

fn cancel_pending(lab: Lab) {
    if let Some(timer) = lab.link.pending.get_value() {
        timer.clear();
    }
    lab.link.pending.set_value(None);
}

/// The whole page's address for `state` (an embedded page's "Open in VAE Lab"): the same view,
/// the same forced backend, not embedded.
pub(crate) fn whole_page_url(lab: Lab, state: &ViewState) -> String {
    url_with(&link::encode(state, Frame { embed: false, ..lab.link.frame.get_value() }))
}

/// Writes the current view into the URL at once (before a reload, or a copy).
pub(crate) fn write_link_now(lab: Lab) {
    cancel_pending(lab);
    let query = link::encode(&lab.view.get_untracked(), lab.link.frame.get_value());
    if query != current_query() {
        write(&query, false);
    }
}

/// Keeps the URL in step with the view from now on, and the view with the URL on back and
/// forward. `frame`: what the opening link said about the page (a forced backend, embedding).
pub(crate) fn keep_link_in_step(lab: Lab, frame: Frame) {
    lab.link.frame.set_value(frame);
    Effect::new(move |_| {
        let state = lab.view.get();
        let key = discrete(&state);
        let previous = lab.link.last.get_value();
        lab.link.last.set_value(Some(key.clone()));
        let query = link::encode(&state, frame);
        let previous_query = lab.link.last_query.get_value();
        lab.link.last_query.set_value(query.clone());
        if query == current_query() {
            cancel_pending(lab);
            return;
        }
        if previous.is_some_and(|p| p != key) {
            // The entry being left keeps the view as it last was (a stroke's last points, say),
            // not as it was when its settle timer started.
            if lab.link.pending.get_value().is_some() {
                cancel_pending(lab);
                write(&previous_query, false);
            }
            write(&query, true);
            return;
        }
        // A continuous change: one replace once it settles, with the view as it is then.
        if lab.link.pending.get_value().is_none() {
            let settle = set_timeout_with_handle(
                move || {
                    lab.link.pending.set_value(None);
                    write_link_now(lab);
                },
                SETTLE,
            );
            lab.link.pending.set_value(settle.ok());
        }
    });
    // Back and forward, for the page's life (the handle, which could remove it, is not kept).
    let _ = window_event_listener(leptos::ev::popstate, move |_| {
        cancel_pending(lab);
        let link = current_link();
        lab.link.last.set_value(Some(discrete(&link.state)));
        lab.link.last_query.set_value(link::encode(&link.state, lab.link.frame.get_value()));
        if let Some(notice) = dropped_notice(&link.dropped) {
            lab.notice.set(Some(notice));
        }
        lab.view.apply(link.state);
    });
}

/// A link may name any of the 10,000 test digits; the page ships 1,003. Others are replaced by
/// the default ones, once the gallery is in, with a note.
pub(crate) fn check_test_digits(lab: Lab, gallery: &Gallery) {
    let shipped = |i: usize| gallery.test_indices.contains(&i);
    let default = ViewState::default();
    let mut notes = Vec::new();
    if let InpaintSource::Test(i) = lab.view.source().get_untracked()
        && !shipped(i)
    {
        notes.push(format!("test digit #{i} is not among the digits this page ships"));
        lab.view.source().set(default.source);
    }
    let (a, b) = lab.view.ends().get_untracked();
    if !shipped(a) || !shipped(b) {
        notes.push(format!("the interpolation's digits #{a} and #{b} are not both among them"));
        lab.view.ends().set(default.ends);
    }
    if let Some(notice) = dropped_notice(&notes) {
        lab.notice.update(|n| *n = Some(n.take().map_or(notice.clone(), |n| format!("{n} {notice}"))));
    }
}

/// Copies the link of the view to the clipboard; where the browser refuses, shows the link in a
/// selected field to copy by hand.
#[component]
pub(crate) fn CopyLink() -> impl IntoView {
    let lab = use_lab();
    // Some(None): copied; Some(Some(url)): the clipboard refused, copy by hand.
    let outcome = RwSignal::new(None::<Option<String>>);
    let copy = move |_| {
        write_link_now(lab);
        let Some(href) = location().and_then(|l| l.href().ok()) else { return };
        spawn_local(async move {
            let clipboard = web_sys::window().map(|w| field(&w.navigator(), "clipboard")).filter(|c| !c.is_undefined());
            let copied = match clipboard {
                Some(clipboard) => {
                    let clipboard: web_sys::Clipboard = clipboard.unchecked_into();
                    JsFuture::from(clipboard.write_text(&href)).await.is_ok()
                }
                None => false,
            };
            outcome.try_set(Some((!copied).then_some(href)));
            if copied {
                set_timeout(move || { outcome.try_set(None); }, std::time::Duration::from_millis(2500));
            }
        });
    };
    view! {
        <div class="share">
            <button data-testid="copy-link" on:click=copy>"Copy link"</button>
            {move || match outcome.get() {
                Some(None) => view! { <span class="copied" role="status" data-testid="copy-link-status">"Link copied"</span> }.into_any(),
                Some(Some(url)) => view! {
                    <label class="copy-fallback">
                        "The browser did not allow copying; copy this link:"
                        <input data-testid="copy-link-fallback" readonly prop:value=url
                            on:focus=move |ev| {
                                if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                    input.select();
                                }
                            }/>
                        <button class="link" on:click=move |_| outcome.set(None)>"Close"</button>
                    </label>
                }.into_any(),
                None => ().into_any(),
            }}
        </div>
    }
}
