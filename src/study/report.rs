//! The Report's figures as the page shows them, drawn ahead by the CLI (`train::findings`)
//! and stored in `findings.json` under `page`: the page only places them, so neither the
//! drawing code nor the findings' types are part of its first load.

use serde::{Deserialize, Serialize};


/// Everything the page draws of the findings, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageReport {
    /// The line under the section's title.
    pub(crate) intro: String,
    /// The figures, in the Report's order.
    pub figures: Vec<PageFigure>,
}

/// One figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageFigure {
    /// File name of its download and test id.
    pub name: String,
    /// Its title.
    pub(crate) title: String,
    /// The sentence under it.
    pub reading: String,
    /// The drawing: SVG / HTML text, every text from the findings escaped.
    pub(crate) html: String,
    /// How to read it.
    pub(crate) note: String,
    /// Drawings that depend on the picked model (the confusion matrix): the page shows the
    /// picked one's, else the first.
    #[serde(default)]
    pub(crate) per_variant: Vec<VariantDrawing>,
    /// For the latent sweep, decoded by the page itself: the variant and the dimensions to move.
    #[serde(default)]
    pub(crate) sweep: Option<Sweep>,
}

/// One model's version of a figure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct VariantDrawing {
    /// Variant name.
    pub(crate) variant: String,
    /// The figure's title for it.
    pub(crate) title: String,
    /// Its sentence.
    pub(crate) reading: String,
    /// Its drawing.
    pub(crate) html: String,
}

/// A sweep along latent dimensions, for the page to decode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Sweep {
    /// Variant name.
    pub(crate) variant: String,
    /// The dimensions, one row each.
    pub(crate) dims: Vec<usize>,
}

/// What the page reads of `findings.json`: only the drawn figures.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "page code: natively only its tests use it"))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PageFindings {
    /// See [`Findings::page`](super::findings::Findings::page).
    pub(crate) page: PageReport,
}
