//! Subcommands for the data: MNIST downloaded and checked, and the small samples the
//! repository ships.

use std::path::PathBuf;

use clap::Args;
use vae_lab::train;

/// Download the four MNIST files from a mirror, keeping each only if its MD5 is the
/// published one (files already there and intact are not fetched again).
#[derive(Args)]
pub struct DownloadMnistArgs {
    /// Where to put them.
    #[arg(long, default_value = "data/mnist")]
    dir: PathBuf,
    /// Base URL serving the original file names.
    #[arg(long, default_value = train::download::DEFAULT_MIRROR)]
    mirror: String,
}

impl DownloadMnistArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<(), String> {
        let DownloadMnistArgs { dir, mirror } = self;
        train::download::download(&mirror, &dir, &train::download::MNIST_FILES, |name, fetched| match fetched {
            train::download::Fetched::Present => println!("{name}: already there, checksum good"),
            train::download::Fetched::Downloaded { bytes } => println!("{name}: {bytes} bytes, MD5 checked"),
        })?;
        println!("MNIST is in {}; train with --data {}", dir.display(), dir.display());
        Ok(())
    }
}

/// Write the small sets of real test and training digits the repository ships (www/data/).
#[derive(Args)]
pub struct SampleArgs {
    /// Directory with the four MNIST IDX files.
    #[arg(long)]
    data: PathBuf,
    #[arg(long, default_value = "www/data")]
    out: PathBuf,
    /// Test digits to draw, stratified by label (plus the study's three inpainting examples).
    #[arg(long, default_value_t = 1000)]
    count: usize,
    /// Training digits to draw, stratified by label (the page's Train mode learns from them).
    #[arg(long, default_value_t = 10_000)]
    train_count: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

impl SampleArgs {
    /// Runs the subcommand.
    pub fn run(self) -> Result<(), String> {
        let SampleArgs { data, out, count, train_count, seed } = self;
        let mnist = train::load_mnist(&data)?;
        let index = train::sample::write_sample(&out, &mnist.test, count, seed)?;
        println!(
            "wrote {} test digits ({} stratified + the study's {:?}) to {}",
            index.test_indices.len(),
            index.stratified,
            train::sample::STUDY_DIGITS,
            out.display()
        );
        let training = train::sample::write_training_sample(&out, &mnist.train, train_count, seed)?;
        println!("wrote {} training digits (stratified) to {}", training.train_indices.len(), out.display());
        Ok(())
    }
}
