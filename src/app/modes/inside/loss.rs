//! The loss of this digit, split as the trainer computes it (`model::loss`): the reconstruction
//! term pixel by pixel (a map of where it is paid) and the KL term per latent dimension, the
//! formula written in MathML with this digit's numbers filled in.

use leptos::html;
use leptos::prelude::*;

use super::{InsideView, Seen};
use crate::app::widgets::paint::{clear, heat, put_colored};
use crate::study::ReconLoss;
use crate::study::anatomy::recon_label;

/// The formula of the loss of one digit, with its two terms' values under it.
fn formula(kind: ReconLoss, recon: f32, kl: f32) -> String {
    let x = "<msub><mi>x</mi><mi>i</mi></msub>";
    let y = "<msub><mover><mi>x</mi><mo>^</mo></mover><mi>i</mi></msub>";
    let recon_term = match kind {
        ReconLoss::Bce => format!(
            "<munder><mo>∑</mo><mi>i</mi></munder><mo>−</mo><mo>[</mo>{x}<mi>log</mi>{y}<mo>+</mo><mo>(</mo><mn>1</mn><mo>−</mo>{x}<mo>)</mo><mi>log</mi><mo>(</mo><mn>1</mn><mo>−</mo>{y}<mo>)</mo><mo>]</mo>"
        ),
        ReconLoss::Mse => format!("<munder><mo>∑</mo><mi>i</mi></munder><msup><mrow><mo>(</mo>{x}<mo>−</mo>{y}<mo>)</mo></mrow><mn>2</mn></msup>"),
    };
    let sigma2 = "<msubsup><mi>σ</mi><mi>j</mi><mn>2</mn></msubsup>";
    let kl_term = format!(
        "<munder><mo>∑</mo><mi>j</mi></munder><mfrac><mn>1</mn><mn>2</mn></mfrac><mo>(</mo><msubsup><mi>μ</mi><mi>j</mi><mn>2</mn></msubsup><mo>+</mo>{sigma2}<mo>−</mo><mi>log</mi>{sigma2}<mo>−</mo><mn>1</mn><mo>)</mo>"
    );
    // Three rows (the terms, then the numbers), so that it fits a phone.
    format!(
        "<math display=\"block\"><mtable columnalign=\"right center left\">\
         <mtr><mtd><mi>loss</mi></mtd><mtd><mo>=</mo></mtd><mtd><mrow>{recon_term}</mrow></mtd></mtr>\
         <mtr><mtd></mtd><mtd><mo>+</mo></mtd><mtd><mrow>{kl_term}</mrow></mtd></mtr>\
         <mtr><mtd></mtd><mtd><mo>=</mo></mtd><mtd><mrow><mn>{recon:.2}</mn><mo>+</mo><mn>{kl:.2}</mn><mo>=</mo><mn>{:.2}</mn></mrow></mtd></mtr>\
         </mtable></math>",
        recon + kl
    )
}

#[component]
pub(super) fn Loss(shown: InsideView) -> impl IntoView {
    let map_ref = NodeRef::<html::Canvas>::new();
    Effect::new(move |_| {
        let Some(canvas) = map_ref.get() else { return };
        shown.seen.with(|seen| match seen {
            Some(seen) => {
                let peak = seen.inside.recon_map.iter().copied().fold(1e-6f32, f32::max);
                put_colored(&canvas, &seen.inside.recon_map, 28, 28, (0.0, 0.0), |v| heat(v / peak));
            }
            None => clear(&canvas),
        });
    });
    let math = move || shown.seen.with(|seen| seen.as_ref().map(|s| formula(s.variant.recon_loss(), s.inside.recon(), s.inside.kl_total())));
    let recon_words = move || {
        shown.seen.with(|seen| {
            let Some(seen) = seen.as_ref() else { return String::new() };
            let (at, worst) = seen.inside.recon_map.iter().copied().enumerate().fold((0, 0.0f32), |b, (i, v)| if v > b.1 { (i, v) } else { b });
            let name = recon_label(seen.variant.recon_loss());
            let meaning = match seen.variant.recon_loss() {
                ReconLoss::Bce => "for each pixel, −log of the chance the output gave the true value: near 0 when it is right and sure, large when it is confidently wrong",
                ReconLoss::Mse => "for each pixel, the square of the difference between input and output",
            };
            format!(
                "Reconstruction, {:.2}: the {name} ({meaning}), added over all 784 pixels. \
                 The brightest pixel in the map costs {worst:.2} (row {} from the top, column {} from the left); black pixels cost almost nothing.",
                seen.inside.recon(),
                at / 28 + 1,
                at % 28 + 1
            )
        })
    };
    let kl_words = move || {
        shown.seen.with(|seen| {
            let Some(seen) = seen.as_ref() else { return String::new() };
            let (dim, most) = seen.inside.kl.iter().copied().enumerate().fold((0, f32::MIN), |b, (i, v)| if v > b.1 { (i, v) } else { b });
            // Its two parts: the centre away from 0, and the width away from 1.
            let (m, lv) = (seen.inside.mean[dim], seen.inside.log_var[dim]);
            let (centre, width) = (0.5 * m * m, 0.5 * (lv.exp() - lv - 1.0));
            format!(
                "KL, {:.2}: what it costs that this digit's cloud (centre μ, width σ) is not the bell curve at 0 of width 1 that \
                 Generate draws new points from. It grows as μ moves away from 0 and as σ shrinks below 1. z{} pays most ({most:.2}): \
                 {centre:.2} for its centre and {width:.2} for its width. A dimension paying about 0 says nothing about this digit.",
                seen.inside.kl_total(),
                dim + 1
            )
        })
    };
    let study = move || {
        shown.seen.with(|seen| {
            let seen = seen.as_ref()?;
            let study = seen.variant.study()?;
            Some(format!(
                "Training lowers the average of this loss over the training digits; the study ended at {:.2} for this model.",
                study.final_loss
            ))
        })
    };
    view! {
        <div class="panel wide loss">
            <h2>"The loss of this digit"</h2>
            <p class="intro">
                "What training minimises, for this one digit, exactly as the trainer adds it up: how badly the output "
                "matches the input (reconstruction) plus how far the code's cloud strays from a standard normal (KL). "
                "It uses the z followed above: with another ε the reconstruction part changes a little."
            </p>
            <div class="formula" data-testid="inside-formula" inner_html=move || math().unwrap_or_default()></div>
            <p class="hint">"i runs over the 784 pixels, j over the latent numbers; x is the input, x̂ (x-hat) the output, μ and σ the cloud's centre and width."</p>
            <div class="row">
                <figure>
                    <canvas class="digit big heat" node_ref=map_ref width="28" height="28" data-testid="inside-loss-map"
                        role="img" aria-label="Where the reconstruction loss is paid: brighter pixels cost more"></canvas>
                    <figcaption>{move || shown.seen.with(|s| {
                        let peak = s.as_ref().map_or(0.0, |s| s.inside.recon_map.iter().copied().fold(0.0f32, f32::max));
                        format!("Loss per pixel: black 0 → pale yellow {peak:.2}")
                    })}</figcaption>
                </figure>
                <div class="loss-words">
                    <p data-testid="inside-recon">{recon_words}</p>
                    <KlBars shown=shown/>
                    <p data-testid="inside-kl">{kl_words}</p>
                    <p class="hint">{study}</p>
                </div>
            </div>
        </div>
    }
}

/// KL per latent dimension, as bars.
#[component]
fn KlBars(shown: InsideView) -> impl IntoView {
    let (row, w, left) = (16.0, 240.0, 36.0);
    let bars = move || {
        shown.seen.with(|seen: &Option<Seen>| {
            let Some(seen) = seen.as_ref() else { return Vec::new() };
            let peak = seen.inside.kl.iter().copied().fold(1e-6f32, f32::max);
            seen.inside
                .kl
                .iter()
                .enumerate()
                .map(|(j, &v)| {
                    let y = row * j as f64;
                    view! {
                        <g>
                            <text x="0" y={y + 12.0} class="tick">{format!("z{}", j + 1)}</text>
                            <rect x=left y={y + 2.0} width={(f64::from(v.max(0.0) / peak) * w).max(0.5)} height={row - 4.0} class="kl"/>
                            <text x={left + f64::from(v.max(0.0) / peak) * w + 4.0} y={y + 12.0} class="tick">{format!("{v:.2}")}</text>
                        </g>
                    }
                })
                .collect::<Vec<_>>()
        })
    };
    let height = move || shown.seen.with(|s| s.as_ref().map_or(1, |s| s.inside.kl.len())) as f64 * row;
    view! {
        <svg class="kl-bars" viewBox=move || format!("0 0 {} {}", left + w + 48.0, height()) width={left + w + 48.0} height=height
            role="img" aria-label="KL per latent dimension; the table above gives the numbers" data-testid="inside-kl-bars">
            {bars}
        </svg>
    }
}
