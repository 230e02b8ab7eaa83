//! The shell around the modes: header (tour, copy link, theme, backend badge), notices, model
//! picker and tabs, the model's status, file problems, the current mode, footer. An embed link
//! (`?embed=MODE`) gets the mode alone, under a one-line bar that opens the whole page.

use leptos::prelude::*;

use crate::app::context::{ModelStatus, use_lab};
use crate::app::view::state::Mode;
use crate::app::widgets::next_task::NextTask;
use crate::study::Variant;
use crate::app::view::state::ViewStateStoreFields;
use crate::app::view::store::ViewActions;

/// The page's layout.
#[component]
pub(crate) fn Shell() -> impl IntoView {
    let lab = use_lab();
    if lab.link.frame.get_value().embed {
        return view! { <Embedded/> }.into_any();
    }
    let mode = lab.view.mode();
    view! {
        <header class="top">
            <div class="brand">
                <h1>"VAE Lab"</h1>
                <p class="tagline">"Variational autoencoders on MNIST, running in your browser."</p>
            </div>
            <div class="actions">
                <crate::app::tour::TourButton/>
                <crate::app::view::share::CopyLink/>
                <crate::app::widgets::theme::ThemeToggle/>
                <div class="badge" data-testid="backend-badge" data-backend=move || lab.backend.get().unwrap_or_default()>
                    {move || match lab.backend.get() {
                        None => "Starting…".to_string(),
                        Some(label) => label,
                    }}
                    <span class="timing" data-testid="inference-time">
                        {move || lab.last_ms.get().map(|ms| format!(" · {ms:.1} ms")).unwrap_or_default()}
                    </span>
                </div>
            </div>
        </header>
        <Notice/>
        <nav class="controls">
            <VariantPicker/>
            // The ARIA tabs pattern: one tab stop; ← → (and Home, End) move to another mode.
            <div class="tabs" role="tablist" aria-label="Modes">
                {Mode::ALL.into_iter().map(|m| view! {
                    <button role="tab" id=format!("tab-{}", m.id()) data-testid=format!("tab-{}", m.id())
                        aria-controls="mode-panel"
                        aria-selected=move || (mode.get() == m).to_string()
                        tabindex=move || if mode.get() == m { "0" } else { "-1" }
                        class:active=move || mode.get() == m
                        on:click=move |_| mode.set(m)
                        on:keydown=move |ev| {
                            if let Some(next) = tab_key(m, &ev.key()) {
                                ev.prevent_default();
                                mode.set(next);
                                focus_tab(next);
                            }
                        }>
                        {m.label()}
                    </button>
                }).collect_view()}
            </div>
        </nav>
        <ModelStatusLine/>
        <ModelAnnouncement/>
        <FileProblems/>
        // The tab panel inside <main> (which may carry no other role).
        <main>
            <div id="mode-panel" role="tabpanel" aria-labelledby=move || format!("tab-{}", mode.get().id())>
                <NextTask><CurrentMode/></NextTask>
            </div>
        </main>
        <NextTask>
        <crate::app::tour::TourPanel/>
        <footer>
            <p>
                "A variational autoencoder squeezes each 28×28 digit into a few numbers (its latent code) and "
                "learns to draw digits back from them. This page reproduces the Keras "
                <a href="https://keras.io/examples/generative/vae/">"Variational AutoEncoder example"</a>
                " (“the study”), four variants of it and two more latent sizes, trained natively with burn and run here client-side: nothing leaves your browser."
            </p>
            <p class="small">
                "MNIST digits by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0). "
                "Models trained on the 60,000 training digits; the digits shown are from the 10,000 held-out test digits."
            </p>
        </footer>
        </NextTask>
    }.into_any()
}

/// An embed link's page: one mode, sized for an `<iframe>`, and a link that opens the same view
/// in the whole page (a new tab: the course page stays).
#[component]
fn Embedded() -> impl IntoView {
    let lab = use_lab();
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-embed", "true");
    }
    let whole_page = move || crate::app::view::share::whole_page_url(lab, &lab.view.get());
    view! {
        <header class="embed-bar">
            <h1>{move || format!("VAE Lab · {}", lab.view.mode().get().label())}</h1>
            <a data-testid="open-in-lab" href=whole_page target="_blank" rel="noopener">"Open in VAE Lab ↗"</a>
        </header>
        <Notice/>
        <ModelStatusLine/>
        <ModelAnnouncement/>
        <FileProblems/>
        <main id="mode-panel">
            <NextTask><CurrentMode/></NextTask>
        </main>
    }
}

#[component]
fn Notice() -> impl IntoView {
    let lab = use_lab();
    move || lab.notice.get().map(|n| view! {
        <p class="notice" role="status" data-testid="notice">{n}
            <button class="link" on:click=move |_| lab.notice.set(None)>"Dismiss"</button>
        </p>
    })
}

#[component]
fn FileProblems() -> impl IntoView {
    let lab = use_lab();
    move || {
        let problems = lab.file_problems.get();
        (!problems.is_empty()).then(|| view! {
            <div class="error problems" role="alert" data-testid="file-problems">
                <ul>{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                <button class="link" on:click=move |_| lab.file_problems.set(Vec::new())>"Dismiss"</button>
            </div>
        })
    }
}


/// The current mode, under its intro.
#[component]
fn CurrentMode() -> impl IntoView {
    let mode = use_lab().view.mode();
    view! {
        {move || view! { <crate::app::widgets::intro::ModeIntro mode=mode.get()/> }}
        // The mode a task after its intro (the first render's longest part, in two).
        <NextTask>{move || match mode.get() {
            Mode::Draw => view! { <crate::app::modes::draw::DrawMode/> }.into_any(),
            Mode::Inside => view! { <crate::app::modes::inside::InsideMode/> }.into_any(),
            Mode::Inpaint => view! { <crate::app::modes::inpaint::InpaintMode/> }.into_any(),
            Mode::Generate => view! { <crate::app::modes::generate::GenerateMode/> }.into_any(),
            Mode::Explore => view! { <crate::app::modes::explore::ExploreMode/> }.into_any(),
            Mode::Compare => view! { <crate::app::modes::compare::CompareMode/> }.into_any(),
            Mode::Report => view! { <crate::app::modes::report::ReportMode/> }.into_any(),
            Mode::Train => view! { <crate::app::modes::train::panel::TrainMode/> }.into_any(),
        }}</NextTask>
    }
}

/// The mode a key moves to from tab `m` (the ARIA tabs pattern: arrows wrap around).
fn tab_key(m: Mode, key: &str) -> Option<Mode> {
    let all = Mode::ALL;
    let at = all.iter().position(|&x| x == m)?;
    match key {
        "ArrowRight" => Some(all[(at + 1) % all.len()]),
        "ArrowLeft" => Some(all[(at + all.len() - 1) % all.len()]),
        "Home" => Some(all[0]),
        "End" => Some(all[all.len() - 1]),
        _ => None,
    }
}

fn focus_tab(m: Mode) {
    use wasm_bindgen::JsCast;
    let tab = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(&format!("tab-{}", m.id())));
    if let Some(tab) = tab.and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = tab.focus();
    }
}

#[component]
fn VariantPicker() -> impl IntoView {
    let lab = use_lab();
    view! {
        <label class="picker">
            <span>"Model"</span>
            <select data-testid="variant-picker"
                prop:value=move || lab.view.variant().get().key()
                on:change=move |ev| {
                    if let Some(v) = Variant::from_key(&event_target_value(&ev)) {
                        lab.view.set_variant(v);
                    }
                }>
                {move || lab.pickable_variants().into_iter().map(|v| view! {
                    <option value=v.key() selected=move || lab.view.variant().get() == v>{v.label()}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

/// The model's status for a screen reader, announced when it changes (loading, ready), not at
/// every progress step of a download.
#[component]
fn ModelAnnouncement() -> impl IntoView {
    let lab = use_lab();
    let said = Memo::new(move |_| {
        let variant = lab.view.variant().get();
        match lab.status.with(|s| s.get(&variant).cloned()) {
            Some(ModelStatus::Loading { .. }) => format!("Loading the {} model…", variant.label()),
            Some(ModelStatus::Ready) => format!("{} ready.", variant.label()),
            // The status line says it as an alert.
            Some(ModelStatus::Failed(_)) | None => String::new(),
        }
    });
    view! { <p class="sr-only" role="status" data-testid="model-announce">{move || said.get()}</p> }
}

#[component]
fn ModelStatusLine() -> impl IntoView {
    let lab = use_lab();
    move || {
        let variant = lab.view.variant().get();
        let manifest_error = lab.manifest.with(|m| match m {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        });
        if let Some(e) = manifest_error {
            return view! { <p class="error" role="alert" data-testid="model-error">{format!("The models could not be listed: {e}")}</p> }.into_any();
        }
        match lab.status.with(|s| s.get(&variant).cloned()) {
            Some(ModelStatus::Loading { received, total }) => view! {
                <div class="loading" data-testid="model-loading">
                    <span>{format!("Loading the {} model…", variant.label())}</span>
                    <progress max=total.max(1) value=received></progress>
                </div>
            }.into_any(),
            Some(ModelStatus::Failed(message)) => view! {
                <p class="error" role="alert" data-testid="model-error">{message}</p>
            }.into_any(),
            Some(ModelStatus::Ready) => {
                let epochs = lab.metrics.with(|m| m.get(&variant).map(|m| (m.epochs_done, m.protocol.epochs)));
                view! {
                    <p class="status" data-testid="model-ready">
                        {format!("{} ready", variant.label())}
                        {epochs.filter(|(d, t)| d < t).map(|(d, t)| format!(" · trained {d} of {t} epochs so far"))}
                    </p>
                }.into_any()
            }
            None => view! { <p class="status">"Preparing…"</p> }.into_any(),
        }
    }
}
