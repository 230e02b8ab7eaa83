//! A drawing on a canvas → a 28×28 model input, made the way MNIST digits were: crop to the ink,
//! fit into 20×20 keeping the aspect ratio (area-averaged, so anti-aliased), then place in 28×28
//! with the centre of mass at the centre.

use super::{PIXELS, SIDE};

/// Draws pen strokes (points in 0..1 of a `side × side` pad) as an ink map: round pen of
/// diameter `pen` pixels, round caps and joins, edges anti-aliased by pixel coverage. Done here,
/// not by the browser's canvas, so a drawing gives the same model input in every browser and on
/// every GPU (canvases anti-alias differently), and so the same pixels from a shared link.
pub(crate) fn rasterize_strokes(strokes: &[Vec<(f32, f32)>], side: usize, pen: f32) -> Vec<f32> {
    let mut ink = vec![0.0f32; side * side];
    let r = pen / 2.0;
    let s = side as f32;
    for stroke in strokes {
        let points: Vec<(f32, f32)> = stroke.iter().map(|&(x, y)| (x * s, y * s)).collect();
        let segments: Vec<((f32, f32), (f32, f32))> = match points.len() {
            0 => continue,
            1 => vec![(points[0], points[0])],
            _ => points.windows(2).map(|w| (w[0], w[1])).collect(),
        };
        for (a, b) in segments {
            // Only the pixels within reach of this segment.
            let lo = |u: f32, v: f32| ((u.min(v) - r - 1.0).floor().max(0.0) as usize).min(side);
            let hi = |u: f32, v: f32| ((u.max(v) + r + 1.0).ceil().max(0.0) as usize).min(side);
            let (dx, dy) = (b.0 - a.0, b.1 - a.1);
            let len2 = dx * dx + dy * dy;
            for y in lo(a.1, b.1)..hi(a.1, b.1) {
                for x in lo(a.0, b.0)..hi(a.0, b.0) {
                    let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
                    let t = if len2 > 0.0 { (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
                    let d = ((px - a.0 - t * dx).powi(2) + (py - a.1 - t * dy).powi(2)).sqrt();
                    let coverage = (r + 0.5 - d).clamp(0.0, 1.0);
                    let cell = &mut ink[y * side + x];
                    *cell = cell.max(coverage);
                }
            }
        }
    }
    ink
}

/// Ink below this (0..1) counts as background when cropping.
const INK_THRESHOLD: f32 = 0.05;
/// Side of the box the digit is fitted into.
const FIT: usize = 20;

/// Turns a `width × height` ink map (0 = paper, 1 = ink, row-major) into a 28×28 input, or
/// `None` when there is no ink at all.
pub(crate) fn to_mnist(ink: &[f32], width: usize, height: usize) -> Option<Vec<f32>> {
    if width == 0 || height == 0 || ink.len() != width * height {
        return None;
    }
    let (mut x0, mut y0, mut x1, mut y1) = (width, height, 0, 0);
    for y in 0..height {
        for x in 0..width {
            if ink[y * width + x] > INK_THRESHOLD {
                x0 = x0.min(x);
                y0 = y0.min(y);
                x1 = x1.max(x + 1);
                y1 = y1.max(y + 1);
            }
        }
    }
    if x1 <= x0 || y1 <= y0 {
        return None;
    }
    let (bw, bh) = (x1 - x0, y1 - y0);
    let scale = FIT as f32 / bw.max(bh) as f32;
    let tw = ((bw as f32 * scale).round() as usize).clamp(1, FIT);
    let th = ((bh as f32 * scale).round() as usize).clamp(1, FIT);
    let fitted = area_resample(ink, width, (x0, y0, bw, bh), tw, th);

    // Centre of mass of the fitted digit, placed at the centre of the 28×28 frame.
    let (mut mass, mut mx, mut my) = (0.0f32, 0.0f32, 0.0f32);
    for y in 0..th {
        for x in 0..tw {
            let v = fitted[y * tw + x];
            mass += v;
            mx += v * (x as f32 + 0.5);
            my += v * (y as f32 + 0.5);
        }
    }
    let (cx, cy) = if mass > 0.0 { (mx / mass, my / mass) } else { (tw as f32 / 2.0, th as f32 / 2.0) };
    let left = (SIDE as f32 / 2.0 - cx).round() as isize;
    let top = (SIDE as f32 / 2.0 - cy).round() as isize;
    let mut out = vec![0.0f32; PIXELS];
    for y in 0..th {
        for x in 0..tw {
            let (ox, oy) = (x as isize + left, y as isize + top);
            if (0..SIDE as isize).contains(&ox) && (0..SIDE as isize).contains(&oy) {
                out[oy as usize * SIDE + ox as usize] = fitted[y * tw + x].clamp(0.0, 1.0);
            }
        }
    }
    Some(out)
}

/// Box-filter resampling of the `(x0, y0, w, h)` region of `src` to `tw × th`: each output pixel
/// is the coverage-weighted mean of the source pixels under it.
fn area_resample(src: &[f32], stride: usize, region: (usize, usize, usize, usize), tw: usize, th: usize) -> Vec<f32> {
    let (x0, y0, w, h) = region;
    let (sx, sy) = (w as f32 / tw as f32, h as f32 / th as f32);
    let mut out = vec![0.0f32; tw * th];
    for ty in 0..th {
        let (fy0, fy1) = (ty as f32 * sy, (ty + 1) as f32 * sy);
        for tx in 0..tw {
            let (fx0, fx1) = (tx as f32 * sx, (tx + 1) as f32 * sx);
            let (mut sum, mut area) = (0.0f32, 0.0f32);
            for y in fy0.floor() as usize..(fy1.ceil() as usize).min(h) {
                let wy = (fy1.min(y as f32 + 1.0) - fy0.max(y as f32)).max(0.0);
                for x in fx0.floor() as usize..(fx1.ceil() as usize).min(w) {
                    let wx = (fx1.min(x as f32 + 1.0) - fx0.max(x as f32)).max(0.0);
                    sum += src[(y0 + y) * stride + x0 + x] * wx * wy;
                    area += wx * wy;
                }
            }
            out[ty * tw + tx] = if area > 0.0 { sum / area } else { 0.0 };
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strokes_rasterize_as_a_round_pen() {
        // One point: a disc of the pen's area.
        let dot = rasterize_strokes(&[vec![(0.5, 0.5)]], 100, 20.0);
        let area: f32 = dot.iter().sum();
        assert!((area - std::f32::consts::PI * 100.0).abs() < 3.0, "{area}");
        assert_eq!(dot[50 * 100 + 50], 1.0);
        assert_eq!(dot[50 * 100 + 75], 0.0);
        // A horizontal line: full ink along it, none a pen's width away, its caps round.
        let line = rasterize_strokes(&[vec![(0.2, 0.5), (0.8, 0.5)]], 100, 20.0);
        assert!((20..80).all(|x| line[50 * 100 + x] == 1.0));
        assert!((0..100).all(|x| line[25 * 100 + x] == 0.0));
        assert_eq!(line[50 * 100 + 5], 0.0);
        let band: f32 = line.iter().sum();
        assert!((band - (60.0 * 20.0 + std::f32::consts::PI * 100.0)).abs() < 5.0, "{band}");
        // Through to_mnist, a stroke becomes a centred digit.
        let input = to_mnist(&line, 100, 100).expect("ink");
        assert!(input.iter().any(|&v| v > 0.9));
    }

    fn canvas_with_rect(w: usize, h: usize, rect: (usize, usize, usize, usize)) -> Vec<f32> {
        let mut ink = vec![0.0; w * h];
        for y in rect.1..rect.1 + rect.3 {
            for x in rect.0..rect.0 + rect.2 {
                ink[y * w + x] = 1.0;
            }
        }
        ink
    }

    #[test]
    fn an_empty_canvas_has_no_digit() {
        assert_eq!(to_mnist(&vec![0.0; 100 * 100], 100, 100), None);
        assert_eq!(to_mnist(&[], 0, 0), None);
        assert_eq!(to_mnist(&[1.0; 10], 5, 5), None, "wrong length");
    }

    #[test]
    fn a_tall_stroke_fills_20_rows_keeps_its_aspect_and_is_centred() {
        // A 40×200 bar anywhere on a 280×280 canvas → 4×20 in the middle of 28×28.
        let ink = canvas_with_rect(280, 280, (30, 50, 40, 200));
        let out = to_mnist(&ink, 280, 280).unwrap();
        let rows: Vec<usize> = (0..28).filter(|&y| (0..28).any(|x| out[y * 28 + x] > 0.5)).collect();
        let cols: Vec<usize> = (0..28).filter(|&x| (0..28).any(|y| out[y * 28 + x] > 0.5)).collect();
        assert_eq!(rows.len(), 20);
        assert_eq!(cols.len(), 4);
        assert_eq!((rows[0], cols[0]), (4, 12), "centred by mass");
        assert!(out.iter().all(|v| (0.0..=1.0).contains(v)));
    }

    #[test]
    fn edges_are_anti_aliased() {
        // A hard-edged ring: its curved edges must come out as grey pixels, not a staircase.
        let (w, h) = (200, 200);
        let ink: Vec<f32> = (0..w * h)
            .map(|i| {
                let (x, y) = ((i % w) as f32 - 100.0, (i / w) as f32 - 100.0);
                let r = (x * x + y * y).sqrt();
                if (60.0..80.0).contains(&r) { 1.0 } else { 0.0 }
            })
            .collect();
        let out = to_mnist(&ink, w, h).unwrap();
        let grey = out.iter().filter(|&&v| v > 0.05 && v < 0.95).count();
        assert!(grey >= 16, "only {grey} grey pixels");
    }
}
