//! `card`: the page's icons and its link-preview image, drawn from the shipped baseline model's
//! own decodings (not a stock picture): a grid of digits decoded over the latent square.

use std::path::Path;

use burn::prelude::*;

use crate::model::Vae;

/// Digits decoded on an `n × n` grid over [−span, span]², row-major from the top left, each 28×28
/// intensities in 0..1.
fn grid(model: &Vae, n: usize, span: f32, device: &Device) -> Vec<Vec<f32>> {
    let at = |k: usize| -span + 2.0 * span * k as f32 / (n - 1).max(1) as f32;
    let z: Vec<f32> = (0..n * n).flat_map(|k| [at(k % n), at(n - 1 - k / n)]).collect();
    let z = Tensor::<2>::from_data(TensorData::new(z, [n * n, 2]), device);
    let pixels: Vec<f32> = model.decoder.decode(z).into_data().try_to_vec().unwrap_or_default();
    pixels.chunks(784).map(<[f32]>::to_vec).collect()
}

/// An RGB image of `width × height`: the digits tiled `cols` across from (`x0`, `y0`), each
/// scaled `scale`×, white ink on the page's dark blue.
fn tile(width: usize, height: usize, digits: &[Vec<f32>], cols: usize, scale: usize, x0: usize, y0: usize) -> Vec<u8> {
    let background = [0x1d, 0x23, 0x30];
    let mut rgb: Vec<u8> = (0..width * height).flat_map(|_| background).collect();
    for (k, digit) in digits.iter().enumerate() {
        let (ox, oy) = (x0 + (k % cols) * 28 * scale, y0 + (k / cols) * 28 * scale);
        for (i, &v) in digit.iter().enumerate() {
            for dy in 0..scale {
                for dx in 0..scale {
                    let (x, y) = (ox + (i % 28) * scale + dx, oy + (i / 28) * scale + dy);
                    if x < width && y < height {
                        let p = 3 * (y * width + x);
                        for c in 0..3 {
                            let b = f32::from(background[c]);
                            rgb[p + c] = (b + (255.0 - b) * v.clamp(0.0, 1.0)).round() as u8;
                        }
                    }
                }
            }
        }
    }
    rgb
}

fn write_png(path: &Path, width: usize, height: usize, rgb: &[u8]) -> Result<(), String> {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, width as u32, height as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
        writer.write_image_data(rgb).map_err(|e| e.to_string())?;
    }
    super::files::write_file(path, &bytes)
}

/// Where the baseline decodes a clear "2" (the middle of the link card's grid).
const ICON_LATENT: [f32; 2] = [0.0, 0.3];

/// Writes `icon-192.png`, `icon-512.png` (one decoded digit) and `card.png` (1200 × 630, the
/// link preview: 15 × 8 digits of the latent manifold) into `out`.
pub fn write_cards(model: &Vae, out: &Path, device: &Device) -> Result<Vec<String>, String> {
    let mut written = Vec::new();
    let z = Tensor::<2>::from_data(TensorData::new(ICON_LATENT.to_vec(), [1, 2]), device);
    let icon: Vec<f32> = model.decoder.decode(z).into_data().try_to_vec().unwrap_or_default();
    for side in [192usize, 512] {
        // The digit at the largest whole scale inside the middle 80 % (what a maskable icon keeps).
        let scale = side * 4 / 5 / 28;
        let margin = (side - 28 * scale) / 2;
        let name = format!("icon-{side}.png");
        write_png(&out.join(&name), side, side, &tile(side, side, std::slice::from_ref(&icon), 1, scale, margin, margin))?;
        written.push(name);
    }
    let (cols, rows, scale) = (15usize, 8usize, 2usize);
    let card = grid(model, cols.max(rows), 2.0, device);
    // The middle 8 rows of a 15 × 15 manifold: every digit shape, in a 1200 × 630 frame.
    let start = (cols - rows) / 2 * cols;
    let digits = &card[start..start + rows * cols];
    let (width, height) = (1200, 630);
    let (x0, y0) = ((width - cols * 28 * scale) / 2, (height - rows * 28 * scale) / 2);
    write_png(&out.join("card.png"), width, height, &tile(width, height, digits, cols, scale, x0, y0))?;
    written.push("card.png".into());
    Ok(written)
}
