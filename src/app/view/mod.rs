//! The visitor's view: one serialisable value (`state`), held as a store (`store`), written to
//! and read from the page's link (`link`, the codec; `share`, the browser side; `history`, what
//! it remembers between writes); the drawing pad's keyboard pen (`pen`); which digit an image
//! looks like, in words (`reading`).

#[cfg(target_arch = "wasm32")]
pub(crate) mod history;
pub(crate) mod link;
pub(crate) mod pen;
pub(crate) mod reading;
#[cfg(target_arch = "wasm32")]
pub(crate) mod share;
pub(crate) mod state;
#[cfg(target_arch = "wasm32")]
pub(crate) mod store;
pub(crate) mod tour;
