//! `window.vaeLab`: the one hook benchmarks use to time the page's real code path.
//!
//! - `vaeLab.firstReconstructionMs`: ms from navigation start until the first model finished its
//!   first reconstruction (encode + decode + readback) — the page's warm-up; `undefined` before.
//! - `vaeLab.bench({op, batch, iters, repeat, variant, steps, backend})` resolves to the median
//!   ms of `iters` warm runs (one untimed run first) of the engine call the page makes; each run
//!   is `repeat` back-to-back calls (default 1) timed together and divided, because the page's
//!   clock ticks in 0.1 ms steps (no cross-origin isolation):
//!   `op` = `"decode"` (`batch` latents; 900 = the manifold grid), `"reconstruct"` (`batch`
//!   shipped test digits, encode + decode), `"inside"` (every stage of one shipped test digit and
//!   its loss split, the Inside mode's call) or `"inpaint"` (test 4865, study mask, `steps` rounds).
//!   Every run ends in the asynchronous readback of its result. `backend` (`"webgpu"` | `"cpu"`),
//!   when given, must be the page's (`?backend=cpu` picks the CPU), else the promise rejects.
//!   `workers: false` keeps a CPU decode on the page's thread (by default batches of 16 or more
//!   go to the decode workers). `kernel: false` computes with burn's layers instead of the WebGPU build's sub-pixel
//!   decoder (`kernels::sub_pixel`); the page's CPU builds have only the fused kernels. The individual times of the last call
//!   are in `vaeLab.lastSamples`.
//! - `vaeLab.checkDecodeWorkers({batch, variant, seed})` decodes `batch` random N(0, I) latents
//!   both in the workers and on the page's thread and resolves to `{workers, maxAbsDiff}`.
//! - `vaeLab.checkFastPath({batch, variant, seed})` decodes `batch` random latents (N(0, 2²), to
//!   reach the whole sigmoid) and reconstructs the first `batch` shipped test digits with the
//!   page's fast path on the page's thread, and resolves to `{path, decoded, reconstructed}`
//!   (`path`: `"fused CPU kernels"` on the CPU, `"sub-pixel decoder"` on WebGPU, `null` when the
//!   variant has none; the pixels as `Float32Array`s) and, in the WebGPU build, which has burn's
//!   layers too, `maxAbsDiff` and `reconstructMaxAbsDiff` from theirs.
//! - `vaeLab.simulateDeviceLoss()` makes every later GPU readback fail as after a lost device
//!   (returns `false` before the engine is up); the page's next inference then falls back to the
//!   CPU build with the same view.

use std::rc::Rc;

use js_sys::{Object, Reflect};
use leptos::prelude::*;
use wasm_bindgen::prelude::*;

use crate::app::modes::explore::{MANIFOLD, manifold_latents};
use crate::app::context::Lab;
use crate::app::widgets::sources::prior_samples;
use crate::app::view::state::study_mask;
use crate::data::PIXELS;
use crate::engine::inside::epsilon;
use crate::engine::{BackendKind, Engine};
use crate::engine::web::{field, now_ms};
use crate::study::Variant;

fn hook() -> Option<Object> {
    let window = web_sys::window()?;
    let key = JsValue::from_str(crate::engine::js_names::HOOK);
    match Reflect::get(&window, &key) {
        Ok(v) if v.is_object() => v.dyn_into().ok(),
        _ => {
            let object = Object::new();
            Reflect::set(&window, &key, &object).ok()?;
            Some(object)
        }
    }
}

fn number(options: &JsValue, name: &str, default: usize) -> Result<usize, String> {
    match field(options, name).as_f64() {
        None => Ok(default),
        Some(v) if v >= 1.0 && v.fract() == 0.0 && v <= 100_000.0 => Ok(v as usize),
        Some(v) => Err(format!("{name} must be a whole number ≥ 1, not {v}")),
    }
}

fn variant(options: &JsValue) -> Result<Variant, String> {
    match field(options, "variant").as_string() {
        None => Ok(Variant::Baseline),
        Some(name) => Variant::from_name(&name).ok_or(format!("unknown variant {name}")),
    }
}

/// What both checks start from: the engine, the loaded variant and `batch` seeded random latents
/// scaled by `scale` (options `variant`, `batch`, `seed`).
fn check_setup(lab: Lab, options: &JsValue, scale: f32) -> Result<(Rc<Engine>, Variant, usize, Vec<f32>), String> {
    let engine = lab.engine().ok_or("the engine has not started yet")?;
    let variant = variant(options)?;
    let batch = number(options, "batch", 64)?;
    let seed = number(options, "seed", 1)? as u64;
    if !lab.ready_untracked(variant) {
        return Err(format!("the {variant} model is not loaded yet"));
    }
    let z = epsilon(seed, batch, variant.latent_dim()).into_iter().map(|e| scale * e).collect();
    Ok((engine, variant, batch, z))
}

/// The largest absolute difference between two images of the same size; `what` names the two
/// sources in the error when the sizes differ.
fn max_abs_diff(a: &[f32], b: &[f32], what: (&str, &str)) -> Result<f64, String> {
    if a.len() != b.len() {
        return Err(format!("{} pixels from {}, {} from {}", a.len(), what.0, b.len(), what.1));
    }
    Ok(a.iter().zip(b).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max) as f64)
}

/// The decode workers against the page's thread on the same random latents: `{workers,
/// maxAbsDiff}`.
async fn check_decode_workers(lab: Lab, options: JsValue) -> Result<JsValue, String> {
    let (engine, variant, _, z) = check_setup(lab, &options, 1.0)?;
    let pooled = engine.decode(variant, &z).await.map_err(|e| e.to_string())?;
    let here = engine.decode_on_this_thread(variant, &z).await.map_err(|e| e.to_string())?;
    let diff = max_abs_diff(&pooled, &here, ("the workers", "the page"))?;
    let result = Object::new();
    let _ = Reflect::set(&result, &JsValue::from_str("workers"), &JsValue::from(engine.decode_workers() as u32));
    let _ = Reflect::set(&result, &JsValue::from_str("maxAbsDiff"), &JsValue::from_f64(diff));
    Ok(result.into())
}

/// Waits (up to a minute) for the shipped test digits, which the page fetches beside the model:
/// a caller that asks as soon as the model is ready may come before them on a busy machine.
async fn shipped_digits(lab: Lab) -> Result<(), String> {
    for _ in 0..600 {
        match lab.gallery.with_untracked(|g| g.as_ref().map(|g| g.as_ref().map(drop).map_err(Clone::clone))) {
            Some(Ok(())) => return Ok(()),
            Some(Err(e)) => return Err(format!("the shipped digits did not load: {e}")),
            None => crate::engine::web::sleep_ms(100).await,
        }
    }
    Err("the shipped digits did not load within a minute".into())
}

/// The fast path's outputs on seeded random latents (N(0, 2²), to reach the sigmoid's flat ends)
/// and the first shipped test digits, and where the build has burn's layers, how far theirs are:
/// `{path, decoded, reconstructed, maxAbsDiff, reconstructMaxAbsDiff}`. The page's CPU builds
/// have no burn layers: the browser test compares their outputs with burn's, computed natively
/// (`tests/fixtures/burn-layers-outputs.json`).
async fn check_fast_path(lab: Lab, options: JsValue) -> Result<JsValue, String> {
    let (engine, variant, batch, z) = check_setup(lab, &options, 2.0)?;
    shipped_digits(lab).await?;
    let digits: Vec<f32> = lab.gallery.with_untracked(|g| match g {
        Some(Ok(g)) => Ok((0..batch).flat_map(|k| g.digits.intensities(&[k % g.digits.len()])).collect()),
        _ => Err("the shipped digits are not loaded"),
    })?;
    let run = async || -> Result<(Vec<f32>, Vec<f32>), String> {
        let decoded = engine.decode_on_this_thread(variant, &z).await.map_err(|e| e.to_string())?;
        Ok((decoded, engine.reconstruct(variant, &digits).await.map_err(|e| e.to_string())?))
    };
    let kernel = run().await?;
    let result = Object::new();
    let _ = Reflect::set(&result, &JsValue::from_str("path"), &engine.fast_path(variant).map_or(JsValue::NULL, JsValue::from_str));
    let _ = Reflect::set(&result, &JsValue::from_str("decoded"), &js_sys::Float32Array::from(kernel.0.as_slice()));
    let _ = Reflect::set(&result, &JsValue::from_str("reconstructed"), &js_sys::Float32Array::from(kernel.1.as_slice()));
    #[cfg(feature = "burn-layers")]
    {
        engine.set_fast_paths(false);
        let layers = run().await;
        engine.set_fast_paths(true);
        let layers = layers?;
        let what = ("the fast path", "burn's layers");
        let _ = Reflect::set(&result, &JsValue::from_str("maxAbsDiff"), &JsValue::from_f64(max_abs_diff(&kernel.0, &layers.0, what)?));
        let _ = Reflect::set(&result, &JsValue::from_str("reconstructMaxAbsDiff"), &JsValue::from_f64(max_abs_diff(&kernel.1, &layers.1, what)?));
    }
    Ok(result.into())
}

/// Installs `window.vaeLab.bench`, `checkDecodeWorkers` and `checkFastPath`.
pub(crate) fn install(lab: Lab) {
    let Some(hook) = hook() else { return };
    let first = hook.clone();
    Effect::new(move || {
        if let Some(ms) = lab.first_ready_ms.get() {
            let _ = Reflect::set(&first, &JsValue::from_str("firstReconstructionMs"), &JsValue::from_f64(ms));
        }
    });
    let bench = Closure::<dyn Fn(JsValue) -> js_sys::Promise>::new(move |options: JsValue| {
        wasm_bindgen_futures::future_to_promise(async move {
            run(lab, options).await.map(JsValue::from_f64).map_err(|e| JsValue::from(js_sys::Error::new(&e)))
        })
    });
    let _ = Reflect::set(&hook, &JsValue::from_str("bench"), bench.as_ref());
    let check = Closure::<dyn Fn(JsValue) -> js_sys::Promise>::new(move |options: JsValue| {
        wasm_bindgen_futures::future_to_promise(async move {
            check_decode_workers(lab, options).await.map_err(|e| JsValue::from(js_sys::Error::new(&e)))
        })
    });
    let _ = Reflect::set(&hook, &JsValue::from_str("checkDecodeWorkers"), check.as_ref());
    let check_kernel = Closure::<dyn Fn(JsValue) -> js_sys::Promise>::new(move |options: JsValue| {
        wasm_bindgen_futures::future_to_promise(async move {
            check_fast_path(lab, options).await.map_err(|e| JsValue::from(js_sys::Error::new(&e)))
        })
    });
    let _ = Reflect::set(&hook, &JsValue::from_str("checkFastPath"), check_kernel.as_ref());
    let lose_device = Closure::<dyn Fn() -> bool>::new(move || {
        let Some(engine) = lab.engine() else { return false };
        engine.simulate_device_loss()
    });
    let _ = Reflect::set(&hook, &JsValue::from_str("simulateDeviceLoss"), lose_device.as_ref());
    // The hook lives as long as the page.
    lose_device.forget();
    bench.forget();
    check.forget();
    check_kernel.forget();
}

async fn run(lab: Lab, options: JsValue) -> Result<f64, String> {
    let engine = lab.engine().ok_or("the engine has not started yet")?;
    let kernels = field(&options, "kernel").as_bool() != Some(false);
    if !kernels && !cfg!(feature = "burn-layers") {
        return Err("kernel: false: this build has no burn layers (the page's CPU builds run the fused kernels alone)".into());
    }
    engine.set_fast_paths(kernels);
    let timed = time(lab, &engine, options, !kernels).await;
    engine.set_fast_paths(true);
    timed
}

async fn time(lab: Lab, engine: &Engine, options: JsValue, on_this_thread: bool) -> Result<f64, String> {
    let op = field(&options, "op").as_string().ok_or("op is required: decode, reconstruct or inpaint")?;
    let batch = number(&options, "batch", 1)?;
    let iters = number(&options, "iters", 10)?;
    let repeat = number(&options, "repeat", 1)?;
    let steps = number(&options, "steps", 20)?;
    let on_this_thread = on_this_thread || field(&options, "workers").as_bool() == Some(false);
    let variant = variant(&options)?;
    if let Some(wanted) = field(&options, "backend").as_string() {
        let actual = match engine.backend() {
            BackendKind::WebGpu(_) => "webgpu",
            BackendKind::Cpu => "cpu",
        };
        if wanted != actual {
            return Err(format!("the page runs on {actual}, not {wanted} (open it with ?backend=cpu for the CPU)"));
        }
    }
    if !lab.ready_untracked(variant) {
        return Err(format!("the {variant} model is not loaded yet"));
    }
    let latent = variant.latent_dim();
    let digits: Vec<f32> = lab.gallery.with_untracked(|g| match g {
        Some(Ok(g)) => (0..batch).flat_map(|k| g.digits.intensities(&[k % g.digits.len()])).collect(),
        _ => vec![0.5; batch * PIXELS],
    });
    let latents = if latent == 2 && batch == MANIFOLD * MANIFOLD {
        manifold_latents(MANIFOLD, 1.0)
    } else {
        // The Generate grid's latents, repeated to the batch.
        let z = prior_samples(variant, 1, 1.0);
        (0..batch * latent).map(|i| z[i % z.len()]).collect()
    };
    if op == "inpaint" {
        shipped_digits(lab).await?;
    }
    let four_eight_six_five = lab.gallery.with_untracked(|g| match g {
        Some(Ok(g)) => g.by_test_index(4865),
        _ => None,
    });
    let mask = study_mask();
    let mut samples = Vec::with_capacity(iters);
    for i in 0..=iters {
        let started = now_ms();
        for _ in 0..repeat {
            let outcome = match op.as_str() {
                "decode" if on_this_thread => engine.decode_on_this_thread(variant, &latents).await.map(drop),
                "decode" => engine.decode(variant, &latents).await.map(drop),
                "reconstruct" => engine.reconstruct(variant, &digits).await.map(drop),
                "inside" => engine.inside(variant, &digits[..PIXELS], &epsilon(1, 1, latent)).await.map(drop),
                "inpaint" => {
                    let image = four_eight_six_five.clone().ok_or("the shipped digits are not loaded yet")?;
                    engine.inpaint(variant, &image, &mask, steps).await.map(drop)
                }
                other => return Err(format!("unknown op {other}: decode, reconstruct, inside or inpaint")),
            };
            outcome.map_err(|e| e.to_string())?;
        }
        // The first run is a warm-up (allocations, pipelines), not timed.
        if i > 0 {
            samples.push((now_ms() - started) / repeat as f64);
        }
    }
    if let Some(hook) = hook() {
        let list = js_sys::Array::new();
        for s in &samples {
            list.push(&JsValue::from_f64(*s));
        }
        let _ = Reflect::set(&hook, &JsValue::from_str("lastSamples"), &list);
    }
    samples.sort_by(f64::total_cmp);
    Ok(samples[samples.len() / 2])
}
