//! Image-quality scores of a 28×28 reconstruction against its original (values in 0..1): the
//! numbers the study asked for (§1.3), so BCE- and MSE-trained models meet on the same scales.

use super::{PIXELS, SIDE};

/// PSNR is capped here for a perfect reconstruction (the mean over images stays finite).
pub(crate) const PSNR_CAP_DB: f64 = 100.0;

/// Peak signal-to-noise ratio in dB for a peak of 1: `10·log10(1 / MSE)`.
pub(crate) fn psnr(original: &[f32], reconstruction: &[f32]) -> f64 {
    let mse = original.iter().zip(reconstruction).map(|(&a, &b)| f64::from(a - b).powi(2)).sum::<f64>() / original.len().max(1) as f64;
    if mse <= 0.0 { PSNR_CAP_DB } else { (10.0 * (1.0 / mse).log10()).min(PSNR_CAP_DB) }
}

/// Side of SSIM's Gaussian window (Wang et al. 2004: 11×11, σ = 1.5).
const WINDOW: usize = 11;
const SIGMA: f64 = 1.5;

/// Structural similarity (Wang, Bovik, Sheikh & Simoncelli 2004) of two 28×28 images with a
/// data range of 1: the mean of the SSIM map over every position where the 11×11 Gaussian window
/// (σ = 1.5) lies inside the image, K1 = 0.01, K2 = 0.03, population (not sample) moments.
/// That is scikit-image's `structural_similarity(a, b, data_range=1, gaussian_weights=True,
/// sigma=1.5, use_sample_covariance=False)`, which the tests check against.
pub(crate) fn ssim(a: &[f32], b: &[f32]) -> f64 {
    assert!(a.len() == PIXELS && b.len() == PIXELS, "ssim takes two 28×28 images");
    let (c1, c2) = (0.01f64.powi(2), 0.03f64.powi(2));
    let weights = gaussian_window();
    let positions = SIDE - WINDOW + 1;
    let mut total = 0.0;
    for top in 0..positions {
        for left in 0..positions {
            let (mut mx, mut my, mut xx, mut yy, mut xy) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for (k, &w) in weights.iter().enumerate() {
                let i = (top + k / WINDOW) * SIDE + left + k % WINDOW;
                let (x, y) = (f64::from(a[i]), f64::from(b[i]));
                mx += w * x;
                my += w * y;
                xx += w * x * x;
                yy += w * y * y;
                xy += w * x * y;
            }
            let (vx, vy, cov) = (xx - mx * mx, yy - my * my, xy - mx * my);
            total += ((2.0 * mx * my + c1) * (2.0 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
        }
    }
    total / (positions * positions) as f64
}

/// The normalised 11×11 Gaussian weights, row by row.
fn gaussian_window() -> Vec<f64> {
    let half = (WINDOW / 2) as f64;
    let line: Vec<f64> = (0..WINDOW).map(|i| (-((i as f64 - half).powi(2)) / (2.0 * SIGMA * SIGMA)).exp()).collect();
    let sum: f64 = line.iter().sum();
    let line: Vec<f64> = line.into_iter().map(|v| v / sum).collect();
    (0..WINDOW * WINDOW).map(|k| line[k / WINDOW] * line[k % WINDOW]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two deterministic test images: a smooth ramp with a bright square, and a noisy copy.
    fn pair() -> (Vec<f32>, Vec<f32>) {
        let a: Vec<f32> = (0..PIXELS)
            .map(|i| {
                let (x, y) = ((i % SIDE) as f32, (i / SIDE) as f32);
                let square = if (8..20).contains(&(x as usize)) && (6..16).contains(&(y as usize)) { 0.5 } else { 0.0 };
                (x + y) / 108.0 + square
            })
            .collect();
        // A fixed pseudo-random perturbation (a linear congruential sequence), clamped to 0..1.
        let mut state = 12345u32;
        let b: Vec<f32> = a
            .iter()
            .map(|&v| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let noise = ((state >> 16) & 0x7fff) as f32 / 32767.0 - 0.5;
                (v + 0.2 * noise).clamp(0.0, 1.0)
            })
            .collect();
        (a, b)
    }

    #[test]
    fn identical_images_score_one_and_infinite_psnr_is_capped() {
        let (a, _) = pair();
        assert!((ssim(&a, &a) - 1.0).abs() < 1e-12);
        assert_eq!(psnr(&a, &a), PSNR_CAP_DB);
    }

    #[test]
    fn flat_images_score_their_luminance_term() {
        // No structure: SSIM reduces to (2ab + C1) / (a² + b² + C1).
        let (a, b) = (vec![0.2f32; PIXELS], vec![0.6f32; PIXELS]);
        let (a0, b0) = (f64::from(0.2f32), f64::from(0.6f32));
        let expected = (2.0 * a0 * b0 + 1e-4) / (a0 * a0 + b0 * b0 + 1e-4);
        assert!((ssim(&a, &b) - expected).abs() < 1e-9, "{} vs {expected}", ssim(&a, &b));
        // MSE 0.16: 10·log10(1 / 0.16).
        assert!((psnr(&a, &b) - 7.958_800_173).abs() < 1e-6);
    }

    /// Printed by scikit-image 0.26.0 for [`pair`] (rebuilt in numpy float32, then float64).
    const SKIMAGE_SSIM: f64 = 0.7747880902231888;
    const SKIMAGE_PSNR: f64 = 24.90357363784989;

    #[test]
    fn matches_scikit_image_on_a_fixed_pair() {
        let (a, b) = pair();
        // The same arrays in numpy: the first values, to show the two constructions agree.
        assert_eq!(&a[..3], &[0.0, 0.009_259_259, 0.018_518_519]);
        assert_eq!(&b[..3], &[0.031_034_267, 0.0, 0.053_514_1]);
        // scikit-image on the same two arrays (float64 copies of these f32 values):
        // structural_similarity(a, b, data_range=1, gaussian_weights=True, sigma=1.5,
        // use_sample_covariance=False) and peak_signal_noise_ratio(a, b, data_range=1).
        let (ssim_ref, psnr_ref) = (SKIMAGE_SSIM, SKIMAGE_PSNR);
        assert!((ssim(&a, &b) - ssim_ref).abs() < 1e-6, "ssim {} vs scikit-image {ssim_ref}", ssim(&a, &b));
        assert!((psnr(&a, &b) - psnr_ref).abs() < 1e-6, "psnr {} vs scikit-image {psnr_ref}", psnr(&a, &b));
        assert!(ssim(&a, &b) < 0.9, "the noisy copy must not look identical");
    }
}
