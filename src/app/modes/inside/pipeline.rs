//! The pipeline, left to right: every stage of the current model (from its configuration, with
//! shapes and parameter counts), each with this input's values: feature maps as small
//! multiples, dense layers as bars. A map hovered, focused or clicked is shown large beside them.

use leptos::html;
use leptos::prelude::*;

use super::{InsideView, Seen};
use crate::app::context::use_lab;
use crate::app::view::state::ViewStateStoreFields;
use crate::app::widgets::paint::{clear, put_gray};
use crate::study::anatomy::{Kind, Part, Shape, Stage, group_thousands, stages};

/// One map of a stage, `side × side`, from the channel-first values.
fn map_of(values: &[f32], side: usize, channel: usize) -> Option<&[f32]> {
    values.get(channel * side * side..(channel + 1) * side * side)
}

/// Paints map `channel` of stage `stage` on `canvas`, on the stage's scale (the input and
/// output on 0..1, as digits).
fn paint_map(canvas: &web_sys::HtmlCanvasElement, seen: &Seen, stage: &Stage, index: usize, channel: usize) {
    let Shape::Maps { side, .. } = stage.shape else { return };
    let Some(values) = seen.inside.stages.get(index).and_then(|v| map_of(v, side, channel)) else {
        clear(canvas);
        return;
    };
    let peak = if matches!(stage.kind, Kind::Input | Kind::Output) { 1.0 } else { seen.peaks.get(index).copied().unwrap_or(1.0).max(1e-6) };
    let scaled: Vec<f32> = values.iter().map(|v| v / peak).collect();
    put_gray(canvas, &scaled, side as u32, side as u32, 0.0, 0.0);
}

#[component]
pub(super) fn Pipeline(shown: InsideView) -> impl IntoView {
    let lab = use_lab();
    let variant = lab.view.variant();
    let anatomy = Memo::new(move |_| stages(variant.get().architecture()));
    let total = move || {
        let (all, encoder) = anatomy.with(|stages| {
            let all: usize = stages.iter().map(|s| s.params).sum();
            let encoder: usize = stages.iter().filter(|s| matches!(s.part, Part::Encoder) || matches!(s.kind, Kind::Mean | Kind::LogVar)).map(|s| s.params).sum();
            (all, encoder)
        });
        format!(
            "{}: {} learned numbers (encoder {}, decoder {}).",
            variant.get().label(),
            group_thousands(all),
            group_thousands(encoder),
            group_thousands(all - encoder)
        )
    };
    view! {
        <div class="panel wide">
            <h2>"The model, stage by stage"</h2>
            <p class="hint" data-testid="inside-total">{total}" Scroll to follow the digit through every stage; tap, hover or focus a small map to see it large."</p>
            <div class="inside-flow">
                <ol class="pipeline" data-testid="inside-pipeline" aria-label="The model's stages, input to output">
                    {move || anatomy.get().into_iter().enumerate().map(|(index, stage)| view! {
                        <StageCard stage=stage index=index shown=shown/>
                    }).collect_view()}
                </ol>
                <Look shown=shown anatomy=anatomy/>
            </div>
        </div>
    }
}

/// One stage: its name, shape and parameters, its values for this input, what it does.
#[component]
fn StageCard(stage: Stage, index: usize, shown: InsideView) -> impl IntoView {
    let params = if stage.params == 0 { "nothing learned".to_string() } else { format!("{} parameters", group_thousands(stage.params)) };
    let part = match stage.part {
        Part::Input => "input",
        Part::Encoder => "encoder",
        Part::Latent => "code",
        Part::Decoder => "decoder",
    };
    let body = match stage.shape {
        Shape::Maps { channels: 1, .. } => view! { <SingleMap stage=stage.clone() index=index shown=shown/> }.into_any(),
        Shape::Maps { channels, .. } => view! { <Maps stage=stage.clone() index=index channels=channels shown=shown/> }.into_any(),
        Shape::Vector(units) => view! { <Bars stage=stage.clone() index=index units=units shown=shown/> }.into_any(),
    };
    view! {
        <li class=format!("stage {part}") data-testid=format!("inside-stage-{index}")>
            <h3>{stage.name.clone()}</h3>
            <p class="shape">{stage.shape.label()}" · "{params}</p>
            {body}
            <p class="about">{stage.about.clone()}</p>
        </li>
    }
}

/// The input or the output: one digit.
#[component]
fn SingleMap(stage: Stage, index: usize, shown: InsideView) -> impl IntoView {
    let canvas = NodeRef::<html::Canvas>::new();
    let Shape::Maps { side, .. } = stage.shape else { return ().into_any() };
    let label = format!("{}: the digit as {side}×{side} pixels", stage.name);
    let painted = stage.clone();
    Effect::new(move |_| {
        let Some(c) = canvas.get() else { return };
        shown.seen.with(|seen| match seen {
            Some(seen) => paint_map(&c, seen, &painted, index, 0),
            None => clear(&c),
        });
    });
    view! {
        <canvas class="digit big" node_ref=canvas width=side height=side role="img" aria-label=label
            data-testid=format!("inside-map-{index}-0")></canvas>
    }
    .into_any()
}

/// Every feature map of a convolution, small, each a button that shows it large. One Tab stop
/// for the whole stage (the ARIA toolbar pattern's roving tabindex): the arrow keys, Home and
/// End move between its maps, so a keyboard does not walk through all 256 maps to reach what
/// follows.
#[component]
fn Maps(stage: Stage, index: usize, channels: usize, shown: InsideView) -> impl IntoView {
    let lab = use_lab();
    let Shape::Maps { side, .. } = stage.shape else { return ().into_any() };
    let buttons: Vec<NodeRef<html::Button>> = (0..channels).map(|_| NodeRef::new()).collect();
    // The map that takes the Tab stop: the one shown large if it is this stage's, else the first.
    let current = move || match lab.view.look().get() {
        Some((stage, channel)) if stage == index && channel < channels => channel,
        _ => 0,
    };
    let maps = buttons
        .iter()
        .enumerate()
        .map(|(channel, &button)| {
            let canvas = NodeRef::<html::Canvas>::new();
            let painted = stage.clone();
            Effect::new(move |_| {
                let Some(c) = canvas.get() else { return };
                shown.seen.with(|seen| match seen {
                    Some(seen) => paint_map(&c, seen, &painted, index, channel),
                    None => clear(&c),
                });
            });
            let look = move || lab.view.look().set(Some((index, channel)));
            let label = format!("{}, map {} of {channels}: show it large", stage.name, channel + 1);
            view! {
                <button class="map" aria-label=label node_ref=button
                    tabindex=move || if current() == channel { "0" } else { "-1" }
                    class:active=move || lab.view.look().get() == Some((index, channel))
                    on:click=move |_| look() on:focus=move |_| look() on:mouseenter=move |_| look()>
                    <canvas node_ref=canvas width=side height=side data-testid=format!("inside-map-{index}-{channel}") aria-hidden="true"></canvas>
                </button>
            }
        })
        .collect_view();
    let on_key = move |ev: web_sys::KeyboardEvent| {
        let (at, last) = (current(), channels.saturating_sub(1));
        let to = match ev.key().as_str() {
            "ArrowRight" | "ArrowDown" => (at + 1).min(last),
            "ArrowLeft" | "ArrowUp" => at.saturating_sub(1),
            "Home" => 0,
            "End" => last,
            _ => return,
        };
        ev.prevent_default();
        if let Some(button) = buttons.get(to).and_then(|b| b.get()) {
            let _ = button.focus();
        }
    };
    let group = format!("{}: {channels} feature maps; arrow keys move between them", stage.name);
    view! { <div class=format!("maps side-{side}") role="toolbar" aria-label=group on:keydown=on_key>{maps}</div> }.into_any()
}

/// A dense layer, μ, log σ² or z: one bar per number (up from the middle line when positive).
#[component]
fn Bars(stage: Stage, index: usize, units: usize, shown: InsideView) -> impl IntoView {
    let (w, h) = (12.0 * units.max(1) as f64, 60.0);
    let name = stage.name.clone();
    let bars = move || {
        shown.seen.with(|seen| {
            let values = seen.as_ref().and_then(|s| s.inside.stages.get(index)).cloned().unwrap_or_default();
            let peak = values.iter().fold(1e-6f32, |m, v| m.max(v.abs()));
            values
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    let len = f64::from(v / peak) * (h / 2.0 - 2.0);
                    let (y, height) = if len >= 0.0 { (h / 2.0 - len, len) } else { (h / 2.0, -len) };
                    view! {
                        <rect x={12.0 * i as f64 + 1.0} y=y width=10.0 height={height.max(0.5)} class={if v >= 0.0 { "pos" } else { "neg" }}>
                            <title>{format!("{name} {}: {v:.3}", i + 1)}</title>
                        </rect>
                    }
                })
                .collect_view()
        })
    };
    let values_text = move || {
        shown.seen.with(|seen| {
            let values = seen.as_ref().and_then(|s| s.inside.stages.get(index)).cloned().unwrap_or_default();
            values.iter().map(|v| format!("{v:.2}")).collect::<Vec<_>>().join(", ")
        })
    };
    let label = format!("{}: {units} numbers", stage.name);
    view! {
        <svg class="bars" viewBox=format!("0 0 {w} {h}") width=w height=h role="img" aria-label=label
            data-testid=format!("inside-bars-{index}")>
            <line x1="0" x2=w y1={h / 2.0} y2={h / 2.0} class="axis"/>
            {bars}
        </svg>
        <p class="values" data-testid=format!("inside-values-{index}")>{values_text}</p>
    }
}

/// The map last hovered, focused or clicked, large, with what it is.
#[component]
fn Look(shown: InsideView, anatomy: Memo<Vec<Stage>>) -> impl IntoView {
    let lab = use_lab();
    let canvas = NodeRef::<html::Canvas>::new();
    // The first convolution's first map until one is picked.
    let picked = move || {
        let (index, channel) = lab.view.look().get().unwrap_or((1, 0));
        anatomy.with(|a| a.get(index).cloned().map(|stage| (index, channel, stage)))
    };
    let side = move || match picked() {
        Some((_, _, Stage { shape: Shape::Maps { side, .. }, .. })) => side,
        _ => 28,
    };
    Effect::new(move |_| {
        let Some(c) = canvas.get() else { return };
        let Some((index, channel, stage)) = picked() else { return };
        // The canvas takes the map's size first.
        let side = side() as u32;
        c.set_width(side);
        c.set_height(side);
        shown.seen.with(|seen| match seen {
            Some(seen) => paint_map(&c, seen, &stage, index, channel),
            None => clear(&c),
        });
    });
    let caption = move || {
        let Some((index, channel, stage)) = picked() else { return String::new() };
        let Shape::Maps { side, channels } = stage.shape else {
            return format!("{}: pick a map to see it large.", stage.name);
        };
        let range = shown.seen.with(|seen| {
            let values = seen.as_ref().and_then(|s| s.inside.stages.get(index)).and_then(|v| map_of(v, side, channel))?;
            let lo = values.iter().copied().fold(f32::INFINITY, f32::min);
            let hi = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            Some(format!(", values {lo:.2} to {hi:.2}"))
        });
        let which = if channels > 1 { format!(" · map {} of {channels}", channel + 1) } else { String::new() };
        format!("{}{which} · {side}×{side}{}", stage.name, range.unwrap_or_default())
    };
    let reading = move || match picked() {
        Some((_, _, Stage { kind: Kind::Conv, .. })) => "Bright where this filter found its pattern in the maps before it; black where it found nothing (ReLU turned negatives into 0).",
        Some((_, _, Stage { kind: Kind::ConvTranspose, .. })) => "One of the decoder's maps: bright where it paints its pattern on the way back to a digit.",
        Some((_, _, Stage { kind: Kind::Dense, .. })) => "z spread out into maps: the decoder's starting sketch, far too coarse to read yet.",
        _ => "Hover, focus or click any small map to see it here.",
    };
    view! {
        <aside class="look">
            <h3>"Enlarged"</h3>
            <canvas class="digit look-map" node_ref=canvas width="28" height="28" role="img"
                aria-label=caption data-testid="inside-look"></canvas>
            <p class="caption" data-testid="inside-look-caption">{caption}</p>
            <p class="hint">{reading}</p>
        </aside>
    }
}
