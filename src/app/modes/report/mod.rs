//! Report: the study's table beside ours, loss curves and KL per dimension, drawn from the
//! metrics files as SVG; then the study's open questions answered from `findings.json`
//! ([`answers`]).

mod answers;
mod figure;
mod sweep;

pub(crate) use answers::provide_findings;

use leptos::prelude::*;

use crate::app::widgets::paint::label_color;
use crate::app::context::use_lab;
use crate::study::metrics::Metrics;
use crate::study::Variant;

/// The study's reported training time on its GPU and final loss; dashes for the sizes it did not train.
fn study_cells(variant: Variant) -> (String, String) {
    variant.study().map_or(("–".into(), "–".into()), |s| (format!("{}m{:04.1}s", (s.seconds / 60.0) as u64, s.seconds % 60.0), format!("{:.2}", s.final_loss)))
}

fn minutes(seconds: f64) -> String {
    format!("{}m{:02}s", (seconds / 60.0) as u64, (seconds % 60.0) as u64)
}

#[component]
pub(crate) fn ReportMode() -> impl IntoView {
    let lab = use_lab();
    let rows = move || {
        lab.metrics.with(|all| {
            Variant::ALL
                .into_iter()
                .filter_map(|v| all.get(&v).cloned().map(|m| (v, m)))
                .collect::<Vec<(Variant, Metrics)>>()
        })
    };
    // The sections, for the table of contents: (element id, heading).
    const SECTIONS: [(&str, &str); 4] = [
        ("report-study", "The study and our reproduction"),
        ("report-loss", "Loss over epochs"),
        ("report-kl", "KL per latent dimension"),
        ("report-answers", "The study's open questions, answered"),
    ];
    let jump = |id: &str| {
        if let Some(element) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id(id)) {
            element.scroll_into_view();
        }
    };
    view! {
        <section class="mode report">
            <nav class="panel wide toc" data-testid="report-toc" aria-label="The Report's sections">
                <h2>"The Report"</h2>
                <p class="hint">"Every number behind the tour, measured on the 10,000 held-out test digits: the study's table beside ours, the training curves, and the study's questions answered with figures."</p>
                <ol>
                    {SECTIONS.into_iter().map(|(id, title)| view! {
                        <li><button class="link" on:click=move |_| jump(id)>{title}</button></li>
                    }).collect_view()}
                </ol>
            </nav>
            <div class="panel wide" id="report-study">
                <h2>"The study and our reproduction"</h2>
                <p>"The study trained on all 70,000 MNIST digits; we train on the 60,000 training digits and keep the 10,000 test digits unseen, so test losses are honest. Losses are per image: summed reconstruction error + KL."</p>
                // It scrolls sideways on a phone: focusable, so a keyboard can scroll it too.
                <table class="report-table" data-testid="report-table" tabindex="0" aria-label="The study's numbers and ours, a row per model">
                    <thead><tr>
                        <th>"Model"</th><th>"Study: time"</th><th>"Study: final loss"</th><th>"Ours: epochs"</th>
                        <th>"Ours: final train loss"</th><th>"Ours: test loss"</th><th>"Test recon + KL"</th><th>"Ours: time (CPU)"</th>
                    </tr></thead>
                    <tbody>
                        {move || rows().into_iter().map(|(v, m)| {
                            let last = m.history.last().cloned();
                            let (study_time, study_loss) = study_cells(v);
                            view! {
                                <tr data-testid=format!("report-row-{}", v.name())>
                                    <td>{v.label()}</td>
                                    <td>{study_time}</td>
                                    <td>{study_loss}</td>
                                    // Every variant uses seed 42 unless its run says otherwise (deeper: see README).
                                    <td>{format!("{}/{}", m.epochs_done, m.protocol.epochs)}{(m.protocol.seed != 42).then(|| format!(" (seed {})", m.protocol.seed))}</td>
                                    <td>{format!("{:.2}", m.final_train_loss)}</td>
                                    <td>{format!("{:.2}", m.final_test_loss)}</td>
                                    <td>{last.map(|l| format!("{:.2} + {:.2}", l.test_recon, l.test_kl)).unwrap_or_default()}</td>
                                    <td>{minutes(m.train_seconds)}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="panel" id="report-loss">
                <h2>"Loss over epochs"</h2>
                <LossCurves/>
            </div>
            <div class="panel" id="report-kl">
                <h2>"KL per latent dimension (test set)"</h2>
                <p class="hint">"How much each dimension is used: near 0 means the dimension is ignored."</p>
                {move || rows().into_iter().map(|(v, m)| view! { <KlBars variant=v metrics=m/> }).collect_view()}
            </div>
            <answers::Answers/>
        </section>
    }
}

#[component]
fn LossCurves() -> impl IntoView {
    let lab = use_lab();
    // `legend`: room right of the plot for the variant names.
    let (w, h, pad, legend) = (520.0, 300.0, 40.0, 80.0);
    move || {
        let series: Vec<(Variant, Vec<f64>, Vec<f64>)> = lab.metrics.with(|all| {
            Variant::ALL
                .into_iter()
                .filter(|v| *v != Variant::Mse) // another scale (squared error)
                .filter_map(|v| all.get(&v).map(|m| (v, m.history.iter().map(|r| r.train_loss).collect(), m.history.iter().map(|r| r.test_loss).collect())))
                .collect()
        });
        let values: Vec<f64> = series.iter().flat_map(|(_, a, b)| a.iter().chain(b).copied()).collect();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min).min(120.0);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max).max(lo + 1.0).min(260.0);
        let epochs = series.iter().map(|(_, a, _)| a.len()).max().unwrap_or(1).max(30) as f64;
        let x = move |e: usize| pad + (e as f64) / epochs * (w - 2.0 * pad);
        let y = move |v: f64| h - pad - ((v.min(hi) - lo) / (hi - lo)) * (h - 2.0 * pad);
        let line = move |vals: &[f64]| vals.iter().enumerate().map(|(i, &v)| format!("{:.1},{:.1}", x(i + 1), y(v))).collect::<Vec<_>>().join(" ");
        view! {
            <svg class="chart" data-testid="loss-chart" viewBox=format!("0 0 {} {h}", w + legend) role="img" aria-label="Training and test loss per epoch">
                <line x1=pad y1=h - pad x2=w - pad y2=h - pad stroke="#888"/>
                <line x1=pad y1=pad x2=pad y2=h - pad stroke="#888"/>
                <text x=pad - 4.0 y=pad text-anchor="end" class="tick">{format!("{hi:.0}")}</text>
                <text x=pad - 4.0 y=h - pad text-anchor="end" class="tick">{format!("{lo:.0}")}</text>
                <text x=w - pad y=h - pad + 16.0 text-anchor="end" class="tick">{format!("epoch {epochs:.0}")}</text>
                {series.iter().enumerate().map(|(k, (v, train, test))| {
                    let color = label_color(k as u8);
                    view! {
                        <polyline points=line(train) fill="none" stroke=color stroke-width="2"/>
                        <polyline points=line(test) fill="none" stroke=color stroke-width="2" stroke-dasharray="5 4"/>
                        <text x=w - pad + 8.0 y=pad + 14.0 * k as f64 style:fill=color class="tick">{v.name()}</text>
                    }
                }).collect_view()}
            </svg>
            <p class="hint">"Solid: training loss (mean over each epoch, as Keras reports it). Dashed: test loss after the epoch. The MSE model is on another scale and not drawn."</p>
        }
    }
}

#[component]
fn KlBars(variant: Variant, metrics: Metrics) -> impl IntoView {
    let max = metrics.kl_per_dim.iter().copied().fold(0.1f64, f64::max);
    let (bar, gap, h) = (22.0, 6.0, 80.0);
    let width = metrics.kl_per_dim.len() as f64 * (bar + gap) + 20.0;
    view! {
        <figure class="kl">
            <svg class="kl-dims" viewBox=format!("0 0 {width} {}", h + 18.0) width=width role="img" aria-label=format!("KL per dimension of {}", variant.label())>
                {metrics.kl_per_dim.iter().enumerate().map(|(d, &kl)| {
                    let bh = kl / max * h;
                    let x = 10.0 + d as f64 * (bar + gap);
                    view! {
                        <rect x=x y=h - bh width=bar height=bh fill="#4e79a7"><title>{format!("z{}: {kl:.3}", d + 1)}</title></rect>
                        <text x=x + bar / 2.0 y=h + 14.0 text-anchor="middle" class="tick">{format!("{}", d + 1)}</text>
                    }
                }).collect_view()}
            </svg>
            <figcaption>{format!("{}: {}", variant.label(), metrics.kl_per_dim.iter().map(|k| format!("{k:.2}")).collect::<Vec<_>>().join(" · "))}</figcaption>
        </figure>
    }
}
