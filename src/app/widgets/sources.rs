//! What the modes take as input: the drawing as a model input (drawn as MNIST was made), a
//! shipped test digit, a digit of the Generate grid (its prior samples, the same on every
//! backend), and the button that picks the generated one.

use leptos::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};
use web_sys::HtmlCanvasElement;

use crate::app::context::{Lab, use_lab};
use crate::app::widgets::paint::{clear, context};
use crate::app::view::state::{GENERATE_TILES, InpaintSource, Stroke};
use crate::data::canvas::{rasterize_strokes, to_mnist};
use crate::study::Variant;
use crate::app::view::state::ViewStateStoreFields;

/// Side of the drawing canvas in canvas pixels.
pub(crate) const SIDE: u32 = 280;
/// Pen width: MNIST strokes are ~2.5 px of a 20 px digit, so ~1/10 of a digit drawn large.
const PEN: f64 = 22.0;

/// Draws the strokes, white on black.
pub(crate) fn render_strokes(canvas: &HtmlCanvasElement, strokes: &[Stroke]) {
    clear(canvas);
    let Some(ctx) = context(canvas) else { return };
    let side = canvas.width() as f64;
    ctx.set_stroke_style_str("#fff");
    ctx.set_fill_style_str("#fff");
    ctx.set_line_width(PEN * side / SIDE as f64);
    ctx.set_line_cap("round");
    ctx.set_line_join("round");
    for stroke in strokes {
        let Some(&(x0, y0)) = stroke.first() else { continue };
        if stroke.len() == 1 {
            ctx.begin_path();
            let _ = ctx.arc(x0 as f64 * side, y0 as f64 * side, PEN * side / SIDE as f64 / 2.0, 0.0, std::f64::consts::TAU);
            ctx.fill();
            continue;
        }
        ctx.begin_path();
        ctx.move_to(x0 as f64 * side, y0 as f64 * side);
        for &(x, y) in &stroke[1..] {
            ctx.line_to(x as f64 * side, y as f64 * side);
        }
        ctx.stroke();
    }
}

/// The model input of a set of strokes (rasterized in Rust, the same in every browser), or
/// `None` when there is no ink.
pub(crate) fn strokes_to_input(strokes: &[Stroke]) -> Option<Vec<f32>> {
    let side = SIDE as usize;
    to_mnist(&rasterize_strokes(strokes, side, PEN as f32), side, side)
}

/// The image the view's source names (a shipped test digit, the drawing or a generated digit);
/// `None` until the gallery (or the generated digit) is loaded, or when the drawing is empty.
pub(crate) fn source_image(lab: Lab) -> Option<Vec<f32>> {
    match lab.view.source().get() {
        InpaintSource::Drawing => lab.view.strokes().with(|strokes| strokes_to_input(strokes)),
        InpaintSource::Test(index) => lab.gallery.with(|g| match g {
            Some(Ok(g)) => g.by_test_index(index),
            _ => None,
        }),
        InpaintSource::Generated(sample) => {
            lab.generated.with(|g| g.as_ref().filter(|(k, _)| *k == sample).map(|(_, pixels)| pixels.clone()))
        }
    }
}

/// The prior samples of a seed: `GENERATE_TILES × latent` values, the same on every backend.
pub fn prior_samples(variant: Variant, seed: u64, temperature: f32) -> Vec<f32> {
    let latent = variant.latent_dim();
    let mut rng = StdRng::seed_from_u64(seed);
    (0..GENERATE_TILES * latent)
        .map(|_| {
            let v: f32 = StandardNormal.sample(&mut rng);
            v * temperature
        })
        .collect()
}

/// Selects the digit last picked in Generate (shown only once one was picked, or when the view
/// names one).
#[component]
pub(crate) fn GeneratedSourceButton() -> impl IntoView {
    let lab = use_lab();
    let sample = move || match lab.view.source().get() {
        InpaintSource::Generated(sample) => Some(sample),
        _ => lab.generated.with(|g| g.as_ref().map(|(k, _)| *k)),
    };
    move || sample().map(|sample| view! {
        <button data-testid="source-generated"
            class:active=move || lab.view.source().get() == InpaintSource::Generated(sample)
            on:click=move |_| lab.view.source().set(InpaintSource::Generated(sample))>
            "Generated digit"
        </button>
    })
}
