//! The drawing pad: the view's strokes drawn with a mouse, a finger or a pen (pointer events),
//! white on black. Draw and Inside both draw on it; the strokes live in the view, so either
//! mode's link carries them.

use leptos::html;
use leptos::prelude::*;
use web_sys::{HtmlCanvasElement, PointerEvent};

use crate::app::context::use_lab;
use crate::app::view::state::ViewStateStoreFields;
use crate::app::view::state::quantize;
use crate::app::widgets::sources::{SIDE, render_strokes};

fn point(canvas: &HtmlCanvasElement, ev: &PointerEvent) -> (f32, f32) {
    let rect = canvas.get_bounding_client_rect();
    let x = (ev.client_x() as f64 - rect.left()) / rect.width().max(1.0);
    let y = (ev.client_y() as f64 - rect.top()) / rect.height().max(1.0);
    // On the grid a link encodes, so the link of this drawing opens exactly this drawing.
    (quantize(x as f32), quantize(y as f32))
}

/// The pad, redrawn whenever the strokes change.
#[component]
pub fn DrawingPad(#[prop(into)] testid: String, #[prop(into)] label: String) -> impl IntoView {
    let lab = use_lab();
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let drawing = StoredValue::new(false);
    let strokes = lab.view.strokes();
    Effect::new(move |_| {
        if let Some(canvas) = canvas_ref.get() {
            strokes.with(|s| render_strokes(&canvas, s));
        }
    });
    let on_down = move |ev: PointerEvent| {
        let Some(canvas) = canvas_ref.get() else { return };
        ev.prevent_default();
        let _ = canvas.set_pointer_capture(ev.pointer_id());
        drawing.set_value(true);
        let p = point(&canvas, &ev);
        strokes.update(|s| s.push(vec![p]));
    };
    let on_move = move |ev: PointerEvent| {
        if !drawing.get_value() {
            return;
        }
        let Some(canvas) = canvas_ref.get() else { return };
        let p = point(&canvas, &ev);
        strokes.update(|s| {
            if let Some(stroke) = s.last_mut() {
                stroke.push(p);
            }
        });
    };
    let on_up = move |_ev: PointerEvent| drawing.set_value(false);
    view! {
        <canvas class="pad" data-testid=testid node_ref=canvas_ref width=SIDE height=SIDE aria-label=label
            on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up on:pointercancel=on_up
            on:pointerleave=on_up></canvas>
    }
}
