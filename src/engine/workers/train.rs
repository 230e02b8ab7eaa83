//! The training worker (wasm: the `vae-lab-train` build on the CPU, the page's WebGPU build on
//! WebGPU): runs a [`Session`] in a Web Worker so that the page stays responsive, one step at a
//! time, handing the worker's event loop back between steps so that "pause" and "stop" are
//! heard. `www/train-worker.js` boots the build and passes every message to
//! `self.vaeLabTrainer.receive`; the messages are [`train_protocol`](super::train_protocol)'s.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use burn::prelude::Device;
use serde_bytes::ByteBuf;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;

use crate::engine::web::{MAX_UNLISTED_BYTES, fetch_bytes, now_ms, sleep_ms};
use super::train_protocol::{FromTrainer, HELD_OUT, MAX_WORKERS, PartMessage, SHOWN, SNAPSHOT_EVERY_MS, ToTrainer, TrainBackend, TrainRequest, to_bytes, to_intensities};
use crate::kernels::cpu_fused::CpuEncoder;
use crate::study::train_settings::{Share, StepLoss};
use super::train_client::TrainClient;
use crate::data::{Digits, Images, PIXELS, SIDE};
use crate::train::session::Session;

/// What the page last asked of the run.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Control {
    Run,
    Pause,
    Stop,
}

thread_local! {
    /// The run's control, shared by the message handler and the loop (`None`: no run).
    static RUN: RefCell<Option<Rc<Cell<Control>>>> = const { RefCell::new(None) };
    /// In a replica (another worker of a data-parallel run): its session and share, once built
    /// (out of the cell while it computes a part).
    static REPLICA: RefCell<Option<(Session, Share)>> = const { RefCell::new(None) };
    /// In a replica: the held-out digits of the live view's map, as intensities.
    static HELD_OUT_PIXELS: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

fn post(message: &FromTrainer) {
    let serializer = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    let Ok(value) = serde::Serialize::serialize(message, &serializer) else { return };
    if let Ok(scope) = js_sys::global().dyn_into::<web_sys::DedicatedWorkerGlobalScope>() {
        let _ = scope.post_message(&value);
    }
}

/// In the training worker (`www/train-worker.js` sets `self.vaeLabTrainWorker` before it boots a
/// build): [`serve`]s and returns true. Elsewhere (the page, a decode worker) false.
pub(crate) fn serve_if_trainer() -> bool {
    let trainer = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str(crate::engine::js_names::TRAIN_WORKER)).is_ok_and(|v| v.is_truthy());
    if trainer {
        serve();
    }
    trainer
}

/// The `main` of the training worker's builds (`vae-lab-train`, `vae-lab-train-relaxed-simd`):
/// the constructors once, the panic hook, then [`serve`].
pub fn main() {
    crate::engine::web::run_constructors_once();
    console_error_panic_hook::set_once();
    serve();
}

/// Installs `self.vaeLabTrainer = { receive(message) }` (what `www/train-worker.js` calls).
fn serve() {
    let receive = Closure::<dyn Fn(JsValue)>::new(|message: JsValue| match serde_wasm_bindgen::from_value::<ToTrainer>(message) {
        Ok(message) => handle(message),
        Err(e) => post(&FromTrainer::Failed { message: format!("the training worker got a message it does not know ({e})") }),
    });
    let api = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&api, &JsValue::from_str("receive"), receive.as_ref());
    let _ = js_sys::Reflect::set(&js_sys::global(), &JsValue::from_str(crate::engine::js_names::TRAINER), &api);
    // It lives as long as the worker.
    receive.forget();
}

fn handle(message: ToTrainer) {
    let control = RUN.with(|run| run.borrow().clone());
    match (message, control) {
        (ToTrainer::Train(request), None) => {
            let control = Rc::new(Cell::new(Control::Run));
            RUN.with(|run| *run.borrow_mut() = Some(control.clone()));
            spawn_local(async move {
                if let Err(message) = train(request, &control).await {
                    post(&FromTrainer::Failed { message });
                }
                RUN.with(|run| *run.borrow_mut() = None);
            });
        }
        (ToTrainer::Train(_), Some(_)) => post(&FromTrainer::Failed { message: "a run is already under way".into() }),
        (ToTrainer::Pause, Some(control)) if control.get() == Control::Run => control.set(Control::Pause),
        (ToTrainer::Resume, Some(control)) if control.get() == Control::Pause => control.set(Control::Run),
        (ToTrainer::Stop, Some(control)) => control.set(Control::Stop),
        (ToTrainer::Replica { request, share }, _) => spawn_local(async move {
            match prepare(&request).await {
                Ok((session, ..)) => {
                    REPLICA.with(|r| *r.borrow_mut() = Some((session, share)));
                    post(&FromTrainer::ReplicaReady);
                }
                Err(message) => post(&FromTrainer::Failed { message }),
            }
        }),
        (ToTrainer::Part, _) => spawn_local(async {
            let Some((mut session, share)) = REPLICA.with(|r| r.borrow_mut().take()) else {
                return post(&FromTrainer::Failed { message: "this worker is not a replica of a run".into() });
            };
            let part = session.step_part(share).await;
            REPLICA.with(|r| *r.borrow_mut() = Some((session, share)));
            match part {
                Ok(part) => post(&FromTrainer::Part { part: PartMessage::from(&part) }),
                Err(message) => post(&FromTrainer::Failed { message }),
            }
        }),
        (ToTrainer::Apply { sum }, _) => {
            let applied = REPLICA.with(|r| match r.borrow_mut().as_mut() {
                Some((session, _)) => session.apply_parts(&sum.into()).map(|_| ()),
                None => Err("this worker is not a replica of a run".into()),
            });
            if let Err(message) = applied {
                post(&FromTrainer::Failed { message });
            }
        }
        (ToTrainer::HeldOut { pixels }, _) => HELD_OUT_PIXELS.with(|h| *h.borrow_mut() = to_intensities(&pixels)),
        (ToTrainer::Means, _) => spawn_local(async move {
            let Some((session, share)) = REPLICA.with(|r| r.borrow_mut().take()) else {
                return post(&FromTrainer::Failed { message: "this worker is not a replica of a run".into() });
            };
            let kernels = session.cpu_kernels().await;
            REPLICA.with(|r| *r.borrow_mut() = Some((session, share)));
            let means = kernels.and_then(|(encoder, _)| {
                HELD_OUT_PIXELS.with(|h| {
                    let held_out = h.borrow();
                    let rows = share.rows(held_out.len() / PIXELS)?;
                    Ok(encoder.encode(&held_out[rows.start * PIXELS..rows.end * PIXELS]).0)
                })
            });
            match means {
                Ok(means) => post(&FromTrainer::Means { index: share.index, means }),
                Err(message) => post(&FromTrainer::Failed { message }),
            }
        }),
        (ToTrainer::Record { record }, _) => {
            let recorded = REPLICA.with(|r| match r.borrow_mut().as_mut() {
                Some((session, _)) => session.end_epoch_as(record),
                None => Err("this worker is not a replica of a run".into()),
            });
            if let Err(message) = recorded {
                post(&FromTrainer::Failed { message });
            }
        }
        // A pause of a paused run, or a stop after the end: nothing to do.
        _ => {}
    }
}

/// The other workers of a data-parallel run, started by its first (this one) as the page starts
/// it ([`TrainClient`]), and answering it.
struct Team {
    replicas: Vec<TrainClient>,
    inbox: Rc<RefCell<Inbox>>,
}

/// What the team's workers sent and the first worker has not read yet, and how to wake it.
#[derive(Default)]
struct Inbox {
    messages: std::collections::VecDeque<FromTrainer>,
    wake: Option<js_sys::Function>,
}

impl Team {
    /// Starts `request.workers - 1` replicas of this worker's run (itself the first) and waits
    /// until each has built its session. `None` where a worker cannot start workers (a browser
    /// without nested workers) or a replica fails: the run then trains on this worker alone.
    async fn start(request: &TrainRequest) -> Option<Team> {
        let count = request.workers.min(MAX_WORKERS);
        let inbox = Rc::new(RefCell::new(Inbox::default()));
        let mut team = Team { replicas: Vec::new(), inbox: inbox.clone() };
        for index in 1..count {
            let inbox = inbox.clone();
            // A worker's relative URL is its script's: the replicas run this build.
            let replica = TrainClient::start(TrainBackend::Cpu, move |message| {
                let mut inbox = inbox.borrow_mut();
                inbox.messages.push_back(message);
                if let Some(wake) = inbox.wake.take() {
                    let _ = wake.call0(&JsValue::NULL);
                }
            })
            .ok()?;
            replica.send(&ToTrainer::Replica { request: TrainRequest { workers: 1, ..request.clone() }, share: Share { index, count } }).ok()?;
            team.replicas.push(replica);
        }
        let mut ready = 0;
        while ready < team.replicas.len() {
            match team.next().await {
                FromTrainer::ReplicaReady => ready += 1,
                FromTrainer::Failed { .. } => return None,
                _ => {}
            }
        }
        Some(team)
    }

    /// Replicas and this worker.
    fn count(&self) -> usize {
        self.replicas.len() + 1
    }

    fn send_all(&self, message: &ToTrainer) -> Result<(), String> {
        self.replicas.iter().try_for_each(|r| r.send(message))
    }

    /// The next message a replica sent, waiting for one.
    async fn next(&self) -> FromTrainer {
        loop {
            if let Some(message) = self.inbox.borrow_mut().messages.pop_front() {
                return message;
            }
            let inbox = self.inbox.clone();
            let arrived = js_sys::Promise::new(&mut |resolve, _| inbox.borrow_mut().wake = Some(resolve));
            let _ = wasm_bindgen_futures::JsFuture::from(arrived).await;
        }
    }

    /// The latent means of `held_out` (intensities, `PIXELS` each) with `encoder`, this model's:
    /// each worker computes those of its `Share`'s rows of the digits (the replicas hold them, `HeldOut`),
    /// so that the live view's map costs each a fraction of the time it would cost this one.
    async fn means(&self, encoder: &CpuEncoder, held_out: &[f32]) -> Result<Vec<f32>, String> {
        let count = self.count();
        self.send_all(&ToTrainer::Means)?;
        let own = Share { index: 0, count }.rows(held_out.len() / PIXELS)?;
        let mut parts = vec![None; count];
        parts[0] = Some(encoder.encode(&held_out[own.start * PIXELS..own.end * PIXELS]).0);
        while parts.iter().any(Option::is_none) {
            match self.next().await {
                FromTrainer::Means { index, means } if index > 0 && index < count => parts[index] = Some(means),
                FromTrainer::Failed { message } => return Err(message),
                _ => {}
            }
        }
        Ok(parts.into_iter().flatten().flatten().collect())
    }

    /// One step on every worker: each computes its part of the batch, this one adds them up, and
    /// every one applies the sum.
    async fn step(&self, session: &mut Session) -> Result<StepLoss, String> {
        self.send_all(&ToTrainer::Part)?;
        let mut sum = session.step_part(Share { index: 0, count: self.count() }).await?;
        let mut parts = 1;
        while parts < self.count() {
            match self.next().await {
                FromTrainer::Part { part } => {
                    sum.add(&part.into())?;
                    parts += 1;
                }
                FromTrainer::Failed { message } => return Err(format!("one of the run's training workers failed ({message}); train again, or choose 1 worker")),
                _ => {}
            }
        }
        self.send_all(&ToTrainer::Apply { sum: PartMessage::from(&sum) })?;
        session.apply_parts(&sum)
    }
}

/// Fetches a shipped data file (relative to the worker's script, which sits beside the page).
async fn fetch_digits(name: &str, mut progress: impl FnMut(u64)) -> Result<Digits, String> {
    let images = fetch_bytes(&format!("data/{name}-images-idx3-ubyte.gz"), MAX_UNLISTED_BYTES, &mut progress).await?;
    let labels = fetch_bytes(&format!("data/{name}-labels-idx1-ubyte.gz"), MAX_UNLISTED_BYTES, |_| {}).await?;
    Digits::from_idx(&images, &labels).map_err(|e| format!("data/{name}: {e}"))
}

/// The training digits: the first `sample` of the shipped sample, then the drawings.
fn training_set(sample: &Digits, count: usize, drawings: &[u8]) -> Result<Digits, String> {
    if drawings.len() % PIXELS != 0 {
        return Err("the drawings are not whole 28×28 images".into());
    }
    let count = count.min(sample.len());
    let mut set = sample.subset(&(0..count).collect::<Vec<_>>());
    set.images.pixels.extend_from_slice(drawings);
    set.images.count += drawings.len() / PIXELS;
    // The visitor's digits are not labelled; 10 marks them (labels are not used to train).
    set.labels.extend(std::iter::repeat_n(10, drawings.len() / PIXELS));
    Ok(set)
}

/// The autodiff device to train on, and what it is in words (for the record).
async fn training_device(backend: TrainBackend) -> Result<(Device, String), String> {
    match backend {
        TrainBackend::Cpu => cpu_device(),
        TrainBackend::WebGpu => webgpu_device().await,
    }
}

#[cfg(flex_train)]
fn cpu_device() -> Result<(Device, String), String> {
    Ok((Device::flex().autodiff(), "burn 0.22.1 flex (CPU, wasm32, one Web Worker)".into()))
}

#[cfg(not(flex_train))]
fn cpu_device() -> Result<(Device, String), String> {
    Err("this training build has no CPU backend (the page's `vae-lab-train` build trains on the CPU)".into())
}

#[cfg(feature = "webgpu")]
async fn webgpu_device() -> Result<(Device, String), String> {
    let (device, setup) = Device::wgpu_options()
        .init_with_setup_async()
        .await
        .map_err(|e| format!("WebGPU did not start in the training worker ({e:?}); reload the page with ?backend=cpu to train on the CPU"))?;
    let adapter = setup.adapter.get_info().name;
    Ok((device.autodiff(), format!("burn 0.22.1 wgpu (WebGPU: {adapter}, wasm32, one Web Worker)")))
}

#[cfg(not(feature = "webgpu"))]
async fn webgpu_device() -> Result<(Device, String), String> {
    Err("this training build has no WebGPU (the page's WebGPU build trains on WebGPU)".into())
}

/// The shipped training sample's compressed size, for the progress bar before the first byte.
const SAMPLE_BYTES: u64 = 1_609_457;

/// The run's training digits and session, its data and backend in words (what every worker of a run
/// builds alike).
async fn prepare(request: &TrainRequest) -> Result<(Session, String, String), String> {
    let sample = if request.sample_digits > 0 {
        fetch_digits("train-sample", |received| post(&FromTrainer::Loading { received, total: SAMPLE_BYTES.max(received) })).await?
    } else {
        Digits { images: Images { count: 0, rows: SIDE, cols: SIDE, pixels: Vec::new() }, labels: Vec::new() }
    };
    let train_set = training_set(&sample, request.sample_digits, &request.drawings)?;
    if train_set.is_empty() {
        return Err("there is nothing to train on: choose some shipped digits or add drawings first".into());
    }
    let data_label = match (&request.base, request.drawings.is_empty()) {
        (Some(base), true) => format!("fine-tuned from {base} on {} shipped training digits, in the browser", request.sample_digits),
        (Some(base), false) => format!("fine-tuned from {base} on {} digits ({} drawn by you), in the browser", train_set.len(), request.drawings.len() / PIXELS),
        (None, _) => format!("{} training digits ({} drawn by you), trained in the browser", train_set.len(), request.drawings.len() / PIXELS),
    };
    let (device, backend) = training_device(request.backend).await?;
    let start = request.start_from.clone().map(ByteBuf::into_vec);
    let session = Session::new(request.settings.clone(), start, train_set, device)?;
    Ok((session, data_label, backend))
}

async fn train(request: TrainRequest, control: &Cell<Control>) -> Result<(), String> {
    let settings = request.settings.clone();
    let latent = usize::from(settings.architecture.latent_dim);
    let (mut session, data_label, backend) = prepare(&request).await?;
    // The first worker alone evaluates and shows: the replicas do not fetch the test digits.
    let test = fetch_digits("test-sample", |_| {}).await?;
    let held_out = test.subset(&(0..HELD_OUT.min(test.len())).collect::<Vec<_>>());
    let team = if request.workers > 1 && request.backend == TrainBackend::Cpu { Team::start(&request).await } else { None };
    let workers = team.as_ref().map_or(1, Team::count);
    let backend = if workers > 1 { backend.replace("one Web Worker", &format!("{workers} Web Workers")) } else { backend };

    // The shown digits: the first held-out digit of each class 0..8, in that order.
    let shown: Vec<usize> = (0..SHOWN as u8).filter_map(|label| held_out.labels.iter().position(|&l| l == label)).collect();
    let shown_pixels = held_out.intensities(&shown);
    post(&FromTrainer::Started {
        train_images: session.metrics(&data_label, held_out.len(), "").protocol.train_images,
        steps_per_epoch: session.steps_per_epoch(),
        shown: to_bytes(&shown_pixels),
        held_out_labels: ByteBuf::from(held_out.labels.clone()),
        workers,
    });
    let held_out_pixels = held_out.intensities(&(0..held_out.len()).collect::<Vec<_>>());
    if let (Some(team), true) = (&team, latent == 2) {
        team.send_all(&ToTrainer::HeldOut { pixels: ByteBuf::from(held_out.images.pixels.clone()) })?;
    }
    let shown = Shown { pixels: &shown_pixels, held_out: &held_out_pixels, latent_map: latent == 2, fused: request.backend == TrainBackend::Cpu };
    let saved = Saved { data_label: &data_label, held_out: held_out.len(), backend: &backend };
    shown.post(&session, team.as_ref()).await;

    let total_steps = session.steps_per_epoch() * settings.epochs;
    // Images/s over the last steps (a window, so that a pause does not count).
    let mut recent: std::collections::VecDeque<(usize, f64)> = std::collections::VecDeque::new();
    // The seconds of the steps so far and of everything the run did around them (the live view's
    // snapshots, the epochs' evaluations; not the pauses): the time left counts both.
    let (mut stepping, mut running) = (0.0, 0.0);
    let mut last_snapshot = now_ms();
    let mut stopped = false;
    while !session.finished() {
        match control.get() {
            Control::Stop => {
                stopped = true;
                break;
            }
            Control::Pause => {
                saved.post(&session).await?;
                post(&FromTrainer::Paused { step: session.steps() });
                while control.get() == Control::Pause {
                    sleep_ms(50).await;
                }
                recent.clear();
                if control.get() == Control::Run {
                    post(&FromTrainer::Resumed);
                }
                continue;
            }
            Control::Run => {}
        }
        let started = now_ms();
        let loss = match &team {
            Some(team) => team.step(&mut session).await?,
            None => session.step().await?,
        };
        let seconds = (now_ms() - started) / 1000.0;
        session.add_seconds(seconds);
        recent.push_back((loss.images, seconds));
        if recent.len() > 20 {
            recent.pop_front();
        }
        let (images, time) = recent.iter().fold((0, 0.0), |(n, t), (i, s)| (n + i, t + s));
        let per_step = time / recent.len() as f64;
        let around = if stepping > 0.0 { f64::max(running / stepping, 1.0) } else { 1.0 };
        post(&FromTrainer::Step {
            loss,
            images_per_second: if time > 0.0 { images as f64 / time } else { 0.0 },
            seconds_left: per_step * around * total_steps.saturating_sub(session.steps()) as f64,
        });
        if session.epoch_ended() {
            let record = session.end_epoch(&held_out).await?;
            if let Some(team) = &team {
                team.send_all(&ToTrainer::Record { record: record.clone() })?;
            }
            post(&FromTrainer::Epoch { record });
            saved.post(&session).await?;
            shown.post(&session, team.as_ref()).await;
            last_snapshot = now_ms();
        } else if now_ms() - last_snapshot >= SNAPSHOT_EVERY_MS {
            shown.post(&session, team.as_ref()).await;
            last_snapshot = now_ms();
        }
        // Hear the page's messages before the next step. With a team there is no need: every step
        // waits for the replicas' messages, and the page's are heard then, in order (a timer of 0
        // here waits 4 ms once nested, every step).
        if team.is_none() {
            sleep_ms(0).await;
        }
        stepping += seconds;
        running += (now_ms() - started) / 1000.0;
    }
    if stopped {
        saved.post(&session).await?;
        shown.post(&session, team.as_ref()).await;
    }
    post(&FromTrainer::Finished { stopped });
    Ok(())
}

/// What the live view shows of the model as it trains.
struct Shown<'a> {
    /// The shown held-out digits, reconstructed.
    pixels: &'a [f32],
    /// Every held-out digit, for the latent map.
    held_out: &'a [f32],
    /// Whether the latent is 2-D (a map of the held-out means).
    latent_map: bool,
    /// Whether to compute them with the fused CPU kernels (a CPU run) rather than burn's layers.
    fused: bool,
}

impl Shown<'_> {
    /// Every [`SNAPSHOT_EVERY_MS`], between steps: on the CPU with the page's fused kernels (40 %
    /// less time than burn's layers for the 1,000 held-out digits' means), the means split
    /// between the run's workers (`team`), which otherwise wait meanwhile.
    async fn post(&self, session: &Session, team: Option<&Team>) {
        let kernels = if self.fused { session.cpu_kernels().await.ok() } else { None };
        let (reconstructions, means) = match kernels {
            Some((encoder, decoder)) => {
                // The team's, or where there is none (or it failed) this worker's alone.
                let shared = match team {
                    Some(team) if self.latent_map => team.means(&encoder, self.held_out).await.ok(),
                    _ => None,
                };
                let means = match (self.latent_map, shared) {
                    (false, _) => Vec::new(),
                    (true, Some(means)) => means,
                    (true, None) => encoder.encode(self.held_out).0,
                };
                (decoder.decode(&encoder.encode(self.pixels).0), means)
            }
            None => {
                let (reconstructions, _) = session.reconstruct(self.pixels).await;
                (reconstructions, if self.latent_map { session.means(self.held_out).await } else { Vec::new() })
            }
        };
        post(&FromTrainer::Snapshot { step: session.steps(), reconstructions: to_bytes(&reconstructions), means });
    }
}

/// The model as it is, posted for the page to keep.
struct Saved<'a> {
    data_label: &'a str,
    held_out: usize,
    /// Where it trains, in words (for the record).
    backend: &'a str,
}

impl Saved<'_> {
    async fn post(&self, session: &Session) -> Result<(), String> {
        let metrics = session.metrics(self.data_label, self.held_out, self.backend);
        post(&FromTrainer::Weights { weights: ByteBuf::from(session.weights().await?), metrics: Box::new(metrics) });
        Ok(())
    }
}
