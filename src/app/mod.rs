//! The page (Leptos, client-side rendering), bottom to top: the view (`view`: its state, the
//! store that holds it, the link codec and the share link), the shared context (`context`),
//! engine calls from a mode (`timed`), the widgets the modes share (`widgets`), one module per
//! mode (`modes`), the shell around them (`shell`) with the guided tour (`tour`) and start-up
//! (`start`). Components talk to
//! the engine, never to burn.

#[cfg(target_arch = "wasm32")]
#[cfg(feature = "bench")]
mod bench_hook;
#[cfg(target_arch = "wasm32")]
mod context;
#[cfg(target_arch = "wasm32")]
mod modes;
#[cfg(target_arch = "wasm32")]
mod shell;
#[cfg(target_arch = "wasm32")]
mod start;
#[cfg(target_arch = "wasm32")]
mod timed;
#[cfg(target_arch = "wasm32")]
mod tour;
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code, reason = "page code: natively only its tests use it"))]
pub(crate) mod view;
#[cfg(target_arch = "wasm32")]
mod widgets;

#[cfg(target_arch = "wasm32")]
pub use start::mount;
