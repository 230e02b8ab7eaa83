//! The guided tour of the study: its sections in the study's order, each a few plain sentences
//! and the view it talks about, so the page shows exactly what the step says; the link of a step
//! is `?tour=N` (`link` writes a view on top of its step's). Plain data, tested natively.

use crate::app::view::state::{InpaintSource, Mode, ViewState};
use crate::study::Variant;

/// One step of the tour.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Step {
    /// Its heading.
    pub(crate) title: &'static str,
    /// Two to four plain sentences.
    pub(crate) text: &'static str,
    /// The mode it shows.
    pub(crate) mode: Mode,
    /// The model it shows.
    pub(crate) variant: Variant,
    /// The test digit it shows, where the mode takes one.
    pub(crate) digit: Option<usize>,
    /// The model whose study result sits beside ours, if any.
    pub(crate) compare: Option<Variant>,
    /// The part of the page to bring into sight (an element's `data-testid`), if not the top.
    pub(crate) focus: Option<&'static str>,
}

/// The tour, in the study's order: architecture, latent 1 and 10, the loss, inpainting,
/// generation, choosing a latent size.
pub(crate) const STEPS: [Step; 11] = [
    Step {
        title: "The model",
        text: "This is the study's model: the Keras VAE example this page reproduces. The encoder (two convolutions and a dense layer) squeezes each 28×28 digit into just 2 numbers; \
               the decoder, its mirror image, paints a digit back from them. Below, test digit 4865 flows through every stage: \
               tap, hover or focus any small map to see it large.",
        mode: Mode::Inside,
        variant: Variant::Baseline,
        digit: Some(4865),
        compare: None,
        focus: Some("inside-pipeline"),
    },
    Step {
        title: "A cloud, not a point",
        text: "What makes it a variational autoencoder: for each of its numbers the encoder gives a centre μ and a width σ, how unsure it \
               is. Training decodes a random point z = μ + σ × ε near μ (ε is a random number, mostly between −2 and 2), so points \
               near each other must decode to the same digit. The table lists μ, σ, ε and z for this digit.",
        mode: Mode::Inside,
        variant: Variant::Baseline,
        digit: Some(4865),
        compare: None,
        focus: Some("inside-code"),
    },
    Step {
        title: "Every digit a point on a plane",
        text: "With 2 numbers per digit, each digit is a point on a plane. The dots are a thousand of the test digits' points, coloured by \
               their label: similar digits gather although the model never saw a label. Move across the plane to see what the \
               decoder draws at each point.",
        mode: Mode::Explore,
        variant: Variant::Baseline,
        digit: None,
        compare: Some(Variant::Baseline),
        focus: None,
    },
    Step {
        title: "One number per digit",
        text: "The study then squeezed each digit into a single number. On a single line the ten kinds of digit crowd together and \
               overlap, so the reconstructions blur and the loss (how badly the output matches the input: lower is better) rises.",
        mode: Mode::Explore,
        variant: Variant::Latent1,
        digit: None,
        compare: Some(Variant::Latent1),
        focus: None,
    },
    Step {
        title: "Ten numbers per digit",
        text: "With 10 numbers the reconstructions are sharper and the loss falls. Ten dimensions cannot be drawn, so the map is a \
               t-SNE picture: it places digits whose 10 numbers are close near each other.",
        mode: Mode::Explore,
        variant: Variant::Latent10,
        digit: None,
        compare: Some(Variant::Latent10),
        focus: None,
    },
    Step {
        title: "What training minimises",
        text: "For each digit the loss adds two terms. Reconstruction: how badly each output pixel matches the input (binary \
               cross-entropy). KL: how far the digit's cloud (centre μ, width σ) strays from a bell curve at 0 of width 1, which \
               keeps the latent space free of holes, so random points decode to real-looking digits. Here they are for test digit 1098.",
        mode: Mode::Inside,
        variant: Variant::Baseline,
        digit: Some(1098),
        compare: Some(Variant::Baseline),
        focus: Some("inside-formula"),
    },
    Step {
        title: "Squared error instead",
        text: "The study's mse variant scores each pixel by its squared error instead of cross-entropy. Its loss is on another \
               scale (a pixel off by 0.5 costs 0.25 instead of 0.69), so compare its pictures, not its loss, with the others.",
        mode: Mode::Inside,
        variant: Variant::Mse,
        digit: Some(1098),
        compare: Some(Variant::Mse),
        focus: Some("inside-formula"),
    },
    Step {
        title: "A deeper network",
        text: "The deeper variant adds a third convolution of 128 filters each way. It reaches a lower loss with about three \
               times the parameters. Compare runs one digit through all five of the study's models.",
        mode: Mode::Compare,
        variant: Variant::Deeper,
        digit: None,
        compare: Some(Variant::Deeper),
        focus: None,
    },
    Step {
        title: "Filling a hole",
        text: "The study hid the 10×10 centre of test digits 1098, 4865 and 7584 and let the model fill it in. One pass through \
               the VAE, the study's way, guesses from what is left; repeating it while keeping the known pixels refines the \
               guess. Try the other two digits, or paint your own mask.",
        mode: Mode::Inpaint,
        variant: Variant::Baseline,
        digit: Some(1098),
        compare: None,
        focus: None,
    },
    Step {
        title: "Making new digits",
        text: "Because KL pulls every digit's cloud towards a bell curve at 0 of width 1, a point drawn from that curve decodes to \
               something digit-like: \
               the decoder alone generates. The temperature scales the draws: low gives typical, smooth digits, high gives \
               varied and stranger ones.",
        mode: Mode::Generate,
        variant: Variant::Baseline,
        digit: None,
        compare: None,
        focus: None,
    },
    Step {
        title: "Choosing a latent size",
        text: "More latent numbers usually fit the digits better (our runs below: not always), but each is paid for in KL, and a \
               space of many dimensions is harder to sample well. The Report measures each size on held-out digits: sharpness, how \
               recognisable generated digits are, and how much of the space is used.",
        mode: Mode::Report,
        variant: Variant::Baseline,
        digit: None,
        compare: None,
        focus: Some("report-toc"),
    },
];

/// The view of step `n` (1-based), or `None` past the tour.
pub(crate) fn step_view(n: usize) -> Option<ViewState> {
    let step = STEPS.get(n.checked_sub(1)?)?;
    let mut state = ViewState::default();
    state.set_variant(step.variant);
    state.mode = step.mode;
    if let Some(index) = step.digit {
        state.source = InpaintSource::Test(index);
    }
    state.tour = Some(n);
    Some(state)
}

/// The view when the visitor moves to step `n` from `current`: the step's view, keeping what is
/// the visitor's own (the drawing).
pub(crate) fn go_to(current: &ViewState, n: usize) -> Option<ViewState> {
    let mut state = step_view(n)?;
    state.strokes = current.strokes.clone();
    Some(state)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tour_follows_the_studys_order() {
        let modes: Vec<Mode> = (1..=STEPS.len()).filter_map(step_view).map(|v| v.mode).collect();
        assert_eq!(modes.first(), Some(&Mode::Inside));
        assert_eq!(modes.last(), Some(&Mode::Report));
        let variants: Vec<Variant> = (1..=STEPS.len()).filter_map(step_view).map(|v| v.variant).collect();
        let at = |v: Variant| variants.iter().position(|&x| x == v).expect("in the tour");
        assert!(at(Variant::Latent1) < at(Variant::Latent10) && at(Variant::Latent10) < at(Variant::Mse) && at(Variant::Mse) < at(Variant::Deeper));
        for (k, step) in STEPS.iter().enumerate() {
            let words = step.text.split_whitespace().count();
            assert!((20..=80).contains(&words), "step {} has {words} words", k + 1);
        }
        assert!(step_view(0).is_none() && step_view(STEPS.len() + 1).is_none());
    }

    #[test]
    fn moving_keeps_the_drawing() {
        let mut current = ViewState::default();
        current.strokes = vec![vec![(0.5, 0.5)]];
        let next = go_to(&current, 4).expect("step 4");
        assert_eq!((next.tour, next.variant, next.strokes.len()), (Some(4), Variant::Latent1, 1));
    }
}
