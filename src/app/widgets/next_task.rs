//! Rendering in steps: a part of a view drawn one task after the rest.

use leptos::prelude::*;

/// Renders its children one task after the view around it: the page's first render is then
/// several short tasks, not one long one (a phone's main thread stays free for input;
/// Lighthouse's blocking time counts each task's length past 50 ms). What it holds comes below
/// what is already shown, so nothing on screen moves.
#[component]
pub(crate) fn NextTask(children: ChildrenFn) -> impl IntoView {
    let shown = RwSignal::new(false);
    set_timeout(move || shown.set(true), std::time::Duration::ZERO);
    move || shown.get().then(|| children())
}
