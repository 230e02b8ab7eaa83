//! The study's open questions, answered: the figures drawn from `findings.json` (`vae-lab eval`),
//! each with its sentence (`findings::reading`). Fetched only when the Report is opened.

use leptos::prelude::*;

use super::figure::Figure;
use super::sweep::LatentSweeps;
use crate::app::lab::{Lab, hashed_url, use_lab};
use crate::app::paint::label_color;
use crate::engine::browser::{fetch_bytes, verify};
use crate::findings::{Findings, SeedRun, VariantFindings, reading};
use crate::metrics::{self, Metrics};
use crate::model::Variant;

/// Fetches the findings the manifest lists, checked by size and hash.
async fn load_findings(lab: Lab) -> Result<Findings, String> {
    let manifest = match lab.manifest.get_untracked() {
        Some(Ok(manifest)) => manifest,
        Some(Err(e)) => return Err(e),
        None => return Err("the models are still being listed".into()),
    };
    let file = manifest.findings.ok_or("this deploy ships no findings (run `vae-lab eval`)")?;
    let bytes = fetch_bytes(&hashed_url(&file), |_| {}).await?;
    verify(&file.file, &bytes, file.bytes, &file.sha256)?;
    let known: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
    metrics::parse::findings(&bytes, &format!("models/{}", file.file), &known)
}

fn label(variant: &str) -> &'static str {
    Variant::from_name(variant).map_or("?", |v| v.label())
}

/// The answers, once the manifest is in (it names the findings file and its hash).
#[component]
pub fn Answers() -> impl IntoView {
    let lab = use_lab();
    let findings = LocalResource::new(move || {
        let listed = lab.manifest.with(|m| m.is_some());
        async move { if listed { Some(load_findings(lab).await) } else { None } }
    });
    move || match findings.get() {
        Some(Some(Ok(f))) => view! { <Figures findings=f/> }.into_any(),
        Some(Some(Err(e))) => {
            let message = format!("The report's measurements could not be loaded: {e}. The tables above come from the training records and still hold.");
            view! { <p class="error" role="alert" data-testid="findings-error">{message}</p> }.into_any()
        }
        _ => view! { <p class="status" data-testid="findings-loading">"Loading the measurements…"</p> }.into_any(),
    }
}

#[component]
fn Figures(findings: Findings) -> impl IntoView {
    let lab = use_lab();
    let f = StoredValue::new(findings);
    let with = move |g: fn(&Findings) -> Option<String>| f.with_value(g);
    let shipped_baseline = move || {
        lab.metrics.with(|all| all.get("baseline").map(seed_run_of))
    };
    view! {
        <div class="panel wide answers" data-testid="answers">
            <h2>"The study's open questions, answered"</h2>
            <p class="hint">{f.with_value(|f| format!(
                "Measured by `{}` from the shipped weights on all {} test digits; meaning is judged by a digit classifier ({:.2} % right on the originals).",
                f.command, reading::thousands(f.test_digits), f.classifier.test_accuracy * 100.0))}</p>
            <div class="row">
                <Figure title="Image quality on the same scales (§1.3)".into() name="quality" reading=with(reading::quality)>
                    <QualityTable findings=f.get_value()/>
                </Figure>
                <Figure title="Choosing the latent size (§3.1)".into() name="latent-size" reading=with(reading::latent_size)>
                    <LatentCurve findings=f.get_value()/>
                </Figure>
                <Figure title="Which latent dimensions are used (§1.2.2)".into() name="active-units"
                    reading=f.with_value(|f| f.variants.iter().find(|v| v.variant == "latent10").or(f.variants.first()).map(reading::active_units))>
                    <ActiveUnits findings=f.get_value()/>
                </Figure>
                <LatentSweeps findings=f.get_value()/>
                <ConfusionFigure findings=f/>
                <Figure title="Inpainting the whole test set (§2.1)".into() name="inpainting"
                    reading=f.with_value(|f| f.variants.first().and_then(reading::inpainting))>
                    <InpaintingBars findings=f.get_value()/>
                </Figure>
                <Figure title="The study's three inpainting digits".into() name="study-digits"
                    reading=with(reading::study_digits)>
                    <StudyDigits findings=f.get_value()/>
                </Figure>
                <Figure title="Which digits the prior generates".into() name="generated"
                    reading=f.with_value(|f| f.variants.first().and_then(|v| v.generated.first().and_then(|g| reading::generated(&v.variant, g))))>
                    <GeneratedBars findings=f.get_value()/>
                </Figure>
                <Figure title="Seed spread: a gap or noise?".into() name="seeds"
                    reading=Signal::derive(move || {
                        let spread = shipped_baseline().and_then(|run| f.with_value(|f| reading::seed_spread(f, &run)));
                        let collapses = f.with_value(|f| reading::collapses(f, "deeper"));
                        let text: Vec<String> = spread.into_iter().chain(collapses).collect();
                        (!text.is_empty()).then(|| text.join(" "))
                    })>
                    <SeedTable findings=f.get_value() shipped=shipped_baseline()/>
                </Figure>
                <Figure title="Our loss against Keras' formula".into() name="loss-check" reading=with(reading::loss_check)>
                    <LossCheckTable findings=f.get_value()/>
                </Figure>
            </div>
        </div>
    }
}

/// The shipped run of a variant as a seed run.
fn seed_run_of(m: &Metrics) -> SeedRun {
    SeedRun {
        variant: m.variant.clone(),
        seed: m.protocol.seed,
        epochs_done: m.epochs_done,
        epochs: m.protocol.epochs,
        final_train_loss: m.final_train_loss,
        final_test_loss: m.final_test_loss,
        kl_per_dim: m.kl_per_dim.clone(),
    }
}

#[component]
fn QualityTable(findings: Findings) -> impl IntoView {
    view! {
        <table class="report-table" data-testid="quality-table">
            <thead><tr><th>"Model"</th><th>"BCE / image"</th><th>"SSE / image"</th><th>"PSNR (dB)"</th><th>"SSIM"</th><th>"Digit kept"</th></tr></thead>
            <tbody>
                {findings.variants.iter().map(|v| view! {
                    <tr data-testid=format!("quality-{}", v.variant)>
                        <td>{label(&v.variant)}</td>
                        <td>{format!("{:.2}", v.quality.bce)}</td>
                        <td>{format!("{:.2}", v.quality.sse)}</td>
                        <td>{format!("{:.2}", v.quality.psnr)}</td>
                        <td>{format!("{:.4}", v.quality.ssim)}</td>
                        <td>{format!("{:.1} %", v.class_kept * 100.0)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// Self-contained SVG text (no page CSS), so a downloaded figure looks as shown.
const TEXT: &str = "#555";

#[component]
fn LatentCurve(findings: Findings) -> impl IntoView {
    let curve: Vec<VariantFindings> = reading::latent_curve(&findings).into_iter().cloned().collect();
    let (w, h, pad) = (520.0, 260.0, 44.0);
    let values: Vec<f64> = curve.iter().flat_map(|v| [v.test_loss, v.test_recon]).collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min).floor() - 5.0;
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max).ceil() + 15.0;
    // Latent size on a log scale: 1, 2, 4, 16 evenly apart.
    let sizes: Vec<f64> = curve.iter().map(|v| (v.latent_dim as f64).log2()).collect();
    let widest = sizes.iter().copied().fold(1.0, f64::max);
    let x = move |i: usize| pad + sizes.get(i).copied().unwrap_or(0.0) / widest * (w - 2.0 * pad);
    let y = move |v: f64| h - pad - (v - lo) / (hi - lo).max(1.0) * (h - 2.0 * pad);
    let line = |values: Vec<f64>| values.iter().enumerate().map(|(i, &v)| format!("{:.1},{:.1}", x(i), y(v))).collect::<Vec<_>>().join(" ");
    let loss = line(curve.iter().map(|v| v.test_loss).collect());
    let recon = line(curve.iter().map(|v| v.test_recon).collect());
    view! {
        <svg xmlns="http://www.w3.org/2000/svg" class="chart" data-testid="latent-curve" viewBox=format!("0 0 {w} {h}") role="img" aria-label="Test loss against latent size">
            <line x1=pad y1=h - pad x2=w - pad y2=h - pad stroke="#888"/>
            <line x1=pad y1=pad x2=pad y2=h - pad stroke="#888"/>
            <text x=pad - 4.0 y=pad + 4.0 text-anchor="end" font-size="11" fill=TEXT>{format!("{hi:.0}")}</text>
            <text x=pad - 4.0 y=h - pad text-anchor="end" font-size="11" fill=TEXT>{format!("{lo:.0}")}</text>
            <polyline points=loss fill="none" stroke="#4e79a7" stroke-width="2"/>
            <polyline points=recon fill="none" stroke="#f28e2b" stroke-width="2" stroke-dasharray="5 4"/>
            {curve.iter().enumerate().map(|(i, v)| view! {
                <circle cx=x(i) cy=y(v.test_loss) r="4" fill="#4e79a7"><title>{format!("latent {}: test loss {:.2} = {:.2} + KL {:.2}", v.latent_dim, v.test_loss, v.test_recon, v.test_kl)}</title></circle>
                <text x=x(i) y=h - pad + 16.0 text-anchor="middle" font-size="11" fill=TEXT>{format!("{}", v.latent_dim)}</text>
                <text x=x(i) y=y(v.test_loss) - 10.0 text-anchor="middle" font-size="10" fill=TEXT>{format!("{}/{} active", v.active_units, v.latent_dim)}</text>
            }).collect_view()}
            <text x=w / 2.0 y=h - 8.0 text-anchor="middle" font-size="11" fill=TEXT>"latent size (log scale)"</text>
            <text x=w - pad y=pad text-anchor="end" font-size="11" fill="#4e79a7">"test loss (recon + KL)"</text>
            <text x=w - pad y=pad + 14.0 text-anchor="end" font-size="11" fill="#f28e2b">"reconstruction part"</text>
        </svg>
    }
}

#[component]
fn ActiveUnits(findings: Findings) -> impl IntoView {
    let (cell, gap, name_w) = (18.0, 3.0, 130.0);
    let rows = findings.variants.len() as f64;
    let widest = findings.variants.iter().map(|v| v.latent_dim).max().unwrap_or(1) as f64;
    let w = name_w + widest * (cell + gap) + 10.0;
    let h = rows * (cell + 6.0);
    view! {
        <svg xmlns="http://www.w3.org/2000/svg" class="chart" data-testid="active-units" viewBox=format!("0 0 {w} {h}") role="img" aria-label="Active latent dimensions per model">
            {findings.variants.iter().enumerate().map(|(r, v)| {
                let top = r as f64 * (cell + 6.0);
                view! {
                    <text x="0" y=top + cell - 4.0 font-size="11" fill=TEXT>{format!("{} ({}/{})", label(&v.variant), v.active_units, v.latent_dim)}</text>
                    {v.mean_variance.iter().zip(&v.kl_per_dim).enumerate().map(|(d, (&var, &kl))| {
                        let active = var > crate::findings::ACTIVE_UNIT_THRESHOLD;
                        view! {
                            <rect x=name_w + d as f64 * (cell + gap) y=top width=cell height=cell rx="3"
                                fill=if active { "#4e79a7" } else { "#e4e4e4" }>
                                <title>{format!("z{d}: Var E[z|x] = {var:.3}, KL = {kl:.2}")}</title>
                            </rect>
                        }
                    }).collect_view()}
                }
            }).collect_view()}
        </svg>
        <p class="hint">"Filled: an active unit (the variance over the test digits of E[z|x] is above 0.01; Burda et al. 2016). Hover a square for its numbers."</p>
    }
}

#[component]
fn ConfusionFigure(findings: StoredValue<Findings>) -> impl IntoView {
    let lab = use_lab();
    // The picked model when it was measured, else the baseline.
    let chosen = move || {
        let picked = lab.view.variant.get();
        findings.with_value(|f| f.variants.iter().find(|v| v.variant == picked.name()).or(f.variants.first()).cloned())
    };
    move || {
        chosen().map(|v| {
            let reading = reading::confusion(&v);
            view! {
                <Figure title=format!("What the classifier reads in {} reconstructions", label(&v.variant)) name="confusion" reading=reading>
                    <ConfusionMatrix findings=v/>
                    <p class="hint">"Rows: the true digit; columns: what the reconstruction reads as. Pick another model above to see its matrix."</p>
                </Figure>
            }
        })
    }
}

#[component]
fn ConfusionMatrix(findings: VariantFindings) -> impl IntoView {
    let (cell, pad) = (30.0, 24.0);
    let size = pad + 10.0 * cell;
    view! {
        <svg xmlns="http://www.w3.org/2000/svg" class="chart confusion" data-testid="confusion-matrix" viewBox=format!("0 0 {size} {size}") role="img" aria-label="Confusion matrix">
            {(0..10).map(|d| view! {
                <text x=pad + d as f64 * cell + cell / 2.0 y=pad - 8.0 text-anchor="middle" font-size="11" fill=TEXT>{d.to_string()}</text>
                <text x=pad - 8.0 y=pad + d as f64 * cell + cell / 2.0 + 4.0 text-anchor="end" font-size="11" fill=TEXT>{d.to_string()}</text>
            }).collect_view()}
            {findings.confusion.iter().enumerate().map(|(truth, row)| {
                let total = row.iter().sum::<usize>().max(1) as f64;
                row.iter().enumerate().map(move |(read, &count)| {
                    let share = count as f64 / total;
                    // Off the diagonal, 10 % of a row is already full colour: errors are rare.
                    let (fill, opacity) = if truth == read { ("#59a14f", share) } else { ("#e15759", (share * 10.0).min(1.0)) };
                    view! {
                        <rect x=pad + read as f64 * cell y=pad + truth as f64 * cell width=cell - 1.0 height=cell - 1.0 fill=fill fill-opacity=format!("{opacity:.3}")>
                            <title>{format!("{truth} read as {read}: {count}")}</title>
                        </rect>
                        {(count > 0 && truth != read).then(|| view! {
                            <text x=pad + read as f64 * cell + cell / 2.0 y=pad + truth as f64 * cell + cell / 2.0 + 4.0 text-anchor="middle" font-size="9" fill="#222">{count.to_string()}</text>
                        })}
                    }
                }).collect_view()
            }).collect_view()}
        </svg>
    }
}

#[component]
fn InpaintingBars(findings: Findings) -> impl IntoView {
    let methods = ["zero-filled", "one pass", "iterative"];
    let colors = ["#bab0ac", "#f28e2b", "#4e79a7"];
    let (bar, group_gap, name_w, w) = (9.0, 10.0, 130.0, 520.0);
    let max = findings.variants.iter().flat_map(|v| v.inpainting.iter().map(|s| s.masked_mse)).fold(0.01, f64::max);
    let group = 3.0 * bar + group_gap;
    let h = findings.variants.len() as f64 * group + 40.0;
    let x = move |v: f64| name_w + v / max * (w - name_w - 90.0);
    view! {
        <svg xmlns="http://www.w3.org/2000/svg" class="chart" data-testid="inpainting-chart" viewBox=format!("0 0 {w} {h}") role="img" aria-label="Inpainting error by method">
            {findings.variants.iter().enumerate().map(|(r, v)| {
                let top = r as f64 * group;
                view! {
                    <text x="0" y=top + 2.0 * bar font-size="11" fill=TEXT>{label(&v.variant)}</text>
                    {methods.iter().enumerate().map(|(k, method)| {
                        v.inpainting.iter().find(|s| s.mask == "centre" && s.method == *method).map(|s| view! {
                            <rect x=name_w y=top + k as f64 * bar width=x(s.masked_mse) - name_w height=bar - 1.0 fill=colors[k]>
                                <title>{format!("{method}: hidden-pixel MSE {:.4}, digit kept {:.1} %", s.masked_mse, s.class_kept * 100.0)}</title>
                            </rect>
                            <text x=x(s.masked_mse) + 4.0 y=top + k as f64 * bar + bar - 1.0 font-size="9" fill=TEXT>{format!("{:.3} · {:.0} %", s.masked_mse, s.class_kept * 100.0)}</text>
                        })
                    }).collect_view()}
                }
            }).collect_view()}
            {methods.iter().enumerate().map(|(k, method)| view! {
                <rect x=name_w + k as f64 * 120.0 y=h - 22.0 width="10" height="10" fill=colors[k]/>
                <text x=name_w + k as f64 * 120.0 + 14.0 y=h - 13.0 font-size="11" fill=TEXT>{*method}</text>
            }).collect_view()}
        </svg>
        <table class="report-table" data-testid="inpainting-table">
            <thead><tr><th>"Model"</th><th>"Mask"</th><th>"Zero-filled"</th><th>"One pass"</th><th>"Iterative"</th></tr></thead>
            <tbody>
                {findings.variants.iter().flat_map(|v| ["centre", "random"].map(|mask| {
                    let cell = |method: &str| v.inpainting.iter().find(|s| s.mask == mask && s.method == method)
                        .map(|s| format!("{:.4} · {:.1} %", s.masked_mse, s.class_kept * 100.0)).unwrap_or_default();
                    view! { <tr><td>{label(&v.variant)}</td><td>{mask}</td><td>{cell("zero-filled")}</td><td>{cell("one pass")}</td><td>{cell("iterative")}</td></tr> }
                })).collect_view()}
            </tbody>
        </table>
        <p class="hint">"Each cell: mean squared error on the hidden pixels · share of digits the classifier still reads right."</p>
    }
}

#[component]
fn StudyDigits(findings: Findings) -> impl IntoView {
    let variants: Vec<String> = findings.study_digits.first().map(|d| d.reads.iter().map(|r| r.variant.clone()).collect()).unwrap_or_default();
    view! {
        <table class="report-table" data-testid="study-digits">
            <thead><tr><th>"Test digit"</th><th>"The study saw"</th>{variants.iter().map(|v| view! { <th>{label(v)}</th> }).collect_view()}</tr></thead>
            <tbody>
                {findings.study_digits.iter().map(|d| view! {
                    <tr>
                        <td>{format!("#{} (a {})", d.test_index, d.label)}</td>
                        <td>{d.study_saw.clone()}</td>
                        {d.reads.iter().map(|r| {
                            let mark = |c: u8| if c == d.label { format!("{c}") } else { format!("{c}✗") };
                            view! { <td>{format!("{} / {}", mark(r.one_pass), mark(r.iterative))}</td> }
                        }).collect_view()}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn GeneratedBars(findings: Findings) -> impl IntoView {
    let (bar, gap, h, name_h) = (12.0, 2.0, 60.0, 16.0);
    let panel_w = 10.0 * (bar + gap) + 16.0;
    let cols = 4usize;
    let rows = findings.variants.len().div_ceil(cols) as f64;
    let w = cols as f64 * panel_w;
    let total_h = rows * (h + name_h + 18.0) + 16.0;
    view! {
        <svg xmlns="http://www.w3.org/2000/svg" class="chart" data-testid="generated-chart" viewBox=format!("0 0 {w} {total_h}") role="img" aria-label="Digits read in prior samples">
            {findings.variants.iter().enumerate().map(|(k, v)| {
                let (left, top) = ((k % cols) as f64 * panel_w, (k / cols) as f64 * (h + name_h + 18.0));
                let hot = v.generated.iter().find(|g| g.temperature == 1.0).cloned();
                let cool = v.generated.iter().find(|g| g.temperature != 1.0).cloned();
                let max = v.generated.iter().flat_map(|g| g.counts.iter().map(|&c| c as f64 / g.samples.max(1) as f64)).fold(0.01, f64::max);
                view! {
                    <text x=left y=top + 11.0 font-size="11" fill=TEXT>{label(&v.variant)}</text>
                    {(0..10u8).map(|d| {
                        let x = left + d as f64 * (bar + gap);
                        let share = |g: &Option<crate::findings::GeneratedLabels>| g.as_ref().map_or(0.0, |g| g.counts[d as usize] as f64 / g.samples.max(1) as f64);
                        let (s1, s2) = (share(&hot), share(&cool));
                        view! {
                            <rect x=x y=top + name_h + h - s1 / max * h width=bar height=s1 / max * h fill=label_color(d)>
                                <title>{format!("{d}: {:.1} % at T = 1", s1 * 100.0)}</title>
                            </rect>
                            <rect x=x + 2.0 y=top + name_h + h - s2 / max * h width=bar - 4.0 height=s2 / max * h fill="none" stroke="#222" stroke-width="1">
                                <title>{format!("{d}: {:.1} % at the lower temperature", s2 * 100.0)}</title>
                            </rect>
                            <text x=x + bar / 2.0 y=top + name_h + h + 12.0 text-anchor="middle" font-size="9" fill=TEXT>{d.to_string()}</text>
                        }
                    }).collect_view()}
                }
            }).collect_view()}
            <text x="0" y=total_h - 4.0 font-size="10" fill=TEXT>"Filled: share of 10,000 samples z ~ N(0, I) read as each digit; outlined: at temperature 0.5."</text>
        </svg>
    }
}

#[component]
fn SeedTable(findings: Findings, shipped: Option<SeedRun>) -> impl IntoView {
    let runs: Vec<SeedRun> = findings.seeds.iter().cloned().chain(shipped).collect();
    view! {
        <table class="report-table" data-testid="seed-table">
            <thead><tr><th>"Model"</th><th>"Seed"</th><th>"Epochs"</th><th>"Final train loss"</th><th>"Test loss"</th><th>"KL per dimension"</th></tr></thead>
            <tbody>
                {runs.into_iter().map(|r| view! {
                    <tr>
                        <td>{label(&r.variant)}</td>
                        <td>{r.seed.to_string()}</td>
                        <td>{format!("{}/{}", r.epochs_done, r.epochs)}</td>
                        <td>{format!("{:.2}", r.final_train_loss)}</td>
                        <td>{format!("{:.2}", r.final_test_loss)}</td>
                        <td>{r.kl_per_dim.iter().map(|k| format!("{k:.2}")).collect::<Vec<_>>().join(" · ")}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn LossCheckTable(findings: Findings) -> impl IntoView {
    view! {
        <table class="report-table" data-testid="loss-check">
            <thead><tr><th>"Model"</th><th>"Ours (BCE from logits)"</th><th>"Keras' formula"</th><th>"Study"</th></tr></thead>
            <tbody>
                {findings.loss_check.iter().map(|c| view! {
                    <tr>
                        <td>{label(&c.variant)}</td>
                        <td>{format!("{:.3}", c.ours)}</td>
                        <td>{format!("{:.3}", c.keras)}</td>
                        <td>{Variant::from_name(&c.variant).and_then(|v| v.study()).map_or("–".into(), |s| format!("{:.2} (train)", s.final_loss))}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <p class="hint">"Test digits, z sampled with one seed, per image. The study's figure is its last epoch's mean training loss."</p>
    }
}
