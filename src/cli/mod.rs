//! The native CLI, one subcommand a function: `train`, `report`, `eval`, `manifest`, `points`,
//! `card`, `train-classifier`, `download-mnist`, `sample`. Each parses its flags into an `Args`
//! struct and runs on `vae_lab::train`.

mod data;
mod models;
mod report;
mod train;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(version, about = "Train and export the VAE Lab models")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Train (or resume) one variant; writes www/models/<variant>.{bpk,json} after every epoch.
    Train(train::TrainArgs),
    /// Print the study-vs-ours table (markdown) from the metrics in www/models, and the
    /// findings' sentences when `eval` has written them.
    Report(report::ReportArgs),
    /// Rebuild www/models/manifest.json (names, sizes, SHA-256s) from the files there.
    Manifest(models::ManifestArgs),
    /// Write <variant>.points.json: the latent means of the sample digits under the committed
    /// weights, and a t-SNE map for more than two latent dimensions.
    Points(models::PointsArgs),
    /// Download the four MNIST files from a mirror, keeping each only if its MD5 is the
    /// published one (files already there and intact are not fetched again).
    DownloadMnist(data::DownloadMnistArgs),
    /// Draw the page's icons and link-preview image (www/icons/) from the shipped baseline model.
    Card(models::CardArgs),
    /// Measure everything the Report shows (image quality, latent use, classes kept, inpainting,
    /// generated labels, seed spread) from the shipped weights: writes www/models/findings.json.
    Eval(report::EvalArgs),
    /// Train the report's digit classifier (www/models/classifier.{bpk,json}): the judge of
    /// whether a reconstruction, an inpainting or a sample keeps its digit.
    TrainClassifier(models::TrainClassifierArgs),
    /// Write the small sets of real test and training digits the repository ships (www/data/).
    Sample(data::SampleArgs),
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let result = match Cli::parse().command {
        Command::Train(args) => args.run(),
        Command::Report(args) => args.run(),
        Command::Manifest(args) => args.run(),
        Command::Points(args) => args.run(),
        Command::DownloadMnist(args) => args.run(),
        Command::Card(args) => args.run(),
        Command::Eval(args) => args.run(),
        Command::TrainClassifier(args) => args.run(),
        Command::Sample(args) => args.run(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}
