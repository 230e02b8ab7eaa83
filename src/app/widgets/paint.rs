//! Painting on canvases: digits as white ink on black (as the study's figures show them).

use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, ImageData};

/// The 2-D context of a canvas.
pub(crate) fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

/// Puts a `w × h` grayscale image (0..1) at (`x`, `y`) of the canvas, one canvas pixel each.
pub(crate) fn put_gray(canvas: &HtmlCanvasElement, pixels: &[f32], w: u32, h: u32, x: f64, y: f64) {
    put_colored(canvas, pixels, w, h, (x, y), |v| {
        let g = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        [g, g, g]
    });
}

/// Puts a `w × h` image at `at` of the canvas, each value coloured by `color`.
pub(crate) fn put_colored(canvas: &HtmlCanvasElement, values: &[f32], w: u32, h: u32, at: (f64, f64), color: impl Fn(f32) -> [u8; 3]) {
    let Some(ctx) = context(canvas) else { return };
    let mut rgba = Vec::with_capacity(values.len() * 4);
    for &v in values {
        let [r, g, b] = color(v);
        rgba.extend_from_slice(&[r, g, b, 255]);
    }
    if let Ok(data) = ImageData::new_with_u8_clamped_array_and_sh(Clamped(&rgba), w, h) {
        let _ = ctx.put_image_data(&data, at.0, at.1);
    }
}

/// A heat colour for `t` in 0..1: black, deep red, orange, pale yellow (brighter = more).
pub(crate) fn heat(t: f32) -> [u8; 3] {
    const STOPS: [[f32; 3]; 4] = [[0.0, 0.0, 0.0], [150.0, 20.0, 40.0], [240.0, 120.0, 20.0], [255.0, 245.0, 170.0]];
    let t = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f32;
    let i = (t.floor() as usize).min(STOPS.len() - 2);
    let f = t - i as f32;
    std::array::from_fn(|c| (STOPS[i][c] + (STOPS[i + 1][c] - STOPS[i][c]) * f).round() as u8)
}

/// Paints one 28×28 digit filling a 28×28 canvas (CSS scales it up, pixelated).
pub(crate) fn paint_digit(canvas: &HtmlCanvasElement, pixels: &[f32]) {
    put_gray(canvas, pixels, 28, 28, 0.0, 0.0);
}

/// Paints `n` digits (`n × 784`) as a grid of `cols` columns.
pub(crate) fn paint_grid(canvas: &HtmlCanvasElement, pixels: &[f32], cols: usize, first: usize) {
    for (i, digit) in pixels.chunks(784).enumerate() {
        let k = first + i;
        let (x, y) = ((k % cols) * 28, (k / cols) * 28);
        put_gray(canvas, digit, 28, 28, x as f64, y as f64);
    }
}

/// Fills a canvas with black.
pub(crate) fn clear(canvas: &HtmlCanvasElement) {
    if let Some(ctx) = context(canvas) {
        ctx.set_fill_style_str("#000");
        ctx.fill_rect(0.0, 0.0, canvas.width() as f64, canvas.height() as f64);
    }
}

/// A label colour (tab10-like) for scatter plots.
pub(crate) fn label_color(label: u8) -> &'static str {
    const COLORS: [&str; 10] = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    ];
    COLORS[(label as usize) % 10]
}

/// The keyboard's cursor on a canvas (the pad's pen, the mask's brush): amber while it draws,
/// light blue while it only moves.
pub(crate) fn key_cursor_color(drawing: bool) -> &'static str {
    if drawing { "#ffb300" } else { "#4fc3f7" }
}
