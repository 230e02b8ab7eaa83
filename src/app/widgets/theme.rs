//! The light and dark themes. The page follows the system's choice (`prefers-color-scheme`) until
//! the visitor presses the header's toggle; the choice is then kept in local storage, and the
//! loader (`www/loader.js`) applies it before the page is drawn, so a reload does not flash.
//! The colours themselves are the style sheet's custom properties (`www/css/style.css`).

use leptos::prelude::*;

use crate::engine::js_names::THEME;

fn system_prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

fn storage() -> Option<web_sys::Storage> {
    // Local storage can be refused (a private window, a blocked site): the toggle still works
    // for this visit.
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The theme the visitor chose here before, if any.
fn chosen() -> Option<bool> {
    match storage()?.get_item(THEME).ok().flatten()?.as_str() {
        "dark" => Some(true),
        "light" => Some(false),
        _ => None,
    }
}

fn apply(dark: bool) {
    let name = if dark { "dark" } else { "light" };
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-theme", name);
    }
    if let Some(storage) = storage() {
        let _ = storage.set_item(THEME, name);
    }
}

/// A toggle button: pressed means the dark theme.
#[component]
pub(crate) fn ThemeToggle() -> impl IntoView {
    let dark = RwSignal::new(chosen().unwrap_or_else(system_prefers_dark));
    view! {
        <button class="theme" data-testid="theme-toggle" aria-pressed=move || dark.get().to_string()
            title="Switch between the light and the dark theme"
            on:click=move |_| {
                let now = !dark.get_untracked();
                dark.set(now);
                apply(now);
            }>
            <span class="icon" aria-hidden="true">{move || if dark.get() { "☾" } else { "☀" }}</span>
            <span class="label">"Dark theme"</span>
        </button>
    }
}
