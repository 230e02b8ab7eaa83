//! Generate: digits decoded from z ~ N(0, T²·I), with a seed and a temperature T.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use crate::app::view::reading::named;
use crate::app::widgets::reading::reading;
use crate::app::widgets::paint::{context, paint_digit, paint_grid};
use crate::app::widgets::sources::prior_samples;
use crate::app::widgets::frame_runner::Latest;
use crate::app::context::use_lab;
use crate::app::timed::timed;
use crate::app::view::state::{InpaintSource, Mode, PriorSample};
use crate::data::PIXELS;
use crate::study::Variant;
use crate::app::view::state::ViewStateStoreFields;
use crate::app::view::store::ViewActions;

/// Samples per row and column of the grid.
pub(crate) const GRID: usize = crate::app::view::state::GENERATE_GRID;

#[component]
pub(crate) fn GenerateMode() -> impl IntoView {
    let lab = use_lab();
    let grid_ref = NodeRef::<html::Canvas>::new();
    let message = RwSignal::new(None::<String>);
    let settings = Memo::new(move |_| (lab.view.variant().get(), lab.view.seed().get(), lab.view.temperature().get()));
    // The grid on screen; the picked tile is the view's (a link names it).
    let shown = StoredValue::new(None::<(Variant, u64, f32, Vec<f32>)>);
    let grid_version = RwSignal::new(0u64);
    let picked_ref = NodeRef::<html::Canvas>::new();
    // Tile 1 until the visitor picks another: the panel beside the grid is never empty.
    let picked = Memo::new(move |_| {
        let tile = lab.view.picked().get().unwrap_or(0);
        let (variant, seed, temperature) = settings.get();
        PriorSample { variant, seed, temperature, tile }
    });
    // The picked digit's pixels once its grid is on screen, and which digit it looks like.
    let picked_pixels = RwSignal::new(None::<Vec<f32>>);
    let looks = reading(lab, picked_pixels.into());
    Effect::new(move |_| {
        grid_version.track();
        let sample = picked.get();
        let Some((variant, seed, temperature, pixels)) = shown.get_value() else { return };
        if (variant, seed, temperature) != (sample.variant, sample.seed, sample.temperature) {
            return;
        }
        let Some(digit) = pixels.get(sample.tile * PIXELS..(sample.tile + 1) * PIXELS) else { return };
        lab.generated.set(Some((sample, digit.to_vec())));
        picked_pixels.set(Some(digit.to_vec()));
        if let Some(canvas) = picked_ref.get_untracked() {
            paint_digit(&canvas, digit);
        }
        // The picked tile framed on the grid (the keyboard moves the frame).
        if let Some(canvas) = grid_ref.get_untracked() {
            paint_grid(&canvas, &pixels, GRID, 0);
            if let Some(ctx) = context(&canvas) {
                let (row, col) = ((sample.tile / GRID) as f64, (sample.tile % GRID) as f64);
                ctx.set_stroke_style_str("#ffb300");
                ctx.set_line_width(2.0);
                ctx.stroke_rect(col * 28.0 + 1.0, row * 28.0 + 1.0, 26.0, 26.0);
            }
        }
    });

    let latest = Latest::new();
    Effect::new(move |_| {
        let (variant, seed, temperature) = settings.get();
        if !lab.ready(variant) {
            message.try_set(Some("Waiting for the model…".into()));
            return;
        }
        let run = latest.begin();
        spawn_local(async move {
            let z = prior_samples(variant, seed, temperature);
            let result = timed(lab, async |engine| engine.decode(variant, &z).await).await;
            if !latest.is_current(run) {
                return;
            }
            match result {
                Some(Ok(pixels)) => {
                    if let Some(canvas) = grid_ref.try_get_untracked().flatten() {
                        paint_grid(&canvas, &pixels, GRID, 0);
                    }
                    shown.try_set_value(Some((variant, seed, temperature, pixels)));
                    grid_version.try_update(|v| *v += 1);
                    message.try_set(None);
                }
                Some(Err(e)) => { let _ = message.try_set(Some(e.to_string())); },
                None => {}
            }
        });
    });

    let on_click = move |ev: web_sys::MouseEvent| {
        let Some(canvas) = grid_ref.get() else { return };
        let rect = canvas.get_bounding_client_rect();
        let col = ((ev.client_x() as f64 - rect.left()) / rect.width().max(1.0) * GRID as f64).floor();
        let row = ((ev.client_y() as f64 - rect.top()) / rect.height().max(1.0) * GRID as f64).floor();
        if !(0.0..GRID as f64).contains(&col) || !(0.0..GRID as f64).contains(&row) {
            return;
        }
        if shown.with_value(|s| s.is_some()) {
            lab.view.picked().set(Some(row as usize * GRID + col as usize));
        }
    };
    // The keyboard's route: the arrows move the pick over the grid (Home, End: first, last).
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let last = (GRID * GRID - 1) as isize;
        let now = lab.view.picked().get_untracked().unwrap_or(0) as isize;
        let next = match ev.key().as_str() {
            "Home" => 0,
            "End" => last,
            "ArrowLeft" => now - 1,
            "ArrowRight" => now + 1,
            "ArrowUp" => now - GRID as isize,
            "ArrowDown" => now + GRID as isize,
            _ => return,
        };
        ev.prevent_default();
        // Before the grid is on screen too: the pick shows once it is.
        lab.view.picked().set(Some(next.clamp(0, last) as usize));
    };
    let open = move |mode: Mode| {
        lab.view.source().set(InpaintSource::Generated(picked.get_untracked()));
        lab.view.mode().set(mode);
    };

    let side = (GRID * 28) as u32;
    view! {
        <section class="mode generate">
            <div class="panel">
                <canvas class="grid" data-testid="generate-grid" node_ref=grid_ref width=side height=side
                    tabindex="0" role="img"
                    aria-label=format!("{} digits decoded from random latent codes; click one, or use the arrow keys, to pick it", GRID * GRID)
                    on:click=on_click on:keydown=on_key></canvas>
                <p class="hint">{move || message.get().unwrap_or_else(|| "Click a digit to pick it (or Tab to the grid and use the arrow keys).".into())}</p>
            </div>
            <div class="panel picked">
                <canvas class="digit big" data-testid="generate-picked" node_ref=picked_ref width="28" height="28"
                    role="img" aria-label=move || named(format_args!("The picked digit: tile {} of the grid, enlarged", picked.get().tile + 1), looks.get())></canvas>
                <div class="picked-text">
                    <h2>"The picked digit"</h2>
                    <p class="hint" aria-live="polite">{move || {
                        let p = picked.get();
                        let chosen = if lab.view.picked().get().is_some() { "" } else { " (the first; pick another in the grid)" };
                        format!("Tile {}{chosen} of seed {}, decoded by the {} model.", p.tile + 1, p.seed, p.variant.label())
                    }}</p>
                    <p class="looks" data-testid="generate-looks" aria-live="polite">{move || looks.get().map(|words| format!("To the digit classifier it {words}."))}</p>
                    <button data-testid="generate-to-inpaint" on:click=move |_| open(Mode::Inpaint)>"Inpaint it"</button>
                    <button data-testid="generate-to-compare" on:click=move |_| open(Mode::Compare)>"Compare the models on it"</button>
                </div>
            </div>
            <div class="panel settings">
                <p>"Each tile decodes a latent code drawn from the prior N(0, T²·I). The study generated with the latent-10 model."</p>
                <label>"Seed "
                    <input type="number" min="0" data-testid="generate-seed"
                        prop:value=move || lab.view.seed().get().to_string()
                        on:change=move |ev| { if let Ok(seed) = event_target_value(&ev).trim().parse::<u64>() { { lab.view.seed().set(seed); lab.view.picked().set(None); } } }/>
                </label>
                <button data-testid="generate-new" on:click=move |_| { lab.view.seed().update(|s| *s = s.wrapping_add(1)); lab.view.picked().set(None); }>"New samples"</button>
                <label>{move || format!("Temperature T = {:.2} ", lab.view.temperature().get())}
                    <input type="range" min="0.1" max="2" step="0.05" data-testid="generate-temperature"
                        prop:value=move || lab.view.temperature().get().to_string()
                        on:input=move |ev| { if let Ok(t) = event_target_value(&ev).parse::<f32>() { { lab.view.temperature().set(t.clamp(0.1, 2.0)); lab.view.picked().set(None); } } }/>
                </label>
                <button on:click=move |_| lab.view.set_variant(Variant::Latent10)>"Use the latent-10 model"</button>
            </div>
        </section>
    }
}
