//! `download-mnist`: fetches the four MNIST files from a mirror and keeps them only if their MD5
//! matches the original 1998 distribution, so a user outside this workspace can train.

use std::io::Read;
use std::path::Path;

use md5::{Digest, Md5};

/// A mirror that serves the original files under their original names.
pub const DEFAULT_MIRROR: &str = "https://ossci-datasets.s3.amazonaws.com/mnist/";

/// One file to fetch: its name and the MD5 of its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// File name, appended to the mirror's URL.
    pub name: &'a str,
    /// Lower-case hex MD5.
    pub md5: &'a str,
}

/// The four MNIST files (`.gz`) and their MD5s, as published with the dataset.
pub const MNIST_FILES: [Expected<'static>; 4] = [
    Expected { name: "train-images-idx3-ubyte.gz", md5: "f68b3c2dcbeaaa9fbdd348bbdeb94873" },
    Expected { name: "train-labels-idx1-ubyte.gz", md5: "d53e105ee54ea40749a09fcbcd1e9432" },
    Expected { name: "t10k-images-idx3-ubyte.gz", md5: "9fb629c4189551a2d022fa330f9573f3" },
    Expected { name: "t10k-labels-idx1-ubyte.gz", md5: "ec29112dd5afa0611ce80d1b7f02629c" },
];

/// Largest file accepted (the training images are 9.9 MB).
const MAX_BYTES: u64 = 64 << 20;

/// What happened to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// Already there with the right checksum: not downloaded again.
    Present,
    /// Downloaded, checked and written.
    Downloaded {
        /// Its size.
        bytes: usize,
    },
}

/// Lower-case hex MD5.
pub fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Fetches every file of `files` from `mirror` into `dir`, skipping those already present and
/// intact. A file is written (atomically) only once its MD5 matches; the first failure stops the
/// download with a message naming the file and the URL.
pub fn download(
    mirror: &str,
    dir: &Path,
    files: &[Expected<'_>],
    mut report: impl FnMut(&str, &Fetched),
) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let base = if mirror.ends_with('/') { mirror.to_string() } else { format!("{mirror}/") };
    for file in files {
        let path = dir.join(file.name);
        if std::fs::read(&path).is_ok_and(|bytes| md5_hex(&bytes) == file.md5) {
            report(file.name, &Fetched::Present);
            continue;
        }
        let url = format!("{base}{}", file.name);
        let bytes = get(&url)?;
        let md5 = md5_hex(&bytes);
        if md5 != file.md5 {
            return Err(format!(
                "{url}: the {} bytes received have MD5 {md5}, not the published {}; nothing was written \
                 (try another --mirror)",
                bytes.len(),
                file.md5
            ));
        }
        super::files::write_atomic(&path, &bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        report(file.name, &Fetched::Downloaded { bytes: bytes.len() });
    }
    Ok(())
}

fn get(url: &str) -> Result<Vec<u8>, String> {
    let response = ureq::get(url).call().map_err(|e| match e {
        ureq::Error::StatusCode(code) => format!("{url}: HTTP {code}"),
        other => format!("{url}: {other}"),
    })?;
    let mut bytes = Vec::new();
    response
        .into_body()
        .into_reader()
        .take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{url}: {e}"))?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(format!("{url}: larger than {MAX_BYTES} bytes, not an MNIST file"));
    }
    Ok(bytes)
}
