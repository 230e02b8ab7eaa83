//! Train: a VAE trained in the visitor's browser, from scratch or fine-tuned from a shipped
//! model, on the shipped training digits and the visitor's drawings; live loss chart,
//! reconstructions and (latent 2) latent map; the result becomes "your model".

use leptos::html;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::widgets::files::{MAX_OPENED_BYTES, files_of, read_file, read_head, save_file};
use crate::model::weights::starts_as_weights;
use crate::app::context::{Lab, use_lab};
use crate::app::widgets::paint::{clear, context, label_color, paint_grid};
use crate::app::modes::train::run::{Form, Phase, Training, Yours, adopt, use_training};
use crate::engine::web::{cores, fetch_listed};
use crate::engine::model_store;
use crate::engine::workers::train_protocol::{MAX_WORKERS, SAMPLE_DIGITS, SHOWN, ToTrainer, TrainBackend, TrainRequest, to_bytes};
use crate::study::metrics::Metrics;
use crate::study::train_settings::TrainSettings;
use crate::study::{Architecture, Variant};
use crate::app::view::state::ViewStateStoreFields;
use crate::app::view::store::ViewActions;

/// The start picker's value for "from scratch" (a model's is its key).
const SCRATCH: &str = "scratch";

fn parse_into<T: std::str::FromStr + Send + Sync + 'static>(signal: RwSignal<T>) -> impl Fn(leptos::ev::Event) {
    move |ev| {
        if let Ok(v) = event_target_value(&ev).trim().parse::<T>() {
            signal.set(v);
        }
    }
}

/// Builds the request and starts the run (fetching the weights to fine-tune first).
fn start(lab: Lab, training: Training, form: Form) {
    let start = form.start.get_untracked();
    let drawings: Vec<f32> = if form.use_drawings.get_untracked() {
        training.drawings.with_untracked(|d| d.concat())
    } else {
        Vec::new()
    };
    let base = start;
    let architecture = match base {
        Some(Variant::Yours(a)) => a,
        Some(v) => Architecture::of(v),
        None => Architecture { deeper: form.deeper.get_untracked(), latent_dim: form.latent.get_untracked(), mse: form.mse.get_untracked() },
    };
    let settings = TrainSettings {
        architecture,
        kl_weight: form.beta.get_untracked(),
        batch: form.batch.get_untracked(),
        learning_rate: form.learning_rate.get_untracked(),
        epochs: form.epochs.get_untracked(),
        // Blank: a new seed per run from the clock, so two runs are two draws (the record keeps it).
        seed: match form.seed.get_untracked().trim() {
            "" => js_sys::Date::now() as u64 % 1_000_000,
            text => match text.parse() {
                Ok(seed) => seed,
                Err(_) => {
                    training.phase.set(Phase::Failed(format!("Cannot train with these settings: the seed `{text}` is not a whole number.")));
                    return;
                }
            },
        },
    };
    let settings = match settings.checked() {
        Ok(s) => s,
        Err(e) => {
            training.phase.set(Phase::Failed(format!("Cannot train with these settings: {e}.")));
            return;
        }
    };
    let sample_digits = form.sample_digits.get_untracked().min(SAMPLE_DIGITS);
    if sample_digits == 0 && drawings.is_empty() {
        training.phase.set(Phase::Failed("There is nothing to train on: choose some shipped digits, or add drawings in Draw.".into()));
        return;
    }
    training.phase.set(Phase::Loading { received: 0, total: 0 });
    spawn_local(async move {
        let start_from = match base {
            None => Ok(None),
            Some(Variant::Yours(_)) => Ok(training.yours.with_untracked(|y| y.as_ref().map(|y| y.weights.clone()))),
            Some(variant) => shipped_weights(lab, variant).await.map(Some),
        };
        match start_from {
            Ok(start_from) => training.start(
                lab,
                TrainRequest {
                    settings,
                    start_from: start_from.map(Into::into),
                    base: base.map(|v| v.label().to_string()),
                    sample_digits,
                    drawings: to_bytes(&drawings),
                    backend: TrainBackend::OF_THIS_BUILD,
                    workers: if TrainBackend::OF_THIS_BUILD == TrainBackend::Cpu { form.workers.get_untracked() } else { 1 },
                },
            ),
            Err(e) => training.phase.set(Phase::Failed(e)),
        }
    });
}

/// A shipped model's weights file, checked against the manifest.
async fn shipped_weights(lab: Lab, variant: Variant) -> Result<Vec<u8>, String> {
    let entry = lab
        .manifest
        .with_untracked(|m| m.as_ref().and_then(|m| m.as_ref().ok()).and_then(|m| m.entry(variant.name()).cloned()))
        .ok_or_else(|| format!("The {} model is not available to fine-tune.", variant.label()))?;
    fetch_listed(&entry.weights, |_| {}).await
}

#[component]
pub(crate) fn TrainMode() -> impl IntoView {
    let lab = use_lab();
    let training = use_training();
    // The app's, not this view's: the settings outlive a visit to another tab.
    let form = training.form;
    let phase = training.phase;
    let shipped = move || lab.pickable_variants().into_iter().filter(|v| !matches!(v, Variant::Yours(_))).collect::<Vec<_>>();
    let scratch = move || form.start.get().is_none();
    view! {
        <section class="mode train">
            <div class="panel settings">
                <h2>"Train a VAE in your browser"</h2>
                <p class="hint">{match TrainBackend::OF_THIS_BUILD {
                    TrainBackend::WebGpu => "It trains here, on this device's GPU (WebGPU), in a background worker: the other tabs keep working.",
                    TrainBackend::Cpu => "It trains here, on this device's CPU, in a background worker: the other tabs keep working.",
                }}</p>
                // While a run is on, the settings fold to one line: the chart and samples get the room.
                <details class="train-settings" prop:open=move || !phase.with(Phase::active)>
                    <summary data-testid="train-settings-summary">{move || if phase.with(Phase::active) { format!("Settings: {}", form.summary()) } else { "Settings".to_string() }}</summary>
                    <label>"Start from "
                        <select data-testid="train-start-from" prop:value=move || form.start.get().map_or(SCRATCH.to_string(), |v| v.key()) on:change=move |ev| form.start.set(Variant::from_key(&event_target_value(&ev)))>
                            <option value=SCRATCH>"scratch (new weights)"</option>
                            {move || shipped().into_iter().map(|v| view! { <option value=v.key()>{format!("fine-tune {}", v.label())}</option> }).collect_view()}
                            {move || training.yours.with(|y| y.as_ref().map(|y| view! { <option value=y.variant.key()>"fine-tune your model"</option> }))}
                        </select>
                    </label>
                    <fieldset disabled=move || !scratch()>
                        <Either label="Architecture " test_id="train-architecture" off=("baseline", "baseline (2 convs)") on=("deeper", "deeper (3 convs)") value=form.deeper/>
                        <label>"Latent size "
                            <input type="number" min="1" max=Architecture::MAX_LATENT data-testid="train-latent" prop:value=move || form.latent.get().to_string() on:change=parse_into(form.latent)/>
                        </label>
                        <Either label="Reconstruction loss " test_id="train-loss" off=("bce", "BCE (the study's)") on=("mse", "MSE") value=form.mse/>
                    </fieldset>
                    <label>"KL weight β "
                        <input type="number" min="0" max="100" step="0.1" data-testid="train-beta" prop:value=move || form.beta.get().to_string() on:change=parse_into(form.beta)/>
                        <span class="small">" (how much the KL term counts: 1 as in the study; more gives smoother but blurrier digits, 0 drops the pull towards the bell curve)"</span>
                    </label>
                    <label>"Batch "
                        <select data-testid="train-batch" on:change=parse_into(form.batch)>
                            {[32usize, 64, 128, 256].into_iter().map(|b| view! { <option value=b.to_string() selected=b == 128>{b.to_string()}</option> }).collect_view()}
                        </select>
                        <span class="small">" (digits per step: the weights move once per batch)"</span>
                    </label>
                    {(TrainBackend::OF_THIS_BUILD == TrainBackend::Cpu).then(|| view! {
                        <label>"Workers "
                            <select data-testid="train-workers" prop:value=move || form.workers.get().to_string() on:change=parse_into(form.workers)>
                                {(1..=MAX_WORKERS).map(|n| view! { <option value=n.to_string()>{n.to_string()}</option> }).collect_view()}
                            </select>
                            <span class="small">{format!(" (this device has {} cores: each worker takes part of every batch, and they add up what they learnt)", cores())}</span>
                        </label>
                    })}
                    <label>"Learning rate "
                        <input type="number" min="0.00001" max="0.1" step="0.0001" data-testid="train-lr" prop:value=move || form.learning_rate.get().to_string() on:change=parse_into(form.learning_rate)/>
                        <span class="small">" (how big each step's nudge is; the study's 0.001)"</span>
                    </label>
                    <label>"Epochs "
                        <input type="number" min="1" max="1000" data-testid="train-epochs" prop:value=move || form.epochs.get().to_string() on:change=parse_into(form.epochs)/>
                    </label>
                    <label>"Shipped training digits "
                        <input type="number" min="0" max=SAMPLE_DIGITS data-testid="train-digits" prop:value=move || form.sample_digits.get().to_string() on:change=parse_into(form.sample_digits)/>
                        <span class="small">{format!(" of {SAMPLE_DIGITS} (MNIST training digits, 1.6 MB, fetched when you start)")}</span>
                    </label>
                    <label>"Seed "
                        <input type="text" inputmode="numeric" placeholder="new each run" size="10" data-testid="train-seed" prop:value=move || form.seed.get() on:change=move |ev| form.seed.set(event_target_value(&ev))/>
                        <span class="small">" (the same seed and settings give the same run, number for number)"</span>
                    </label>
                    <label>
                        <input type="checkbox" data-testid="train-use-drawings" prop:checked=move || form.use_drawings.get() on:change=move |ev| form.use_drawings.set(event_target_checked(&ev))/>
                        {move || format!(" and your {} drawings (add them in Draw)", training.drawings.with(Vec::len))}
                    </label>
                </details>
                <div class="buttons">
                    <button data-testid="train-go" disabled=move || phase.with(Phase::active) on:click=move |_| start(lab, training, form)>"Train"</button>
                    <button data-testid="train-pause" disabled=move || phase.get() != Phase::Running on:click=move |_| training.command(ToTrainer::Pause)>"Pause"</button>
                    <button data-testid="train-resume" disabled=move || phase.get() != Phase::Paused on:click=move |_| training.command(ToTrainer::Resume)>"Resume"</button>
                    <button data-testid="train-stop" disabled=move || !phase.with(|p| matches!(p, Phase::Running | Phase::Paused)) on:click=move |_| training.command(ToTrainer::Stop)>"Stop"</button>
                </div>
                <PhaseLine/>
            </div>
            <div class="panel live">
                <LossChart/>
                <Reconstructions/>
                <MeansMap/>
            </div>
            <YourModelPanel/>
        </section>
    }
}

/// A choice between two settings, as a `<select>` of `off` and `on` (value, text) setting `value`.
#[component]
fn Either(label: &'static str, test_id: &'static str, off: (&'static str, &'static str), on: (&'static str, &'static str), value: RwSignal<bool>) -> impl IntoView {
    view! {
        <label>{label}
            <select data-testid=test_id prop:value=move || if value.get() { on.0 } else { off.0 } on:change=move |ev| value.set(event_target_value(&ev) == on.0)>
                <option value=off.0>{off.1}</option>
                <option value=on.0>{on.1}</option>
            </select>
        </label>
    }
}

fn duration(seconds: f64) -> String {
    let s = seconds.max(0.0).round() as u64;
    if s >= 60 { format!("{} min {:02} s", s / 60, s % 60) } else { format!("{s} s") }
}

#[component]
fn PhaseLine() -> impl IntoView {
    let training = use_training();
    let text = move || {
        let step = training.steps.with(|s| s.last().copied());
        let plan = training.plan.get();
        let at = match (step, plan) {
            (Some(s), Some((per_epoch, epochs))) => format!("epoch {} of {epochs}, step {} of {}", s.epoch, s.step, per_epoch * epochs),
            _ => String::new(),
        };
        let workers = match training.workers.get() {
            1 => String::new(),
            n => format!(" on {n} workers"),
        };
        let speed = training.speed.get().map(|(ips, left)| format!(" · {ips:.0} images/s{workers} · {} left", duration(left))).unwrap_or_default();
        match training.phase.get() {
            Phase::Idle => "Choose the settings and press Train.".to_string(),
            Phase::Loading { received, total } if total > 0 => format!("Fetching the training digits… {} of {} KB", received / 1024, total / 1024),
            Phase::Loading { .. } => "Starting the training worker…".to_string(),
            Phase::Running => format!("Training: {at}{speed}"),
            Phase::Paused => format!("Paused at {at}. Resume continues from the same step."),
            Phase::Finished { stopped: false } => format!("Done: {at}. Your model is in the Model menu."),
            Phase::Finished { stopped: true } => format!("Stopped at {at}. Your model (as far as it got) is in the Model menu."),
            Phase::Failed(e) => e,
        }
    };
    view! {
        <p class="status" role="status" data-testid="train-phase"
            data-phase=move || match training.phase.get() {
                Phase::Idle => "idle", Phase::Loading { .. } => "loading", Phase::Running => "running",
                Phase::Paused => "paused", Phase::Finished { .. } => "finished", Phase::Failed(_) => "failed",
            }
            data-step=move || training.steps.with(|s| s.last().map(|s| s.step).unwrap_or(0))
            data-images-per-second=move || training.speed.get().map(|(ips, _)| format!("{ips:.1}"))
            data-workers=move || training.workers.get()>
            {text}
        </p>
        {move || match training.phase.get() {
            Phase::Loading { received, total } if total > 0 => Some(view! { <progress max=total value=received></progress> }),
            _ => None,
        }}
    }
}

/// The loss per step (total, reconstruction, KL) and the held-out loss per epoch, as one SVG.
#[component]
fn LossChart() -> impl IntoView {
    let training = use_training();
    const W: f64 = 560.0;
    const H: f64 = 200.0;
    let chart = move || {
        let steps = training.steps.get();
        let epochs = training.epochs.get();
        let per_epoch = training.plan.get().map(|p| p.0).unwrap_or(1).max(1);
        let last = steps.last().map(|s| s.step).unwrap_or(1).max(1) as f64;
        let top = steps.iter().map(|s| s.loss).chain(epochs.iter().map(|e| e.test_loss)).fold(1.0f64, f64::max);
        let x = |step: f64| 40.0 + (W - 50.0) * step / last;
        let y = |v: f64| 10.0 + (H - 30.0) * (1.0 - (v / top).clamp(0.0, 1.0));
        // At most ~W points per line: the chart stays cheap however long the run.
        let stride = steps.len().div_ceil(W as usize).max(1);
        let line = |value: fn(&crate::study::train_settings::StepLoss) -> f64| {
            steps.iter().step_by(stride).map(|s| format!("{:.1},{:.1}", x(s.step as f64), y(value(s)))).collect::<Vec<_>>().join(" ")
        };
        let dots = epochs
            .iter()
            .map(|e| view! { <circle class="test" cx=format!("{:.1}", x((e.epoch * per_epoch) as f64)) cy=format!("{:.1}", y(e.test_loss)) r="4"><title>{format!("epoch {}: held-out loss {:.2}", e.epoch, e.test_loss)}</title></circle> })
            .collect_view();
        view! {
            <svg viewBox=format!("0 0 {W} {H}") class="chart" role="img" data-testid="train-chart" data-points=steps.len()
                data-losses=serde_json::to_string(&steps.iter().map(|s| s.loss).collect::<Vec<_>>()).unwrap_or_default()
                aria-label="Loss per training step: total, reconstruction and KL; dots: the held-out loss after each epoch">
                <line x1="40" y1=H - 20.0 x2=W - 10.0 y2=H - 20.0 class="axis"/>
                <line x1="40" y1="10" x2="40" y2=H - 20.0 class="axis"/>
                <text x="36" y="16" text-anchor="end" class="tick">{format!("{top:.0}")}</text>
                <text x="36" y=H - 20.0 text-anchor="end" class="tick">"0"</text>
                <text x=W - 10.0 y=H - 4.0 text-anchor="end" class="tick">{format!("step {}", last as usize)}</text>
                <polyline class="total" points=line(|s| s.loss)/>
                <polyline class="recon" points=line(|s| s.recon)/>
                <polyline class="kl" points=line(|s| s.kl)/>
                {dots}
            </svg>
        }
    };
    view! {
        <figure>
            // Before the first step, what the chart will show: as text of the page's own size (in the
            // SVG it shrank with the chart, to ~6 px on a phone).
            {move || training.steps.with(Vec::is_empty).then(|| view! {
                <p class="hint" data-testid="train-chart-empty">"The loss of each training step will be drawn here. Total = reconstruction \
                    (how far the outputs are from the inputs) + KL (how far the codes stray from the bell curve). It falls fast, then levels off."</p>
            })}
            {chart}
            <figcaption class="legend">
                <span class="total">"total"</span>" · "<span class="recon">"reconstruction"</span>" · "<span class="kl">"KL"</span>
                " per step; "<span class="test">"●"</span>" held-out loss (1,000 test digits) after each epoch"
                {move || training.epochs.with(|e| e.last().map(|e| format!(" — last: {:.2}", e.test_loss)))}
            </figcaption>
        </figure>
    }
}

/// The shown held-out digits (top row) and their reconstructions by the model as it is now.
#[component]
fn Reconstructions() -> impl IntoView {
    let training = use_training();
    let canvas_ref = NodeRef::<html::Canvas>::new();
    let painted = RwSignal::new(0usize);
    Effect::new(move |_| {
        let Some(canvas) = canvas_ref.get() else { return };
        training.shown.with(|(shown, recon)| {
            clear(&canvas);
            paint_grid(&canvas, shown, SHOWN, 0);
            paint_grid(&canvas, recon, SHOWN, SHOWN);
        });
        painted.update(|n| *n += 1);
    });
    view! {
        <figure>
            <canvas class="strip" data-testid="train-reconstructions" node_ref=canvas_ref width=(28 * SHOWN).to_string() height="56"
                role="img" aria-label=format!("{SHOWN} held-out digits and, below them, the model's reconstructions as it is now")
                data-painted=move || painted.get()></canvas>
            <figcaption>{move || if training.shown.with(|(shown, _)| !shown.is_empty()) {
                "Held-out digits (top) and the model's reconstructions as it trains (bottom)"
            } else {
                "Here: held-out digits (top) and the model's reconstructions as it trains (bottom), from the first step on"
            }}</figcaption>
        </figure>
    }
}

/// The held-out digits' latent means (latent 2), moving as the model learns.
#[component]
fn MeansMap() -> impl IntoView {
    let training = use_training();
    let canvas_ref = NodeRef::<html::Canvas>::new();
    const SIDE: f64 = 260.0;
    Effect::new(move |_| {
        let Some(canvas) = canvas_ref.get() else { return };
        training.means.with(|(means, labels)| {
            let Some(ctx) = context(&canvas) else { return };
            ctx.set_fill_style_str("#11151c");
            ctx.fill_rect(0.0, 0.0, SIDE, SIDE);
            let extent = means.iter().fold(1.0f32, |a, v| a.max(v.abs())) as f64 * 1.05;
            for (point, label) in means.chunks_exact(2).zip(labels) {
                ctx.set_fill_style_str(label_color(*label));
                let (px, py) = (SIDE / 2.0 * (1.0 + point[0] as f64 / extent), SIDE / 2.0 * (1.0 - point[1] as f64 / extent));
                ctx.fill_rect(px - 1.5, py - 1.5, 3.0, 3.0);
            }
        });
    });
    move || {
        training.means.with(|(m, _)| !m.is_empty()).then(|| view! {
            <figure>
                <canvas class="scatter" data-testid="train-means" node_ref=canvas_ref width=SIDE.to_string() height=SIDE.to_string()
                    role="img" aria-label="The held-out digits' latent means as points, coloured by label, as the model learns"></canvas>
                <figcaption>"Latent means of the held-out digits, coloured by label, as the model learns"</figcaption>
            </figure>
        })
    }
}

/// Your model: use it, download it, load one back, forget it.
#[component]
fn YourModelPanel() -> impl IntoView {
    let lab = use_lab();
    let training = use_training();
    let problem = RwSignal::new(None::<String>);
    let download = move |weights: bool| {
        let Some(yours) = training.yours.get_untracked() else { return };
        let result = if weights {
            save_file(&yours.weights, "vae-lab-your-model.bpk", "application/octet-stream")
        } else {
            serde_json::to_vec_pretty(&yours.metrics)
                .map_err(|e| e.to_string())
                .and_then(|json| save_file(&json, "vae-lab-your-model.json", "application/json"))
        };
        problem.set(result.err().map(|e| format!("The download failed: {e}")));
    };
    let open_files = move |files: Vec<web_sys::File>| {
        spawn_local(async move {
            // The Train tab may be gone when the files are read: then nobody is told.
            problem.try_set(load_files(lab, training, files).await.err());
        });
    };
    let forget = move |_| {
        spawn_local(async move {
            let result = model_store::clear().await;
            training.kept.set(Some(result.map(|_| "Removed from this browser; it stays in this page until you reload.".to_string())));
        });
    };
    view! {
        <div class="panel yours" data-testid="your-model"
            on:dragover=move |ev: web_sys::DragEvent| ev.prevent_default()
            on:drop=move |ev: web_sys::DragEvent| {
                ev.prevent_default();
                open_files(files_of(ev.data_transfer().and_then(|d| d.files())));
            }>
            <h2>"Your model"</h2>
            {move || match training.yours.get() {
                Some(yours) => view! {
                    <p data-testid="your-model-summary">{summary(&yours)}</p>
                    <div class="buttons">
                        <button data-testid="your-model-use" on:click=move |_| {
                            lab.view.set_variant(yours.variant);
                            lab.view.mode().set(crate::app::view::state::Mode::Draw);
                            // The button sits at the foot of a long page: show Draw from its top.
                            window().scroll_to_with_x_and_y(0.0, 0.0);
                        }>"Draw with it"</button>
                        <button data-testid="your-model-download" on:click=move |_| download(true)>"Download weights (.bpk)"</button>
                        <button data-testid="your-model-download-record" on:click=move |_| download(false)>"Download record (.json)"</button>
                        <button data-testid="your-model-forget" on:click=forget>"Remove from this browser"</button>
                    </div>
                }.into_any(),
                None => view! { <p class="hint">"No model trained here yet. Train one, or load one you downloaded before."</p> }.into_any(),
            }}
            <p class="small" data-testid="your-model-kept">{move || training.kept.get().map(|k| k.unwrap_or_else(|e| format!("Not kept in this browser: {e}.")))}</p>
            <label class="upload">"Load a model you downloaded (.bpk, with its .json if you have it), or drop the files here: "
                <input type="file" accept=".bpk,.json" multiple data-testid="your-model-upload"
                    on:change=move |ev| {
                        let input: web_sys::HtmlInputElement = event_target(&ev);
                        open_files(files_of(input.files()));
                    }/>
            </label>
            {move || problem.get().map(|p| view! { <p class="error" role="alert" data-testid="your-model-problem">{p}</p> })}
        </div>
    }
}

fn summary(yours: &Yours) -> String {
    let Variant::Yours(architecture) = yours.variant else { return String::new() };
    let m = &yours.metrics;
    let loss = m.history.last().map(|r| format!(", held-out loss {:.2}", r.test_loss)).unwrap_or_default();
    let plural = if m.epochs_done == 1 { "" } else { "s" };
    format!("{} — {} epoch{plural}: {}{loss}.", architecture.describe(), m.epochs_done, m.protocol.data)
}

/// Loads a downloaded model: the `.bpk` (required), checked as a shipped file is, and its
/// `.json` record (which names the architecture; without it the architecture is read off the
/// weights' shapes).
async fn load_files(lab: Lab, training: Training, files: Vec<web_sys::File>) -> Result<(), String> {
    let named = |ext: &str| files.iter().find(|f| f.name().to_lowercase().ends_with(ext)).cloned();
    let weights_file = named(".bpk").ok_or("Choose the model's .bpk file (and, if you have it, its .json record).")?;
    let name = weights_file.name();
    // Its size, then its first bytes, before the rest is read.
    if weights_file.size() <= MAX_OPENED_BYTES && !starts_as_weights(&read_head(&weights_file, 4).await?) {
        return Err(format!("{name} is not a model file: it does not start as a .bpk file does."));
    }
    let weights = read_file(&weights_file).await?;
    let record = match named(".json") {
        Some(file) => {
            let bytes = read_file(&file).await?;
            Some(serde_json::from_slice::<Metrics>(&bytes).map_err(|e| format!("{} is not a VAE Lab model record ({e}).", file.name()))?)
        }
        None => None,
    };
    let engine = lab.engine().ok_or("The page is still starting; try again in a moment.")?;
    // The checks a shipped file gets (a readable record, finite values), and the architecture
    // its layers' shapes say (the loss is not in the weights: the record says it).
    let shapes = engine.identify(&weights).map_err(|e| format!("{name} cannot be used: {e}."))?;
    let variant = match &record {
        Some(m) => match Variant::from_key(&m.variant) {
            Some(v) if same_shape(v, shapes) => v,
            Some(Variant::Yours(a)) => return Err(format!("{name} does not fit the model its record describes ({}).", a.describe())),
            _ => return Err(format!("The record names the model `{}`, not one trained in the page.", m.variant)),
        },
        None => shapes,
    };
    let Variant::Yours(architecture) = variant else { return Err("not a model trained in the page".into()) };
    let metrics = record.unwrap_or_else(|| loaded_record(architecture, &name));
    adopt(lab, training, Yours { variant, weights, metrics }, true);
    Ok(())
}

/// Whether two trained variants have the same weight shapes (the loss is not in the weights).
fn same_shape(a: Variant, b: Variant) -> bool {
    match (a, b) {
        (Variant::Yours(a), Variant::Yours(b)) => a.deeper == b.deeper && a.latent_dim == b.latent_dim,
        _ => false,
    }
}

/// A record for weights loaded without theirs.
fn loaded_record(architecture: Architecture, file: &str) -> Metrics {
    let protocol = crate::study::metrics::Protocol { data: format!("weights loaded from {file}"), train_images: 0, test_images: 0, epochs: 0, batch: 0, lr: 0.0, seed: 0 };
    Metrics::of_run(Variant::Yours(architecture).key(), architecture.latent_dim(), architecture.recon_loss().name(), protocol, Vec::new(), file.into())
}
