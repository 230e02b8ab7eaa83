//! Work that follows the newest input: at most one run per animation frame, never a queue.

use std::cell::Cell;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

/// Runs the latest request once per animation frame; requests made while one runs collapse into
/// a single rerun with the newest input.
#[derive(Clone, Default)]
pub struct FrameRunner {
    pending: Rc<Cell<bool>>,
    running: Rc<Cell<bool>>,
}

impl FrameRunner {
    /// Asks for `work` to run with the newest state.
    pub fn request(&self, work: Rc<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>>) {
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
