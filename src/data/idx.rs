//! Reader for the IDX format of the original MNIST files, gzip-compressed or raw.
//!
//! Validates the magic number, the dimensions and the payload length, and says what is wrong
//! instead of panicking: these bytes come from files a user points us at.

use std::io::Read;

use flate2::read::GzDecoder;

/// What can go wrong reading an IDX file.
#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    /// The gzip stream is corrupt or truncated.
    #[error("not a valid gzip stream: {0}")]
    Gzip(#[from] std::io::Error),
    /// Fewer than the 4 bytes of a magic number, or a header cut short.
    #[error("file too short for an IDX header ({len} bytes, need {need})")]
    TruncatedHeader {
        /// Bytes present.
        len: usize,
        /// Bytes the header needs.
        need: usize,
    },
    /// The magic number is not the one expected for this kind of file.
    #[error("wrong magic number 0x{found:08x}, expected 0x{expected:08x} ({what})")]
    WrongMagic {
        /// Magic found in the file.
        found: u32,
        /// Magic expected.
        expected: u32,
        /// Which kind of file was expected.
        what: &'static str,
    },
    /// A dimension that does not fit what the caller expects (e.g. images not 28×28).
    #[error("unexpected dimensions {found:?}: {why}")]
    WrongDims {
        /// Dimensions found.
        found: Vec<usize>,
        /// What was expected.
        why: String,
    },
    /// The header (or a raw file's size) announces more than any MNIST-like file holds
    /// ([`MAX_IDX_BYTES`]): refused before it is inflated or read.
    #[error("{claimed} bytes of image or label data, more than the {max} this reader takes (MNIST's largest file holds 47,040,000)")]
    TooLarge {
        /// Payload bytes the dimensions imply (saturated).
        claimed: u64,
        /// The bound.
        max: u64,
    },
    /// The payload is shorter or longer than the header announces.
    #[error("payload has {found} bytes but the header announces {expected}")]
    WrongLength {
        /// Payload bytes found.
        found: usize,
        /// Payload bytes the dimensions imply.
        expected: usize,
    },
}

/// Magic of an unsigned-byte IDX file with three dimensions (images).
pub(crate) const IMAGES_MAGIC: u32 = 0x0000_0803;
/// Magic of an unsigned-byte IDX file with one dimension (labels).
pub(crate) const LABELS_MAGIC: u32 = 0x0000_0801;

/// The most data an IDX file may announce: 128 MiB, well above MNIST's 47 MB of training images,
/// so a damaged or hostile file (a gzip bomb, a header claiming 10⁹ images) is refused with a
/// message instead of filling the memory.
pub(crate) const MAX_IDX_BYTES: u64 = 128 << 20;

/// Parses an unsigned-byte IDX array (gzip or raw) with the given magic; returns its dimensions
/// and payload. A gzip stream is inflated only as far as its header says, and no further than
/// [`MAX_IDX_BYTES`]: the header is read and checked first.
fn parse(bytes: &[u8], magic: u32, what: &'static str) -> Result<(Vec<usize>, Vec<u8>), IdxError> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        parse_from(GzDecoder::new(bytes), magic, what)
    } else {
        parse_from(bytes, magic, what)
    }
}

/// Reads as many bytes as there are, up to `buf.len()`; the count read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> Result<usize, IdxError> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..])? {
            0 => break,
            n => filled += n,
        }
    }
    Ok(filled)
}

fn parse_from(mut reader: impl Read, magic: u32, what: &'static str) -> Result<(Vec<usize>, Vec<u8>), IdxError> {
    let mut word = [0u8; 4];
    let len = read_up_to(&mut reader, &mut word)?;
    if len < 4 {
        return Err(IdxError::TruncatedHeader { len, need: 4 });
    }
    let found = u32::from_be_bytes(word);
    if found != magic {
        return Err(IdxError::WrongMagic { found, expected: magic, what });
    }
    let rank = (magic & 0xff) as usize;
    let header = 4 + 4 * rank;
    let mut dims = Vec::with_capacity(rank);
    for d in 0..rank {
        let len = read_up_to(&mut reader, &mut word)?;
        if len < 4 {
            return Err(IdxError::TruncatedHeader { len: 4 + 4 * d + len, need: header });
        }
        dims.push(u32::from_be_bytes(word) as usize);
    }
    let claimed = dims.iter().fold(1u64, |acc, &d| acc.saturating_mul(d as u64));
    if claimed > MAX_IDX_BYTES {
        return Err(IdxError::TooLarge { claimed, max: MAX_IDX_BYTES });
    }
    let expected = claimed as usize;
    // One byte past the announced length tells a longer payload from an exact one.
    let mut payload = Vec::with_capacity(expected);
    reader.take(claimed + 1).read_to_end(&mut payload)?;
    if payload.len() != expected {
        return Err(IdxError::WrongLength { found: payload.len(), expected });
    }
    Ok((dims, payload))
}

/// A stack of grayscale images, row-major, one byte per pixel (0 = background, 255 = ink).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Images {
    /// Number of images.
    pub(crate) count: usize,
    /// Rows per image.
    pub(crate) rows: usize,
    /// Columns per image.
    pub(crate) cols: usize,
    /// `count × rows × cols` bytes.
    pub(crate) pixels: Vec<u8>,
}

impl Images {
    /// The pixels of image `index`, or `None` past the end.
    pub(crate) fn image(&self, index: usize) -> Option<&[u8]> {
        let size = self.rows * self.cols;
        self.pixels.get(index * size..(index + 1) * size)
    }

    /// Encodes the images as a raw (uncompressed) IDX file.
    pub fn to_idx(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 + self.pixels.len());
        for word in [IMAGES_MAGIC, self.count as u32, self.rows as u32, self.cols as u32] {
            out.extend_from_slice(&word.to_be_bytes());
        }
        out.extend_from_slice(&self.pixels);
        out
    }
}

/// Parses an IDX images file (gzip or raw) whose images are `side × side`.
pub fn parse_images(bytes: &[u8], side: usize) -> Result<Images, IdxError> {
    let (dims, pixels) = parse(bytes, IMAGES_MAGIC, "images")?;
    if dims[1] != side || dims[2] != side || dims[0] == 0 {
        return Err(IdxError::WrongDims {
            found: dims,
            why: format!("expected N×{side}×{side} images with N > 0"),
        });
    }
    Ok(Images { count: dims[0], rows: dims[1], cols: dims[2], pixels })
}

/// Parses an IDX labels file (gzip or raw); every label must be a digit 0..=9.
pub fn parse_labels(bytes: &[u8]) -> Result<Vec<u8>, IdxError> {
    let (dims, labels) = parse(bytes, LABELS_MAGIC, "labels")?;
    if let Some(bad) = labels.iter().find(|&&l| l > 9) {
        return Err(IdxError::WrongDims { found: dims, why: format!("label {bad} is not a digit") });
    }
    Ok(labels)
}

/// Encodes labels as a raw (uncompressed) IDX file.
pub fn labels_to_idx(labels: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + labels.len());
    out.extend_from_slice(&LABELS_MAGIC.to_be_bytes());
    out.extend_from_slice(&(labels.len() as u32).to_be_bytes());
    out.extend_from_slice(labels);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn tiny() -> Images {
        Images { count: 2, rows: 28, cols: 28, pixels: (0..2 * 784).map(|i| (i % 256) as u8).collect() }
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(bytes).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn reads_raw_and_gzip_files_it_wrote() {
        let images = tiny();
        let raw = images.to_idx();
        assert_eq!(parse_images(&raw, 28).unwrap(), images);
        assert_eq!(parse_images(&gzip(&raw), 28).unwrap(), images);
        let labels = vec![3, 7, 7, 0];
        assert_eq!(parse_labels(&gzip(&labels_to_idx(&labels))).unwrap(), labels);
    }

    #[test]
    fn rejects_a_truncated_file() {
        let raw = tiny().to_idx();
        assert!(matches!(parse_images(&raw[..raw.len() - 1], 28), Err(IdxError::WrongLength { .. })));
        assert!(matches!(parse_images(&raw[..10], 28), Err(IdxError::TruncatedHeader { .. })));
        assert!(matches!(parse_images(&raw[..2], 28), Err(IdxError::TruncatedHeader { .. })));
        assert!(matches!(parse_images(&[], 28), Err(IdxError::TruncatedHeader { .. })));
        let gz = gzip(&raw);
        assert!(matches!(parse_images(&gz[..gz.len() / 2], 28), Err(IdxError::Gzip(_))));
    }

    #[test]
    fn rejects_the_wrong_magic() {
        let raw = tiny().to_idx();
        // A labels file where images are expected, and the reverse.
        assert!(matches!(parse_labels(&raw), Err(IdxError::WrongMagic { .. })));
        assert!(matches!(
            parse_images(&labels_to_idx(&[1, 2]), 28),
            Err(IdxError::WrongMagic { .. })
        ));
        let mut bad = raw.clone();
        bad[2] = 0x0d; // float data type
        assert!(matches!(parse_images(&bad, 28), Err(IdxError::WrongMagic { .. })));
    }

    #[test]
    fn rejects_wrong_dimensions() {
        let wrong_side = Images { count: 1, rows: 27, cols: 29, pixels: vec![0; 27 * 29] };
        assert!(matches!(parse_images(&wrong_side.to_idx(), 28), Err(IdxError::WrongDims { .. })));
        let mut huge = tiny().to_idx();
        huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        huge[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse_images(&huge, 28).is_err());
        assert!(matches!(parse_labels(&labels_to_idx(&[1, 12])), Err(IdxError::WrongDims { .. })));
    }

    /// Bytes a reader handed out.
    struct Counting<R>(R, u64);

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1 += n as u64;
            Ok(n)
        }
    }

    /// A gzip stream of an images header for `count` 28×28 images followed by `zeros` zero bytes.
    fn bomb(count: u32, zeros: usize) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
        for word in [IMAGES_MAGIC, count, 28, 28] {
            encoder.write_all(&word.to_be_bytes()).unwrap();
        }
        let chunk = vec![0u8; 1 << 20];
        let mut left = zeros;
        while left > 0 {
            let n = left.min(chunk.len());
            encoder.write_all(&chunk[..n]).unwrap();
            left -= n;
        }
        encoder.finish().unwrap()
    }

    #[test]
    fn a_gzip_bomb_is_inflated_no_further_than_its_header_says() {
        // 100 images announced, 64 MiB of zeros behind them (a 64 KB file).
        let bomb = bomb(100, 64 << 20);
        let mut counting = Counting(GzDecoder::new(&bomb[..]), 0);
        let err = parse_from(&mut counting, IMAGES_MAGIC, "images").unwrap_err();
        assert!(matches!(err, IdxError::WrongLength { found: 78_401, expected: 78_400 }), "{err}");
        assert_eq!(counting.1, 16 + 78_401, "inflated past the announced payload");
        assert!(matches!(parse_images(&bomb, 28), Err(IdxError::WrongLength { .. })));
    }

    #[test]
    fn a_header_announcing_a_billion_images_is_refused_before_inflating() {
        let bomb = bomb(1_000_000_000, 16 << 20);
        let mut counting = Counting(GzDecoder::new(&bomb[..]), 0);
        let err = parse_from(&mut counting, IMAGES_MAGIC, "images").unwrap_err();
        assert!(matches!(err, IdxError::TooLarge { claimed: 784_000_000_000, max: MAX_IDX_BYTES }), "{err}");
        assert_eq!(counting.1, 16, "read past the header");
        assert!(err.to_string().contains("more than the"), "{err}");
    }
}
