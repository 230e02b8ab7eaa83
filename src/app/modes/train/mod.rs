//! Train: a VAE trained in the visitor's browser. `panel` is the mode's form, chart and
//! previews; `run` the run's live state, the commands to the training worker, and "your model"
//! kept in this browser.

pub(crate) mod panel;
pub(crate) mod run;
