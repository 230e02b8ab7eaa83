//! A drawing on a canvas → a 28×28 model input, made the way MNIST digits were: crop to the ink,
//! fit into 20×20 keeping the aspect ratio (area-averaged, so anti-aliased), then place in 28×28
//! with the centre of mass at the centre.

use super::{PIXELS, SIDE};

/// Ink below this (0..1) counts as background when cropping.
const INK_THRESHOLD: f32 = 0.05;
/// Side of the box the digit is fitted into.
const FIT: usize = 20;

/// Turns a `width × height` ink map (0 = paper, 1 = ink, row-major) into a 28×28 input, or
/// `None` when there is no ink at all.
pub fn to_mnist(ink: &[f32], width: usize, height: usize) -> Option<Vec<f32>> {
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
