//! The whole view in one serialisable value: mode, variant, latent point, seed, mask, drawing.
//! Plain data, no browser types, so it is tested natively (and later encoded in share links).

use serde::{Deserialize, Serialize};

use crate::data::PIXELS;
use crate::study::Variant;

/// The page's modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Mode {
    /// Draw a digit, see it reconstructed live.
    #[default]
    Draw,
    /// The model seen from inside, on one input.
    Inside,
    /// Mask part of a digit and fill it in.
    Inpaint,
    /// Decode samples from the prior.
    Generate,
    /// Walk the latent space.
    Explore,
    /// One input through all five variants.
    Compare,
    /// The training report.
    Report,
    /// Train a model in the browser.
    Train,
}

impl Mode {
    /// All modes, in tab order.
    pub const ALL: [Mode; 8] = [Mode::Draw, Mode::Inside, Mode::Inpaint, Mode::Generate, Mode::Explore, Mode::Compare, Mode::Report, Mode::Train];

    /// Stable identifier (tab test ids, links).
    pub(crate) fn id(&self) -> &'static str {
        match self {
            Mode::Draw => "draw",
            Mode::Inside => "inside",
            Mode::Inpaint => "inpaint",
            Mode::Generate => "generate",
            Mode::Explore => "explore",
            Mode::Compare => "compare",
            Mode::Report => "report",
            Mode::Train => "train",
        }
    }

    /// The mode with identifier `id`.
    pub(crate) fn from_id(id: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.id() == id)
    }

    /// Tab label.
    pub(crate) fn label(&self) -> &'static str {
        match self {
            Mode::Draw => "Draw",
            Mode::Inside => "Inside",
            Mode::Inpaint => "Inpaint",
            Mode::Generate => "Generate",
            Mode::Explore => "Explore",
            Mode::Compare => "Compare",
            Mode::Report => "Report",
            Mode::Train => "Train",
        }
    }
}

/// Digits in the Generate grid (8 × 8).
pub(crate) const GENERATE_GRID: usize = 8;
/// Tiles of the Generate grid.
pub(crate) const GENERATE_TILES: usize = GENERATE_GRID * GENERATE_GRID;

/// One pen stroke, as points in 0..1 canvas coordinates.
pub(crate) type Stroke = Vec<(f32, f32)>;

/// One digit of the Generate grid: what decodes it again anywhere, on any backend.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(crate) struct PriorSample {
    /// The model that decoded it.
    pub(crate) variant: Variant,
    /// Seed of the grid.
    pub(crate) seed: u64,
    /// Temperature of the grid.
    pub(crate) temperature: f32,
    /// Tile, row-major.
    pub(crate) tile: usize,
}

/// Where the inpainting (and Compare) starts from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", content = "of")]
pub(crate) enum InpaintSource {
    /// A shipped test digit, by its index in the MNIST test set.
    Test(usize),
    /// The drawing of the Draw mode.
    Drawing,
    /// A digit of the Generate grid.
    Generated(PriorSample),
}

/// Everything a visitor has set. In the page it is a store (`app::view::store`): each field its
/// own reactive value, read where it is shown, patched field by field when a link is opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(target_arch = "wasm32", derive(reactive_stores::Store, reactive_stores::Patch))]
pub(crate) struct ViewState {
    /// Current mode.
    pub(crate) mode: Mode,
    /// Current variant.
    pub(crate) variant: Variant,
    /// The explored latent point (length = the variant's latent size).
    pub(crate) latent: Vec<f32>,
    /// Seed of the Generate grid.
    pub(crate) seed: u64,
    /// Temperature (standard deviation) of the prior samples.
    pub(crate) temperature: f32,
    /// Inpainting mask, 784 cells, true = unknown.
    pub(crate) mask: Vec<bool>,
    /// Inpainting source.
    pub(crate) source: InpaintSource,
    /// Rounds of iterative projection.
    pub(crate) steps: usize,
    /// The drawing, its points on the [`quantize`] grid (so a link carries them exactly).
    pub(crate) strokes: Vec<Stroke>,
    /// The tile picked in the Generate grid of (`variant`, `seed`, `temperature`).
    pub(crate) picked: Option<usize>,
    /// Explore's interpolation: from and to these MNIST test digits.
    pub(crate) ends: (usize, usize),
    /// Seed of the ε the Inside mode draws (z = μ + σ ⊙ ε).
    pub(crate) eps_seed: u64,
    /// The Inside mode's enlarged map: (stage, channel) of `study::anatomy::stages`.
    pub(crate) look: Option<(usize, usize)>,
    /// The guided tour's step (1-based), while the visitor takes it.
    pub(crate) tour: Option<usize>,
}

impl Default for ViewState {
    fn default() -> Self {
        ViewState {
            mode: Mode::Draw,
            variant: Variant::Baseline,
            latent: vec![0.0, 0.0],
            seed: 1,
            temperature: 1.0,
            mask: study_mask(),
            source: InpaintSource::Test(4865),
            steps: 20,
            strokes: Vec::new(),
            picked: None,
            ends: (1098, 7584),
            eps_seed: 1,
            look: None,
            tour: None,
        }
    }
}

impl ViewState {
    /// Switches variant, resizing the latent point to its latent size (a picked Generate tile
    /// belongs to the old variant's grid).
    pub fn set_variant(&mut self, variant: Variant) {
        if self.variant != variant {
            self.picked = None;
            // Another model has other stages.
            self.look = None;
        }
        self.variant = variant;
        self.latent.resize(variant.latent_dim(), 0.0);
    }
}

/// Steps a pen coordinate in 0..1 onto the 1/255 grid links encode in one byte: the drawing on
/// screen is then exactly the drawing a link opens.
pub(crate) fn quantize(v: f32) -> f32 {
    f32::from(pen_byte(v)) / 255.0
}

/// The byte of a pen coordinate in 0..1 (what [`quantize`] keeps).
pub(crate) fn pen_byte(v: f32) -> u8 {
    (v.clamp(0.0, 1.0) * 255.0).round() as u8
}

/// A latent vector as people read it: `(+0.12, -1.50)`.
pub(crate) fn latent_label(z: &[f32]) -> String {
    let parts: Vec<String> = z.iter().map(|v| format!("{v:+.2}")).collect();
    format!("({})", parts.join(", "))
}

/// The study's inpainting mask: rows and columns 10..20 unknown.
pub(crate) fn study_mask() -> Vec<bool> {
    rect_mask(10, 10, 20, 20)
}

/// A mask with the rectangle rows `y0..y1`, columns `x0..x1` unknown.
pub(crate) fn rect_mask(x0: usize, y0: usize, x1: usize, y1: usize) -> Vec<bool> {
    (0..PIXELS).map(|i| (x0..x1).contains(&(i % 28)) && (y0..y1).contains(&(i / 28))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_study_mask_is_ten_by_ten() {
        let mask = study_mask();
        assert_eq!(mask.iter().filter(|&&m| m).count(), 100);
        assert!(mask[10 * 28 + 10] && mask[19 * 28 + 19]);
        assert!(!mask[20 * 28 + 20] && !mask[9 * 28 + 10]);
    }

    #[test]
    fn state_round_trips_through_json_and_tracks_latent_size() {
        let mut state = ViewState::default();
        state.set_variant(Variant::Latent10);
        assert_eq!(state.latent.len(), 10);
        state.strokes.push(vec![(0.1, 0.2), (0.3, 0.4)]);
        state.source = InpaintSource::Generated(PriorSample { variant: Variant::Latent10, seed: 3, temperature: 0.8, tile: 5 });
        let json = serde_json::to_string(&state).unwrap();
        assert_eq!(serde_json::from_str::<ViewState>(&json).unwrap(), state);
        assert!(serde_json::from_str::<ViewState>(&json.replace("latent10", "nonsense")).is_err());
    }
}

/// The fields' own types patch as a whole: changed or not.
#[cfg(target_arch = "wasm32")]
mod patch {
    use reactive_stores::{KeyMap, PatchField, StorePath};

    macro_rules! patch_by_equality {
        ($($ty:ty),*) => {
            $(impl PatchField for $ty {
                fn patch_field(&mut self, new: Self, path: &StorePath, notify: &mut dyn FnMut(&StorePath), _keys: Option<&KeyMap>) {
                    if new != *self {
                        *self = new;
                        notify(path);
                    }
                }
            })*
        };
    }

    patch_by_equality!(super::Mode, super::InpaintSource, crate::study::Variant);
}
