//! The page's side of the training worker: starts `www/train-worker.js` (the `vae-lab-train`
//! build, fetched only now, or on WebGPU the page's own WebGPU build) and exchanges
//! [`train_protocol`](super::train_protocol)'s messages. The first worker of a data-parallel run
//! starts its replicas with it too.

use wasm_bindgen::prelude::*;

use crate::engine::web::field;
use super::train_protocol::{FromTrainer, ToTrainer, TrainBackend};

/// A running training worker. Dropping it ends the worker.
pub(crate) struct TrainClient {
    worker: web_sys::Worker,
    _handlers: [Closure<dyn FnMut(JsValue)>; 2],
}

impl TrainClient {
    /// Starts the worker; every message it sends goes to `on_message` (a worker that cannot
    /// load arrives as [`FromTrainer::Failed`]).
    pub(crate) fn start(backend: TrainBackend, on_message: impl Fn(FromTrainer) + 'static) -> Result<TrainClient, String> {
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        let worker = web_sys::Worker::new_with_options(backend.worker_script(), &options)
            .map_err(|e| format!("the training worker could not start ({e:?})"))?;
        let on_message = std::rc::Rc::new(on_message);
        let receive = {
            let on_message = on_message.clone();
            Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let message = serde_wasm_bindgen::from_value::<FromTrainer>(field(&event, "data")).unwrap_or_else(|e| {
                    FromTrainer::Failed { message: format!("the training worker sent a message the page does not know ({e})") }
                });
                on_message(message);
            })
        };
        let fail = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let detail = field(&event, "message").as_string().unwrap_or_else(|| "it could not be loaded".into());
            on_message(FromTrainer::Failed { message: format!("the training worker stopped: {detail}") });
        });
        worker.set_onmessage(Some(receive.as_ref().unchecked_ref()));
        worker.set_onerror(Some(fail.as_ref().unchecked_ref()));
        Ok(TrainClient { worker, _handlers: [receive, fail] })
    }

    /// Sends one message.
    pub(crate) fn send(&self, message: &ToTrainer) -> Result<(), String> {
        let value = serde::Serialize::serialize(message, &serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true))
            .map_err(|e| e.to_string())?;
        self.worker.post_message(&value).map_err(|e| format!("the training worker cannot be reached ({e:?})"))
    }
}

impl Drop for TrainClient {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
