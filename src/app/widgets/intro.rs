//! What each mode shows and why, in one or two plain sentences at its top, with a "?" that opens
//! the longer reason or the formula (a `<details>`: keyboard and screen readers get it for free).

use leptos::prelude::*;

use crate::app::view::state::Mode;

/// The mode's sentences, and what the "?" opens (plain text, and MathML if any).
fn words(mode: Mode) -> (&'static str, &'static str, Option<&'static str>) {
    match mode {
        Mode::Draw => (
            "Draw a digit: the encoder turns it into a point in the latent space (its mean μ) and the decoder draws a digit back from that point. \
             What comes back shows what the model can say with so few numbers.",
            "The reconstruction decodes μ itself, the centre of the encoder's guess, without the random draw that training adds. \
             Inside shows every stage of this for your drawing.",
            None,
        ),
        Mode::Inside => (
            "Follow one digit through the model, left to right: the encoder squeezes it into a few numbers, a random draw picks a point near \
             them, and the decoder paints a digit back from that point. Every picture is computed live, in your browser, for this digit.",
            "The same layers and weights as every other mode, read from inside: each small square is one feature map (what one filter \
             found), the bars are the dense layers' numbers, and the loss is added up exactly as the trainer adds it.",
            None,
        ),
        Mode::Inpaint => (
            "Hide part of a digit and let the model fill it in. One pass, the study's way (the study: the Keras VAE example this page reproduces), sends the masked digit through the VAE once; \
             repeating it (\"projection\") keeps the known pixels each round and takes only the hole from the model's guess.",
            "Each round, with m the mask (1 where a pixel is hidden), x the digit with its hole, μ(·) the encoder's centre and decode the decoder:",
            Some(
                "<math display=\"block\"><msub><mi>x</mi><mrow><mi>t</mi><mo>+</mo><mn>1</mn></mrow></msub><mo>=</mo><mo>(</mo><mn>1</mn><mo>−</mo><mi>m</mi><mo>)</mo><mo>⊙</mo><mi>x</mi><mo>+</mo><mi>m</mi><mo>⊙</mo><mi>decode</mi><mo>(</mo><mi>μ</mi><mo>(</mo><msub><mi>x</mi><mi>t</mi></msub><mo>)</mo><mo>)</mo></math>",
            ),
        ),
        Mode::Generate => (
            "Digits no one drew: random points z, each number drawn from a bell curve around 0 whose width is the temperature T, decoded. \
             Click one to use it in Inside, Inpaint or Compare.",
            "Training's KL term pulls every digit's cloud towards a bell curve at 0 of width 1 (the prior, written N(0, I)), so points drawn \
             from it land where the decoder has learned to draw digits. T below 1 stays near the centre (typical digits); T above 1 reaches \
             the edges (rare, odd ones).",
            Some(
                "<math display=\"block\"><mi>z</mi><mo>∼</mo><mi mathvariant=\"script\">N</mi><mo>(</mo><mn>0</mn><mo>,</mo><msup><mi>T</mi><mn>2</mn></msup><mi>I</mi><mo>)</mo><mo>,</mo><mspace width=\"1em\"/><mi>digit</mi><mo>=</mo><mi>decode</mi><mo>(</mo><mi>z</mi><mo>)</mo></math>",
            ),
        ),
        Mode::Explore => (
            "The decoder's map of the latent space: every point decodes to a digit. The dots are the test digits' centres μ, coloured by label \
             (one number: a strip; more than two: a t-SNE picture); hover, tap or drag to decode any point.",
            "The dots do not fill the plane: the KL term pulls them towards the centre while reconstruction pushes different digits apart, \
             so between classes the decoder draws blends, and far from the centre it draws what it never had to. Models with more than \
             two latent numbers are shown by t-SNE, a picture that keeps near neighbours near.",
            None,
        ),
        Mode::Compare => (
            "One digit through each of the study's five models at once (the Keras VAE example this page reproduces, and four variants of it): \
             what the latent size, the depth and the loss change. \
             MSE under each is the mean squared difference between input and output pixels (lower is closer).",
            "All five were trained the same way (Adam, learning rate 0.001, batches of 128, 30 epochs); only the architecture or the loss differs.",
            None,
        ),
        Mode::Report => (
            "Every number behind the tour, measured on the 10,000 test digits the models never trained on, beside the study's (the Keras VAE example this page reproduces).",
            "The study trained on all 70,000 MNIST digits; we train on the 60,000 training digits and keep the test digits unseen, so our test losses are honest.",
            None,
        ),
        Mode::Train => (
            "Train a VAE here, in your browser, with the same model and training loop as the trainer that made the shipped models; \
             watch the loss fall and the samples sharpen, then use your model in every mode.",
            "Each step shows the model a batch of digits, measures the loss (reconstruction + KL), and nudges every weight a little \
             downhill (Adam). One epoch is one pass over the digits.",
            None,
        ),
    }
}

/// The intro of `mode`.
#[component]
pub(crate) fn ModeIntro(mode: Mode) -> impl IntoView {
    let (short, more, math) = words(mode);
    view! {
        <div class="mode-intro" data-testid=format!("intro-{}", mode.id())>
            <p>{short}</p>
            <details class="more">
                <summary aria-label=format!("More about {}", mode.label())>"?"</summary>
                <p>{more}</p>
                {math.map(|m| view! { <div class="formula" inner_html=m></div> })}
            </details>
        </div>
    }
}
