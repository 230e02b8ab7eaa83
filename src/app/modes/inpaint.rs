//! Inpaint: hide part of a digit and let the VAE fill it in — once, as the study did, and by
//! iterative projection (keep the known pixels, replace the hidden ones, repeat).

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::PointerEvent;

use crate::app::widgets::paint::{context, key_cursor_color, paint_digit};
use crate::app::view::reading::named;
use crate::app::widgets::reading::reading;
use crate::app::widgets::frame_runner::Latest;
use crate::app::context::use_lab;
use crate::app::timed::timed;
use crate::app::widgets::sources::{GeneratedSourceButton, source_image};
use crate::app::view::state::{InpaintSource, rect_mask, study_mask};
use crate::data::PIXELS;
use crate::data::masked_error;
use crate::app::view::state::ViewStateStoreFields;

/// The study's three examples.
const STUDY: [usize; 3] = [1098, 4865, 7584];

#[component]
pub(crate) fn InpaintMode() -> impl IntoView {
    let lab = use_lab();
    let editor_ref = NodeRef::<html::Canvas>::new();
    let refs: [NodeRef<html::Canvas>; 4] = std::array::from_fn(|_| NodeRef::new());
    let errors = RwSignal::new(None::<[f32; 3]>);
    let message = RwSignal::new(None::<String>);
    let tool_box = RwSignal::new(false);
    let drag_start = StoredValue::new(None::<(usize, usize)>);
    // The keyboard's cursor on the 28×28 cells and whether it paints as it moves; shown only
    // while the editor has the keyboard's focus.
    let cursor = RwSignal::new(None::<((usize, usize), bool)>);
    // The four images on screen, and which digit each looks like (their names).
    let shown = RwSignal::new(std::array::from_fn::<Option<Vec<f32>>, 4, _>(|_| None));
    let looks: [Signal<Option<String>>; 4] = std::array::from_fn(|k| reading(lab, Signal::derive(move || shown.with(|s| s[k].clone()))));

    // The mask editor shows the digit with the hidden cells tinted.
    Effect::new(move |_| {
        let mask = lab.view.mask().get();
        let image = source_image(lab).unwrap_or_else(|| vec![0.0; PIXELS]);
        let Some(canvas) = editor_ref.get() else { return };
        let Some(ctx) = context(&canvas) else { return };
        let cell = canvas.width() as f64 / 28.0;
        for i in 0..PIXELS {
            let v = (image.get(i).copied().unwrap_or(0.0).clamp(0.0, 1.0) * 255.0) as u8;
            let color = if mask.get(i).copied().unwrap_or(false) { format!("rgb({},{},{})", 120 + v / 3, 40, 60) } else { format!("rgb({v},{v},{v})") };
            ctx.set_fill_style_str(&color);
            ctx.fill_rect((i % 28) as f64 * cell, (i / 28) as f64 * cell, cell, cell);
        }
        if let Some(((x, y), painting)) = cursor.get() {
            ctx.set_stroke_style_str(key_cursor_color(painting));
            ctx.set_line_width(2.0);
            ctx.stroke_rect((x as f64 - 1.0) * cell + 1.0, (y as f64 - 1.0) * cell + 1.0, 3.0 * cell - 2.0, 3.0 * cell - 2.0);
        }
    });

    // Re-run the inpainting whenever the image, mask, steps or model change; only the newest
    // run paints.
    let latest = Latest::new();
    Effect::new(move |_| {
        let (mask, steps, variant) = (lab.view.mask().get(), lab.view.steps().get(), lab.view.variant().get());
        let image = source_image(lab);
        if !lab.ready(variant) {
            message.try_set(Some(lab.not_ready_message(variant)));
            return;
        }
        let Some(image) = image else {
            message.try_set(Some("Pick a test digit, or draw one in the Draw tab first.".into()));
            return;
        };
        let run = latest.begin();
        spawn_local(async move {
            let masked: Vec<f32> = image.iter().zip(&mask).map(|(&v, &m)| if m { 0.0 } else { v }).collect();
            let result = timed(lab, async |engine| engine.inpaint(variant, &image, &mask, steps).await).await;
            if !latest.is_current(run) {
                return;
            }
            match result {
                Some(Ok(result)) => {
                    for (r, pixels) in refs.iter().zip([&image, &masked, &result.one_pass, &result.iterative]) {
                        if let Some(canvas) = r.try_get_untracked().flatten() {
                            paint_digit(&canvas, pixels);
                        }
                    }
                    shown.try_set([Some(image.clone()), Some(masked.clone()), Some(result.one_pass.clone()), Some(result.iterative.clone())]);
                    errors.try_set(Some([
                        masked_error(&image, &masked, &mask),
                        masked_error(&image, &result.one_pass, &mask),
                        masked_error(&image, &result.iterative, &mask),
                    ]));
                    message.try_set(None);
                }
                Some(Err(e)) => { let _ = message.try_set(Some(e.to_string())); },
                None => {}
            }
        });
    });

    let cell_of = move |ev: &PointerEvent| -> Option<(usize, usize)> {
        let canvas = editor_ref.get()?;
        let rect = canvas.get_bounding_client_rect();
        let x = ((ev.client_x() as f64 - rect.left()) / rect.width().max(1.0) * 28.0).floor();
        let y = ((ev.client_y() as f64 - rect.top()) / rect.height().max(1.0) * 28.0).floor();
        Some((x.clamp(0.0, 27.0) as usize, y.clamp(0.0, 27.0) as usize))
    };
    let brush = move |(x, y): (usize, usize)| {
        lab.view.mask().update(|mask| {
            for dy in -1i32..=1 {
                for dx in -1i32..=1 {
                    let (cx, cy) = (x as i32 + dx, y as i32 + dy);
                    if let Some(cell) = ((0..28).contains(&cx) && (0..28).contains(&cy)).then(|| cy as usize * 28 + cx as usize)
                        && let Some(hidden) = mask.get_mut(cell)
                    {
                        *hidden = true;
                    }
                }
            }
        })
    };
    let on_down = move |ev: PointerEvent| {
        let Some(c) = cell_of(&ev) else { return };
        if let Some(canvas) = editor_ref.get() {
            let _ = canvas.set_pointer_capture(ev.pointer_id());
        }
        drag_start.set_value(Some(c));
        if !tool_box.get_untracked() {
            brush(c);
        }
    };
    let on_move = move |ev: PointerEvent| {
        let Some(start) = drag_start.get_value() else { return };
        let Some(c) = cell_of(&ev) else { return };
        if tool_box.get_untracked() {
            lab.view.mask().set(rect_mask(start.0.min(c.0), start.1.min(c.1), start.0.max(c.0) + 1, start.1.max(c.1) + 1));
        } else {
            brush(c);
        }
    };
    let on_up = move |_ev: PointerEvent| drag_start.set_value(None);
    // The keyboard's route: arrows move the cursor (Shift: four cells), Space or Enter start and
    // stop painting (with the box tool: the box's first corner, then its last), Escape stops.
    let on_focus = move |_| {
        let keyboard = editor_ref.get_untracked().is_some_and(|c| c.matches(":focus-visible").unwrap_or(false));
        if keyboard && cursor.get_untracked().is_none() {
            cursor.set(Some(((14, 14), false)));
        }
    };
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let ((x, y), painting) = cursor.get_untracked().unwrap_or(((14, 14), false));
        let step = if ev.shift_key() { 4 } else { 1 };
        let moved = |dx: i32, dy: i32| ((x as i32 + dx * step).clamp(0, 27) as usize, (y as i32 + dy * step).clamp(0, 27) as usize);
        let (at, painting) = match ev.key().as_str() {
            "ArrowLeft" => (moved(-1, 0), painting),
            "ArrowRight" => (moved(1, 0), painting),
            "ArrowUp" => (moved(0, -1), painting),
            "ArrowDown" => (moved(0, 1), painting),
            " " | "Enter" => ((x, y), !painting),
            "Escape" => ((x, y), false),
            _ => return,
        };
        ev.prevent_default();
        if painting {
            if tool_box.get_untracked() {
                let start = drag_start.get_value().unwrap_or(at);
                drag_start.set_value(Some(start));
                lab.view.mask().set(rect_mask(start.0.min(at.0), start.1.min(at.1), start.0.max(at.0) + 1, start.1.max(at.1) + 1));
            } else {
                brush(at);
            }
        } else {
            drag_start.set_value(None);
        }
        cursor.set(Some((at, painting)));
    };

    let gallery_buttons = move || {
        let mut picks: Vec<usize> = STUDY.to_vec();
        lab.gallery.with(|g| {
            if let Some(Ok(g)) = g {
                picks.extend(g.test_indices.iter().take(9));
            }
        });
        picks.into_iter().map(|index| view! {
            <button class:study=STUDY.contains(&index) data-testid=format!("inpaint-test-{index}")
                class:active=move || lab.view.source().get() == InpaintSource::Test(index)
                on:click=move |_| lab.view.source().set(InpaintSource::Test(index))>
                {format!("Test #{index}")}
            </button>
        }).collect_view()
    };

    let captions = ["Original", "Masked (input)", "One pass (study)", "Iterative"];
    let labels = [
        "The original digit",
        "The digit with the masked pixels hidden: the model's input",
        "Filled in by one pass through the model (the study's way)",
        "Filled in by repeated passes, keeping the known pixels",
    ];
    let ids = ["inpaint-original", "inpaint-masked", "inpaint-one-pass", "inpaint-iterative"];
    view! {
        <section class="mode inpaint">
            <div class="panel">
                <div class="gallery">{gallery_buttons}
                    <button data-testid="inpaint-from-drawing" on:click=move |_| lab.view.source().set(InpaintSource::Drawing)>"My drawing"</button>
                    <GeneratedSourceButton/>
                </div>
                <canvas class="pad" data-testid="inpaint-mask-canvas" node_ref=editor_ref width="280" height="280"
                    tabindex="0" role="img"
                    aria-label="The mask over the digit: paint here with a pointer, or with the keyboard (arrows move the brush, Space starts and stops painting), to hide pixels"
                    on:focus=on_focus on:blur=move |_| cursor.set(None) on:keydown=on_key
                    data-cursor=move || cursor.get().map(|((x, y), p)| format!("{x},{y},{}", if p { "painting" } else { "up" }))
                    on:pointerdown=on_down on:pointermove=on_move on:pointerup=on_up on:pointercancel=on_up></canvas>
                <p class="hint pad-keys">"Keyboard: Tab to the mask; arrows move the brush (Shift: faster), Space starts and stops painting."</p>
                <div class="buttons">
                    <button data-testid="inpaint-preset" on:click=move |_| lab.view.mask().set(study_mask())>"Study preset (rows/cols 10–20)"</button>
                    <button on:click=move |_| tool_box.update(|b| *b = !*b)>{move || if tool_box.get() { "Tool: box (drag)" } else { "Tool: brush" }}</button>
                    <button data-testid="inpaint-clear" on:click=move |_| lab.view.mask().set(vec![false; PIXELS])>"Clear mask"</button>
                </div>
                <label>{move || format!("Iterative steps: {} ", lab.view.steps().get())}
                    <input type="range" min="1" max="50" step="1" prop:value=move || lab.view.steps().get().to_string()
                        on:input=move |ev| { if let Ok(n) = event_target_value(&ev).parse::<usize>() { lab.view.steps().set(n.clamp(1, 50)) } }/>
                </label>
            </div>
            <div class="panel">
                <div class="row outputs">
                    {(0..4).map(|k| view! {
                        <figure>
                            <canvas class="digit" data-testid=ids[k] node_ref=refs[k] width="28" height="28"
                                role="img" aria-label=move || named(labels[k], looks[k].get())></canvas>
                            <figcaption>{captions[k]}
                                {move || looks[k].get().map(|words| view! { <span class="looks" data-testid=format!("{}-looks", ids[k])><br/>{words}</span> })}
                            </figcaption>
                        </figure>
                    }).collect_view()}
                </div>
                <p class="hint" aria-live="polite">{move || message.get()}</p>
                <table class="errors" data-testid="inpaint-errors">
                    <tr><th scope="col">"Input or fill"</th><th scope="col">"Mean squared error on the hidden pixels"</th></tr>
                    {move || errors.get().map(|e| view! {
                        <tr><td>"Zero-filled input"</td><td data-testid="error-masked">{format!("{:.4}", e[0])}</td></tr>
                        <tr><td>"One pass (study)"</td><td data-testid="error-one-pass">{format!("{:.4}", e[1])}</td></tr>
                        <tr><td>"Iterative"</td><td data-testid="error-iterative">{format!("{:.4}", e[2])}</td></tr>
                    })}
                </table>
            </div>
        </section>
    }
}
