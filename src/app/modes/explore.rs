//! Explore: the latent space. Latent-2 models get the study's 30×30 manifold over [−1, 1]² and a
//! scatter of test-digit means by label; latent-1 a strip; latent-10 one slider per dimension
//! (most-used dimensions first, by KL). Hovering or dragging decodes that point live.

use std::rc::Rc;

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::{HtmlCanvasElement, PointerEvent};

use crate::app::widgets::frame_runner::{FrameRunner, Latest};
use crate::app::widgets::latent_map::{LatentMap, nearest, current_points};
use crate::app::widgets::paint::{clear, paint_digit, paint_grid};
use crate::app::view::reading::named;
use crate::app::widgets::reading::reading;
use crate::app::context::{Lab, use_lab};
use crate::app::timed::timed;
use crate::app::view::state::latent_label;
use crate::engine::web::yield_to_browser;
use crate::study::metrics::LatentPoints;
use crate::study::Variant;
use crate::app::view::state::ViewStateStoreFields;

/// Tiles per side of the manifold, as in the study.
pub(crate) const MANIFOLD: usize = 30;
/// Latents decoded per slice of work between yields to the browser.
const SLICE: usize = 90;

/// The study's grid: column j has z₁ = linspace(−1, 1)[j], row i has z₂ = linspace(1, −1)[i]
/// (top row z₂ = +1; the page counts dimensions from 1, the study's code indexes `z[:, 0]`).
pub(crate) fn manifold_latents(n: usize, span: f32) -> Vec<f32> {
    let at = |k: usize| -span + 2.0 * span * k as f32 / (n - 1) as f32;
    let mut z = Vec::with_capacity(n * n * 2);
    for i in 0..n {
        for j in 0..n {
            z.push(at(j));
            z.push(at(n - 1 - i));
        }
    }
    z
}

fn rel(canvas: &HtmlCanvasElement, ev: &PointerEvent) -> (f32, f32) {
    let rect = canvas.get_bounding_client_rect();
    let x = (ev.client_x() as f64 - rect.left()) / rect.width().max(1.0);
    let y = (ev.client_y() as f64 - rect.top()) / rect.height().max(1.0);
    (x.clamp(0.0, 1.0) as f32, y.clamp(0.0, 1.0) as f32)
}

#[component]
pub(crate) fn ExploreMode() -> impl IntoView {
    let lab = use_lab();
    let variant = lab.view.variant();
    view! {
        <section class="mode explore">
            {move || match variant.get().latent_dim() {
                2 => view! { <Manifold/> <Scatter/> }.into_any(),
                1 => view! { <Strip/> }.into_any(),
                _ => view! { <Sliders/> <Projection/> }.into_any(),
            }}
            <Probe/>
            <Interpolate/>
        </section>
    }
}

/// Steps of an interpolation, ends included.
const STEPS: usize = 10;

/// Two test digits, their latent means, and the digits decoded on the straight line between.
#[component]
fn Interpolate() -> impl IntoView {
    let lab = use_lab();
    let strip_ref = NodeRef::<html::Canvas>::new();
    let ends = lab.view.ends();
    let choices = move || {
        lab.gallery.with(|g| match g {
            Some(Ok(g)) => {
                let mut c = vec![1098, 4865, 7584];
                c.extend(g.test_indices.iter().take(20));
                // The digits a link named, if they are others.
                let (a, b) = ends.get();
                for i in [a, b] {
                    if !c.contains(&i) && g.test_indices.contains(&i) {
                        c.push(i);
                    }
                }
                c
            }
            _ => Vec::new(),
        })
    };
    let latest = Latest::new();
    Effect::new(move |_| {
        let (a, b) = ends.get();
        let variant = lab.view.variant().get();
        let images = lab.gallery.with(|g| match g {
            Some(Ok(g)) => g.by_test_index(a).zip(g.by_test_index(b)),
            _ => None,
        });
        let (Some((a, b)), true) = (images, lab.ready(variant)) else { return };
        let run = latest.begin();
        spawn_local(async move {
            let result = timed(lab, async |engine| {
                let both: Vec<f32> = a.iter().chain(&b).copied().collect();
                let mean = engine.encode(variant, &both).await?.mean;
                let latent = mean.len() / 2;
                let mut z = Vec::with_capacity(STEPS * latent);
                for k in 0..STEPS {
                    let t = k as f32 / (STEPS - 1) as f32;
                    z.extend((0..latent).map(|d| (1.0 - t) * mean[d] + t * mean[latent + d]));
                }
                engine.decode(variant, &z).await
            })
            .await;
            if let (true, Some(Ok(pixels)), Some(canvas)) = (latest.is_current(run), result, strip_ref.try_get_untracked().flatten()) {
                paint_grid(&canvas, &pixels, STEPS, 0);
            }
        });
    });
    let picker = move |which: usize| view! {
        <select data-testid=format!("interpolate-{}", if which == 0 { "from" } else { "to" })
            aria-label=if which == 0 { "Interpolate from this test digit" } else { "Interpolate to this test digit" }
            prop:value=move || { let (a, b) = ends.get(); (if which == 0 { a } else { b }).to_string() }
            on:change=move |ev| {
                if let Ok(i) = event_target_value(&ev).parse::<usize>() {
                    ends.update(|e| if which == 0 { e.0 = i } else { e.1 = i });
                }
            }>
            {move || choices().into_iter().map(|i| {
                let selected = if which == 0 { ends.get_untracked().0 == i } else { ends.get_untracked().1 == i };
                view! { <option value=i.to_string() selected=selected>{format!("test #{i}")}</option> }
            }).collect_view()}
        </select>
    };
    view! {
        <div class="panel wide">
            <h2>"Interpolate between two digits"</h2>
            <p class="hint">"From " {picker(0)} " to " {picker(1)} ": their latent means and the straight line between, decoded."</p>
            <canvas class="strip" data-testid="interpolation" node_ref=strip_ref width=(STEPS * 28) as u32 height="28"
                role="img" aria-label=move || { let (a, b) = ends.get(); format!("{STEPS} digits decoded along the straight line from test digit {a}'s latent mean to test digit {b}'s") }></canvas>
        </div>
    }
}

/// The decoded image of the current latent point.
#[component]
fn Probe() -> impl IntoView {
    let lab = use_lab();
    let probe_ref = NodeRef::<html::Canvas>::new();
    let runner = FrameRunner::default();
    // The decoded digit on screen, and which digit it looks like.
    let decoded = RwSignal::new(None::<Vec<f32>>);
    let looks = reading(lab, decoded.into());
    let work: Rc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>> = Rc::new(move || {
        Box::pin(async move {
            let (variant, z) = (lab.view.variant().get_untracked(), lab.view.latent().get_untracked());
            if z.len() != variant.latent_dim() || !lab.ready_untracked(variant) {
                return;
            }
            if let Some(Ok(pixels)) = timed(lab, async |engine| engine.decode(variant, &z).await).await {
                if let Some(canvas) = probe_ref.try_get_untracked().flatten() {
                    paint_digit(&canvas, &pixels);
                }
                decoded.try_set(Some(pixels));
            }
        })
    });
    Effect::new(move |_| {
        lab.view.latent().track();
        lab.view.variant().track();
        let _ = lab.ready(lab.view.variant().get_untracked());
        runner.request(work.clone());
    });
    view! {
        <div class="panel probe">
            <canvas class="digit big" data-testid="latent-probe" node_ref=probe_ref width="28" height="28"
                role="img" aria-label=move || named(
                    format!("The digit decoded from the latent point z = {}", lab.view.latent().with(|z| latent_label(z))),
                    looks.get()
                )></canvas>
            <p class="latent" aria-live="polite">{move || format!("z = {}", lab.view.latent().with(|z| latent_label(z)))}</p>
            <p class="looks" data-testid="explore-looks" aria-live="polite">{move || looks.get().map(|words| format!("It {words}."))}</p>
        </div>
    }
}

#[component]
fn Manifold() -> impl IntoView {
    let lab = use_lab();
    let grid_ref = NodeRef::<html::Canvas>::new();
    let progress = RwSignal::new(0usize);
    let variant = lab.view.variant();
    Effect::new(move |_| {
        let variant = variant.get();
        if !lab.ready(variant) {
            return;
        }
        spawn_local(decode_manifold(lab, variant, grid_ref, progress));
    });
    let side = (MANIFOLD * 28) as u32;
    let on_move = move |ev: PointerEvent| {
        if ev.buttons() == 0 && ev.pointer_type() != "mouse" {
            return;
        }
        let Some(canvas) = grid_ref.get() else { return };
        let (x, y) = rel(&canvas, &ev);
        lab.view.latent().set(vec![-1.0 + 2.0 * x, 1.0 - 2.0 * y]);
    };
    // The keyboard's route: the arrows move the point by one tile (Shift: five).
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let step = 2.0 / MANIFOLD as f32 * if ev.shift_key() { 5.0 } else { 1.0 };
        let (dx, dy) = match ev.key().as_str() {
            "ArrowLeft" => (-step, 0.0),
            "ArrowRight" => (step, 0.0),
            "ArrowUp" => (0.0, step),
            "ArrowDown" => (0.0, -step),
            _ => return,
        };
        ev.prevent_default();
        let (x, y) = lab.view.latent().with_untracked(|z| (z.first().copied().unwrap_or(0.0), z.get(1).copied().unwrap_or(0.0)));
        lab.view.latent().set(vec![(x + dx).clamp(-1.0, 1.0), (y + dy).clamp(-1.0, 1.0)]);
    };
    view! {
        <div class="panel manifold-panel">
            <h2>"Latent manifold"</h2>
            <canvas class="manifold" data-testid="manifold-grid" node_ref=grid_ref width=side height=side
                tabindex="0" role="img"
                aria-label="30 by 30 digits decoded over the latent square from −1 to 1; point at one, or use the arrow keys, to decode it above"
                on:pointermove=on_move on:pointerdown=on_move on:keydown=on_key></canvas>
            <p class="hint" data-testid="manifold-progress" data-done=move || (progress.get() == MANIFOLD * MANIFOLD).to_string()>
                {move || {
                    let p = progress.get();
                    if let Some(failure) = lab.failure(variant.get()) {
                        failure
                    } else if p < MANIFOLD * MANIFOLD { format!("Decoding {p} / {} …", MANIFOLD * MANIFOLD) } else { "z₁ left → right from −1 to 1, z₂ top → bottom from 1 to −1. Hover or tap to decode a point (keyboard: Tab to the grid, then the arrows).".into() }
                }}
            </p>
        </div>
    }
}

async fn decode_manifold(lab: Lab, variant: Variant, grid_ref: NodeRef<html::Canvas>, progress: RwSignal<usize>) {
    let z = manifold_latents(MANIFOLD, 1.0);
    progress.try_set(0);
    if let Some(canvas) = grid_ref.try_get_untracked().flatten() {
        clear(&canvas);
    }
    let started = crate::engine::web::now_ms();
    for (k, chunk) in z.chunks(SLICE * 2).enumerate() {
        // Stop if the visitor moved on to another model, or left Explore (the grid is gone with
        // its view): the rest would keep the GPU or the decode workers busy for nothing (on
        // SwiftShader, a CPU emulation of a GPU, 15 s for the grid).
        if lab.view.variant().get_untracked() != variant || grid_ref.try_get_untracked().flatten().is_none() {
            return;
        }
        let Some(engine) = lab.engine() else { return };
        match engine.decode(variant, chunk).await {
            Ok(pixels) => {
                let Some(canvas) = grid_ref.try_get_untracked().flatten() else { return };
                paint_grid(&canvas, &pixels, MANIFOLD, k * SLICE);
                progress.try_set((k + 1) * SLICE);
            }
            Err(_) => return,
        }
        yield_to_browser().await;
    }
    lab.record_time(started);
}

/// Test-digit means, coloured by label, with the current point; hovering moves it.
#[component]
fn Scatter() -> impl IntoView {
    let lab = use_lab();
    let (loaded, points) = current_points(lab);
    let marker = Signal::derive(move || lab.view.latent().with(|z| (z.len() == 2).then(|| (z[0], z[1]))));
    let pick = Callback::new(move |(x, y): (f32, f32)| lab.view.latent().set(vec![x, y]));
    view! {
        <div class="panel map-panel">
            <h2>"Test digits in latent space"</h2>
            <LatentMap points=points marker=marker on_pick=pick testid="latent-scatter"
                label="Latent means of test digits coloured by label"/>
            <p class="hint">{move || points_hint(loaded.get(), "Hover or tap to decode any point.")}</p>
        </div>
    }
}

fn points_hint(loaded: Option<Result<LatentPoints, String>>, action: &str) -> String {
    match loaded {
        None => "Loading the test digits' latent points…".into(),
        Some(Err(e)) => e,
        Some(Ok(p)) => format!("Latent means of {} test digits. {action}", p.len()),
    }
}

/// For more than two latent dimensions: the t-SNE map of the test digits' means (the study's
/// figure); hovering picks the nearest digit and moves the latent point to its mean.
#[component]
fn Projection() -> impl IntoView {
    let lab = use_lab();
    let (loaded, points) = current_points(lab);
    let picked = RwSignal::new(None::<usize>);
    let marker = Signal::derive(move || {
        let k = picked.get()?;
        points.with(|p| p.as_ref().and_then(|p| p.projection.as_ref()).and_then(|m| m.xy.get(2 * k..2 * k + 2)).map(|xy| (xy[0], xy[1])))
    });
    let pick = Callback::new(move |(x, y): (f32, f32)| {
        let Some(p) = points.get_untracked() else { return };
        let Some(k) = p.projection.as_ref().and_then(|m| nearest(&m.xy, x, y)) else { return };
        if let Some(mean) = p.mean(k) {
            let mean = mean.to_vec();
            picked.set(Some(k));
            lab.view.latent().set(mean);
        }
    });
    let method = move || points.with(|p| p.as_ref().and_then(|p| p.projection.as_ref().map(|m| (p, m))).map(|(p, m)| {
        format!("{}. Digits whose 5 nearest neighbours on the map mostly share their label: {:.1} % (in the {}-D space itself: {:.1} %).",
            m.method, m.knn_label_agreement * 100.0, p.latent_dim, m.knn_label_agreement_latent * 100.0)
    }));
    view! {
        <div class="panel">
            <h2>"Test digits, mapped to 2-D"</h2>
            <LatentMap points=points marker=marker on_pick=pick testid="latent-projection"
                label="A t-SNE map of the test digits' latent means, coloured by label"/>
            <p class="hint">{move || points_hint(loaded.get(), "Hover or tap to decode the nearest digit's mean.")}</p>
            <p class="small">{method}</p>
        </div>
    }
}

#[component]
fn Strip() -> impl IntoView {
    let lab = use_lab();
    let strip_ref = NodeRef::<html::Canvas>::new();
    const N: usize = 15;
    const SPAN: f32 = 3.0;
    Effect::new(move |_| {
        if !lab.ready(Variant::Latent1) {
            return;
        }
        spawn_local(async move {
            let z: Vec<f32> = (0..N).map(|k| -SPAN + 2.0 * SPAN * k as f32 / (N - 1) as f32).collect();
            if let Some(Ok(pixels)) = timed(lab, async |engine| engine.decode(Variant::Latent1, &z).await).await {
                if let Some(canvas) = strip_ref.try_get_untracked().flatten() {
                    paint_grid(&canvas, &pixels, N, 0);
                }
            }
        });
    });
    let on_move = move |ev: PointerEvent| {
        let Some(canvas) = strip_ref.get() else { return };
        let (x, _) = rel(&canvas, &ev);
        lab.view.latent().set(vec![-SPAN + 2.0 * SPAN * x]);
    };
    view! {
        <div class="panel wide">
            <h2>"The one latent dimension"</h2>
            <canvas class="strip" data-testid="latent-strip" node_ref=strip_ref width=(N * 28) as u32 height="28"
                role="img" aria-label=format!("{N} digits decoded along the one latent dimension, z from −{SPAN} to {SPAN}")
                on:pointermove=on_move on:pointerdown=on_move></canvas>
            <p class="hint">{format!("z from −{SPAN} to {SPAN}. Hover or tap to decode a point.")}</p>
        </div>
    }
}

#[component]
fn Sliders() -> impl IntoView {
    let lab = use_lab();
    // Most-used dimensions (highest mean KL on the test set) first.
    let order = Memo::new(move |_| {
        let variant = lab.view.variant().get();
        let latent = variant.latent_dim();
        let kl = lab.metrics.with(|m| m.get(&variant).map(|m| m.kl_per_dim.clone()));
        let mut dims: Vec<(usize, f64)> = (0..latent).map(|d| (d, kl.as_ref().and_then(|k| k.get(d).copied()).unwrap_or(0.0))).collect();
        dims.sort_by(|a, b| b.1.total_cmp(&a.1));
        dims
    });
    view! {
        <div class="panel">
            <h2>"Latent dimensions"</h2>
            <p class="hint">"Ordered by how much information each carries (KL on the test set)."</p>
            <button on:click=move |_| lab.view.latent().update(|z| z.iter_mut().for_each(|v| *v = 0.0))>"Reset to 0"</button>
            <div class="sliders">
                {move || order.get().into_iter().map(|(d, kl)| view! {
                    <label>
                        <span>{format!("z{} · KL {kl:.2}", d + 1)}</span>
                        <input type="range" min="-3" max="3" step="0.05" data-testid=format!("latent-slider-{d}")
                            prop:value=move || lab.view.latent().with(|z| z.get(d).copied().unwrap_or(0.0).to_string())
                            on:input=move |ev| {
                                if let Ok(v) = event_target_value(&ev).parse::<f32>() {
                                    lab.view.latent().update(|z| if let Some(x) = z.get_mut(d) { *x = v });
                                }
                            }/>
                    </label>
                }).collect_view()}
            </div>
        </div>
    }
}
