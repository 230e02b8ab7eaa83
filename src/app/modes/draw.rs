//! Draw: a digit drawn with pointer events, turned into an MNIST-style input and reconstructed
//! live (at most once per animation frame, never a queue of stale work).

use std::rc::Rc;

use leptos::html;
use leptos::prelude::*;

use crate::app::widgets::frame_runner::FrameRunner;
use crate::app::context::{Lab, use_lab};
use crate::app::timed::timed;
use crate::app::widgets::latent_map::{LatentMap, current_points};
use crate::app::widgets::next_task::NextTask;
use crate::app::widgets::paint::{clear, paint_digit};
use crate::app::widgets::pad::DrawingPad;
use crate::app::widgets::reading::reading;
use crate::app::widgets::sources::strokes_to_input;
use crate::app::view::state::{Stroke, latent_label};
use crate::app::view::state::ViewStateStoreFields;
use crate::study::Variant;

fn pen_points(strokes: &[Stroke]) -> usize {
    strokes.iter().map(Vec::len).sum()
}

#[component]
pub(crate) fn DrawMode() -> impl IntoView {
    let lab = use_lab();
    let training = crate::app::modes::train::run::use_training();
    let input_ref = NodeRef::<html::Canvas>::new();
    let recon_ref = NodeRef::<html::Canvas>::new();
    let message = RwSignal::new(Some("Draw a digit in the black square.".to_string()));
    let latent = RwSignal::new(None::<Vec<f32>>);
    // The reconstruction on screen, and which digit it looks like.
    let recon = RwSignal::new(None::<Vec<f32>>);
    let looks = reading(lab, recon.into());
    // The pen points of the drawing the reconstruction on screen was made from, and the model
    // that made it (its name says which; tests wait on both).
    let shown = RwSignal::new(None::<(usize, Variant)>);
    let runner = FrameRunner::default();

    let work: Rc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>> = Rc::new(move || {
        Box::pin(async move { reconstruct_drawing(lab, input_ref, recon_ref, message, (latent, recon), shown).await })
    });

    // Redraw and re-run whenever the strokes or the model change.
    let strokes = lab.view.strokes();
    {
        let runner = runner.clone();
        let work = work.clone();
        Effect::new(move |_| {
            let variant = lab.view.variant().get();
            // Rerun when the model becomes ready, or cannot load (a refused manifest, say).
            let _ready = lab.ready(variant);
            let _failure = lab.failure(variant);
            strokes.track();
            runner.request(work.clone());
        });
    }

    // What the reconstruction shows now, for its name; and, announced to a screen reader when a
    // stroke is added or taken back (not at every pen point), what the model made of it.
    let recon_label = move || match (latent.get(), shown.get()) {
        (Some(z), Some((_, variant))) => format!(
            "The {} model's reconstruction of your drawing{}, decoded from its latent mean z = {}",
            variant.label(),
            looks.get().map(|words| format!(": it {words}")).unwrap_or_default(),
            latent_label(&z)
        ),
        _ => "The reconstruction: nothing yet, draw a digit first".to_string(),
    };
    let announced = Memo::new(move |_| {
        let strokes = lab.view.strokes().with(Vec::len);
        let looks = looks.get().map(|words| format!(", which {words}")).unwrap_or_default();
        match (strokes, shown.get()) {
            (0, _) | (_, None) => String::new(),
            (1, Some((_, variant))) => format!("Reconstructed by the {} model: your drawing of 1 stroke{looks}.", variant.label()),
            (n, Some((_, variant))) => format!("Reconstructed by the {} model: your drawing of {n} strokes{looks}.", variant.label()),
        }
    });
    view! {
        <section class="mode draw">
            <p class="sr-only" role="status" data-testid="draw-announce">{move || announced.get()}</p>
            <div class="panel">
                <DrawingPad testid="draw-canvas" label="Drawing area: draw a digit with the mouse, a finger or a pen"/>
                <div class="buttons">
                    <button data-testid="draw-undo" on:click=move |_| lab.view.strokes().update(|s| { s.pop(); })>"Undo"</button>
                    <button data-testid="draw-clear" on:click=move |_| lab.view.strokes().update(|s| s.clear())>"Clear"</button>
                    <button data-testid="draw-add-training" title="Collect this digit for training a model on your handwriting (Train tab)"
                        disabled=move || lab.view.strokes().with(Vec::is_empty)
                        on:click=move |_| {
                            if let Some(input) = lab.view.strokes().with_untracked(|s| strokes_to_input(s)) {
                                training.drawings.update(|d| d.push(input));
                                // Ready for the next digit.
                                lab.view.strokes().set(Vec::new());
                            }
                        }>"Add to my training digits"</button>
                </div>
                <p class="small" data-testid="draw-training-count">{move || match training.drawings.with(Vec::len) {
                    0 => String::new(),
                    1 => "1 digit of yours collected for training (Train tab).".into(),
                    n => format!("{n} digits of yours collected for training (Train tab)."),
                }}</p>
            </div>
            <div class="panel">
                <figure>
                    <canvas class="digit" data-testid="model-input" node_ref=input_ref width="28" height="28"
                        role="img" aria-label=move || if lab.view.strokes().with(|s| s.is_empty()) { "The model's input: empty, nothing drawn yet".to_string() } else { "The model's input: your drawing as 28×28 pixels".to_string() }
                        data-points=move || lab.view.strokes().with(|s| pen_points(s))></canvas>
                    <figcaption>"Model input (28×28)"</figcaption>
                </figure>
                <figure>
                    <canvas class="digit big" data-testid="reconstruction" node_ref=recon_ref width="28" height="28"
                        role="img" aria-label=recon_label
                        data-points=move || shown.get().map_or(0, |(points, _)| points)
                        data-variant=move || shown.get().map(|(_, variant)| variant.to_string())></canvas>
                    <figcaption>"Reconstruction"
                        {move || shown.get().is_some().then(|| looks.get()).flatten().map(|words| view! {
                            <span class="looks" data-testid="draw-looks">{format!(" · {words}")}</span>
                        })}
                    </figcaption>
                </figure>
                <p class="hint" data-testid="draw-message" aria-live="polite">{move || message.get()}</p>
                <p class="latent" data-testid="draw-latent">{move || latent.get().map(|z| format!("Latent mean z = {}", latent_label(&z)))}</p>
            </div>
            // Below the rest, a task later (the page's first render in shorter tasks).
            <NextTask>{move || (lab.view.variant().get().latent_dim() == 2).then(|| view! { <DrawingOnMap latent=latent/> })}</NextTask>
        </section>
    }
}

/// Where the drawing lands among the test digits (latent-2 models).
#[component]
fn DrawingOnMap(latent: RwSignal<Option<Vec<f32>>>) -> impl IntoView {
    let lab = use_lab();
    let (loaded, points) = current_points(lab);
    let marker = Signal::derive(move || latent.with(|z| z.as_ref().filter(|z| z.len() == 2).map(|z| (z[0], z[1]))));
    view! {
        <div class="panel">
            <h2>"Your digit among the test digits"</h2>
            <LatentMap points=points marker=marker size=280 testid="draw-latent-map"
                label="The drawing's latent mean (white ring) among the test digits' means, coloured by label"/>
            <p class="hint">{move || match loaded.get() {
                Some(Err(e)) => e,
                _ => "Dots are test digits' latent means, coloured by label; once you draw, a white ring marks your drawing's.".into(),
            }}</p>
        </div>
    }
}

async fn reconstruct_drawing(
    lab: Lab,
    input_ref: NodeRef<html::Canvas>,
    recon_ref: NodeRef<html::Canvas>,
    message: RwSignal<Option<String>>,
    (latent, recon): (RwSignal<Option<Vec<f32>>>, RwSignal<Option<Vec<f32>>>),
    shown: RwSignal<Option<(usize, Variant)>>,
) {
    let (strokes, variant) = (lab.view.strokes().get_untracked(), lab.view.variant().get_untracked());
    let points = pen_points(&strokes);
    let Some(input) = strokes_to_input(&strokes) else {
        for canvas in [input_ref.try_get_untracked().flatten(), recon_ref.try_get_untracked().flatten()].into_iter().flatten() {
            clear(&canvas);
        }
        latent.try_set(None);
        recon.try_set(None);
        shown.try_set(None);
        // A model that failed to load says so at once, not only after a stroke.
        let text = match lab.failure_untracked(variant) {
            Some(failure) => failure,
            None => "Draw a digit in the black square.".into(),
        };
        message.try_set(Some(text));
        return;
    };
    if let Some(canvas) = input_ref.try_get_untracked().flatten() {
        paint_digit(&canvas, &input);
    }
    if !lab.ready_untracked(variant) {
        message.try_set(Some(lab.not_ready_message(variant)));
        return;
    }
    let result = timed(lab, async |engine| {
        engine.reconstruct_with_mean(variant, &input).await
    })
    .await;
    match result {
        Some(Ok((out, mean))) => {
            if let Some(canvas) = recon_ref.try_get_untracked().flatten() {
                paint_digit(&canvas, &out);
            }
            // The drawing's point is the one the latent map marks (and Explore starts from).
            if mean.len() == 2 {
                lab.view.latent().set(mean.clone());
            }
            latent.try_set(Some(mean));
            recon.try_set(Some(out));
            shown.try_set(Some((points, variant)));
            message.try_set(None);
        }
        Some(Err(e)) => { let _ = message.try_set(Some(e.to_string())); },
        None => { let _ = message.try_set(Some("Starting…".into())); },
    }
}
