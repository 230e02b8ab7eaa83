//! What each active dimension of a model carries (latent 10's, named by the findings): the digit
//! decoded along one dimension at a time (the others at the prior's mean 0), decoded live by the
//! page's own model.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use super::figure::Figure;
use crate::app::context::use_lab;
use crate::app::timed::timed;
use crate::app::widgets::paint::{clear, paint_grid};
use crate::study::report::{PageFigure, Sweep};
use crate::study::Variant;

/// Steps along each dimension, from −2.5 to +2.5 (in the prior's standard deviations).
const STEPS: usize = 9;
const REACH: f32 = 2.5;

/// The latent codes of the sweep: one row of `STEPS` per dimension in `dims`, `latent` wide.
pub(crate) fn sweep_codes(dims: &[usize], latent: usize) -> Vec<f32> {
    let mut z = vec![0.0; dims.len() * STEPS * latent];
    for (row, &d) in dims.iter().enumerate() {
        for step in 0..STEPS {
            let value = -REACH + 2.0 * REACH * step as f32 / (STEPS - 1) as f32;
            z[(row * STEPS + step) * latent + d] = value;
        }
    }
    z
}

#[component]
pub fn LatentSweeps(figure: PageFigure, sweep: Sweep) -> impl IntoView {
    let lab = use_lab();
    let canvas = NodeRef::<html::Canvas>::new();
    let message = RwSignal::new(None::<String>);
    let Some(variant) = Variant::from_name(&sweep.variant) else {
        return view! { <p class="error">{format!("The sweep names an unknown model `{}`.", sweep.variant)}</p> }.into_any();
    };
    let latent = variant.latent_dim();
    let dims: Vec<usize> = sweep.dims.into_iter().filter(|&d| d < latent).collect();
    let rows = dims.len().max(1);
    let codes = sweep_codes(&dims, latent);
    lab.ensure_model(variant);
    Effect::new(move |_| {
        if !lab.ready(variant) {
            message.set(Some(lab.failure(variant).unwrap_or_else(|| lab.not_ready_message(variant))));
            return;
        }
        message.set(None);
        let codes = codes.clone();
        spawn_local(async move {
            if codes.is_empty() {
                return;
            }
            match timed(lab, async |engine| engine.decode(variant, &codes).await).await {
                Some(Ok(pixels)) => {
                    // The Report may be gone by now (a slow GPU readback, the visitor moved on):
                    // then there is nothing to paint.
                    if let Some(canvas) = canvas.try_get_untracked().flatten() {
                        clear(&canvas);
                        paint_grid(&canvas, &pixels, STEPS, 0);
                        let _ = canvas.set_attribute("data-painted", "true");
                    }
                }
                Some(Err(e)) => {
                    message.try_set(Some(format!("The sweep could not be decoded: {e}")));
                }
                None => {}
            }
        });
    });
    let PageFigure { name, title, reading, note, .. } = figure;
    view! {
        <Figure title name reading=Some(reading) note>
            <canvas node_ref=canvas class="digit-grid" data-testid="latent10-sweep" width=(STEPS * 28).to_string() height=(rows * 28).to_string()
                role="img" aria-label=format!("{rows} rows of {STEPS} digits: each row moves one latent dimension of the latent-10 model")></canvas>
            {move || message.get().map(|m| view! { <p class="status">{m}</p> })}
        </Figure>
    }
    .into_any()
}
