//! The view as one signal per field of [`ViewState`], so that a pen stroke re-runs only what
//! depends on the drawing, a slider only what depends on the latent point.

use leptos::prelude::*;

use crate::app::view::state::{InpaintSource, Mode, Stroke, ViewState};
use crate::study::Variant;

/// The visitor's view, field by field. `Copy`: signals are handles.
#[derive(Clone, Copy)]
pub struct View {
    /// Current mode.
    pub mode: RwSignal<Mode>,
    /// Current variant (change it with [`View::set_variant`], which keeps the latent size right).
    pub variant: RwSignal<Variant>,
    /// The explored latent point.
    pub latent: RwSignal<Vec<f32>>,
    /// Seed of the Generate grid.
    pub seed: RwSignal<u64>,
    /// Temperature of the prior samples.
    pub temperature: RwSignal<f32>,
    /// Inpainting mask, 784 cells, true = hidden.
    pub mask: RwSignal<Vec<bool>>,
    /// Inpainting and Compare source.
    pub source: RwSignal<InpaintSource>,
    /// Rounds of iterative inpainting.
    pub steps: RwSignal<usize>,
    /// The drawing.
    pub strokes: RwSignal<Vec<Stroke>>,
    /// The Generate tile picked.
    pub picked: RwSignal<Option<usize>>,
    /// Explore's interpolation end points (test digits).
    pub ends: RwSignal<(usize, usize)>,
}

impl View {
    /// Signals holding `state`.
    pub fn new(state: ViewState) -> View {
        View {
            mode: RwSignal::new(state.mode),
            variant: RwSignal::new(state.variant),
            latent: RwSignal::new(state.latent),
            seed: RwSignal::new(state.seed),
            temperature: RwSignal::new(state.temperature),
            mask: RwSignal::new(state.mask),
            source: RwSignal::new(state.source),
            steps: RwSignal::new(state.steps),
            strokes: RwSignal::new(state.strokes),
            picked: RwSignal::new(state.picked),
            ends: RwSignal::new(state.ends),
        }
    }

    /// The whole view, tracking every field (for the link, which depends on all of them).
    pub fn snapshot(&self) -> ViewState {
        ViewState {
            mode: self.mode.get(),
            variant: self.variant.get(),
            latent: self.latent.get(),
            seed: self.seed.get(),
            temperature: self.temperature.get(),
            mask: self.mask.get(),
            source: self.source.get(),
            steps: self.steps.get(),
            strokes: self.strokes.get(),
            picked: self.picked.get(),
            ends: self.ends.get(),
        }
    }

    /// The whole view, without subscribing.
    pub fn snapshot_untracked(&self) -> ViewState {
        untrack(|| self.snapshot())
    }

    /// Shows `state` (a link opened, back / forward), notifying only the fields that change.
    pub fn apply(&self, state: ViewState) {
        fn set<T: PartialEq + Send + Sync + 'static>(signal: RwSignal<T>, value: T) {
            if signal.with_untracked(|v| *v != value) {
                signal.set(value);
            }
        }
        set(self.mode, state.mode);
        set(self.variant, state.variant);
        set(self.latent, state.latent);
        set(self.seed, state.seed);
        set(self.temperature, state.temperature);
        set(self.mask, state.mask);
        set(self.source, state.source);
        set(self.steps, state.steps);
        set(self.strokes, state.strokes);
        set(self.picked, state.picked);
        set(self.ends, state.ends);
    }

    /// Switches variant: the latent point takes its latent size, a picked Generate tile (of the
    /// old variant's grid) is let go.
    pub fn set_variant(&self, variant: Variant) {
        let mut state = self.snapshot_untracked();
        state.set_variant(variant);
        self.apply(state);
    }
}
