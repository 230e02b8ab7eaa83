//! The small sets of real digits the repository ships (`www/data/`): test digits, which tests
//! check the committed weights against and the page shows as its gallery; and training digits,
//! which the page's Train mode learns from (never a test digit).

use std::io::Write;
use std::path::Path;

use flate2::Compression;
use flate2::write::GzEncoder;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use super::files::write_file;
use crate::data::{Digits, idx};

/// The study's inpainting examples (test images 1098, 4865, 7584).
pub const STUDY_DIGITS: [usize; 3] = [1098, 4865, 7584];

/// `test-sample.json`: where each shipped digit comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SampleIndex {
    /// Index in the 10,000-image MNIST test set of each shipped digit, in file order.
    pub test_indices: Vec<usize>,
    /// The first `stratified` digits are a seeded random draw, stratified by label in proportion
    /// to the test set's label counts (so its mean loss estimates the whole test set's); the rest
    /// are the study's inpainting examples.
    pub stratified: usize,
    /// Seed of the draw.
    pub(crate) seed: u64,
}

/// `train-sample.json`: where each shipped training digit comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainingSampleIndex {
    /// Index in the 60,000-image MNIST training set of each shipped digit, in file order: a
    /// seeded random draw, stratified by label in proportion to the training set's label counts.
    pub train_indices: Vec<usize>,
    /// Seed of the draw.
    pub(crate) seed: u64,
}

/// About `count` random indices of `digits` (seeded), each label in proportion to its share,
/// in ascending order.
fn stratified(digits: &Digits, count: usize, seed: u64) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut chosen = Vec::with_capacity(count);
    for label in 0..10u8 {
        let mut of_label: Vec<usize> = (0..digits.len()).filter(|&i| digits.labels[i] == label).collect();
        let share = (of_label.len() * count + digits.len() / 2) / digits.len().max(1);
        of_label.shuffle(&mut rng);
        chosen.extend(of_label.into_iter().take(share));
    }
    chosen.sort_unstable();
    chosen
}

/// Picks about `count` random test digits (seeded), each label in proportion to its share of the
/// test set, then appends the study's three.
pub fn choose(test: &Digits, count: usize, seed: u64) -> SampleIndex {
    let mut chosen = stratified(test, count, seed);
    let stratified = chosen.len();
    chosen.extend(STUDY_DIGITS.iter().filter(|&&i| i < test.len()));
    SampleIndex { test_indices: chosen, stratified, seed }
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(bytes).map_err(|e| e.to_string())?;
    encoder.finish().map_err(|e| e.to_string())
}

/// `<stem>-images-idx3-ubyte.gz` and `<stem>-labels-idx1-ubyte.gz` in `dir`.
fn write_digits(dir: &Path, stem: &str, digits: &Digits) -> Result<(), String> {
    write_file(&dir.join(format!("{stem}-images-idx3-ubyte.gz")), &gzip(&digits.images.to_idx())?)?;
    write_file(&dir.join(format!("{stem}-labels-idx1-ubyte.gz")), &gzip(&idx::labels_to_idx(&digits.labels))?)
}

/// Writes `test-sample-{images,labels}.idx.gz` and `test-sample.json` into `dir`.
pub fn write_sample(dir: &Path, test: &Digits, count: usize, seed: u64) -> Result<SampleIndex, String> {
    let index = choose(test, count, seed);
    write_digits(dir, "test-sample", &test.subset(&index.test_indices))?;
    let json = serde_json::to_vec_pretty(&index).map_err(|e| e.to_string())?;
    write_file(&dir.join("test-sample.json"), &json)?;
    Ok(index)
}

/// Writes `train-sample-{images,labels}.idx.gz` and `train-sample.json` into `dir`: about
/// `count` training digits, stratified by label.
pub fn write_training_sample(dir: &Path, train: &Digits, count: usize, seed: u64) -> Result<TrainingSampleIndex, String> {
    let index = TrainingSampleIndex { train_indices: stratified(train, count, seed), seed };
    write_digits(dir, "train-sample", &train.subset(&index.train_indices))?;
    let json = serde_json::to_vec(&index).map_err(|e| e.to_string())?;
    write_file(&dir.join("train-sample.json"), &json)?;
    Ok(index)
}
