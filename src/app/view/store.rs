//! The view as a store ([`reactive_stores`]): one reactive value per field of [`ViewState`]
//! (`lab.view.strokes()`, `lab.view.variant()`), so that a pen stroke re-runs only what depends
//! on the drawing, a slider only what depends on the latent point; the whole view is
//! `lab.view.get()` (the link depends on all of it), `get_untracked()` without subscribing.

use leptos::prelude::*;
use reactive_stores::{Patch, Store};

use crate::app::view::state::ViewState;
use crate::study::Variant;

/// The visitor's view. `Copy`: a store is a handle.
pub(crate) type View = Store<ViewState>;

/// What the page does with the whole view.
pub(crate) trait ViewActions {
    /// Shows `state` (a link opened, back / forward), notifying only the fields that change.
    fn apply(&self, state: ViewState);

    /// Switches variant: the latent point takes its latent size, a picked Generate tile (of the
    /// old variant's grid) is let go.
    fn set_variant(&self, variant: Variant);
}

impl ViewActions for View {
    fn apply(&self, state: ViewState) {
        self.patch(state);
    }

    fn set_variant(&self, variant: Variant) {
        let mut state = self.get_untracked();
        state.set_variant(variant);
        self.apply(state);
    }
}
