//! Inside: the current model seen from inside, live on one input (a test digit, the drawing or
//! a generated digit). Left to right, every stage as the model's configuration makes it
//! (`pipeline`), the code μ, σ, ε and z with the samples z ~ N(μ, σ²) decoded (`code`), and the
//! loss of this digit split as the trainer computes it (`loss`).

mod code;
mod loss;
mod pipeline;

use std::rc::Rc;

use leptos::html;
use leptos::prelude::*;

use crate::app::context::{Lab, use_lab};
use crate::app::timed::timed;
use crate::app::view::state::InpaintSource;
use crate::app::view::state::ViewStateStoreFields;
use crate::app::widgets::frame_runner::{FrameRunner, Latest};
use crate::app::widgets::pad::DrawingPad;
use crate::app::widgets::paint::{clear, paint_digit};
use crate::app::widgets::sources::{GeneratedSourceButton, source_image};
use crate::engine::Inside;
use crate::engine::inside::{SAMPLES, epsilon, reparameterise};
use crate::study::Variant;

/// What the mode shows for the current input.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Seen {
    /// Which run of the mode computed it (counts up; the page's tests wait on it, and on `seed`).
    pub(crate) run: u64,
    /// The model it came from.
    pub(crate) variant: Variant,
    /// The seed of its ε.
    pub(crate) seed: u64,
    /// The input.
    pub(crate) image: Vec<f32>,
    /// Every stage, the code and the loss.
    pub(crate) inside: Inside,
    /// The draws z = μ + σ ⊙ εₖ (`SAMPLES` × latent).
    pub(crate) draws: Vec<f32>,
    /// The decode of μ, then one of each draw (`1 + SAMPLES` × 784).
    pub(crate) decodes: Vec<f32>,
    /// Each stage's largest value (maps are drawn on their stage's scale, 0 to it).
    pub(crate) peaks: Vec<f32>,
}

/// The mode's shared state: what is shown, and why nothing is.
#[derive(Clone, Copy)]
pub(crate) struct InsideView {
    pub(crate) seen: RwSignal<Option<Seen>>,
    pub(crate) message: RwSignal<Option<String>>,
}

#[component]
pub(crate) fn InsideMode() -> impl IntoView {
    let lab = use_lab();
    let shown = InsideView { seen: RwSignal::new(None), message: RwSignal::new(None) };
    let input_ref = NodeRef::<html::Canvas>::new();
    let output_ref = NodeRef::<html::Canvas>::new();
    Effect::new(move |_| {
        let Some(canvas) = output_ref.get() else { return };
        shown.seen.with(|seen| match seen.as_ref().and_then(|s| s.inside.stages.last()) {
            Some(output) => paint_digit(&canvas, output),
            None => clear(&canvas),
        });
    });
    // The headline, in words: what the digit became and what it cost.
    let summary = move || {
        shown.seen.with(|seen| {
            let seen = seen.as_ref()?;
            let mean: Vec<String> = seen.inside.mean.iter().map(|v| format!("{v:+.2}")).collect();
            Some(format!(
                "The encoder placed this digit at μ = ({}), give or take σ ≤ {:.3}. Its loss is {:.2}: {:.2} for redrawing errors + {:.2} KL. Below: how.",
                mean.join(", "),
                seen.inside.sigma().into_iter().fold(0.0f32, f32::max),
                seen.inside.loss(),
                seen.inside.recon(),
                seen.inside.kl_total()
            ))
        })
    };
    let runner = FrameRunner::default();
    let latest = Latest::new();
    let work: Rc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>> =
        Rc::new(move || Box::pin(async move { look_inside(lab, shown, input_ref, latest).await }));
    // Rerun when the input, the model, its readiness or ε change; at most once a frame (the pen
    // moves faster than that).
    Effect::new(move |_| {
        lab.view.source().track();
        lab.view.strokes().track();
        lab.view.eps_seed().track();
        lab.generated.track();
        lab.gallery.track();
        let variant = lab.view.variant().get();
        let _ready = lab.ready(variant);
        let _failure = lab.failure(variant);
        runner.request(work.clone());
    });
    let drawing = move || lab.view.source().get() == InpaintSource::Drawing;
    view! {
        <section class="mode inside" data-testid="inside"
            data-shown=move || shown.seen.with(|s| s.as_ref().map_or(0, |s| s.run))
            data-eps=move || shown.seen.with(|s| s.as_ref().map(|s| s.seed))>
            <div class="panel inside-input">
                <h2>"The input"</h2>
                <div class="gallery" role="group" aria-label="Input digit">
                    {[1098usize, 4865, 7584].into_iter().map(|index| view! {
                        <button data-testid=format!("inside-test-{index}")
                            class:active=move || lab.view.source().get() == InpaintSource::Test(index)
                            on:click=move |_| lab.view.source().set(InpaintSource::Test(index))>{format!("Test #{index}")}</button>
                    }).collect_view()}
                    <button data-testid="inside-drawing" class:active=drawing
                        on:click=move |_| lab.view.source().set(InpaintSource::Drawing)>"My drawing"</button>
                    <GeneratedSourceButton/>
                </div>
                <div class="inside-source">
                    {move || drawing().then(|| view! {
                        <div class="inside-pad">
                            <DrawingPad testid="inside-pad" label="Drawing area: draw a digit; the model below follows your pen"/>
                            <div class="buttons">
                                <button data-testid="inside-undo" on:click=move |_| lab.view.strokes().update(|s| { s.pop(); })>"Undo"</button>
                                <button data-testid="inside-clear" on:click=move |_| lab.view.strokes().update(|s| s.clear())>"Clear"</button>
                            </div>
                        </div>
                    })}
                    <figure>
                        <canvas class="digit big" data-testid="inside-input" node_ref=input_ref width="28" height="28"
                            role="img" aria-label="The model's input: the digit as 28×28 pixels"></canvas>
                        <figcaption>"Input (28×28)"</figcaption>
                    </figure>
                    <p class="arrow" aria-hidden="true">"→"</p>
                    <figure>
                        <canvas class="digit big" data-testid="inside-output" node_ref=output_ref width="28" height="28"
                            role="img" aria-label="The model's output: the digit decoded from z"></canvas>
                        <figcaption>"Output (decoded z)"</figcaption>
                    </figure>
                    <p class="summary" data-testid="inside-summary">{summary}</p>
                </div>
                <p class="hint" role="status" data-testid="inside-message">{move || shown.message.get()}</p>
            </div>
            <pipeline::Pipeline shown=shown/>
            <code::Code shown=shown/>
            <loss::Loss shown=shown/>
        </section>
    }
}

/// Runs the model on the current input and keeps what it saw.
async fn look_inside(lab: Lab, shown: InsideView, input_ref: NodeRef<html::Canvas>, latest: Latest) {
    let variant = lab.view.variant().get_untracked();
    let seed = lab.view.eps_seed().get_untracked();
    let image = source_image_untracked(lab);
    let Some(image) = image else {
        if let Some(canvas) = input_ref.try_get_untracked().flatten() {
            clear(&canvas);
        }
        shown.seen.try_set(None);
        let text = match lab.view.source().get_untracked() {
            InpaintSource::Drawing => "Draw a digit in the black square.".to_string(),
            _ => "Loading the digit…".to_string(),
        };
        shown.message.try_set(Some(lab.failure_untracked(variant).unwrap_or(text)));
        return;
    };
    if let Some(canvas) = input_ref.try_get_untracked().flatten() {
        paint_digit(&canvas, &image);
    }
    if !lab.ready_untracked(variant) {
        shown.message.try_set(Some(lab.not_ready_message(variant)));
        return;
    }
    let latent = variant.latent_dim();
    let eps = epsilon(seed, SAMPLES, latent);
    let run = latest.begin();
    if run == 0 {
        // The mode is gone (this frame's work started after it).
        return;
    }
    let result = timed(lab, async |engine| {
        let inside = engine.inside(variant, &image, &eps[..latent]).await?;
        // μ itself, then every draw: one batch.
        let draws = reparameterise(&inside.mean, &inside.log_var, &eps);
        let mut zs = inside.mean.clone();
        zs.extend_from_slice(&draws);
        let decodes = engine.decode(variant, &zs).await?;
        Ok((inside, draws, decodes))
    })
    .await;
    if !latest.is_current(run) {
        return;
    }
    match result {
        Some(Ok((inside, draws, decodes))) => {
            let peaks = inside.stages.iter().map(|s| s.iter().copied().fold(0.0f32, |m, v| m.max(v.abs()))).collect();
            shown.seen.try_set(Some(Seen { run, variant, seed, image, inside, draws, decodes, peaks }));
            shown.message.try_set(None);
        }
        Some(Err(e)) => {
            shown.message.try_set(Some(e.to_string()));
        }
        None => {
            shown.message.try_set(Some("Starting…".into()));
        }
    }
}

/// [`source_image`] without subscribing (the effect above subscribes to what it reads).
fn source_image_untracked(lab: Lab) -> Option<Vec<f32>> {
    untrack(|| source_image(lab))
}
