//! The Report's figures as self-contained SVG and HTML text, drawn from the findings by the CLI
//! (`page::render`) so the page only places them: drawn by page components they added 144 KB
//! of gzipped wasm to the first load (measured), and a text drawing downloads as it is shown.
//! Every text from the findings is escaped.

use std::fmt::Write;

use super::reading;
use crate::study::findings::{ACTIVE_UNIT_THRESHOLD, Fill, Findings, GeneratedLabels, Mask, SeedRun, VariantFindings};
use crate::study::Variant;

const TEXT: &str = "#555";
const BLUE: &str = "#4e79a7";
const ORANGE: &str = "#f28e2b";
const GREY: &str = "#bab0ac";
/// tab10-like colours, one per digit.
const DIGIT_COLORS: [&str; 10] = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];

/// `<`, `>`, `&` and quotes escaped for HTML and SVG text and attributes.
pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

fn label(variant: &str) -> String {
    escape(&reading::label(variant))
}

fn svg_open(out: &mut String, w: f64, h: f64, testid: &str, aria: &str) {
    let _ = write!(out, r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-testid="{testid}" viewBox="0 0 {w:.0} {h:.0}" role="img" aria-label="{aria}" font-family="sans-serif">"#);
}

fn text(out: &mut String, x: f64, y: f64, size: u32, anchor: &str, fill: &str, body: &str) {
    let _ = write!(out, r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" text-anchor="{anchor}" fill="{fill}">{body}</text>"#);
}

fn table(head: &[&str], rows: impl IntoIterator<Item = Vec<String>>, testid: &str, row_ids: Option<Vec<String>>) -> String {
    // Focusable: on a narrow screen the table scrolls inside itself, and the keyboard scrolls it.
    let mut out = format!(r#"<table class="report-table" tabindex="0" data-testid="{testid}"><thead><tr>"#);
    for h in head {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead><tbody>");
    for (k, row) in rows.into_iter().enumerate() {
        match row_ids.as_ref().and_then(|ids| ids.get(k)) {
            Some(id) => {
                let _ = write!(out, r#"<tr data-testid="{}">"#, escape(id));
            }
            None => out.push_str("<tr>"),
        }
        for cell in row {
            let _ = write!(out, "<td>{cell}</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// Image quality per model.
pub(crate) fn quality_table(f: &Findings) -> String {
    let rows = f.variants.iter().map(|v| {
        vec![
            label(&v.variant),
            format!("{:.2}", v.quality.bce),
            format!("{:.2}", v.quality.sse),
            format!("{:.2}", v.quality.psnr),
            format!("{:.4}", v.quality.ssim),
            format!("{:.1} %", v.class_kept * 100.0),
        ]
    });
    let ids = f.variants.iter().map(|v| format!("quality-{}", v.variant)).collect();
    table(&["Model", "BCE / image", "SSE / image", "PSNR (dB)", "SSIM", "Digit kept"], rows, "quality-table", Some(ids))
}

/// Test loss and its reconstruction part against latent size (log scale), active units marked.
pub(crate) fn latent_curve(f: &Findings) -> String {
    let curve = reading::latent_curve(f);
    let (w, h, pad) = (520.0, 260.0, 44.0);
    let values: Vec<f64> = curve.iter().flat_map(|v| [v.test_loss, v.test_recon]).collect();
    let lo = values.iter().copied().fold(f64::INFINITY, f64::min).floor() - 5.0;
    let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max).ceil() + 15.0;
    let widest = curve.iter().map(|v| (v.latent_dim as f64).log2()).fold(1.0, f64::max);
    let x = |v: &VariantFindings| pad + (v.latent_dim as f64).log2() / widest * (w - 2.0 * pad);
    let y = |v: f64| h - pad - (v - lo) / (hi - lo).max(1.0) * (h - 2.0 * pad);
    let line = |value: fn(&VariantFindings) -> f64| curve.iter().map(|v| format!("{:.1},{:.1}", x(v), y(value(v)))).collect::<Vec<_>>().join(" ");
    let mut out = String::new();
    svg_open(&mut out, w, h, "latent-curve", "Test loss against latent size");
    let _ = write!(out, r##"<line x1="{pad}" y1="{0}" x2="{1}" y2="{0}" stroke="#888"/><line x1="{pad}" y1="{pad}" x2="{pad}" y2="{0}" stroke="#888"/>"##, h - pad, w - pad);
    text(&mut out, pad - 4.0, pad + 4.0, 11, "end", TEXT, &format!("{hi:.0}"));
    text(&mut out, pad - 4.0, h - pad, 11, "end", TEXT, &format!("{lo:.0}"));
    let _ = write!(out, r#"<polyline points="{}" fill="none" stroke="{BLUE}" stroke-width="2"/>"#, line(|v| v.test_loss));
    let _ = write!(out, r#"<polyline points="{}" fill="none" stroke="{ORANGE}" stroke-width="2" stroke-dasharray="5 4"/>"#, line(|v| v.test_recon));
    for v in &curve {
        let _ = write!(
            out,
            r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{BLUE}"><title>latent {}: test loss {:.2} = {:.2} + KL {:.2}</title></circle>"#,
            x(v),
            y(v.test_loss),
            v.latent_dim,
            v.test_loss,
            v.test_recon,
            v.test_kl
        );
        text(&mut out, x(v), h - pad + 16.0, 11, "middle", TEXT, &v.latent_dim.to_string());
        text(&mut out, x(v), y(v.test_loss) - 10.0, 10, "middle", TEXT, &format!("{}/{} active", v.active_units, v.latent_dim));
    }
    text(&mut out, w / 2.0, h - 8.0, 11, "middle", TEXT, "latent size (log scale)");
    text(&mut out, w - pad, pad, 11, "end", BLUE, "test loss (recon + KL)");
    text(&mut out, w - pad, pad + 14.0, 11, "end", ORANGE, "reconstruction part");
    out.push_str("</svg>");
    out
}

/// One square per latent dimension and model, filled where the dimension is an active unit.
pub(crate) fn active_units(f: &Findings) -> String {
    let (cell, gap, name_w) = (18.0, 3.0, 150.0);
    let widest = f.variants.iter().map(|v| v.latent_dim).max().unwrap_or(1) as f64;
    let (w, h) = (name_w + widest * (cell + gap) + 10.0, f.variants.len() as f64 * (cell + 6.0));
    let mut out = String::new();
    svg_open(&mut out, w, h, "active-units", "Active latent dimensions per model");
    for (r, v) in f.variants.iter().enumerate() {
        let top = r as f64 * (cell + 6.0);
        text(&mut out, 0.0, top + cell - 4.0, 11, "start", TEXT, &format!("{} ({}/{})", label(&v.variant), v.active_units, v.latent_dim));
        for (d, (&var, &kl)) in v.mean_variance.iter().zip(&v.kl_per_dim).enumerate() {
            let fill = if var > ACTIVE_UNIT_THRESHOLD { BLUE } else { "#e4e4e4" };
            let _ = write!(
                out,
                r#"<rect x="{:.1}" y="{top:.1}" width="{cell}" height="{cell}" rx="3" fill="{fill}"><title>z{}: Var E[z|x] = {var:.3}, KL = {kl:.2}</title></rect>"#,
                name_w + d as f64 * (cell + gap),
                d + 1
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// `confusion[label][read]` as a 10 × 10 grid: green diagonal, red mistakes (full red at 10 % of
/// a row: mistakes are rare), counts written off the diagonal.
pub(crate) fn confusion_matrix(v: &VariantFindings) -> String {
    let (cell, pad) = (30.0, 24.0);
    let size = pad + 10.0 * cell;
    let mut out = String::new();
    svg_open(&mut out, size, size, "confusion-matrix", "Confusion matrix");
    for d in 0..10 {
        text(&mut out, pad + d as f64 * cell + cell / 2.0, pad - 8.0, 11, "middle", TEXT, &d.to_string());
        text(&mut out, pad - 8.0, pad + d as f64 * cell + cell / 2.0 + 4.0, 11, "end", TEXT, &d.to_string());
    }
    for (truth, row) in v.confusion.iter().enumerate() {
        let total = row.iter().sum::<usize>().max(1) as f64;
        for (read, &count) in row.iter().enumerate() {
            let share = count as f64 / total;
            let (fill, opacity) = if truth == read { ("#59a14f", share) } else { ("#e15759", (share * 10.0).min(1.0)) };
            let (x, y) = (pad + read as f64 * cell, pad + truth as f64 * cell);
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{fill}" fill-opacity="{opacity:.3}"><title>{truth} read as {read}: {count}</title></rect>"#,
                cell - 1.0,
                cell - 1.0
            );
            if count > 0 && truth != read {
                text(&mut out, x + cell / 2.0, y + cell / 2.0 + 4.0, 9, "middle", "#222", &count.to_string());
            }
        }
    }
    out.push_str("</svg>");
    out
}


/// Hidden-pixel error of the centre mask per model and method, and a table of both masks.
pub(crate) fn inpainting(f: &Findings) -> String {
    let colors = [GREY, ORANGE, BLUE];
    let (bar, group_gap, name_w, w) = (9.0, 10.0, 130.0, 520.0);
    let max = f.variants.iter().flat_map(|v| v.inpainting.iter().map(|s| s.masked_mse)).fold(0.01, f64::max);
    let group = 3.0 * bar + group_gap;
    let h = f.variants.len() as f64 * group + 40.0;
    let x = |v: f64| name_w + v / max * (w - name_w - 90.0);
    let mut out = String::new();
    svg_open(&mut out, w, h, "inpainting-chart", "Inpainting error by method");
    for (r, v) in f.variants.iter().enumerate() {
        let top = r as f64 * group;
        text(&mut out, 0.0, top + 2.0 * bar, 11, "start", TEXT, &label(&v.variant));
        for (k, method) in Fill::ALL.into_iter().enumerate() {
            let Some(s) = v.inpainting.iter().find(|s| s.mask == Mask::Centre && s.method == method) else { continue };
            let method = method.name();
            let y = top + k as f64 * bar;
            let _ = write!(
                out,
                r#"<rect x="{name_w}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"><title>{method}: hidden-pixel MSE {:.4}, digit kept {:.1} %</title></rect>"#,
                x(s.masked_mse) - name_w,
                bar - 1.0,
                colors[k],
                s.masked_mse,
                s.class_kept * 100.0
            );
            text(&mut out, x(s.masked_mse) + 4.0, y + bar - 1.0, 9, "start", TEXT, &format!("{:.3} · {:.0} %", s.masked_mse, s.class_kept * 100.0));
        }
    }
    for (k, method) in Fill::ALL.map(Fill::name).into_iter().enumerate() {
        let left = name_w + k as f64 * 120.0;
        let _ = write!(out, r#"<rect x="{left:.1}" y="{:.1}" width="10" height="10" fill="{}"/>"#, h - 22.0, colors[k]);
        text(&mut out, left + 14.0, h - 13.0, 11, "start", TEXT, method);
    }
    out.push_str("</svg>");
    let rows = f.variants.iter().flat_map(|v| {
        Mask::ALL.map(|mask| {
            let cell = |method: Fill| {
                v.inpainting
                    .iter()
                    .find(|s| s.mask == mask && s.method == method)
                    .map(|s| format!("{:.4} · {:.1} %", s.masked_mse, s.class_kept * 100.0))
                    .unwrap_or_default()
            };
            vec![label(&v.variant), mask.name().to_string(), cell(Fill::ZeroFilled), cell(Fill::OnePass), cell(Fill::Iterative)]
        })
    });
    out.push_str(&table(&["Model", "Mask", "Zero-filled", "One pass", "Iterative"], rows, "inpainting-table", None));
    out
}

/// The study's three digits: what the classifier reads after one pass / after projection.
pub(crate) fn study_digits(f: &Findings) -> String {
    let variants: Vec<String> = f.study_digits.first().map(|d| d.reads.iter().map(|r| label(&r.variant)).collect()).unwrap_or_default();
    let mut head = vec!["Test digit", "The study saw"];
    head.extend(variants.iter().map(String::as_str));
    let rows = f.study_digits.iter().map(|d| {
        let mark = |c: u8| if c == d.label { c.to_string() } else { format!("{c} ✗") };
        let mut row = vec![format!("#{} (a {})", d.test_index, d.label), escape(&d.study_saw)];
        row.extend(d.reads.iter().map(|r| format!("{} / {}", mark(r.one_pass), mark(r.iterative))));
        row
    });
    table(&head, rows, "study-digits", None)
}

/// Per model: the share of prior samples read as each digit (filled T = 1, outlined the lower
/// temperature).
pub(crate) fn generated(f: &Findings) -> String {
    let (bar, gap, h, name_h, cols) = (12.0, 2.0, 60.0, 16.0, 4usize);
    let panel_w = 10.0 * (bar + gap) + 16.0;
    let panel_h = h + name_h + 18.0;
    let rows = f.variants.len().div_ceil(cols) as f64;
    let (w, total_h) = (cols as f64 * panel_w, rows * panel_h);
    let mut out = String::new();
    svg_open(&mut out, w, total_h, "generated-chart", "Digits read in prior samples");
    for (k, v) in f.variants.iter().enumerate() {
        let (left, top) = ((k % cols) as f64 * panel_w, (k / cols) as f64 * panel_h);
        text(&mut out, left, top + 11.0, 11, "start", TEXT, &label(&v.variant));
        let share = |g: &GeneratedLabels, d: usize| g.counts.get(d).copied().unwrap_or(0) as f64 / g.samples.max(1) as f64;
        let max = v.generated.iter().flat_map(|g| (0..10).map(move |d| share(g, d))).fold(0.01, f64::max);
        for (d, color) in DIGIT_COLORS.iter().enumerate() {
            let x = left + d as f64 * (bar + gap);
            let base = top + name_h + h;
            for (i, g) in v.generated.iter().enumerate() {
                let s = share(g, d);
                let height = s / max * h;
                let style = if i == 0 { format!(r#"fill="{color}""#) } else { r##"fill="none" stroke="#222""##.to_string() };
                let (x, width) = if i == 0 { (x, bar) } else { (x + 2.0, bar - 4.0) };
                let _ = write!(
                    out,
                    r#"<rect x="{x:.1}" y="{:.1}" width="{width:.1}" height="{height:.1}" {style}><title>{d}: {:.1} % at T = {}</title></rect>"#,
                    base - height,
                    s * 100.0,
                    g.temperature
                );
            }
            text(&mut out, x + bar / 2.0, base + 12.0, 9, "middle", TEXT, &d.to_string());
        }
    }
    out.push_str("</svg>");
    out
}

/// Every seed run beside the shipped one.
pub(crate) fn seed_table(f: &Findings, shipped: Option<&SeedRun>) -> String {
    let rows = f.seeds.iter().chain(shipped).map(|r| {
        vec![
            label(&r.variant),
            r.seed.to_string(),
            format!("{}/{}", r.epochs_done, r.epochs),
            format!("{:.2}", r.final_train_loss),
            format!("{:.2}", r.final_test_loss),
            r.kl_per_dim.iter().map(|k| format!("{k:.2}")).collect::<Vec<_>>().join(" · "),
        ]
    });
    table(&["Model", "Seed", "Epochs", "Final train loss", "Test loss", "KL per dimension"], rows, "seed-table", None)
}

/// Our loss beside Keras' formula and the study's figure.
pub(crate) fn loss_check(f: &Findings) -> String {
    let rows = f.loss_check.iter().map(|c| {
        let study = Variant::from_name(&c.variant).and_then(|v| v.study()).map_or("–".into(), |s| format!("{:.2} (train)", s.final_loss));
        vec![label(&c.variant), format!("{:.3}", c.ours), format!("{:.3}", c.keras), study]
    });
    table(&["Model", "Ours (BCE from logits)", "Keras' formula", "Study"], rows, "loss-check", None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_file_is_escaped() {
        assert_eq!(escape(r#"<img src=x onerror="a">&'"#), "&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;");
        assert_eq!(label("<b>"), "&lt;b&gt;", "an unknown model name is shown escaped");
    }
}
