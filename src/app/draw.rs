//! Draw: a digit drawn with pointer events, turned into an MNIST-style input and reconstructed
//! live (at most once per animation frame, never a queue of stale work).

use std::cell::Cell;
use std::rc::Rc;

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{HtmlCanvasElement, PointerEvent};

use super::latent_map::{LatentMap, current_points};
use super::paint::{clear, context, paint_digit};
use super::shell::{Lab, timed, use_lab};
use super::state::{Stroke, latent_label};
use crate::data::canvas::to_mnist;

/// Side of the drawing canvas in canvas pixels.
const SIDE: u32 = 280;
/// Pen width: MNIST strokes are ~2.5 px of a 20 px digit, so ~1/10 of a digit drawn large.
const PEN: f64 = 22.0;

/// Draws the strokes, white on black.
pub fn render_strokes(canvas: &HtmlCanvasElement, strokes: &[Stroke]) {
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

/// The ink of a drawing canvas (red channel, 0..1), for [`to_mnist`].
pub fn read_ink(canvas: &HtmlCanvasElement) -> Option<Vec<f32>> {
    let ctx = context(canvas)?;
    let (w, h) = (canvas.width(), canvas.height());
    let data = ctx.get_image_data(0.0, 0.0, w as f64, h as f64).ok()?.data();
    Some(data.chunks(4).map(|p| p[0] as f32 / 255.0).collect())
}

/// The model input of a set of strokes, drawn off-screen; `None` when there is no ink.
pub fn strokes_to_input(strokes: &[Stroke]) -> Option<Vec<f32>> {
    let document = web_sys::window()?.document()?;
    let canvas: HtmlCanvasElement = wasm_bindgen::JsCast::dyn_into(document.create_element("canvas").ok()?).ok()?;
    canvas.set_width(SIDE);
    canvas.set_height(SIDE);
    render_strokes(&canvas, strokes);
    to_mnist(&read_ink(&canvas)?, SIDE as usize, SIDE as usize)
}

fn pen_points(strokes: &[Stroke]) -> usize {
    strokes.iter().map(Vec::len).sum()
}

fn point(canvas: &HtmlCanvasElement, ev: &PointerEvent) -> (f32, f32) {
    let rect = canvas.get_bounding_client_rect();
    let x = (ev.client_x() as f64 - rect.left()) / rect.width().max(1.0);
    let y = (ev.client_y() as f64 - rect.top()) / rect.height().max(1.0);
    (x.clamp(0.0, 1.0) as f32, y.clamp(0.0, 1.0) as f32)
}

/// Runs the latest request once per animation frame; requests made while one runs collapse into
/// a single rerun with the newest input.
#[derive(Clone, Default)]
pub struct FrameRunner {
    pending: Rc<Cell<bool>>,
    running: Rc<Cell<bool>>,
}

impl FrameRunner {
    /// Asks for `work` to run with the newest state.
    pub fn request(&self, work: Rc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>>) {
        self.pending.set(true);
        if self.running.get() {
            return;
        }
        self.running.set(true);
        let this = self.clone();
        request_animation_frame(move || {
            spawn_local(async move {
                while this.pending.replace(false) {
                    work().await;
                }
                this.running.set(false);
            });
        });
    }
}

#[component]
pub fn DrawMode() -> impl IntoView {
    let lab = use_lab();
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let input_ref = NodeRef::<html::Canvas>::new();
    let recon_ref = NodeRef::<html::Canvas>::new();
    let drawing = StoredValue::new(false);
    let message = RwSignal::new(Some("Draw a digit in the black square.".to_string()));
    let latent = RwSignal::new(None::<Vec<f32>>);
    // Pen points of the drawing the reconstruction on screen was made from (tests wait on it).
    let shown_points = RwSignal::new(0usize);
    let runner = FrameRunner::default();

    let work: Rc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>> = Rc::new(move || {
        Box::pin(async move { reconstruct_drawing(lab, input_ref, recon_ref, message, latent, shown_points).await })
    });

    // Redraw and re-run whenever the strokes or the model change.
    let strokes = Memo::new(move |_| lab.state.with(|s| s.strokes.clone()));
    {
        let runner = runner.clone();
        let work = work.clone();
        Effect::new(move |_| {
            let strokes = strokes.get();
            let variant = lab.state.with(|s| s.variant());
            let _ready = lab.ready(variant);
            if let Some(canvas) = canvas_ref.get() {
                render_strokes(&canvas, &strokes);
            }
            runner.request(work.clone());
        });
    }

    let on_down = move |ev: PointerEvent| {
        let Some(canvas) = canvas_ref.get() else { return };
        ev.prevent_default();
        let _ = canvas.set_pointer_capture(ev.pointer_id());
        drawing.set_value(true);
        let p = point(&canvas, &ev);
        lab.update(|s| s.strokes.push(vec![p]));
    };
    let on_move = move |ev: PointerEvent| {
        if !drawing.get_value() {
            return;
        }
        let Some(canvas) = canvas_ref.get() else { return };
        let p = point(&canvas, &ev);
        lab.update(|s| {
            if let Some(stroke) = s.strokes.last_mut() {
                stroke.push(p);
            }
        });
    };
    let on_up = move |_ev: PointerEvent| drawing.set_value(false);

    view! {
        <section class="mode draw">
            <div class="panel">
                <canvas class="pad" data-testid="draw-canvas" node_ref=canvas_ref width=SIDE height=SIDE
                    aria-label="Drawing area: draw a digit with the mouse, a finger or a pen"
                    on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up on:pointercancel=on_up
                    on:pointerleave=on_up></canvas>
                <div class="buttons">
                    <button data-testid="draw-undo" on:click=move |_| lab.update(|s| { s.strokes.pop(); })>"Undo"</button>
                    <button data-testid="draw-clear" on:click=move |_| lab.update(|s| s.strokes.clear())>"Clear"</button>
                </div>
            </div>
            <div class="panel">
                <figure>
                    <canvas class="digit" data-testid="model-input" node_ref=input_ref width="28" height="28"
                        data-points=move || lab.state.with(|s| pen_points(&s.strokes))></canvas>
                    <figcaption>"Model input (28×28)"</figcaption>
                </figure>
                <figure>
                    <canvas class="digit big" data-testid="reconstruction" node_ref=recon_ref width="28" height="28"
                        data-points=move || shown_points.get()></canvas>
                    <figcaption>"Reconstruction"</figcaption>
                </figure>
                <p class="hint" data-testid="draw-message">{move || message.get()}</p>
                <p class="latent" data-testid="draw-latent">{move || latent.get().map(|z| format!("Latent mean z = {}", latent_label(&z)))}</p>
            </div>
            {move || (lab.state.with(|s| s.variant()).config().latent_dim == 2).then(|| view! { <DrawingOnMap latent=latent/> })}
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
                _ => "The white ring is your drawing's latent mean; dots are test digits by label.".into(),
            }}</p>
        </div>
    }
}

async fn reconstruct_drawing(
    lab: Lab,
    input_ref: NodeRef<html::Canvas>,
    recon_ref: NodeRef<html::Canvas>,
    message: RwSignal<Option<String>>,
    latent: RwSignal<Option<Vec<f32>>>,
    shown_points: RwSignal<usize>,
) {
    let (strokes, variant) = lab.state.with_untracked(|s| (s.strokes.clone(), s.variant()));
    let points = pen_points(&strokes);
    let Some(input) = strokes_to_input(&strokes) else {
        for canvas in [input_ref.try_get_untracked().flatten(), recon_ref.try_get_untracked().flatten()].into_iter().flatten() {
            clear(&canvas);
        }
        latent.try_set(None);
        shown_points.try_set(0);
        message.try_set(Some("Draw a digit in the black square.".into()));
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
                lab.update(|s| s.latent = mean.clone());
            }
            latent.try_set(Some(mean));
            shown_points.try_set(points);
            message.try_set(None);
        }
        Some(Err(e)) => { let _ = message.try_set(Some(e.to_string())); },
        None => { let _ = message.try_set(Some("Starting…".into())); },
    }
}
