//! A map of the shipped test digits in latent space, coloured by label, with one marked point.
//! Explore uses it to pick points, Draw to show where the drawing lands.

use leptos::html;
use leptos::prelude::*;
use web_sys::PointerEvent;

use crate::app::widgets::paint::{context, label_color};
use crate::app::context::Lab;
use crate::study::metrics::LatentPoints;
use crate::app::view::state::ViewStateStoreFields;

/// Half-widths of the plotted rectangle: the largest |coordinate| on each axis, so the cloud fills it.
pub(crate) fn extent(plane: &[f32]) -> (f32, f32) {
    let axis = |k: usize| plane.chunks_exact(2).fold(0.5f32, |a, v| a.max(v[k].abs())) * 1.08;
    (axis(0), axis(1))
}

/// A posterior N(μ, diag σ²) on the plane: drawn as its 1σ and 2σ ellipses around μ, with draws.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Cloud {
    /// μ.
    pub(crate) mean: (f32, f32),
    /// σ per axis.
    pub(crate) sigma: (f32, f32),
    /// Draws z ~ N(μ, σ²).
    pub(crate) draws: Vec<(f32, f32)>,
}

/// The index of the point of `plane` nearest to (`x`, `y`).
pub(crate) fn nearest(plane: &[f32], x: f32, y: f32) -> Option<usize> {
    plane
        .chunks_exact(2)
        .enumerate()
        .map(|(k, p)| (k, (p[0] - x).powi(2) + (p[1] - y).powi(2)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(k, _)| k)
}

/// The current variant's points, loading them if needed: the load state (`None` while loading)
/// and the points themselves once loaded.
pub(crate) fn current_points(lab: Lab) -> (Memo<Option<Result<LatentPoints, String>>>, Signal<Option<LatentPoints>>) {
    let loaded = Memo::new(move |_| {
        let variant = lab.view.variant().get();
        // The file can only be fetched once the manifest is in.
        lab.manifest.track();
        lab.ensure_points(variant);
        lab.points.with(|p| p.get(&variant).cloned().flatten())
    });
    let points = Signal::derive(move || loaded.with(|p| p.as_ref().and_then(|r| r.as_ref().ok().cloned())));
    (loaded, points)
}

/// The map. `marker` is a point in plane coordinates; `on_pick` gets the plane coordinates under
/// the pointer while it hovers (mouse) or drags (touch, pen).
#[component]
pub(crate) fn LatentMap(
    /// The digits to plot.
    #[prop(into)]
    points: Signal<Option<LatentPoints>>,
    /// The marked point.
    #[prop(into)]
    marker: Signal<Option<(f32, f32)>>,
    /// A posterior to draw over the digits.
    #[prop(optional, into)]
    cloud: Option<Signal<Option<Cloud>>>,
    /// Called with plane coordinates under the pointer.
    #[prop(optional)]
    on_pick: Option<Callback<(f32, f32)>>,
    /// Canvas side in pixels.
    #[prop(default = 400)]
    size: u32,
    /// Stable test id.
    #[prop(into)]
    testid: String,
    /// What the map shows, for screen readers.
    #[prop(into)]
    label: String,
) -> impl IntoView {
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let bounds = Memo::new(move |_| points.with(|p| p.as_ref().and_then(|p| p.plane().map(extent))).unwrap_or((4.0, 4.0)));
    Effect::new(move |_| {
        let mark = marker.get();
        let Some(canvas) = canvas_ref.get() else { return };
        let Some(ctx) = context(&canvas) else { return };
        let side = canvas.width() as f64;
        ctx.set_fill_style_str("#111");
        ctx.fill_rect(0.0, 0.0, side, side);
        let (ex, ey) = bounds.get();
        let to_px = |x: f32, y: f32| ((x / ex + 1.0) as f64 / 2.0 * side, (1.0 - y / ey) as f64 / 2.0 * side);
        let dot = (side / 100.0).max(2.0);
        points.with(|p| {
            let Some(p) = p else { return };
            let Some(plane) = p.plane() else { return };
            for (xy, &label) in plane.chunks_exact(2).zip(&p.labels) {
                let (px, py) = to_px(xy[0], xy[1]);
                ctx.set_fill_style_str(label_color(label));
                ctx.fill_rect(px - dot / 2.0, py - dot / 2.0, dot, dot);
            }
        });
        if let Some(cloud) = cloud.and_then(|c| c.get()) {
            let (mx, my) = to_px(cloud.mean.0, cloud.mean.1);
            let scale = (side / 2.0 / f64::from(ex), side / 2.0 / f64::from(ey));
            ctx.set_stroke_style_str("#fff");
            for (k, width) in [(2.0, 1.0), (1.0, 2.0)] {
                ctx.set_line_width(width);
                ctx.begin_path();
                let (rx, ry) = (k * f64::from(cloud.sigma.0) * scale.0, k * f64::from(cloud.sigma.1) * scale.1);
                let _ = ctx.ellipse(mx, my, rx.max(0.5), ry.max(0.5), 0.0, 0.0, std::f64::consts::TAU);
                ctx.stroke();
            }
            ctx.set_fill_style_str("#fff");
            for &(x, y) in &cloud.draws {
                let (px, py) = to_px(x, y);
                ctx.fill_rect(px - 1.5, py - 1.5, 3.0, 3.0);
            }
        }
        if let Some((x, y)) = mark {
            let (px, py) = to_px(x, y);
            ctx.set_stroke_style_str("#fff");
            ctx.set_line_width(2.0);
            ctx.begin_path();
            let _ = ctx.arc(px, py, dot * 2.5, 0.0, std::f64::consts::TAU);
            ctx.stroke();
        }
    });
    let on_move = move |ev: PointerEvent| {
        let Some(pick) = on_pick else { return };
        if ev.buttons() == 0 && ev.pointer_type() != "mouse" {
            return;
        }
        let Some(canvas) = canvas_ref.get() else { return };
        let rect = canvas.get_bounding_client_rect();
        let x = ((ev.client_x() as f64 - rect.left()) / rect.width().max(1.0)).clamp(0.0, 1.0) as f32;
        let y = ((ev.client_y() as f64 - rect.top()) / rect.height().max(1.0)).clamp(0.0, 1.0) as f32;
        let (ex, ey) = bounds.get_untracked();
        pick.run(((2.0 * x - 1.0) * ex, (1.0 - 2.0 * y) * ey));
    };
    view! {
        <canvas class="scatter" data-testid=testid node_ref=canvas_ref width=size height=size role="img" aria-label=label
            data-points=move || points.with(|p| p.as_ref().map_or(0, |p| p.len()))
            on:pointermove=on_move on:pointerdown=on_move></canvas>
        // A swatch of each digit's colour beside the digit in the text colour (coloured text would
        // not be readable: most of the ten colours have under 4.5 : 1 contrast on the panel).
        <p class="legend digit-keys">{(0..10u8).map(|l| view! {
            <span><span class="swatch" aria-hidden="true" style:background-color=label_color(l)></span>{l.to_string()}</span>
        }).collect_view()}</p>
    }
}
