//! Which digit an image on screen looks like, kept up to date: the digit classifier's reading
//! (the Report's judge: 99.2 % of the 10,000 test digits right), in `view::reading`'s words.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::context::Lab;
use crate::app::view::reading::looks_like;
use crate::app::widgets::frame_runner::Latest;

/// The reading of `pixels` (one 28×28 image, or none) as they change: `None` while there is no
/// image or no classifier (still loading, or not shipped). Only the newest image's reading is
/// kept when several are asked for at once.
pub(crate) fn reading(lab: Lab, pixels: Signal<Option<Vec<f32>>>) -> Signal<Option<String>> {
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
