//! The study's open questions, answered: the figures `vae-lab eval` drew into `findings.json`
//! (`findings::page`), each with its sentence, placed here. Fetched only when the Report is opened.

use leptos::prelude::*;

use super::figure::Figure;
use super::sweep::LatentSweeps;
use crate::app::context::{Lab, use_lab};
use crate::engine::web::fetch_listed;
use crate::study::report::{PageFigure, PageReport};
use crate::study::Variant;
use crate::app::view::state::ViewStateStoreFields;

/// Fetches the findings the manifest lists, checked by size and hash: their drawn figures.
async fn load_findings(lab: Lab) -> Result<PageReport, String> {
    let manifest = match lab.manifest.get_untracked() {
        Some(Ok(manifest)) => manifest,
        Some(Err(e)) => return Err(e),
        None => return Err("the models are still being listed".into()),
    };
    let file = manifest.findings.ok_or("this deploy ships no findings (run `vae-lab eval`)")?;
    let bytes = fetch_listed(&file, |_| {}).await?;
    let known: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
    crate::study::parse::findings(&bytes, &format!("models/{}", file.file), &known)
}

/// The answers, once the manifest is in (it names the findings file and its hash).
/// The Report's measurements: fetched once a visit, when the Report is first opened (not part of
/// the first load), and held by the app, so coming back to the tab does not fetch them again.
#[derive(Clone, Copy)]
pub(crate) struct Findings {
    wanted: RwSignal<bool>,
    loaded: LocalResource<Option<Result<PageReport, String>>>,
}

/// Provides [`Findings`] (at start-up; nothing is fetched until the Report asks).
pub(crate) fn provide_findings(lab: Lab) {
    let wanted = RwSignal::new(false);
    let loaded = LocalResource::new(move || {
        let go = wanted.get() && lab.manifest.with(|m| m.is_some());
        async move { if go { Some(load_findings(lab).await) } else { None } }
    });
    provide_context(Findings { wanted, loaded });
}

#[component]
pub(crate) fn Answers() -> impl IntoView {
    let Findings { wanted, loaded: findings } = expect_context::<Findings>();
    if !wanted.get_untracked() {
        wanted.set(true);
    }
    move || match findings.get() {
        Some(Some(Ok(report))) => view! { <Figures report/> }.into_any(),
        Some(Some(Err(e))) => {
            let message = format!("The report's measurements could not be loaded: {e}. The tables above come from the training records and still hold.");
            view! { <p class="error" role="alert" data-testid="findings-error">{message}</p> }.into_any()
        }
        _ => view! { <p class="status" data-testid="findings-loading">"Loading the measurements…"</p> }.into_any(),
    }
}

#[component]
fn Figures(report: PageReport) -> impl IntoView {
    let intro = report.intro.clone();
    view! {
        <div class="panel wide answers" id="report-answers" data-testid="answers">
            <h2>"The study's open questions, answered"</h2>
            <p class="hint">{intro}</p>
            <div class="row">
                {report.figures.into_iter().map(|figure| {
                    if let Some(sweep) = figure.sweep.clone() {
                        view! { <LatentSweeps figure=figure sweep=sweep/> }.into_any()
                    } else if !figure.per_variant.is_empty() {
                        view! { <PerVariantFigure figure=figure/> }.into_any()
                    } else {
                        let PageFigure { name, title, reading, html, note, .. } = figure;
                        view! { <Figure title name reading=Some(reading) html note/> }.into_any()
                    }
                }).collect_view()}
            </div>
        </div>
    }
}

/// A figure drawn once per model (the confusion matrix): the picked model's, else the first.
#[component]
fn PerVariantFigure(figure: PageFigure) -> impl IntoView {
    let lab = use_lab();
    let PageFigure { name, note, per_variant, .. } = figure;
    move || {
        let picked = lab.view.variant().get();
        per_variant.iter().find(|d| d.variant == picked.name()).or(per_variant.first()).cloned().map(|d| view! {
            <Figure title=d.title name=name.clone() reading=Some(d.reading) html=d.html note=note.clone()/>
        })
    }
}
