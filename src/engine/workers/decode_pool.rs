//! Decoding big batches on the CPU in Web Workers (wasm only). Each worker runs its own instance
//! of the page's CPU build (`www/decode-worker.js`) with its own copy of the weights and decodes
//! one contiguous slice of the batch: the 30×30 grid then uses every core, and the page's thread
//! stays free while it is computed. The layers are the same burn layers as on the page's thread.
//!
//! The pool is an optimisation only: if a worker cannot start or fails, the pool turns itself off
//! and the engine decodes on the page's thread, as before. The messages are
//! [`decode_protocol`](super::decode_protocol)'s.

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use serde_bytes::ByteBuf;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::decode_protocol::{FromDecoder, ToDecoder, f32_bytes, f32s};
use crate::engine::web::field;
use crate::study::Variant;
use crate::study::metrics::ManifestFile;

/// Smallest batch worth sending to the workers: below it the messages cost more than they save
/// (decode-1 takes ~1 ms on the page's thread).
pub(crate) const MIN_POOLED_BATCH: usize = 16;

/// Largest batch decoded on the page's thread while the workers start (they take ~0.5 s to boot
/// and load the model): Generate's 64 tiles take ~25 ms here, the manifold's 900 wait for them.
pub(crate) const MAX_BATCH_WHILE_STARTING: usize = 100;

type Pending = Rc<RefCell<HashMap<u32, (Function, Function)>>>;

/// A [`DecodePool`] started when first needed, not with the page: its workers fetch and compile
/// the page's wasm and load every model again, which on a phone's few cores would compete with
/// the page's own start (Lighthouse's blocking time counts it).
#[derive(Default)]
pub(crate) struct LazyPool {
    /// Unset until started; `None` once started where no pool could be.
    pool: OnceCell<Option<DecodePool>>,
    /// Weights installed before the pool started, sent to it when it starts.
    waiting: RefCell<Vec<(Variant, Vec<u8>)>>,
}

impl LazyPool {
    /// Starts the workers unless they have been (each then gets every model installed so far);
    /// the pool, if there is one.
    pub(crate) fn start(&self) -> Option<&DecodePool> {
        self.pool
            .get_or_init(|| {
                let pool = DecodePool::start();
                let waiting = self.waiting.take();
                if let Some(pool) = &pool {
                    for (variant, bytes) in waiting {
                        pool.install(variant, &bytes);
                    }
                }
                pool
            })
            .as_ref()
    }

    /// Whether [`LazyPool::start`] has been called (whether or not a pool could start).
    pub(crate) fn has_started(&self) -> bool {
        self.pool.get().is_some()
    }

    /// The pool, if it has started.
    pub(crate) fn started(&self) -> Option<&DecodePool> {
        self.pool.get().and_then(Option::as_ref)
    }

    /// Sends `variant`'s weights file to the workers, now or when they start.
    pub fn install(&self, variant: Variant, bytes: Vec<u8>) {
        match self.pool.get() {
            Some(Some(pool)) => pool.install(variant, &bytes),
            Some(None) => {}
            None => {
                let mut waiting = self.waiting.borrow_mut();
                waiting.retain(|(v, _)| *v != variant);
                waiting.push((variant, bytes));
            }
        }
    }
}

/// Web Workers, each with the page's CPU build and the variants it has been sent.
pub(crate) struct DecodePool {
    workers: Vec<web_sys::Worker>,
    pending: Pending,
    next_id: Cell<u32>,
    /// Per variant, the promise that every worker has installed its weights.
    installed: RefCell<HashMap<Variant, Promise>>,
    /// The promise that the first worker has installed the digit classifier.
    classifier: RefCell<Option<Promise>>,
    broken: Rc<Cell<bool>>,
    _handlers: Vec<Closure<dyn FnMut(JsValue)>>,
}

fn to_js(message: &ToDecoder) -> Result<JsValue, JsValue> {
    serde_wasm_bindgen::to_value(message).map_err(|e| JsValue::from_str(&e.to_string()))
}

impl DecodePool {
    /// Starts one worker per core (2 to 4), or none where that is pointless or impossible: one
    /// core, or no CPU build named by the page's loader (`window.vaeLabCpuBuild`).
    pub(crate) fn start() -> Option<DecodePool> {
        let window = web_sys::window()?;
        let cores = window.navigator().hardware_concurrency() as usize;
        if cores < 2 {
            return None;
        }
        let build = field(&window, crate::engine::js_names::CPU_BUILD);
        let start = ToDecoder::Start { js: field(&build, "js").as_string()?, wasm: field(&build, "wasm").as_string()? };
        let start = to_js(&start).ok()?;
        let pending: Pending = Rc::default();
        let broken = Rc::new(Cell::new(false));
        let options = web_sys::WorkerOptions::new();
        options.set_type(web_sys::WorkerType::Module);
        let mut workers = Vec::new();
        let mut handlers = Vec::new();
        for _ in 0..cores.min(4) {
            let worker = web_sys::Worker::new_with_options("decode-worker.js", &options).ok()?;
            let on_message = {
                let pending = pending.clone();
                Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                    // What does not parse answers no request: it is dropped.
                    let Ok(reply) = serde_wasm_bindgen::from_value::<FromDecoder>(field(&event, "data")) else { return };
                    let Some((resolve, reject)) = pending.borrow_mut().remove(&reply.id()) else { return };
                    let _ = match reply {
                        FromDecoder::Failed { error, .. } => reject.call1(&JsValue::NULL, &JsValue::from_str(&error)),
                        FromDecoder::Decoded { pixels: bytes, .. } | FromDecoder::Classified { probabilities: bytes, .. } => {
                            resolve.call1(&JsValue::NULL, &js_sys::Uint8Array::from(bytes.as_slice()))
                        }
                        FromDecoder::Loaded { .. } => resolve.call0(&JsValue::NULL),
                    };
                })
            };
            // A worker that fails to load (or dies) fails everything in flight and turns the
            // pool off; the engine then decodes on the page's thread.
            let on_error = {
                let (pending, broken) = (pending.clone(), broken.clone());
                Closure::<dyn FnMut(JsValue)>::new(move |_event: JsValue| {
                    broken.set(true);
                    for (_, (_, reject)) in pending.borrow_mut().drain() {
                        let _ = reject.call1(&JsValue::NULL, &JsValue::from_str("a decode worker failed"));
                    }
                })
            };
            worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
            worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
            worker.post_message(&start).ok()?;
            workers.push(worker);
            handlers.push(on_message);
            handlers.push(on_error);
        }
        Some(DecodePool {
            workers,
            pending,
            next_id: Cell::new(0),
            installed: RefCell::default(),
            classifier: RefCell::default(),
            broken,
            _handlers: handlers,
        })
    }

    /// Whether the pool still works.
    pub(crate) fn usable(&self) -> bool {
        !self.broken.get()
    }

    /// How many workers.
    #[cfg(feature = "bench")]
    pub(crate) fn workers(&self) -> usize {
        self.workers.len()
    }

    /// Sends `variant`'s weights file to every worker now, so that the first big decode does not
    /// wait for it. The bytes are copied (structured clone); the page keeps its own.
    pub fn install(&self, variant: Variant, bytes: &[u8]) {
        let bytes = ByteBuf::from(bytes);
        let installs: Array = (0..self.workers.len())
            .map(|w| self.request(w, |id| ToDecoder::Load { id, variant: variant.key(), bytes: bytes.clone() }, None))
            .collect();
        let all = Promise::all(&installs);
        // Marked handled here: a failure shows when a decode awaits it, not as an uncaught error.
        let ignore = Closure::<dyn FnMut(JsValue)>::new(|_: JsValue| {});
        let _ = all.catch(&ignore);
        ignore.forget();
        self.installed.borrow_mut().insert(variant, all);
    }

    /// Has the first worker (one image at a time needs no more) fetch, check and install the
    /// digit classifier the manifest lists: done when it answers. Its 1.7 MB file and building
    /// its kernel cost the page's thread ~100 ms; this way, nothing.
    pub async fn load_classifier(&self, listed: &ManifestFile) -> Result<(), String> {
        let installed = self.request(0, |id| ToDecoder::LoadClassifier { id, listed: listed.clone() }, None);
        *self.classifier.borrow_mut() = Some(installed.clone());
        Self::wait(installed).await.map(|_| ())
    }

    /// The digit classifier's `n × 10` probabilities for `n × 784` pixels, from the first worker.
    pub(crate) async fn classify(&self, images: &[f32]) -> Result<Vec<f32>, String> {
        let installed = self.classifier.borrow().clone().ok_or("the workers have no classifier")?;
        Self::wait(installed).await?;
        let reply = self.request(0, |id| ToDecoder::Classify { id, images: f32_bytes(images) }, Some("images"));
        let bytes = Self::wait(reply).await?.dyn_into::<js_sys::Uint8Array>().map_err(|_| "the worker sent no probabilities")?.to_vec();
        f32s(&bytes)
    }

    /// Sends worker `worker` the request `make(id)`; the promise of its answer. `transfer`: the
    /// field whose buffer moves to the worker rather than being copied.
    fn request(&self, worker: usize, make: impl FnOnce(u32) -> ToDecoder, transfer: Option<&str>) -> Promise {
        let id = self.next_id.get().wrapping_add(1);
        self.next_id.set(id);
        let pending = self.pending.clone();
        let promise = Promise::new(&mut |resolve, reject| {
            pending.borrow_mut().insert(id, (resolve, reject));
        });
        let sent = to_js(&make(id)).and_then(|message| {
            let moved = match transfer {
                Some(name) => Array::of1(&field(&field(&message, name), "buffer")),
                None => Array::new(),
            };
            self.workers[worker].post_message_with_transfer(&message, &moved)
        });
        if let Err(e) = sent {
            if let Some((_, reject)) = self.pending.borrow_mut().remove(&id) {
                let _ = reject.call1(&JsValue::NULL, &e);
            }
        }
        promise
    }

    async fn wait(promise: Promise) -> Result<JsValue, String> {
        JsFuture::from(promise).await.map_err(|e| e.as_string().unwrap_or_else(|| format!("{e:?}")))
    }

    /// Decodes `n × latent_dim` latents, one contiguous slice per worker, into `n × 784` pixels.
    /// Any failure turns the pool off (the engine then decodes on the page's thread).
    pub async fn decode(&self, variant: Variant, z: &[f32]) -> Result<Vec<f32>, String> {
        let result = self.decode_in_workers(variant, z).await;
        if result.is_err() {
            self.broken.set(true);
        }
        result
    }

    async fn decode_in_workers(&self, variant: Variant, z: &[f32]) -> Result<Vec<f32>, String> {
        let installed = self.installed.borrow().get(&variant).cloned().ok_or("the workers have no weights for it")?;
        Self::wait(installed).await?;
        let latent = variant.latent_dim();
        let n = z.len() / latent;
        let per_worker = n.div_ceil(self.workers.len());
        let slices = z
            .chunks(per_worker * latent)
            .enumerate()
            .map(|(w, slice)| self.request(w, |id| ToDecoder::Decode { id, variant: variant.key(), latents: f32_bytes(slice) }, Some("latents")))
            .collect::<Array>();
        let results: Array = Self::wait(Promise::all(&slices)).await?.into();
        let mut pixels = Vec::with_capacity(n * crate::data::PIXELS);
        for slice in results.iter() {
            let bytes = slice.dyn_into::<js_sys::Uint8Array>().map_err(|_| "a worker sent no pixels")?.to_vec();
            pixels.extend(f32s(&bytes)?);
        }
        if pixels.len() != n * crate::data::PIXELS {
            return Err(format!("the workers sent {} pixels for {n} digits", pixels.len()));
        }
        Ok(pixels)
    }
}
