//! The shell: header with the backend badge, variant picker, mode tabs, footer; and the shared
//! context (view state, model status, engine).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use super::generate::prior_samples;
use super::state::{InpaintSource, Mode, PriorSample, ViewState};
use crate::data::{Digits, PIXELS};
use crate::engine::browser::{fetch_bytes, now_ms, start, verify};
use crate::engine::{Engine, EngineError};
use crate::metrics::{self, LatentPoints, Manifest, Metrics};
use crate::model::Variant;

thread_local! {
    static ENGINE: RefCell<Option<Rc<Engine>>> = const { RefCell::new(None) };
}

/// The engine, once started.
pub fn engine() -> Option<Rc<Engine>> {
    ENGINE.with(|e| e.borrow().clone())
}

/// Loading state of one variant's weights.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelStatus {
    /// Downloading.
    Loading {
        /// Bytes so far.
        received: u64,
        /// Bytes in all.
        total: u64,
    },
    /// Installed in the engine.
    Ready,
    /// Could not be used; the message says why.
    Failed(String),
}

/// The shipped test digits and their MNIST test-set indices.
#[derive(Debug, Clone)]
pub struct Gallery {
    /// The digits.
    pub digits: Digits,
    /// MNIST test index of each.
    pub test_indices: Vec<usize>,
}

impl Gallery {
    /// Intensities of the digit with MNIST test index `index`.
    pub fn by_test_index(&self, index: usize) -> Option<Vec<f32>> {
        let pos = self.test_indices.iter().position(|&i| i == index)?;
        Some(self.digits.intensities(&[pos]))
    }
}

/// Everything the modes share. `Copy`: signals are handles.
#[derive(Clone, Copy)]
pub struct Lab {
    /// The view.
    pub state: RwSignal<ViewState>,
    /// Backend badge text; `None` while starting.
    pub backend: RwSignal<Option<String>>,
    /// A message shown once (e.g. why WebGPU is not used).
    pub notice: RwSignal<Option<String>>,
    /// Duration of the last inference, ms.
    pub last_ms: RwSignal<Option<f64>>,
    /// The models manifest.
    pub manifest: RwSignal<Option<Result<Manifest, String>>>,
    /// Each variant's metrics, when fetched.
    pub metrics: RwSignal<HashMap<String, Metrics>>,
    /// Each variant's weights status.
    pub status: RwSignal<HashMap<String, ModelStatus>>,
    /// The shipped test digits.
    pub gallery: RwSignal<Option<Result<Gallery, String>>>,
    /// The last digit picked from the Generate grid, and its pixels.
    pub generated: RwSignal<Option<(PriorSample, Vec<f32>)>>,
    /// Each variant's latent points file: `None` while it loads.
    pub points: RwSignal<HashMap<String, Option<Result<LatentPoints, String>>>>,
    /// Files that could not be used (damaged, missing), each once, in words for the visitor.
    pub file_problems: RwSignal<Vec<String>>,
}

impl Lab {
    /// Whether `variant` can run now (tracks the status signal).
    pub fn ready(&self, variant: Variant) -> bool {
        matches!(self.status.get().get(variant.name()), Some(ModelStatus::Ready))
    }

    /// Whether `variant` can run now, without subscribing (for async work).
    pub fn ready_untracked(&self, variant: Variant) -> bool {
        self.status.with_untracked(|s| matches!(s.get(variant.name()), Some(ModelStatus::Ready)))
    }

    /// Why `variant` cannot run, once its load has failed (tracks the status signal).
    pub fn failure(&self, variant: Variant) -> Option<String> {
        self.status.with(|s| match s.get(variant.name()) {
            Some(ModelStatus::Failed(e)) => Some(e.clone()),
            _ => None,
        })
    }

    /// What to say instead of a result while `variant` is not ready, without subscribing.
    pub fn not_ready_message(&self, variant: Variant) -> String {
        self.status.with_untracked(|s| match s.get(variant.name()) {
            Some(ModelStatus::Failed(e)) => e.clone(),
            _ => format!("The {} model is still loading…", variant.label()),
        })
    }

    /// Reports a file that could not be used (once per message).
    pub fn file_problem(&self, message: String) {
        self.file_problems.update(|p| {
            if !p.contains(&message) {
                p.push(message);
            }
        });
    }

    /// Records how long an inference took.
    pub fn record_time(&self, started: f64) {
        self.last_ms.set(Some(now_ms() - started));
    }

    /// Starts loading `variant` unless it is loaded or loading.
    pub fn ensure_model(&self, variant: Variant) {
        let lab = *self;
        let name = variant.name().to_string();
        let known = lab.status.with_untracked(|s| s.get(&name).cloned());
        if matches!(known, Some(ModelStatus::Ready | ModelStatus::Loading { .. })) {
            return;
        }
        let Some(Ok(manifest)) = lab.manifest.get_untracked() else { return };
        let Some(engine) = engine() else { return };
        let Some(entry) = manifest.entry(&name).cloned() else {
            lab.set_status(&name, ModelStatus::Failed(format!("The {} model has not been trained yet.", variant.label())));
            return;
        };
        lab.set_status(&name, ModelStatus::Loading { received: 0, total: entry.weights.bytes });
        spawn_local(async move {
            let file = format!("models/{}", entry.weights.file);
            let url = hashed_url(&entry.weights);
            let total = entry.weights.bytes;
            let result = fetch_bytes(&url, |received| lab.set_status(&name, ModelStatus::Loading { received, total }))
                .await
                .and_then(|bytes| verify(&entry.weights.file, &bytes, entry.weights.bytes, &entry.weights.sha256).map(|_| bytes))
                .and_then(|bytes| engine.install(variant, bytes).map_err(|e| e.to_string()));
            let result = match result {
                // Compile the shaders (encoder and decoder) now, not on the visitor's first stroke.
                Ok(()) => engine.reconstruct(variant, &vec![0.0; PIXELS]).await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            if result.is_ok() {
                super::bench_hook::record_first_reconstruction();
            }
            match result {
                Ok(()) => lab.set_status(&name, ModelStatus::Ready),
                Err(e) => lab.set_status(
                    &name,
                    ModelStatus::Failed(format!(
                        "The {} model could not be loaded from {file}: {e}. Reload the page to try again; the other models still work.",
                        variant.label()
                    )),
                ),
            }
        });
    }

    /// Starts loading `variant`'s latent points unless they are loaded or loading.
    pub fn ensure_points(&self, variant: Variant) {
        let lab = *self;
        let name = variant.name().to_string();
        if lab.points.with_untracked(|p| p.contains_key(&name)) {
            return;
        }
        let Some(Ok(manifest)) = lab.manifest.get_untracked() else { return };
        let Some(file) = manifest.entry(&name).and_then(|e| e.points.clone()) else {
            lab.points.update(|p| {
                p.insert(name, Some(Err(format!("No latent points were written for the {} model.", variant.label()))));
            });
            return;
        };
        lab.points.update(|p| {
            p.insert(name.clone(), None);
        });
        spawn_local(async move {
            let result = fetch_bytes(&hashed_url(&file), |_| {})
                .await
                .and_then(|bytes| verify(&file.file, &bytes, file.bytes, &file.sha256).map(|_| bytes))
                .and_then(|bytes| {
                    let latent = variant.config().latent_dim;
                    metrics::parse::points(&bytes, &format!("models/{}", file.file), variant.name(), latent)
                })
                .map_err(|e| format!("The latent map of the {} model is unavailable: {e}.", variant.label()));
            if let Err(e) = &result {
                lab.file_problem(e.clone());
            }
            lab.points.try_update(|p| {
                p.insert(name, Some(result));
            });
        });
    }

    fn set_status(&self, name: &str, status: ModelStatus) {
        self.status.update(|s| {
            s.insert(name.to_string(), status);
        });
    }

    /// Changes the view state.
    pub fn update(&self, f: impl FnOnce(&mut ViewState)) {
        self.state.update(f);
    }
}

/// Runs an engine call, timing it; `None` when the engine is not up yet.
pub async fn timed<T>(lab: Lab, call: impl AsyncFnOnce(Rc<Engine>) -> Result<T, EngineError>) -> Option<Result<T, EngineError>> {
    let engine = engine()?;
    let on_gpu = matches!(engine.backend(), crate::engine::BackendKind::WebGpu(_));
    let started = now_ms();
    let out = call(engine).await;
    lab.record_time(started);
    // A WebGPU failure (most often a lost device) is not the visitor's doing: carry on on the
    // CPU with the same view rather than showing an error.
    if let (true, Err(EngineError::Device { detail, .. })) = (on_gpu, &out) {
        let view = lab.state.with_untracked(|s| serde_json::to_string(s).ok());
        crate::engine::browser::fall_back_to_cpu(detail, view);
    }
    Some(out)
}

/// A models file's link with its manifest hash in the query: static hosts ignore it, and the
/// service worker (www/sw.js) caches the file under it, so a new deploy's file is never confused
/// with the old one.
fn hashed_url(file: &metrics::ManifestFile) -> String {
    format!("models/{}?sha256={}", file.file, file.sha256)
}

/// The context, from any component.
pub fn use_lab() -> Lab {
    expect_context::<Lab>()
}

fn query_param(name: &str) -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search).ok()?.get(name)
}

unsafe extern "C" {
    /// Runs the static constructors (cubecl registers its IR dialects through `inventory`).
    fn __wasm_call_ctors();
}

/// Starts the page: runs the constructors once, then mounts the app on `<body>`. Each page binary
/// (`vae-lab`, the CPU build; `vae-lab-webgpu`) has only this in its `main`.
pub fn mount() {
    // Called once, explicitly: otherwise wasm-ld treats the binary as a one-shot "command" and
    // wraps every export — each call from JavaScript, each resolved future — in a rerun of all
    // constructors, which took ~30 % of a warm decode (profiled in Chromium).
    unsafe { __wasm_call_ctors() };
    console_error_panic_hook::set_once();
    // The same build runs in the decode workers, which have no page to mount.
    if crate::engine::decode_pool::serve_if_worker() {
        return;
    }
    leptos::mount::mount_to_body(App);
}

async fn load_gallery() -> Result<Gallery, String> {
    let images = fetch_bytes("data/test-sample-images-idx3-ubyte.gz", |_| {}).await?;
    let labels = fetch_bytes("data/test-sample-labels-idx1-ubyte.gz", |_| {}).await?;
    let index = fetch_bytes("data/test-sample.json", |_| {}).await?;
    let digits = Digits::from_idx(&images, &labels).map_err(|e| e.to_string())?;
    let index: serde_json::Value = serde_json::from_slice(&index).map_err(|e| e.to_string())?;
    let test_indices: Vec<usize> = index["test_indices"]
        .as_array()
        .ok_or("test-sample.json has no test_indices")?
        .iter()
        .filter_map(|v| v.as_u64().map(|v| v as usize))
        .collect();
    if test_indices.len() != digits.len() {
        return Err("test-sample.json does not match the shipped digits".into());
    }
    Ok(Gallery { digits, test_indices })
}

#[component]
fn App() -> impl IntoView {
    // A view saved before a WebGPU failure reloaded the page on the CPU.
    let restored = crate::engine::browser::take_saved_view().and_then(|json| serde_json::from_str::<ViewState>(&json).ok());
    let lab = Lab {
        state: RwSignal::new(restored.unwrap_or_default()),
        backend: RwSignal::new(None),
        notice: RwSignal::new(None),
        last_ms: RwSignal::new(None),
        manifest: RwSignal::new(None),
        metrics: RwSignal::new(HashMap::new()),
        status: RwSignal::new(HashMap::new()),
        gallery: RwSignal::new(None),
        points: RwSignal::new(HashMap::new()),
        generated: RwSignal::new(None),
        file_problems: RwSignal::new(Vec::new()),
    };
    provide_context(lab);
    super::bench_hook::install(lab);

    spawn_local(async move {
        let prefer_gpu = query_param("backend").as_deref() != Some("cpu");
        let (engine, notice) = start(prefer_gpu).await;
        lab.backend.set(Some(engine.backend().label()));
        lab.notice.set(notice);
        ENGINE.with(|e| *e.borrow_mut() = Some(Rc::new(engine)));
        let known: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
        let manifest = fetch_bytes("models/manifest.json", |_| {})
            .await
            .and_then(|b| metrics::parse::manifest(&b, "models/manifest.json", &known));
        lab.manifest.set(Some(manifest.clone()));
        lab.ensure_model(lab.state.get_untracked().variant());
        let gallery = load_gallery().await.map_err(|e| format!("The test digits could not be loaded: {e}. Reload the page to try again."));
        if let Err(e) = &gallery {
            lab.file_problem(e.clone());
        }
        lab.gallery.set(Some(gallery));
        if let Ok(manifest) = manifest {
            for entry in manifest.variants {
                let Some(variant) = Variant::from_name(&entry.variant) else { continue };
                let url = format!("models/{}", entry.metrics.file);
                let latent = variant.config().latent_dim;
                let loaded = fetch_bytes(&hashed_url(&entry.metrics), |_| {})
                    .await
                    .and_then(|b| verify(&entry.metrics.file, &b, entry.metrics.bytes, &entry.metrics.sha256).map(|_| b))
                    .and_then(|b| metrics::parse::metrics(&b, &url, variant.name(), latent));
                match loaded {
                    Ok(metrics) => lab.metrics.update(|m| {
                        m.insert(entry.variant.clone(), metrics);
                    }),
                    Err(e) => lab.file_problem(format!(
                        "The training record of the {} model is unavailable, so the Report lacks it: {e}.",
                        variant.label()
                    )),
                }
            }
        }
    });

    // Load the variant when it is picked.
    Effect::new(move |_| {
        let variant = lab.state.with(|s| s.variant());
        if lab.manifest.with(|m| m.is_some()) {
            lab.ensure_model(variant);
        }
    });

    // A generated digit named by the view (e.g. opened from a link) is decoded again.
    Effect::new(move |_| {
        let InpaintSource::Generated(sample) = lab.state.with(|s| s.source) else { return };
        if lab.generated.with(|g| g.as_ref().is_some_and(|(k, _)| *k == sample)) {
            return;
        }
        lab.ensure_model(sample.variant);
        if !lab.ready(sample.variant) {
            return;
        }
        spawn_local(async move {
            let latent = sample.variant.config().latent_dim;
            let z = prior_samples(sample.variant, sample.seed, sample.temperature);
            let Some(z) = z.get(sample.tile * latent..(sample.tile + 1) * latent) else { return };
            if let Some(Ok(pixels)) = timed(lab, async |engine| engine.decode(sample.variant, z).await).await {
                lab.generated.try_set(Some((sample, pixels)));
            }
        });
    });

    let mode = Memo::new(move |_| lab.state.with(|s| s.mode));
    view! {
        <header class="top">
            <div class="brand">
                <h1>"VAE Lab"</h1>
                <p class="tagline">"Variational autoencoders on MNIST, running in your browser."</p>
            </div>
            <div class="badge" data-testid="backend-badge" data-backend=move || lab.backend.get().unwrap_or_default()>
                {move || match lab.backend.get() {
                    None => "Starting…".to_string(),
                    Some(label) => label,
                }}
                <span class="timing" data-testid="inference-time">
                    {move || lab.last_ms.get().map(|ms| format!(" · {ms:.1} ms")).unwrap_or_default()}
                </span>
            </div>
        </header>
        {move || lab.notice.get().map(|n| view! {
            <p class="notice" role="status" data-testid="notice">{n}
                <button class="link" on:click=move |_| lab.notice.set(None)>"Dismiss"</button>
            </p>
        })}
        <nav class="controls">
            <VariantPicker/>
            <div class="tabs" role="tablist">
                {Mode::ALL.into_iter().map(|m| view! {
                    <button role="tab" data-testid=format!("tab-{}", m.id())
                        aria-selected=move || (mode.get() == m).to_string()
                        class:active=move || mode.get() == m
                        on:click=move |_| lab.update(|s| s.mode = m)>
                        {m.label()}
                    </button>
                }).collect_view()}
            </div>
        </nav>
        <ModelStatusLine/>
        {move || {
            let problems = lab.file_problems.get();
            (!problems.is_empty()).then(|| view! {
                <div class="error problems" role="alert" data-testid="file-problems">
                    <ul>{problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}</ul>
                    <button class="link" on:click=move |_| lab.file_problems.set(Vec::new())>"Dismiss"</button>
                </div>
            })
        }}
        <main>
            {move || match mode.get() {
                Mode::Draw => view! { <super::draw::DrawMode/> }.into_any(),
                Mode::Inpaint => view! { <super::inpaint::InpaintMode/> }.into_any(),
                Mode::Generate => view! { <super::generate::GenerateMode/> }.into_any(),
                Mode::Explore => view! { <super::explore::ExploreMode/> }.into_any(),
                Mode::Compare => view! { <super::compare::CompareMode/> }.into_any(),
                Mode::Report => view! { <super::report::ReportMode/> }.into_any(),
            }}
        </main>
        <footer>
            <p>
                "A variational autoencoder squeezes each 28×28 digit into a few numbers (its latent code) and "
                "learns to draw digits back from them. This page reproduces the Keras "
                <a href="https://keras.io/examples/generative/vae/">"Variational AutoEncoder example"</a>
                " and four variants, trained natively with burn and run here client-side: nothing leaves your browser."
            </p>
            <p class="small">
                "MNIST digits by Yann LeCun, Corinna Cortes and Christopher J. C. Burges (CC BY-SA 3.0). "
                "Models trained on the 60,000 training digits; the digits shown are from the 10,000 held-out test digits."
            </p>
        </footer>
    }
}

#[component]
fn VariantPicker() -> impl IntoView {
    let lab = use_lab();
    view! {
        <label class="picker">
            <span>"Model"</span>
            <select data-testid="variant-picker"
                prop:value=move || lab.state.with(|s| s.variant.name())
                on:change=move |ev| {
                    if let Some(v) = Variant::from_name(&event_target_value(&ev)) {
                        lab.update(|s| s.set_variant(v));
                    }
                }>
                {Variant::ALL.into_iter().map(|v| view! {
                    <option value=v.name()>{v.label()}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

#[component]
fn ModelStatusLine() -> impl IntoView {
    let lab = use_lab();
    move || {
        let variant = lab.state.with(|s| s.variant());
        let manifest_error = lab.manifest.with(|m| match m {
            Some(Err(e)) => Some(e.clone()),
            _ => None,
        });
        if let Some(e) = manifest_error {
            return view! { <p class="error" role="alert" data-testid="model-error">{format!("The models could not be listed: {e}")}</p> }.into_any();
        }
        match lab.status.with(|s| s.get(variant.name()).cloned()) {
            Some(ModelStatus::Loading { received, total }) => view! {
                <div class="loading" data-testid="model-loading">
                    <span>{format!("Loading the {} model…", variant.label())}</span>
                    <progress max=total.max(1) value=received></progress>
                </div>
            }.into_any(),
            Some(ModelStatus::Failed(message)) => view! {
                <p class="error" role="alert" data-testid="model-error">{message}</p>
            }.into_any(),
            Some(ModelStatus::Ready) => {
                let epochs = lab.metrics.with(|m| m.get(variant.name()).map(|m| (m.epochs_done, m.protocol.epochs)));
                view! {
                    <p class="status" data-testid="model-ready">
                        {format!("{} ready", variant.label())}
                        {epochs.filter(|(d, t)| d < t).map(|(d, t)| format!(" · trained {d} of {t} epochs so far"))}
                    </p>
                }.into_any()
            }
            None => view! { <p class="status">"Preparing…"</p> }.into_any(),
        }
    }
}
