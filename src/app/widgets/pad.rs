//! The drawing pad: the view's strokes drawn with a mouse, a finger or a pen (pointer events), or
//! with the keyboard (arrow keys move a visible pen over the 28×28 grid, Space puts it down or
//! lifts it, Backspace takes the last stroke back), white on black. Draw and Inside both draw on
//! it; the strokes live in the view, so either mode's link carries them.

use leptos::html;
use leptos::prelude::*;
use web_sys::{HtmlCanvasElement, KeyboardEvent, PointerEvent};

use crate::app::context::use_lab;
use crate::app::view::state::ViewStateStoreFields;
use crate::app::view::pen::{Pen, pen_key};
use crate::app::view::state::quantize;
use crate::app::widgets::sources::{SIDE, render_strokes};
use crate::app::widgets::paint::{context, key_cursor_color};

fn point(canvas: &HtmlCanvasElement, ev: &PointerEvent) -> (f32, f32) {
    let rect = canvas.get_bounding_client_rect();
    let x = (ev.client_x() as f64 - rect.left()) / rect.width().max(1.0);
    let y = (ev.client_y() as f64 - rect.top()) / rect.height().max(1.0);
    // On the grid a link encodes, so the link of this drawing opens exactly this drawing.
    (quantize(x as f32), quantize(y as f32))
}

/// The keyboard's pen over the strokes: a ring, amber while it is down.
fn draw_pen(canvas: &HtmlCanvasElement, pen: Pen) {
    let Some(ctx) = context(canvas) else { return };
    let side = canvas.width() as f64;
    ctx.begin_path();
    let _ = ctx.arc(pen.at.0 as f64 * side, pen.at.1 as f64 * side, side / 28.0, 0.0, std::f64::consts::TAU);
    ctx.set_line_width(side / 140.0);
    ctx.set_stroke_style_str(key_cursor_color(pen.down));
    ctx.stroke();
}

/// The pad, redrawn whenever the strokes change.
#[component]
pub(crate) fn DrawingPad(#[prop(into)] testid: String, #[prop(into)] label: String) -> impl IntoView {
    let lab = use_lab();
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let drawing = StoredValue::new(false);
    let strokes = lab.view.strokes();
    // Shown only while the pad has the keyboard's focus.
    let pen = RwSignal::new(None::<Pen>);
    Effect::new(move |_| {
        if let Some(canvas) = canvas_ref.get() {
            strokes.with(|s| render_strokes(&canvas, s));
            if let Some(pen) = pen.get() {
                draw_pen(&canvas, pen);
            }
        }
    });
    let on_focus = move |_| {
        // Keyboard focus only (a click focuses the pad too).
        let keyboard = canvas_ref.get_untracked().is_some_and(|c| c.matches(":focus-visible").unwrap_or(false));
        if keyboard && pen.get_untracked().is_none() {
            pen.set(Some(Pen::START));
        }
    };
    let on_key = move |ev: KeyboardEvent| {
        if ev.alt_key() || ev.ctrl_key() || ev.meta_key() {
            return;
        }
        let mut p = pen.get_untracked().unwrap_or(Pen::START);
        let mut drawn = strokes.get_untracked();
        if !pen_key(&mut p, &mut drawn, &ev.key(), ev.shift_key()) {
            return;
        }
        ev.prevent_default();
        // Only a change of the strokes runs the model again.
        if strokes.with_untracked(|s| *s != drawn) {
            strokes.set(drawn);
        }
        pen.set(Some(p));
    };
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
    let keys = format!("{testid}-keys");
    view! {
        <canvas class="pad" data-testid=testid.clone() node_ref=canvas_ref width=SIDE height=SIDE
            tabindex="0" role="application" aria-roledescription="drawing pad" aria-label=label
            aria-describedby=keys.clone()
            data-pen=move || pen.get().map(|p| format!("{},{},{}", p.at.0, p.at.1, if p.down { "down" } else { "up" }))
            on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up on:pointercancel=on_up
            on:pointerleave=on_up on:focus=on_focus on:blur=move |_| pen.set(None) on:keydown=on_key></canvas>
        <p class="hint pad-keys" id=keys>
            "Keyboard: Tab to the pad; arrows move the pen (Shift: faster), Space puts it down or lifts it, Backspace takes a stroke back."
        </p>
    }
}
