//! The visitor's view: one serialisable value (`state`), held as one signal per field
//! (`signals`), written to and read from the page's link (`link`, the codec; `share`, the
//! browser side; `history`, what it remembers between writes).

#[cfg(target_arch = "wasm32")]
pub(crate) mod history;
pub mod link;
#[cfg(target_arch = "wasm32")]
pub(crate) mod share;
#[cfg(target_arch = "wasm32")]
pub(crate) mod signals;
pub mod state;
