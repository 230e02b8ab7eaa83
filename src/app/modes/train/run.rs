//! Training in the page, apart from its form: the run's live state (what the worker last said),
//! the commands to it, and "your model" — put to work in every mode, kept in this browser
//! (IndexedDB) and restored on the next visit.

use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::context::{Lab, ModelStatus};
use crate::engine::model_store::{self, SavedModel};
use crate::engine::workers::train_client::TrainClient;
use crate::engine::web::cores;
use crate::engine::workers::train_protocol::{FromTrainer, SAMPLE_DIGITS, ToTrainer, TrainRequest, default_workers, to_intensities};
use crate::study::metrics::{EpochRecord, Metrics};
use crate::study::Variant;
use crate::study::train_settings::StepLoss;
use crate::app::view::state::ViewStateStoreFields;

/// Where a run stands.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Phase {
    /// No run yet.
    Idle,
    /// The worker is starting or fetching the training digits.
    Loading {
        /// Bytes so far.
        received: u64,
        /// Bytes in all.
        total: u64,
    },
    /// Training.
    Running,
    /// Paused; resumes from the same step.
    Paused,
    /// Every epoch done, or stopped.
    Finished {
        /// Stopped early.
        stopped: bool,
    },
    /// Could not go on.
    Failed(String),
}

impl Phase {
    /// Whether a run is under way (running, paused or loading).
    pub(crate) fn active(&self) -> bool {
        matches!(self, Phase::Loading { .. } | Phase::Running | Phase::Paused)
    }
}

/// The model trained in this browser, as the page uses it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Yours {
    /// Its variant (its architecture).
    pub(crate) variant: Variant,
    /// The `.bpk` record.
    pub(crate) weights: Vec<u8>,
    /// Its record.
    pub(crate) metrics: Metrics,
}

/// The Train mode's state, shared so that a run goes on (and is shown again) when the visitor
/// switches modes. `Copy`: signals are handles.
#[derive(Clone, Copy)]
pub(crate) struct Training {
    /// Where the run stands.
    pub(crate) phase: RwSignal<Phase>,
    /// Every step's loss.
    pub(crate) steps: RwSignal<Vec<StepLoss>>,
    /// Every finished epoch.
    pub(crate) epochs: RwSignal<Vec<EpochRecord>>,
    /// Steps in one epoch, epochs in the run.
    pub(crate) plan: RwSignal<Option<(usize, usize)>>,
    /// The held-out digits shown, and their latest reconstructions (`n × 784` each).
    pub(crate) shown: RwSignal<(Vec<f32>, Vec<f32>)>,
    /// Held-out latent means (latent 2) and their labels.
    pub(crate) means: RwSignal<(Vec<f32>, Vec<u8>)>,
    /// Images per second and seconds left.
    pub(crate) speed: RwSignal<Option<(f64, f64)>>,
    /// The workers the run trains on.
    pub(crate) workers: RwSignal<usize>,
    /// The model trained here, once there is one.
    pub(crate) yours: RwSignal<Option<Yours>>,
    /// What keeping it in the browser last said.
    pub(crate) kept: RwSignal<Option<Result<String, String>>>,
    /// The visitor's drawings collected for training (784 intensities each).
    pub(crate) drawings: RwSignal<Vec<Vec<f32>>>,
    /// The settings form.
    pub(crate) form: Form,
    client: StoredValue<Option<Rc<TrainClient>>, LocalStorage>,
}

/// What the Train mode's form holds (kept here, with the run, so that it outlives the view).
#[derive(Clone, Copy)]
pub(crate) struct Form {
    /// The model to fine-tune; `None`: from scratch.
    pub(crate) start: RwSignal<Option<Variant>>,
    pub(crate) deeper: RwSignal<bool>,
    pub(crate) latent: RwSignal<u8>,
    pub(crate) mse: RwSignal<bool>,
    pub(crate) beta: RwSignal<f64>,
    pub(crate) batch: RwSignal<usize>,
    pub(crate) learning_rate: RwSignal<f64>,
    pub(crate) epochs: RwSignal<usize>,
    pub(crate) sample_digits: RwSignal<usize>,
    pub(crate) use_drawings: RwSignal<bool>,
    /// Blank: a new seed per run.
    pub(crate) seed: RwSignal<String>,
    /// Workers to train on (the CPU; one per core by default).
    pub(crate) workers: RwSignal<usize>,
}

impl Form {
    /// The settings in a line ("baseline, latent 2, BCE, β 1, batch 128, learning rate 0.001,
    /// 3 epochs").
    pub(crate) fn summary(self) -> String {
        let model = match self.start.get() {
            Some(variant) => format!("fine-tuning {}", variant.label()),
            None => format!(
                "{}, latent {}, {}",
                if self.deeper.get() { "deeper" } else { "baseline" },
                self.latent.get(),
                if self.mse.get() { "MSE" } else { "BCE" }
            ),
        };
        let epochs = self.epochs.get();
        format!(
            "{model}, β {}, batch {}, learning rate {}, {epochs} epoch{}",
            self.beta.get(),
            self.batch.get(),
            self.learning_rate.get(),
            if epochs == 1 { "" } else { "s" }
        )
    }

    pub(crate) fn new() -> Form {
        Form {
            start: RwSignal::new(None),
            deeper: RwSignal::new(false),
            latent: RwSignal::new(2),
            mse: RwSignal::new(false),
            beta: RwSignal::new(1.0),
            batch: RwSignal::new(128),
            learning_rate: RwSignal::new(1e-3),
            epochs: RwSignal::new(3),
            sample_digits: RwSignal::new(SAMPLE_DIGITS),
            use_drawings: RwSignal::new(true),
            seed: RwSignal::new(String::new()),
            workers: RwSignal::new(default_workers(cores())),
        }
    }
}

impl Training {
    /// Empty state.
    pub(crate) fn new() -> Training {
        Training {
            phase: RwSignal::new(Phase::Idle),
            steps: RwSignal::new(Vec::new()),
            epochs: RwSignal::new(Vec::new()),
            plan: RwSignal::new(None),
            shown: RwSignal::new((Vec::new(), Vec::new())),
            means: RwSignal::new((Vec::new(), Vec::new())),
            speed: RwSignal::new(None),
            workers: RwSignal::new(1),
            yours: RwSignal::new(None),
            kept: RwSignal::new(None),
            drawings: RwSignal::new(Vec::new()),
            form: Form::new(),
            client: StoredValue::new_local(None),
        }
    }

    /// Starts a run (a new worker, so that nothing of an earlier run lingers).
    pub(crate) fn start(&self, lab: Lab, request: TrainRequest) {
        let training = *self;
        self.steps.set(Vec::new());
        self.epochs.set(Vec::new());
        self.speed.set(None);
        self.plan.set(None);
        self.phase.set(Phase::Loading { received: 0, total: 0 });
        let epochs = request.settings.epochs;
        let client = TrainClient::start(request.backend, move |message| training.receive(lab, message, epochs));
        let sent = client.and_then(|client| {
            client.send(&ToTrainer::Train(request))?;
            Ok(client)
        });
        match sent {
            Ok(client) => self.client.set_value(Some(Rc::new(client))),
            Err(e) => self.phase.set(Phase::Failed(e)),
        }
    }

    /// Pauses, resumes or stops the run.
    pub(crate) fn command(&self, message: ToTrainer) {
        if let Some(client) = self.client.get_value() {
            if let Err(e) = client.send(&message) {
                self.phase.set(Phase::Failed(e));
            }
        }
    }

    fn receive(&self, lab: Lab, message: FromTrainer, epochs: usize) {
        match message {
            // Between the training workers of a run; not sent to the page.
            FromTrainer::ReplicaReady | FromTrainer::Part { .. } | FromTrainer::Means { .. } => {}
            FromTrainer::Loading { received, total } => self.phase.set(Phase::Loading { received, total }),
            FromTrainer::Started { steps_per_epoch, shown, held_out_labels, workers, .. } => {
                self.plan.set(Some((steps_per_epoch, epochs)));
                self.workers.set(workers);
                self.shown.set((to_intensities(&shown), Vec::new()));
                self.means.update(|(_, labels)| *labels = held_out_labels.into_vec());
                self.phase.set(Phase::Running);
            }
            FromTrainer::Step { loss, images_per_second, seconds_left } => {
                self.steps.update(|s| s.push(loss));
                self.speed.set(Some((images_per_second, seconds_left)));
            }
            FromTrainer::Snapshot { reconstructions, means, .. } => {
                self.shown.update(|(_, r)| *r = to_intensities(&reconstructions));
                self.means.update(|(m, _)| *m = means);
            }
            FromTrainer::Epoch { record } => self.epochs.update(|e| e.push(record)),
            FromTrainer::Weights { weights, metrics } => {
                match Variant::from_key(&metrics.variant) {
                    Some(variant @ Variant::Yours(_)) => adopt(lab, *self, Yours { variant, weights: weights.into_vec(), metrics: *metrics }, true),
                    _ => self.phase.set(Phase::Failed("the trained model's record names no architecture the page knows".into())),
                }
            }
            FromTrainer::Paused { .. } => self.phase.set(Phase::Paused),
            FromTrainer::Resumed => self.phase.set(Phase::Running),
            FromTrainer::Finished { stopped } => {
                self.phase.set(Phase::Finished { stopped });
                self.client.set_value(None);
            }
            FromTrainer::Failed { message } => {
                self.phase.set(Phase::Failed(message));
                self.client.set_value(None);
            }
        }
    }
}

impl Default for Training {
    fn default() -> Self {
        Training::new()
    }
}

/// Puts `yours` to work: installed in the engine (and its decode workers), listed in the picker,
/// its record in the Report's table; kept in the browser when `keep`.
pub(crate) fn adopt(lab: Lab, training: Training, yours: Yours, keep: bool) {
    let Some(engine) = lab.engine() else { return };
    let variant = yours.variant;
    match engine.install(yours.variant, yours.weights.clone()) {
        Ok(()) => {
            lab.status.update(|s| {
                s.insert(variant, ModelStatus::Ready);
            });
            lab.metrics.update(|m| {
                m.insert(variant, yours.metrics.clone());
            });
        }
        Err(e) => {
            lab.status.update(|s| {
                s.insert(variant, ModelStatus::Failed(format!("Your model could not be used: {e}.")));
            });
            return;
        }
    }
    if keep {
        let saved = SavedModel { variant: yours.variant.key(), weights: yours.weights.clone().into(), metrics: yours.metrics.clone() };
        spawn_local(async move {
            let result = model_store::save(&saved).await.map(|_| "Kept in this browser: it will be here after a reload.".to_string());
            training.kept.try_set(Some(result));
        });
    }
    lab.yours.set(Some(yours.variant));
    training.yours.set(Some(yours));
}

/// Restores the model kept in this browser, if any (at start-up, once the engine is up). When
/// the view names a trained model this browser does not have, says so.
pub(crate) async fn restore(lab: Lab, training: Training) {
    {
        let restored = match model_store::load().await {
            Ok(Some(saved)) => match Variant::from_key(&saved.variant) {
                Some(variant @ Variant::Yours(_)) => {
                    adopt(lab, training, Yours { variant, weights: saved.weights.into_vec(), metrics: saved.metrics }, false);
                    Some(variant)
                }
                _ => None,
            },
            Ok(None) => None,
            Err(e) => {
                training.kept.try_set(Some(Err(e)));
                None
            }
        };
        let wanted = lab.view.variant().get_untracked();
        if matches!(wanted, Variant::Yours(_)) && restored != Some(wanted) {
            lab.status.update(|s| {
                s.insert(
                    wanted,
                    ModelStatus::Failed(format!(
                        "This link shows a model trained in a browser ({}), and this browser does not have it: models trained in the page stay where they were trained. Pick another model, or train one in the Train tab.",
                        match wanted {
                            Variant::Yours(a) => a.describe(),
                            _ => String::new(),
                        }
                    )),
                );
            });
        }
    }
}

/// The training state, from any component.
pub(crate) fn use_training() -> Training {
    expect_context::<Training>()
}
