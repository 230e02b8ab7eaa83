//! Generate: digits decoded from z ~ N(0, T²·I), with a seed and a temperature T.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

use super::paint::paint_grid;
use super::shell::{timed, use_lab};
use crate::model::Variant;

/// Samples per row and column of the grid.
pub const GRID: usize = 8;

/// The prior samples of a seed: `GRID² × latent` values, the same on every backend.
pub fn prior_samples(variant: Variant, seed: u64, temperature: f32) -> Vec<f32> {
    let latent = variant.config().latent_dim;
    let mut rng = StdRng::seed_from_u64(seed);
    (0..GRID * GRID * latent)
        .map(|_| {
            let v: f32 = StandardNormal.sample(&mut rng);
            v * temperature
        })
        .collect()
}

#[component]
pub fn GenerateMode() -> impl IntoView {
    let lab = use_lab();
    let grid_ref = NodeRef::<html::Canvas>::new();
    let message = RwSignal::new(None::<String>);
    let settings = Memo::new(move |_| lab.state.with(|s| (s.variant(), s.seed, s.temperature)));

    Effect::new(move |_| {
        let (variant, seed, temperature) = settings.get();
        if !lab.ready(variant) {
            message.try_set(Some("Waiting for the model…".into()));
            return;
        }
        spawn_local(async move {
            let z = prior_samples(variant, seed, temperature);
            match timed(lab, async |engine| engine.decode(variant, &z).await).await {
                Some(Ok(pixels)) => {
                    if let Some(canvas) = grid_ref.try_get_untracked().flatten() {
                        paint_grid(&canvas, &pixels, GRID, 0);
                    }
                    message.try_set(None);
                }
                Some(Err(e)) => { let _ = message.try_set(Some(e.to_string())); },
                None => {}
            }
        });
    });

    let side = (GRID * 28) as u32;
    view! {
        <section class="mode generate">
            <div class="panel">
                <canvas class="grid" data-testid="generate-grid" node_ref=grid_ref width=side height=side
                    aria-label="Digits decoded from random latent codes"></canvas>
                <p class="hint">{move || message.get()}</p>
            </div>
            <div class="panel settings">
                <p>"Each tile decodes a latent code drawn from the prior N(0, T²·I). The study generated with the latent-10 model."</p>
                <label>"Seed "
                    <input type="number" min="0" data-testid="generate-seed"
                        prop:value=move || lab.state.with(|s| s.seed.to_string())
                        on:change=move |ev| { if let Ok(seed) = event_target_value(&ev).trim().parse::<u64>() { lab.update(|s| s.seed = seed) } }/>
                </label>
                <button data-testid="generate-new" on:click=move |_| lab.update(|s| s.seed = s.seed.wrapping_add(1))>"New samples"</button>
                <label>{move || format!("Temperature T = {:.2} ", lab.state.with(|s| s.temperature))}
                    <input type="range" min="0.1" max="2" step="0.05" data-testid="generate-temperature"
                        prop:value=move || lab.state.with(|s| s.temperature.to_string())
                        on:input=move |ev| { if let Ok(t) = event_target_value(&ev).parse::<f32>() { lab.update(|s| s.temperature = t) } }/>
                </label>
                <button on:click=move |_| lab.update(|s| s.set_variant(Variant::Latent10))>"Use the latent-10 model"</button>
            </div>
        </section>
    }
}
