//! Compare: one input through the study's five variants at once, and the visitor's own model
//! when there is one.

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::widgets::sources::{GeneratedSourceButton, source_image};
use crate::app::widgets::paint::paint_digit;
use crate::app::view::reading::named;
use crate::app::widgets::reading::reading;
use crate::app::widgets::frame_runner::Latest;
use crate::app::context::{ModelStatus, use_lab};
use crate::app::timed::timed;
use crate::app::view::state::InpaintSource;
use crate::data::masked_error;
use crate::study::Variant;
use crate::app::view::state::ViewStateStoreFields;

/// The study's five and "your model".
const SLOTS: usize = 6;

/// What Compare shows: the study's five variants, then the visitor's model if there is one.
fn compared(yours: Option<Variant>) -> Vec<Variant> {
    Variant::STUDY.into_iter().chain(yours).collect()
}

#[component]
pub(crate) fn CompareMode() -> impl IntoView {
    let lab = use_lab();
    let input_ref = NodeRef::<html::Canvas>::new();
    let refs: [NodeRef<html::Canvas>; SLOTS] = std::array::from_fn(|_| NodeRef::new());
    let errors = RwSignal::new([None::<f32>; SLOTS]);
    let variants = move || compared(lab.yours.get());
    let message = RwSignal::new(None::<String>);
    // The input and each output on screen, and which digit each looks like (their names).
    let input = RwSignal::new(None::<Vec<f32>>);
    let outputs = RwSignal::new(std::array::from_fn::<Option<Vec<f32>>, SLOTS, _>(|_| None));
    let input_looks = reading(lab, input.into());
    let looks: [Signal<Option<String>>; SLOTS] =
        std::array::from_fn(|k| reading(lab, Signal::derive(move || outputs.with(|o| o[k].clone()))));
    // Every model, once the manifest says which there are (a link may open Compare first thing).
    Effect::new(move |_| {
        if lab.manifest.with(|m| m.is_some()) {
            for variant in Variant::STUDY {
                lab.ensure_model(variant);
            }
        }
    });
    let latest = Latest::new();
    Effect::new(move |_| {
        let image = source_image(lab);
        let variants = variants();
        let ready: Vec<bool> = variants.iter().map(|&v| lab.ready(v)).collect();
        let Some(image) = image else {
            message.try_set(Some("Pick a test digit or draw one in the Draw tab.".into()));
            return;
        };
        message.try_set(None);
        if let Some(canvas) = input_ref.get() {
            paint_digit(&canvas, &image);
        }
        input.set(Some(image.clone()));
        let run = latest.begin();
        spawn_local(async move {
            for (k, variant) in variants.into_iter().enumerate() {
                if !ready[k] {
                    continue;
                }
                let result = timed(lab, async |engine| engine.reconstruct(variant, &image).await).await;
                if !latest.is_current(run) {
                    return;
                }
                if let Some(Ok(out)) = result {
                    if let Some(canvas) = refs[k].try_get_untracked().flatten() {
                        paint_digit(&canvas, &out);
                    }
                    let all = vec![true; out.len()];
                    errors.try_update(|e| e[k] = Some(masked_error(&image, &out, &all)));
                    outputs.try_update(|o| o[k] = Some(out));
                }
            }
        });
    });
    view! {
        <section class="mode compare">
            <div class="panel">
                <div class="gallery">
                    {[1098usize, 4865, 7584].into_iter().map(|index| view! {
                        <button on:click=move |_| lab.view.source().set(InpaintSource::Test(index))>{format!("Test #{index}")}</button>
                    }).collect_view()}
                    <button on:click=move |_| lab.view.source().set(InpaintSource::Drawing)>"My drawing"</button>
                    <GeneratedSourceButton/>
                </div>
                <figure>
                    <canvas class="digit big" data-testid="compare-input" node_ref=input_ref width="28" height="28"
                        role="img" aria-label=move || named("The input every model reconstructs", input_looks.get())></canvas>
                    <figcaption>"Input"</figcaption>
                </figure>
                <p class="hint">{move || message.get()}</p>
            </div>
            <div class="panel row outputs">
                {move || variants().into_iter().enumerate().map(|(k, variant)| view! {
                    <figure>
                        <canvas class="digit" data-testid=format!("compare-{}", variant.name()) node_ref=refs[k] width="28" height="28"
                            role="img" aria-label=move || named(
                                format_args!("The input reconstructed by the {} model", variant.label()),
                                looks.get(k).and_then(|l| l.get())
                            )></canvas>
                        <figcaption>
                            {variant.label()}<br/>
                            {move || match lab.status.with(|s| s.get(&variant).cloned()) {
                                Some(ModelStatus::Failed(_)) => "unavailable".to_string(),
                                Some(ModelStatus::Ready) => errors.get()[k].map(|e| format!("MSE {e:.4}")).unwrap_or_default(),
                                _ => "loading…".to_string(),
                            }}
                            {move || looks.get(k).and_then(|l| l.get()).map(|words| view! { <span class="looks"><br/>{words}</span> })}
                        </figcaption>
                    </figure>
                }).collect_view()}
            </div>
        </section>
    }
}
