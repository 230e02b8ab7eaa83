//! The Report's findings, natively: measured from the shipped weights and the MNIST test digits
//! (`measure`, the CLI's `eval`), read in sentences (`reading`), drawn as SVG and HTML (`figures`)
//! and placed as the page shows them (`render`).

pub(crate) mod figures;
pub mod measure;
pub mod reading;
mod render;

pub use render::render;
