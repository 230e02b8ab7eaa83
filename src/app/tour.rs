//! The guided tour on the page: a panel kept in sight at the bottom of the window while the tour
//! drives the view (`view::tour` holds the steps), with back / next (buttons, ← and → keys), the
//! steps as a row of dots, and leave / resume.

use leptos::prelude::*;

use crate::app::context::{Lab, use_lab};
use crate::app::view::state::ViewStateStoreFields;
use crate::app::view::store::ViewActions;
use crate::app::view::tour::{STEPS, Step, go_to};
use crate::study::Variant;

/// Moves the tour to step `n` (1-based), showing its view, and brings its subject into sight.
fn go(lab: Lab, n: usize) {
    let Some(state) = go_to(&lab.view.get_untracked(), n) else { return };
    lab.view.apply(state);
    let focus = STEPS.get(n - 1).and_then(|s| s.focus);
    // Once the mode has drawn (a model may still be loading: try for a few seconds).
    bring_into_sight(focus, 20);
}

/// Scrolls the element with `data-testid` = `focus` into view (or the page to its top), trying
/// again every 250 ms until it exists.
fn bring_into_sight(focus: Option<&'static str>, tries: u32) {
    set_timeout(
        move || {
            let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
            match focus {
                None => {
                    if let Some(w) = web_sys::window() {
                        w.scroll_to_with_x_and_y(0.0, 0.0);
                    }
                }
                Some(id) => match document.query_selector(&format!("[data-testid={id}]")).ok().flatten() {
                    Some(element) => element.scroll_into_view(),
                    None if tries > 0 => bring_into_sight(focus, tries - 1),
                    None => {}
                },
            }
        },
        std::time::Duration::from_millis(250),
    );
}

/// The study's final loss beside ours for `variant`.
fn numbers(lab: Lab, variant: Variant) -> Option<String> {
    let study = variant.study()?;
    let ours = lab.metrics.with(|m| m.get(&variant).map(|m| m.final_train_loss));
    Some(match ours {
        Some(ours) => format!(
            "Final training loss of {} (lower is better): the study {:.2}, ours {ours:.2}, both after 30 epochs (passes over the training digits); the study trained on all 70,000 digits, we on the 60,000 training digits.",
            variant.label(),
            study.final_loss
        ),
        None => format!("Final training loss of {} (lower is better): the study {:.2} (ours is loading).", variant.label(), study.final_loss),
    })
}

/// What our runs found about latent sizes: the loss on held-out digits per size.
fn latent_sizes(lab: Lab) -> Option<String> {
    let sizes: Vec<String> = lab.metrics.with(|m| {
        let mut by_size: Vec<(usize, f64)> = m
            .iter()
            .filter(|(v, _)| !matches!(v, Variant::Yours(_) | Variant::Mse | Variant::Deeper))
            .map(|(v, m)| (v.latent_dim(), m.final_test_loss))
            .collect();
        by_size.sort_by_key(|&(d, _)| d);
        by_size.into_iter().map(|(d, loss)| format!("{d}: {loss:.1}")).collect()
    });
    (!sizes.is_empty()).then(|| format!("Our runs, loss on the 10,000 held-out test digits by latent size — {}.", sizes.join(", ")))
}

/// Whether a key press is meant for the tour: not typed into a field, not held with a modifier.
fn for_the_tour(ev: &web_sys::KeyboardEvent) -> bool {
    if ev.alt_key() || ev.ctrl_key() || ev.meta_key() || ev.shift_key() {
        return false;
    }
    let active = web_sys::window().and_then(|w| w.document()).and_then(|d| d.active_element());
    match active {
        None => true,
        Some(element) => {
            let tag = element.tag_name().to_ascii_lowercase();
            let in_tour = element.closest("[data-testid=tour]").ok().flatten().is_some();
            in_tour && tag != "input" || tag == "body"
        }
    }
}

/// The tour's panel while it is taken.
#[component]
pub(crate) fn TourPanel() -> impl IntoView {
    let lab = use_lab();
    let tour = lab.view.tour();
    let _keys = window_event_listener(leptos::ev::keydown, move |ev| {
        let Some(n) = tour.get_untracked() else { return };
        if !for_the_tour(&ev) {
            return;
        }
        match ev.key().as_str() {
            "ArrowRight" if n < STEPS.len() => go(lab, n + 1),
            "ArrowLeft" if n > 1 => go(lab, n - 1),
            _ => return,
        }
        ev.prevent_default();
    });
    // A link that opens on a step brings its subject into sight too.
    if let Some(n) = tour.get_untracked() {
        bring_into_sight(STEPS.get(n.saturating_sub(1)).and_then(|s| s.focus), 20);
    }
    // The step's text can be folded away (on a phone the panel covers part of the view it drives).
    let folded = RwSignal::new(false);
    let leave = move || {
        lab.tour_left.set(tour.get_untracked());
        tour.set(None);
    };
    move || {
        let n = tour.get()?;
        let step: Step = *STEPS.get(n.checked_sub(1)?)?;
        let extra = match step.compare {
            Some(variant) => numbers(lab, variant),
            None if n == STEPS.len() => latent_sizes(lab),
            None => None,
        };
        Some(view! {
            <aside class="tour" data-testid="tour" data-step=n aria-label="Guided tour of the study">
                <div class="tour-head">
                    <p class="progress" data-testid="tour-progress">{format!("Tour · step {n} of {}", STEPS.len())}</p>
                    <ol class="dots">
                        {(1..=STEPS.len()).map(|k| view! {
                            <li><button class:done=k < n aria-current=(k == n).then_some("step")
                                aria-label=format!("Step {k}: {}", STEPS[k - 1].title)
                                on:click=move |_| go(lab, k)></button></li>
                        }).collect_view()}
                    </ol>
                    <button class="link" data-testid="tour-fold" aria-expanded=move || (!folded.get()).to_string()
                        aria-controls="tour-text" on:click=move |_| folded.update(|f| *f = !*f)>
                        {move || if folded.get() { "Show the text" } else { "Hide the text" }}
                    </button>
                    <button class="link" data-testid="tour-leave" on:click=move |_| leave()>"Leave the tour"</button>
                </div>
                // Scrolls when the panel is short (a phone): focusable, so a keyboard can scroll it.
                <div class="tour-body" aria-live="polite" tabindex="0">
                    <h2 data-testid="tour-title">{step.title}</h2>
                    <div id="tour-text" class:hidden=move || folded.get()>
                        <p class="tour-text">{step.text}</p>
                        {extra.map(|e| view! { <p class="tour-numbers" data-testid="tour-numbers">{e}</p> })}
                    </div>
                </div>
                <div class="buttons">
                    <button data-testid="tour-back" disabled=n == 1 on:click=move |_| go(lab, n - 1)>"← Back"</button>
                    {if n < STEPS.len() {
                        view! { <button class="active" data-testid="tour-next" on:click=move |_| go(lab, n + 1)>"Next →"</button> }.into_any()
                    } else {
                        view! { <button class="active" data-testid="tour-next" on:click=move |_| leave()>"Finish"</button> }.into_any()
                    }}
                    <span class="hint">"Keys: ← and →. Try the page at any step; Next moves on."</span>
                </div>
            </aside>
        })
    }
}

/// The button that starts the tour, or resumes it where it was left.
#[component]
pub(crate) fn TourButton() -> impl IntoView {
    let lab = use_lab();
    move || {
        if lab.view.tour().get().is_some() {
            return None;
        }
        // A phone shows the short label (the header has one row there).
        let (long, short) = match lab.tour_left.get() {
            Some(n) if n < STEPS.len() => (format!("Resume the tour (step {n})"), format!("Tour, step {n}")),
            _ => ("Take the guided tour".to_string(), "Tour".to_string()),
        };
        Some(view! {
            <button class="tour-start" data-testid="tour-start" on:click=move |_| {
                let n = lab.tour_left.get_untracked().filter(|&n| n < STEPS.len()).unwrap_or(1);
                go(lab, n);
            }><span class="long">{long}</span><span class="short">{short}</span></button>
        })
    }
}
