//! What keeping the link in step with the view remembers between its writes (`share` does the
//! writing): the opening link's frame (forced backend, embedding), a pending replace, and the last
//! history entry.

use leptos::prelude::*;

use super::link::Frame;
use super::state::{InpaintSource, Mode, ViewState};
use crate::study::Variant;

/// What the link keeps between its writes. `Copy`: stored values are handles.
#[derive(Clone, Copy)]
pub(crate) struct LinkState {
    /// The opening link's frame (the backend it forced, whether it is embedded), kept in every
    /// link written after it.
    pub(crate) frame: StoredValue<Frame>,
    /// A replace waiting for a continuous change to settle (its timer).
    pub(crate) pending: StoredValue<Option<TimeoutHandle>>,
    /// The discrete part of the view the current history entry was made for.
    pub(crate) last: StoredValue<Option<Discrete>>,
    /// The link of the view as it was at the last change: what the current entry must hold
    /// before a discrete change pushes the next one.
    pub(crate) last_query: StoredValue<String>,
}

impl LinkState {
    /// Nothing written yet.
    pub(crate) fn new() -> LinkState {
        LinkState {
            frame: StoredValue::new(Frame::default()),
            pending: StoredValue::new(None),
            last: StoredValue::new(None),
            last_query: StoredValue::new(String::new()),
        }
    }
}

impl Default for LinkState {
    fn default() -> Self {
        Self::new()
    }
}

/// The changes that make a new history entry (back returns to before them); any other change
/// replaces the current entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Discrete {
    mode: Mode,
    variant: Variant,
    strokes: usize,
    source: InpaintSource,
    picked: Option<usize>,
    seed: u64,
    ends: (usize, usize),
    eps_seed: u64,
    tour: Option<usize>,
}

pub(crate) fn discrete(state: &ViewState) -> Discrete {
    Discrete {
        mode: state.mode,
        variant: state.variant,
        strokes: state.strokes.len(),
        source: state.source,
        picked: state.picked,
        seed: state.seed,
        ends: state.ends,
        eps_seed: state.eps_seed,
        tour: state.tour,
    }
}

