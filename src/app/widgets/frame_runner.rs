//! Work that follows the newest input: at most one run per animation frame, never a queue.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

/// Runs the latest request once per animation frame; requests made while one runs collapse into
/// a single rerun with the newest input.
#[derive(Clone, Default)]
pub(crate) struct FrameRunner {
    pending: Rc<Cell<bool>>,
    running: Rc<Cell<bool>>,
}

impl FrameRunner {
    /// Asks for `work` to run with the newest state.
    pub(crate) fn request(&self, work: Rc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>>) {
        self.pending.set(true);
        if self.running.get() {
            return;
        }
        self.running.set(true);
        let this = self.clone();
        request_animation_frame(move || {
            spawn_local(async move {
                while this.pending.replace(false) {
                    work().await;
                }
                this.running.set(false);
            });
        });
    }
}

/// Which run of an effect is the newest: runs started for older inputs may finish after it (a
/// slow backend, overlapping awaits), and must then not paint over the newer result.
#[derive(Clone, Copy)]
pub(crate) struct Latest(StoredValue<u64>);

impl Latest {
    /// No run yet.
    pub(crate) fn new() -> Latest {
        Latest(StoredValue::new(0))
    }

    /// Starts a run; its number is current until the next [`Latest::begin`]. Once the component
    /// is gone (a frame's work may still start after it), no run is ever current: 0.
    pub(crate) fn begin(&self) -> u64 {
        self.0
            .try_update_value(|n| {
                *n += 1;
                *n
            })
            .unwrap_or(0)
    }

    /// Whether run `run` is still the newest (`false` too once the component is gone).
    pub(crate) fn is_current(&self, run: u64) -> bool {
        run != 0 && self.0.try_get_value() == Some(run)
    }
}

impl Default for Latest {
    fn default() -> Self {
        Self::new()
    }
}
