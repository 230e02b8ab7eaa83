//! One module per mode of the page: what it shows, its controls and its explanations.

pub(crate) mod compare;
pub(crate) mod draw;
pub(crate) mod explore;
pub(crate) mod generate;
pub(crate) mod inpaint;
pub(crate) mod inside;
pub(crate) mod report;
pub mod train;
