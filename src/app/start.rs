//! Page start-up: the constructors, the app's context, the engine, and the files every mode
//! needs (manifest, test digits, metrics), then the shell.

use std::collections::HashMap;
use std::rc::Rc;

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::app::context::{Gallery, Lab, ModelStatus};
use crate::app::timed::timed;
use crate::app::view::link::ForcedBackend;
use crate::app::view::share;
use crate::app::widgets::sources::prior_samples;
use crate::app::view::state::InpaintSource;
use crate::app::view::store::View;
use crate::data::Digits;
use crate::engine::web::{MAX_UNLISTED_BYTES, fetch_bytes, fetch_listed, yield_to_browser};
use crate::study::metrics;
use crate::study::Variant;
use crate::app::view::state::ViewStateStoreFields;

/// Starts the page: runs the constructors once, then mounts the app on `<body>`. Each page binary
/// (`vae-lab`, the CPU build; `vae-lab-webgpu`) has only this in its `main`.
pub fn mount() {
    crate::engine::web::run_constructors_once();
    console_error_panic_hook::set_once();
    // The WebGPU build also runs in the training worker on WebGPU, and the CPU build in the
    // decode workers; neither has a page to mount.
    #[cfg(feature = "train")]
    if crate::engine::workers::train::serve_if_trainer() {
        return;
    }
    if crate::engine::workers::decode::serve_if_worker() {
        return;
    }
    // The app mounts in a task of its own, not in the one that instantiated the wasm (each is
    // then shorter: see `shell::NextTask`). The static page that showed while the wasm downloaded
    // (index.html's #boot) gives way to it.
    set_timeout(
        || {
            if let Some(boot) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("boot")) {
                boot.remove();
            }
            leptos::mount::mount_to_body(App);
        },
        std::time::Duration::ZERO,
    );
}

async fn load_gallery() -> Result<Gallery, String> {
    let images = fetch_bytes("data/test-sample-images-idx3-ubyte.gz", MAX_UNLISTED_BYTES, |_| {}).await?;
    let labels = fetch_bytes("data/test-sample-labels-idx1-ubyte.gz", MAX_UNLISTED_BYTES, |_| {}).await?;
    let index = fetch_bytes("data/test-sample.json", MAX_UNLISTED_BYTES, |_| {}).await?;
    let digits = Digits::from_idx(&images, &labels).map_err(|e| e.to_string())?;
    let index: serde_json::Value = serde_json::from_slice(&index).map_err(|e| e.to_string())?;
    let test_indices: Vec<usize> = index["test_indices"]
        .as_array()
        .ok_or("test-sample.json has no test_indices")?
        .iter()
        .filter_map(|v| v.as_u64().map(|v| v as usize))
        .collect();
    if test_indices.len() != digits.len() {
        return Err("test-sample.json does not match the shipped digits".into());
    }
    Ok(Gallery { digits, test_indices })
}

/// The test digits (checked against the link), then every model's training record.
async fn load_the_rest(lab: Lab, manifest: Option<metrics::Manifest>) {
    let gallery = load_gallery().await.map_err(|e| format!("The test digits could not be loaded: {e}. Reload the page to try again."));
    match &gallery {
        Ok(gallery) => share::check_test_digits(lab, gallery),
        Err(e) => lab.file_problem(e.clone()),
    }
    lab.gallery.set(Some(gallery));
    let classifier = manifest.as_ref().and_then(|m| m.classifier.clone());
    if let Some(manifest) = manifest {
        for entry in manifest.variants {
            let Some(variant) = Variant::from_name(&entry.variant) else { continue };
            let url = format!("models/{}", entry.metrics.file);
            let latent = variant.latent_dim();
            let loaded = fetch_listed(&entry.metrics, |_| {})
                .await
                .and_then(|b| crate::study::parse::metrics(&b, &url, variant.name(), latent));
            match loaded {
                Ok(metrics) => lab.metrics.update(|m| {
                    m.insert(variant, metrics);
                }),
                Err(e) => lab.file_problem(format!(
                    "The training record of the {} model is unavailable, so the Report lacks it: {e}.",
                    variant.label()
                )),
            }
        }
    }
    // The decode workers start now, not with the page: their start would have competed with it
    // (a big decode before now starts them too).
    if let Some(engine) = lab.engine() {
        engine.start_decode_pool();
    }
    // Then the classifier (in a decode worker), before the start-up is announced: the service
    // worker is then told of every file once it is in, the classifier's among them, so a visit
    // that went offline as soon as the page said it could still names its digits.
    lab.load_classifier(classifier).await;
    announce_started();
}

/// Marks `<html data-started>` once the start-up fetches (the first model, the test digits, the
/// training records, the digit classifier) are done: www/register-sw.js then lists every file
/// fetched so far to the service worker once more, and says the page is ready for offline use
/// only after that.
fn announce_started() {
    if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
        let _ = root.set_attribute("data-started", "true");
    }
}

#[component]
fn App() -> impl IntoView {
    // The link is the view: what it names, checked, and a note for whatever it could not use.
    let link = share::current_link();
    let lab = Lab {
        view: View::new(link.state.clone()),
        engine: StoredValue::new_local(None),
        link: crate::app::view::history::LinkState::new(),
        first_ready_ms: RwSignal::new(None),
        backend: RwSignal::new(None),
        yours: RwSignal::new(None),
        notice: RwSignal::new(None),
        last_ms: RwSignal::new(None),
        manifest: RwSignal::new(None),
        metrics: RwSignal::new(HashMap::new()),
        status: RwSignal::new(HashMap::new()),
        gallery: RwSignal::new(None),
        points: RwSignal::new(HashMap::new()),
        generated: RwSignal::new(None),
        file_problems: RwSignal::new(Vec::new()),
        tour_left: RwSignal::new(None),
        classifier_ready: RwSignal::new(false),
    };
    provide_context(lab);
    let training = crate::app::modes::train::run::Training::new();
    provide_context(training);
    crate::app::modes::report::provide_findings(lab);
    #[cfg(feature = "bench")]
    crate::app::bench_hook::install(lab);
    share::keep_link_in_step(lab, link.frame);
    let link_notice = share::dropped_notice(&link.dropped);

    spawn_local(async move {
        // Not in the task that mounts the page: that one is long enough.
        yield_to_browser().await;
        let (engine, notice) = crate::engine::device::start(link.frame.backend != Some(ForcedBackend::Cpu)).await;
        lab.backend.set(Some(engine.backend().label()));
        let notices: Vec<String> = [link_notice, notice].into_iter().flatten().collect();
        lab.notice.set((!notices.is_empty()).then(|| notices.join(" ")));
        lab.engine.set_value(Some(Rc::new(engine)));
        // A model trained here before comes back before the first model is asked for.
        crate::app::modes::train::run::restore(lab, training).await;
        let known: Vec<&str> = Variant::ALL.iter().map(|v| v.name()).collect();
        let manifest = fetch_bytes("models/manifest.json", MAX_UNLISTED_BYTES, |_| {})
            .await
            .and_then(|b| crate::study::parse::manifest(&b, "models/manifest.json", &known));
        lab.manifest.set(Some(manifest));
        lab.ensure_model(lab.view.variant().get_untracked());
    });

    // The test digits and the training records are not needed for the first reconstruction:
    // they are fetched once the first model is in (or has failed, or the models could not be
    // listed), so the first load stays within its budget (171 KB of test digits).
    let rest_started = StoredValue::new(false);
    Effect::new(move |_| {
        // Checked first: once started, this reads no signal, so it never runs again.
        if rest_started.get_value() {
            return;
        }
        let settled = lab.manifest.with(|listed| match listed {
            Some(Ok(_)) => lab.status.with(|s| s.values().any(|st| matches!(st, ModelStatus::Ready | ModelStatus::Failed(_)))),
            Some(Err(_)) => true,
            None => false,
        });
        if !settled {
            return;
        }
        rest_started.set_value(true);
        spawn_local(load_the_rest(lab, lab.manifest.get_untracked().and_then(Result::ok)));
    });

    // Load the variant when it is picked.
    Effect::new(move |_| {
        let variant = lab.view.variant().get();
        if lab.manifest.with(|m| m.is_some()) {
            lab.ensure_model(variant);
        }
    });

    // A generated digit named by the view (e.g. opened from a link) is decoded again.
    Effect::new(move |_| {
        let InpaintSource::Generated(sample) = lab.view.source().get() else { return };
        if lab.generated.with(|g| g.as_ref().is_some_and(|(k, _)| *k == sample)) {
            return;
        }
        // Its model may be another than the current one, and can load once the manifest is in.
        lab.manifest.track();
        lab.ensure_model(sample.variant);
        if !lab.ready(sample.variant) {
            return;
        }
        spawn_local(async move {
            let latent = sample.variant.latent_dim();
            let z = prior_samples(sample.variant, sample.seed, sample.temperature);
            let Some(z) = z.get(sample.tile * latent..(sample.tile + 1) * latent) else { return };
            if let Some(Ok(pixels)) = timed(lab, async |engine| engine.decode(sample.variant, z).await).await {
                lab.generated.try_set(Some((sample, pixels)));
            }
        });
    });

    view! { <crate::app::shell::Shell/> }
}
