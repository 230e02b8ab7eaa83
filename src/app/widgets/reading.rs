//! Which digit an image looks like, in words, for the names of canvases and what is announced:
//! the digit classifier's reading (the Report's judge: 99.2 % of the 10,000 test digits right).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::context::Lab;
use crate::app::widgets::frame_runner::Latest;

/// The words for the classifier's ten probabilities of one image: "looks like a 7" where one
/// digit has most of it, "looks most like a 7, a little like a 9" where it is split, "looks like
/// no digit clearly (most like a 7 or a 9)" where none stands out. `None` unless ten values.
pub fn looks_like(probabilities: &[f32]) -> Option<String> {
    if probabilities.len() != 10 {
        return None;
    }
    let mut order: Vec<usize> = (0..10).collect();
    order.sort_by(|&a, &b| probabilities[b].total_cmp(&probabilities[a]));
    let (first, second) = (order[0], order[1]);
    let top = probabilities[first];
    Some(if top >= 0.75 {
        format!("looks like {}", a_digit(first))
    } else if top >= 0.4 {
        format!("looks most like {}, a little like {}", a_digit(first), a_digit(second))
    } else {
        format!("looks like no digit clearly (most like {} or {})", a_digit(first), a_digit(second))
    })
}

fn a_digit(digit: usize) -> String {
    if digit == 8 { "an 8".into() } else { format!("a {digit}") }
}

/// The reading of `pixels` (one 28×28 image, or none) as they change: `None` while there is no
/// image or no classifier (still loading, or not shipped). Only the newest image's reading is
/// kept when several are asked for at once.
pub fn reading(lab: Lab, pixels: Signal<Option<Vec<f32>>>) -> Signal<Option<String>> {
    let words = RwSignal::new(None);
    let latest = Latest::new();
    Effect::new(move |_| {
        let ready = lab.classifier_ready.get();
        let image = pixels.get();
        let run = latest.begin();
        let (Some(image), true, Some(engine)) = (image, ready, lab.engine()) else {
            words.set(None);
            return;
        };
        spawn_local(async move {
            let read = engine.classify(&image).await.ok().and_then(|p| looks_like(&p));
            if latest.is_current(run) {
                words.try_set(read);
            }
        });
    });
    words.into()
}

#[cfg(test)]
mod tests {
    use super::looks_like;

    fn sure(digit: usize, p: f32) -> Vec<f32> {
        let mut v = vec![(1.0 - p) / 9.0; 10];
        v[digit] = p;
        v
    }

    #[test]
    fn says_the_digit_it_is_sure_of_and_hedges_otherwise() {
        assert_eq!(looks_like(&sure(7, 0.95)).as_deref(), Some("looks like a 7"));
        assert_eq!(looks_like(&sure(8, 0.9)).as_deref(), Some("looks like an 8"));
        let mut split = vec![0.0; 10];
        split[4] = 0.55;
        split[9] = 0.4;
        split[1] = 0.05;
        assert_eq!(looks_like(&split).as_deref(), Some("looks most like a 4, a little like a 9"));
        let mut flat = vec![0.1; 10];
        flat[3] = 0.12;
        flat[5] = 0.11;
        assert_eq!(looks_like(&flat).as_deref(), Some("looks like no digit clearly (most like a 3 or a 5)"));
        assert_eq!(looks_like(&[1.0; 3]), None);
    }
}
