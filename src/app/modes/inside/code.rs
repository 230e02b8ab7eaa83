//! The code of this digit: the posterior N(μ, σ²) per latent dimension, the ε drawn and the z it
//! gives, and the decoder's drawings of μ and of sixteen draws z ~ N(μ, σ²), so the posterior's
//! spread is seen, not only read.

use leptos::html;
use leptos::prelude::*;

use super::{InsideView, Seen};
use crate::app::context::use_lab;
use crate::app::view::state::ViewStateStoreFields;
use crate::app::widgets::latent_map::{Cloud, LatentMap, current_points};
use crate::app::widgets::paint::{clear, paint_digit, paint_grid};
use crate::data::PIXELS;
use crate::engine::inside::SAMPLES;

/// The chart's horizontal range: ±this.
const REACH: f32 = 4.0;
/// Columns of the samples' grid.
const COLUMNS: usize = 8;

#[component]
pub(super) fn Code(shown: InsideView) -> impl IntoView {
    let lab = use_lab();
    let mean_ref = NodeRef::<html::Canvas>::new();
    let samples_ref = NodeRef::<html::Canvas>::new();
    Effect::new(move |_| {
        let (Some(mean), Some(samples)) = (mean_ref.get(), samples_ref.get()) else { return };
        shown.seen.with(|seen| match seen {
            Some(seen) if seen.decodes.len() == (1 + SAMPLES) * PIXELS => {
                paint_digit(&mean, &seen.decodes[..PIXELS]);
                paint_grid(&samples, &seen.decodes[PIXELS..], COLUMNS, 0);
            }
            _ => {
                clear(&mean);
                clear(&samples);
            }
        });
    });
    let eps_seed = lab.view.eps_seed();
    // At the prior's scale a sure encoder's cloud is too narrow to see: say so.
    let sigma_note = move || {
        shown.seen.with(|seen| {
            let widest = seen.as_ref()?.inside.sigma().into_iter().fold(0.0f32, f32::max);
            Some(if widest < 0.15 {
                format!("Here σ is at most {widest:.3}: the cloud is too narrow to see at this scale. The encoder is very sure, so every draw below decodes to nearly the same digit.")
            } else {
                format!("Here σ reaches {widest:.3}: the draws spread visibly, and their decodes below differ where σ is large.")
            })
        })
    };
    view! {
        <div class="panel wide code" data-testid="inside-code">
            <h2>"The code: μ, σ, ε and z"</h2>
            <p class="intro">
                "The encoder does not give one point but a small cloud: for each latent dimension a mean "
                <b>"μ"</b>" (the cloud's centre) and a standard deviation "<b>"σ"</b>" (its width). "
                "Training picks a random "<b>"ε"</b>" from a standard normal (mostly between −2 and 2) and "
                "decodes "<b>"z = μ + σ × ε"</b>", a point inside the cloud: so nearby points must all decode "
                "to this digit, which is what makes the latent space smooth."
            </p>
            <div class="row">
                <figure>
                    <PosteriorChart shown=shown/>
                    <figcaption>"Per dimension: μ (tick), μ ± σ (dark band), μ ± 2σ (light band), the 16 draws (dots), the z followed above (ring)."</figcaption>
                </figure>
                <PosteriorTable shown=shown/>
                {move || (lab.view.variant().get().latent_dim() == 2).then(|| view! { <CloudOnMap shown=shown/> })}
            </div>
            <p class="hint" data-testid="inside-sigma-note">{sigma_note}</p>
            <div class="row samples">
                <figure>
                    <canvas class="digit big" node_ref=mean_ref width="28" height="28" data-testid="inside-mean-decode"
                        role="img" aria-label="The decoder's drawing of μ, the centre of the cloud"></canvas>
                    <figcaption>"Decoded μ"</figcaption>
                </figure>
                <figure>
                    <canvas class="grid samples" node_ref=samples_ref width={(COLUMNS * 28) as u32} height={(SAMPLES.div_ceil(COLUMNS) * 28) as u32}
                        data-testid="inside-samples" role="img"
                        aria-label="The decoder's drawings of 16 random points z = μ + σ × ε near μ"></canvas>
                    <figcaption>"16 draws z = μ + σ × ε, decoded (the first is the one followed above)"</figcaption>
                </figure>
                <div class="resample">
                    <button data-testid="inside-resample" on:click=move |_| eps_seed.update(|s| *s = s.wrapping_add(1))>"Resample ε"</button>
                    <p class="hint" data-testid="inside-eps-seed">{move || format!("Draw number {}", eps_seed.get())}</p>
                    <p class="hint">
                        "Resampling draws new ε: the draws move, μ's drawing stays put. "
                        "The other modes decode μ itself."
                    </p>
                </div>
            </div>
        </div>
    }
}

/// Where `v` lies on the chart's axis of width `w`.
fn x_of(v: f32, w: f64) -> f64 {
    f64::from((v.clamp(-REACH, REACH) + REACH) / (2.0 * REACH)) * w
}

#[component]
fn PosteriorChart(shown: InsideView) -> impl IntoView {
    let (left, w, row) = (36.0, 320.0, 22.0);
    let rows = move || shown.seen.with(|seen| seen.as_ref().map_or(0, |s| s.inside.mean.len()));
    let height = move || row * rows().max(1) as f64 + 20.0;
    let body = move || {
        shown.seen.with(|seen| {
            let Some(seen) = seen.as_ref() else { return Vec::new() };
            let latent = seen.inside.mean.len();
            let sigma = seen.inside.sigma();
            (0..latent)
                .map(|j| {
                    let (m, s) = (seen.inside.mean[j], sigma[j]);
                    let y = row * j as f64 + 4.0;
                    let band = |k: f32| (left + x_of(m - k * s, w), left + x_of(m + k * s, w));
                    let (a2, b2) = band(2.0);
                    let (a1, b1) = band(1.0);
                    let draws = draws_of(seen, j);
                    let z = seen.inside.z.get(j).copied().unwrap_or(m);
                    view! {
                        <g>
                            <text x="0" y={y + 13.0} class="tick">{format!("z{}", j + 1)}</text>
                            <rect x=a2 y=y width={(b2 - a2).max(1.0)} height="16" class="band2"/>
                            <rect x=a1 y=y width={(b1 - a1).max(1.0)} height="16" class="band1"/>
                            {draws.into_iter().map(|d| view! { <circle cx={left + x_of(d, w)} cy={y + 8.0} r="1.8" class="draw"/> }).collect_view()}
                            <line x1={left + x_of(m, w)} x2={left + x_of(m, w)} y1={y - 2.0} y2={y + 18.0} class="mean"/>
                            <circle cx={left + x_of(z, w)} cy={y + 8.0} r="4.5" class="z"/>
                        </g>
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    let axis = move || {
        let y = height() - 16.0;
        [-4.0f32, -2.0, 0.0, 2.0, 4.0]
            .into_iter()
            .map(|v| view! {
                <g>
                    <line x1={left + x_of(v, w)} x2={left + x_of(v, w)} y1="0" y2=y class="grid-line"/>
                    <text x={left + x_of(v, w) - 4.0} y={y + 13.0} class="tick">{format!("{v}")}</text>
                </g>
            })
            .collect_view()
    };
    view! {
        <svg class="posterior" viewBox=move || format!("0 0 {} {}", left + w + 8.0, height()) width={left + w + 8.0}
            height=height role="img" data-testid="inside-posterior"
            aria-label="Each latent dimension's mean and spread; the table beside gives the numbers">
            {axis}
            {body}
        </svg>
    }
}

/// Dimension `j` of every draw z = μ + σ ⊙ ε.
fn draws_of(seen: &Seen, j: usize) -> Vec<f32> {
    seen.draws.chunks_exact(seen.inside.mean.len().max(1)).filter_map(|z| z.get(j).copied()).collect()
}

#[component]
fn PosteriorTable(shown: InsideView) -> impl IntoView {
    let rows = move || {
        shown.seen.with(|seen| {
            let Some(seen) = seen.as_ref() else { return Vec::new() };
            let sigma = seen.inside.sigma();
            (0..seen.inside.mean.len())
                .map(|j| view! {
                    <tr>
                        <th scope="row">{format!("z{}", j + 1)}</th>
                        <td>{format!("{:+.2}", seen.inside.mean[j])}</td>
                        <td>{format!("{:.3}", sigma[j])}</td>
                        <td>{format!("{:+.2}", seen.inside.epsilon[j])}</td>
                        <td>{format!("{:+.2}", seen.inside.z[j])}</td>
                        <td>{format!("{:.2}", seen.inside.kl[j])}</td>
                    </tr>
                })
                .collect::<Vec<_>>()
        })
    };
    view! {
        <div class="table-scroll">
            <table class="posterior-table" data-testid="inside-code-table">
                <caption>"This digit's code"</caption>
                <thead><tr><th scope="col">"dim"</th><th scope="col">"μ"</th><th scope="col">"σ"</th><th scope="col">"ε"</th><th scope="col">"z = μ + σε"</th><th scope="col">"KL"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// For a 2-D latent: this digit's cloud among the test digits' means.
#[component]
fn CloudOnMap(shown: InsideView) -> impl IntoView {
    let lab = use_lab();
    let (loaded, points) = current_points(lab);
    let cloud = Signal::derive(move || {
        shown.seen.with(|seen| {
            let seen = seen.as_ref().filter(|s| s.inside.mean.len() == 2)?;
            let sigma = seen.inside.sigma();
            let draws = draws_of(seen, 0).into_iter().zip(draws_of(seen, 1)).collect();
            Some(Cloud { mean: (seen.inside.mean[0], seen.inside.mean[1]), sigma: (sigma[0], sigma[1]), draws })
        })
    });
    let marker = Signal::derive(move || shown.seen.with(|s| s.as_ref().filter(|s| s.inside.z.len() == 2).map(|s| (s.inside.z[0], s.inside.z[1]))));
    let sizes = move || {
        shown.seen.with(|seen| {
            let seen = seen.as_ref()?;
            let sigma = seen.inside.sigma();
            Some(format!(
                "The white ellipses are this digit's cloud, 1σ and 2σ wide (σ = {:.3} and {:.3}); the dots are the 16 draws, the ring the z followed. \
                 A small cloud is a sure encoder: every draw decodes to nearly the same digit.",
                sigma[0], sigma[1]
            ))
        })
    };
    view! {
        <div class="cloud-map">
            <h3>"The cloud among the test digits"</h3>
            <LatentMap points=points marker=marker cloud=cloud size=320 testid="inside-latent-map"
                label="This digit's cloud N(μ, σ²) and its draws among the test digits' means, coloured by label"/>
            <p class="hint">{move || match loaded.get() {
                Some(Err(e)) => Some(e),
                _ => sizes(),
            }}</p>
        </div>
    }
}
