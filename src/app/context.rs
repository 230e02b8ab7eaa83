//! The context every component shares: the view, the engine, the models' load status and the
//! files the page fetches (manifest, weights, latent points).

use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::view::state::PriorSample;
use crate::app::view::store::View;
use crate::data::{Digits, PIXELS};
use crate::engine::web::{fetch_listed, now_ms, yield_to_browser};
use crate::engine::Engine;
use crate::study::metrics::{LatentPoints, Manifest, ManifestFile, Metrics};
use crate::study::Variant;
use crate::app::view::state::ViewStateStoreFields;

/// Loading state of one variant's weights.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ModelStatus {
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
pub(crate) struct Gallery {
    /// The digits.
    pub(crate) digits: Digits,
    /// MNIST test index of each.
    pub(crate) test_indices: Vec<usize>,
}

impl Gallery {
    /// Intensities of the digit with MNIST test index `index`.
    pub(crate) fn by_test_index(&self, index: usize) -> Option<Vec<f32>> {
        let pos = self.test_indices.iter().position(|&i| i == index)?;
        Some(self.digits.intensities(&[pos]))
    }
}

/// Everything the modes share. `Copy`: signals are handles.
#[derive(Clone, Copy)]
pub(crate) struct Lab {
    /// The visitor's view, one signal per field.
    pub(crate) view: View,
    /// The engine, once started (owned here, not by a global, so it lives and dies with the app).
    pub(crate) engine: StoredValue<Option<Rc<Engine>>, LocalStorage>,
    /// What keeping the link in step with the view remembers (`view::share`).
    pub(crate) link: crate::app::view::history::LinkState,
    /// When the first model finished its first reconstruction (ms since the page started): the
    /// page's warm-up, which the benchmark reads.
    pub(crate) first_ready_ms: RwSignal<Option<f64>>,
    /// Backend badge text; `None` while starting.
    pub(crate) backend: RwSignal<Option<String>>,
    /// The model trained in this browser (Train mode), once there is one.
    pub(crate) yours: RwSignal<Option<Variant>>,
    /// A message shown once (e.g. why WebGPU is not used).
    pub(crate) notice: RwSignal<Option<String>>,
    /// Duration of the last inference, ms.
    pub(crate) last_ms: RwSignal<Option<f64>>,
    /// The models manifest.
    pub(crate) manifest: RwSignal<Option<Result<Manifest, String>>>,
    /// Each variant's metrics, when fetched.
    pub(crate) metrics: RwSignal<HashMap<Variant, Metrics>>,
    /// Each variant's weights status.
    pub(crate) status: RwSignal<HashMap<Variant, ModelStatus>>,
    /// The shipped test digits.
    pub(crate) gallery: RwSignal<Option<Result<Gallery, String>>>,
    /// The last digit picked from the Generate grid, and its pixels.
    pub(crate) generated: RwSignal<Option<(PriorSample, Vec<f32>)>>,
    /// Each variant's latent points file: `None` while it loads.
    pub(crate) points: RwSignal<HashMap<Variant, Option<Result<LatentPoints, String>>>>,
    /// Files that could not be used (damaged, missing), each once, in words for the visitor.
    pub(crate) file_problems: RwSignal<Vec<String>>,
    /// The tour's step the visitor left it at (to resume there).
    pub(crate) tour_left: RwSignal<Option<usize>>,
    /// Whether the digit classifier is installed (`widgets::reading` then names digits).
    pub(crate) classifier_ready: RwSignal<bool>,
}

impl Lab {
    /// The study's five variants, then any other the manifest lists (the report's latent sizes):
    /// a variant the deploy does not ship is not offered.
    /// Then the model trained in this browser, and the one the view names.
    pub fn pickable_variants(&self) -> Vec<Variant> {
        let listed: Vec<Variant> = self.manifest.with(|m| match m {
            Some(Ok(m)) => m.variants.iter().filter_map(|e| Variant::from_name(&e.variant)).collect(),
            _ => Vec::new(),
        });
        let current = self.view.variant().get();
        let mut variants: Vec<Variant> = Variant::ALL
            .into_iter()
            .filter(|v| Variant::STUDY.contains(v) || listed.contains(v) || *v == current)
            .collect();
        if let Some(yours) = self.yours.get() {
            variants.push(yours);
        }
        if !variants.contains(&current) {
            variants.push(current);
        }
        variants
    }

    /// Whether `variant` can run now (tracks the status signal).
    pub fn ready(&self, variant: Variant) -> bool {
        matches!(self.status.get().get(&variant), Some(ModelStatus::Ready))
    }

    /// Whether `variant` can run now, without subscribing (for async work).
    pub fn ready_untracked(&self, variant: Variant) -> bool {
        self.status.with_untracked(|s| matches!(s.get(&variant), Some(ModelStatus::Ready)))
    }

    /// Why `variant` cannot run, once its load has failed or cannot start (tracks the status and
    /// the manifest).
    pub fn failure(&self, variant: Variant) -> Option<String> {
        let failed = self.status.with(|s| match s.get(&variant) {
            Some(ModelStatus::Failed(e)) => Some(e.clone()),
            _ => None,
        });
        if failed.is_some() || matches!(variant, Variant::Yours(_)) {
            return failed;
        }
        // Without the list of models no load starts: say so, not "still loading".
        self.manifest.with(|m| match m {
            Some(Err(e)) => Some(format!("The {} model cannot load because the models could not be listed: {e}. Reload the page to try again.", variant.label())),
            _ => None,
        })
    }

    /// Why `variant` cannot run, once its load has failed or cannot start, without subscribing.
    pub fn failure_untracked(&self, variant: Variant) -> Option<String> {
        untrack(|| self.failure(variant))
    }

    /// What to say instead of a result while `variant` is not ready, without subscribing.
    pub fn not_ready_message(&self, variant: Variant) -> String {
        self.failure_untracked(variant).unwrap_or_else(|| format!("The {} model is still loading…", variant.label()))
    }

    /// Reports a file that could not be used (once per message).
    pub(crate) fn file_problem(&self, message: String) {
        self.file_problems.update(|p| {
            if !p.contains(&message) {
                p.push(message);
            }
        });
    }

    /// Records how long an inference took.
    pub(crate) fn record_time(&self, started: f64) {
        self.last_ms.set(Some(now_ms() - started));
    }

    /// Starts loading `variant` unless it is loaded or loading.
    pub fn ensure_model(&self, variant: Variant) {
        let lab = *self;
        let known = lab.status.with_untracked(|s| s.get(&variant).cloned());
        if matches!(known, Some(ModelStatus::Ready | ModelStatus::Loading { .. })) {
            return;
        }
        // A model trained in the page is not fetched: the Train mode installs it (app::training).
        if matches!(variant, Variant::Yours(_)) {
            return;
        }
        let Some(Ok(manifest)) = lab.manifest.get_untracked() else { return };
        let Some(engine) = lab.engine() else { return };
        let Some(entry) = manifest.entry(variant.name()).cloned() else {
            lab.set_status(variant, ModelStatus::Failed(format!("The {} model has not been trained yet.", variant.label())));
            return;
        };
        lab.set_status(variant, ModelStatus::Loading { received: 0, total: entry.weights.bytes });
        spawn_local(async move {
            let file = format!("models/{}", entry.weights.file);
            let total = entry.weights.bytes;
            // Fetching, checking, reading, installing and the first run are separate tasks, each given back
            // to the browser (a phone's main thread stays responsive while a model loads).
            let fetched = fetch_listed(&entry.weights, |received| lab.set_status(variant, ModelStatus::Loading { received, total })).await;
            yield_to_browser().await;
            let checked = fetched.and_then(|bytes| Engine::check_weights(variant, bytes).map_err(|e| e.to_string()));
            yield_to_browser().await;
            let read = checked.and_then(|checked| engine.read_weights(variant, checked).map_err(|e| e.to_string()));
            yield_to_browser().await;
            let result = read.map(|read| engine.install_read(read));
            yield_to_browser().await;
            let result = match result {
                // Compile the shaders (encoder and decoder) now, not on the visitor's first stroke.
                Ok(()) => engine.reconstruct(variant, &vec![0.0; PIXELS]).await.map(|_| ()).map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            if result.is_ok() && lab.first_ready_ms.get_untracked().is_none() {
                lab.first_ready_ms.set(Some(now_ms()));
            }
            match result {
                Ok(()) => lab.set_status(variant, ModelStatus::Ready),
                Err(e) => lab.set_status(
                    variant,
                    ModelStatus::Failed(format!(
                        "The {} model could not be loaded from {file}: {e}. Reload the page to try again; the other models still work.",
                        variant.label()
                    )),
                ),
            }
        });
    }

    /// Fetches the digit classifier the manifest lists and installs it (once the rest of the
    /// start-up is over: it is 1.7 MB, and only names what digits look like). A deploy without
    /// one, or a damaged file, leaves the names without it (the latter said once, as any damaged
    /// file).
    pub async fn load_classifier(&self, listed: Option<ManifestFile>) {
        let lab = *self;
        let (Some(listed), Some(engine)) = (listed, lab.engine()) else { return };
        match engine.load_classifier(&listed).await {
            Ok(()) => lab.classifier_ready.set(true),
            Err(e) => lab.file_problem(format!(
                "The digit classifier could not be loaded ({e}), so the page cannot say which digit a result looks like; everything else works."
            )),
        }
    }

    /// Starts loading `variant`'s latent points unless they are loaded or loading.
    pub fn ensure_points(&self, variant: Variant) {
        let lab = *self;
        if lab.points.with_untracked(|p| p.contains_key(&variant)) {
            return;
        }
        let Some(Ok(manifest)) = lab.manifest.get_untracked() else { return };
        let Some(file) = manifest.entry(variant.name()).and_then(|e| e.points.clone()) else {
            lab.points.update(|p| {
                p.insert(variant, Some(Err(format!("No latent points were written for the {} model.", variant.label()))));
            });
            return;
        };
        lab.points.update(|p| {
            p.insert(variant, None);
        });
        spawn_local(async move {
            let result = fetch_listed(&file, |_| {})
                .await
                .and_then(|bytes| {
                    let latent = variant.latent_dim();
                    crate::study::parse::points(&bytes, &format!("models/{}", file.file), variant.name(), latent)
                })
                .map_err(|e| format!("The latent map of the {} model is unavailable: {e}.", variant.label()));
            if let Err(e) = &result {
                lab.file_problem(e.clone());
            }
            lab.points.try_update(|p| {
                p.insert(variant, Some(result));
            });
        });
    }

    fn set_status(&self, variant: Variant, status: ModelStatus) {
        self.status.update(|s| {
            s.insert(variant, status);
        });
    }

    /// The engine, once started.
    pub fn engine(&self) -> Option<Rc<Engine>> {
        self.engine.get_value()
    }
}

/// The context, from any component.
pub(crate) fn use_lab() -> Lab {
    expect_context::<Lab>()
}
