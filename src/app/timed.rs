//! An engine call from a mode: timed for the status line, and on a lost WebGPU device the page
//! carries on on the CPU with the same view.

use std::rc::Rc;

use crate::app::context::Lab;
use crate::app::view::share::write_link_now;
use crate::engine::web::{WebGpuFailure, fall_back_to_cpu, now_ms};
use crate::engine::{BackendKind, Engine, EngineError};

/// Runs an engine call, timing it; `None` when the engine is not up yet.
pub async fn timed<T>(lab: Lab, call: impl AsyncFnOnce(Rc<Engine>) -> Result<T, EngineError>) -> Option<Result<T, EngineError>> {
    let engine = lab.engine()?;
    let on_gpu = matches!(engine.backend(), BackendKind::WebGpu(_));
    let started = now_ms();
    let out = call(engine).await;
    lab.record_time(started);
    // A WebGPU failure (most often a lost device) is not the visitor's doing: carry on on the
    // CPU with the same view rather than showing an error.
    if let (true, Err(EngineError::Device { detail, .. })) = (on_gpu, &out) {
        // The link holds the view: write it now, then reload.
        write_link_now(lab);
        fall_back_to_cpu(WebGpuFailure::Lost, detail);
    }
    Some(out)
}
