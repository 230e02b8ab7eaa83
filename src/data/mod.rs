//! Data: MNIST IDX files, and turning bytes into model inputs. Pure functions, no burn.

#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "page code: natively only its tests use it"))]
pub(crate) mod canvas;
pub mod idx;
// The trainer's image-quality scores (the Report's figures, measured ahead).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod quality;

pub use idx::{IdxError, Images, parse_images, parse_labels};

/// Side of an MNIST digit.
pub(crate) const SIDE: usize = 28;
/// Pixels in an MNIST digit.
pub(crate) const PIXELS: usize = SIDE * SIDE;

/// A labelled set of digits.
#[derive(Debug, Clone)]
pub struct Digits {
    /// The images.
    pub images: Images,
    /// One label per image.
    pub labels: Vec<u8>,
}

/// What can go wrong assembling a labelled set.
#[derive(Debug, thiserror::Error)]
pub enum DigitsError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A file is not a valid IDX file.
    #[error("{path}: {source}")]
    Idx {
        /// The file.
        path: String,
        /// Why.
        source: IdxError,
    },
    /// Images and labels disagree on the count.
    #[error("{images} images but {labels} labels")]
    CountMismatch {
        /// Images in the images file.
        images: usize,
        /// Labels in the labels file.
        labels: usize,
    },
}

impl Digits {
    /// Pairs parsed image and label files, checking that their counts agree.
    pub fn from_idx(images: &[u8], labels: &[u8]) -> Result<Digits, DigitsError> {
        let images = parse_images(images, SIDE)
            .map_err(|source| DigitsError::Idx { path: "images".into(), source })?;
        let labels = parse_labels(labels)
            .map_err(|source| DigitsError::Idx { path: "labels".into(), source })?;
        if images.count != labels.len() {
            return Err(DigitsError::CountMismatch { images: images.count, labels: labels.len() });
        }
        Ok(Digits { images, labels })
    }

    /// Number of digits.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Intensities in 0..1 of the digits at `indices`, concatenated (`indices.len() × 784`).
    pub fn intensities(&self, indices: &[usize]) -> Vec<f32> {
        let mut out = Vec::with_capacity(indices.len() * PIXELS);
        for &i in indices {
            let image = self.images.image(i).unwrap_or(&[]);
            out.extend(image.iter().map(|&p| f32::from(p) / 255.0));
        }
        out
    }

    /// A new set holding the digits at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Digits {
        let mut pixels = Vec::with_capacity(indices.len() * PIXELS);
        for &i in indices {
            pixels.extend_from_slice(self.images.image(i).unwrap_or(&[]));
        }
        Digits {
            images: Images { count: indices.len(), rows: SIDE, cols: SIDE, pixels },
            labels: indices.iter().map(|&i| self.labels[i]).collect(),
        }
    }
}

/// The MNIST files in a directory: the 60,000 training and 10,000 test digits.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug, Clone)]
pub struct Mnist {
    /// 60,000 training digits.
    pub train: Digits,
    /// 10,000 held-out test digits.
    pub test: Digits,
}

#[cfg(not(target_arch = "wasm32"))]
impl Mnist {
    /// Reads `train-*` and `t10k-*` IDX files (`.gz` or raw) from `dir`.
    pub fn load(dir: &std::path::Path) -> Result<Mnist, DigitsError> {
        Ok(Mnist {
            train: load_split(dir, "train")?,
            test: load_split(dir, "t10k")?,
        })
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn read_either(dir: &std::path::Path, stem: &str) -> Result<(String, Vec<u8>), DigitsError> {
    let gz = dir.join(format!("{stem}.gz"));
    let raw = dir.join(stem);
    let path = if gz.exists() || !raw.exists() { gz } else { raw };
    let shown = path.display().to_string();
    // A raw file larger than any IDX this reader takes is refused before it is read (a gzip one
    // is bounded as it inflates).
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    if size > idx::MAX_IDX_BYTES + 16 {
        return Err(DigitsError::Idx { path: shown, source: idx::IdxError::TooLarge { claimed: size, max: idx::MAX_IDX_BYTES } });
    }
    match std::fs::read(&path) {
        Ok(bytes) => Ok((shown, bytes)),
        Err(source) => Err(DigitsError::Read { path: shown, source }),
    }
}

/// Reads one split (`train` or `t10k`) from `dir`.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_split(dir: &std::path::Path, prefix: &str) -> Result<Digits, DigitsError> {
    let (images_path, images) = read_either(dir, &format!("{prefix}-images-idx3-ubyte"))?;
    let (labels_path, labels) = read_either(dir, &format!("{prefix}-labels-idx1-ubyte"))?;
    let images = parse_images(&images, SIDE)
        .map_err(|source| DigitsError::Idx { path: images_path, source })?;
    let labels =
        parse_labels(&labels).map_err(|source| DigitsError::Idx { path: labels_path, source })?;
    if images.count != labels.len() {
        return Err(DigitsError::CountMismatch { images: images.count, labels: labels.len() });
    }
    Ok(Digits { images, labels })
}

/// Mean squared error between `a` and `b` over the pixels where `mask` is true (0 if none).
pub fn masked_error(a: &[f32], b: &[f32], mask: &[bool]) -> f32 {
    let (sum, count) = a
        .iter()
        .zip(b)
        .zip(mask)
        .filter(|(_, m)| **m)
        .fold((0.0f32, 0usize), |(s, n), ((x, y), _)| (s + (x - y) * (x - y), n + 1));
    if count == 0 { 0.0 } else { sum / count as f32 }
}
