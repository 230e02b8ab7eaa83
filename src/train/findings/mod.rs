//! The Report's findings, natively: read in sentences (`reading`), drawn as SVG and HTML
//! (`figures`) and placed as the page shows them (`render`). `train::eval` measures them.

pub mod figures;
pub mod reading;
mod render;

pub use render::render;
