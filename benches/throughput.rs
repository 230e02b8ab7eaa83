//! `cargo bench --bench throughput`: trainer images/s and native decode latency on the CPU
//! backend, on synthetic digits (no dataset needed). Prints a table.

// Training allocates and frees large activation buffers every step; glibc returns them to the
// kernel each time (page faults, TLB shootdowns), mimalloc keeps them (for good: main's first
// call, as the trainer's, vae_lab::train::memory).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::Distribution;
use vae_lab::model::{Noise, vae_loss};
use vae_lab::study::Variant;
use vae_lab::kernels::conv_gradients::WeightGradients;
use vae_lab::kernels::conv_gradients;
use vae_lab::model::VaeConfig;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

/// Rounds of the PyTorch comparison: the machine's load changes from minute to minute (the
/// same run has seen PyTorch's deeper step at 78 and 110 ms), so each round times the trainer
/// and PyTorch back to back, and the ratio is the median of the rounds'.
const PYTORCH_ROUNDS: usize = 5;

/// PyTorch's median step in seconds for `variant` with `threads` threads and the line naming its
/// version (`benches/pytorch_vae.py`, run by `$PYTHON` or python3), or why it could not be run
/// (torch not importable, say).
fn pytorch_step(threads: usize, variant: Variant, steps: usize) -> Result<(f64, String), String> {
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/pytorch_vae.py");
    let args = [script, "--threads", &threads.to_string(), "--variant", &variant.to_string(), "--steps", &steps.to_string()];
    let out = std::process::Command::new(&python).args(args).output().map_err(|e| format!("{python}: {e}"))?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr).lines().last().unwrap_or("").to_string();
        return Err(format!("{python} benches/pytorch_vae.py: {why}"));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let version = stdout.lines().next().unwrap_or("pytorch").to_string();
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("pytorch train step {variant} ")))
        .and_then(|l| l.split_whitespace().rev().nth(3)?.parse::<f64>().ok())
        .map(|ms| (ms / 1e3, version))
        .ok_or_else(|| format!("benches/pytorch_vae.py printed no {variant} step"))
}

/// The trainer against PyTorch on the same model, [`PYTORCH_ROUNDS`] rounds of the two back to
/// back per variant; prints every round and the median ratio. Skipped, saying why, where torch is
/// not importable.
fn pytorch(threads: usize) {
    let mut named = false;
    for variant in [Variant::Baseline, Variant::Deeper] {
        let mut ratios = Vec::new();
        for round in 1..=PYTORCH_ROUNDS {
            let ours = time_train_steps(variant, WeightGradients::Gemm, 20).total;
            let theirs = match pytorch_step(threads, variant, 20) {
                Ok((theirs, version)) => {
                    if !std::mem::replace(&mut named, true) {
                        println!("{version}; trainer and PyTorch back to back, {PYTORCH_ROUNDS} rounds a variant");
                    }
                    theirs
                }
                Err(why) => {
                    println!("pytorch: skipped ({why})");
                    return;
                }
            };
            println!("  round {round}, {variant}: trainer {:.1} ms, pytorch {:.1} ms ({:.2}x)", ours * 1e3, theirs * 1e3, theirs / ours);
            ratios.push(theirs / ours);
        }
        let all = ratios.iter().map(|r| format!("{r:.2}")).collect::<Vec<_>>().join(", ");
        println!("  {variant}: the trainer at {:.2}x PyTorch's images/s (median of rounds {all})", median(ratios));
    }
}

/// Median times of a training step, in seconds.
struct StepTimes {
    forward: f64,
    backward: f64,
    adam: f64,
    total: f64,
}

/// `steps` timed training steps of `variant` at batch 128 with `grads` (after 3 untimed ones).
fn time_train_steps(variant: Variant, grads: WeightGradients, steps: usize) -> StepTimes {
    let device = Device::flex().autodiff();
    device.seed(0);
    let config = VaeConfig::from(variant);
    let mut model = config.init(&device);
    let mut optimizer = AdamConfig::new().with_epsilon(1e-7).init();
    let mut noise = Noise::seeded(0);
    let images = Tensor::<4>::random([128, 1, 28, 28], Distribution::Default, &device);
    let (mut fwd, mut bwd, mut opt, mut total) = (vec![], vec![], vec![], vec![]);
    for i in 0..steps + 3 {
        let t0 = Instant::now();
        let output = model.forward_with(images.clone(), grads, &mut noise);
        let loss = vae_loss(&output, images.clone(), config.recon_loss);
        let _ = loss.total.clone().inner().into_scalar::<f32>();
        let t1 = Instant::now();
        let grads = GradientsParams::from_grads(loss.total.backward(), &model);
        let t2 = Instant::now();
        model = optimizer.step(1e-3, model, grads);
        let _ = model.encoder.num_params();
        let t3 = Instant::now();
        if i >= 3 {
            fwd.push((t1 - t0).as_secs_f64());
            bwd.push((t2 - t1).as_secs_f64());
            opt.push((t3 - t2).as_secs_f64());
            total.push((t3 - t0).as_secs_f64());
        }
    }
    StepTimes { forward: median(fwd), backward: median(bwd), adam: median(opt), total: median(total) }
}

fn main() {
    vae_lab::train::memory::keep_freed_pages();
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    // A filter matches a measure whose name contains it, or, written `=name`, only that name.
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| f.strip_prefix('=').map_or(name.contains(f.as_str()), |exact| name == exact));
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("machine: {threads} threads, {}; backend: burn 0.22.1 flex", std::env::consts::ARCH);
    println!("{:<34} {:>12} {:>14}", "measure", "median", "throughput");
    for (variant, grads) in [Variant::Baseline, Variant::Deeper].into_iter().flat_map(|v| [(v, WeightGradients::Gemm), (v, WeightGradients::Burn)]) {
        let which = match grads {
            WeightGradients::Gemm => "",
            WeightGradients::Burn => " (burn's conv grads)",
        };
        let name = format!("train step {variant} batch 128{which}");
        if !wanted(&name) {
            continue;
        }
        let step = time_train_steps(variant, grads, 20);
        println!("{:<34} {:>9.1} ms {:>9.0} img/s", name, step.total * 1e3, 128.0 / step.total);
        println!("{:<34} fwd {:.1} ms, bwd {:.1} ms, adam {:.1} ms", "  of which", step.forward * 1e3, step.backward * 1e3, step.adam * 1e3);
    }

    if wanted("pytorch") {
        pytorch(threads);
    }

    // Per layer (`layer baseline`, `layer deeper`): each convolution at its training shape (batch 128) as the model
    // runs it (with its crop and ReLU), forward and backward (input and weight gradients), with
    // the trainer's gradients and burn's.
    for variant in [Variant::Baseline, Variant::Deeper] {
        if !wanted(&format!("layer {variant}")) {
            continue;
        }
        let device = Device::flex().autodiff();
        device.seed(0);
        let model = VaeConfig::from(variant).init(&device);
        let mut x = Tensor::<4>::random([128, 1, 28, 28], Distribution::Default, &device);
        let mut layers: Vec<(String, Tensor<4>, Box<dyn Fn(Tensor<4>, WeightGradients) -> Tensor<4>>)> = Vec::new();
        for (i, conv) in model.encoder.convs().iter().enumerate() {
            let input = x.clone();
            x = conv_gradients::conv2d_activated(conv, x, true, WeightGradients::Burn).detach();
            layers.push((format!("conv {i}"), input, Box::new(move |x, g| conv_gradients::conv2d_activated(conv, x, true, g))));
        }
        let (channels, side) = if variant == Variant::Deeper { (128, 4) } else { (64, 7) };
        let mut z = Tensor::<4>::random([128, channels, side, side], Distribution::Default, &device);
        let deconvs: Vec<_> = model.decoder.transposed_convs().collect();
        for (i, &deconv) in deconvs.iter().enumerate() {
            let input = z.clone();
            // The decoder crops a stride-2 layer's odd side (15, 29) to Keras' (14, 28); 4 -> 7
            // needs no crop. The last layer has no ReLU (its logits go through the loss's sigmoid).
            let side = input.dims()[2];
            let (crop, relu) = if i + 1 < deconvs.len() { (if side == 4 { 0 } else { side * 2 }, true) } else { (0, false) };
            z = conv_gradients::conv_transpose2d_activated(deconv, z, crop, relu, WeightGradients::Burn).detach();
            layers.push((format!("deconv {i}"), input, Box::new(move |x, g| conv_gradients::conv_transpose2d_activated(deconv, x, crop, relu, g))));
        }
        for (name, input, layer) in &layers {
            // The first layer's input gradient is never needed (the images are constants).
            let input = if name == "conv 0" { input.clone() } else { input.clone().require_grad() };
            for grads in [WeightGradients::Gemm, WeightGradients::Burn] {
                let (mut fwd, mut bwd) = (vec![], vec![]);
                for _ in 0..8 {
                    let t0 = Instant::now();
                    let y = layer(input.clone(), grads);
                    let _ = y.clone().inner().into_data();
                    let t1 = Instant::now();
                    let _ = y.sum().backward();
                    fwd.push((t1 - t0).as_secs_f64());
                    bwd.push(t1.elapsed().as_secs_f64());
                }
                let which = if grads == WeightGradients::Gemm { "ours" } else { "burn" };
                println!("{:<34} fwd {:.1} ms, bwd {:.1} ms", format!("  layer {variant} {name} {:?}, {which}", input.dims()), median(fwd) * 1e3, median(bwd) * 1e3);
            }
        }
    }

    let device = Device::flex();
    device.seed(0);
    let model = VaeConfig::from(Variant::Baseline).init(&device);
    for n in [1usize, 900] {
        let name = format!("decode {n} latent(s) baseline");
        if !wanted(&name) {
            continue;
        }
        let z = Tensor::<2>::random([n, 2], Distribution::Normal(0.0, 1.0), &device);
        let iters = if n == 1 { 200 } else { 10 };
        let mut times = vec![];
        for _ in 0..iters + 2 {
            let t0 = Instant::now();
            let out = model.decoder.decode(z.clone());
            let _ = out.into_data();
            times.push(t0.elapsed().as_secs_f64());
        }
        let t = median(times[2..].to_vec());
        println!("{:<34} {:>9.3} ms {:>9.0} img/s", name, t * 1e3, n as f64 / t);
    }
    // The Inside mode's call on the page's CPU path (kernels::cpu_fused), stage by stage, for
    // every shipped architecture: what following the pen costs.
    for variant in [Variant::Baseline, Variant::Deeper, Variant::Latent10] {
        let name = format!("inside stages {variant}");
        if !wanted(&name) {
            continue;
        }
        let model = VaeConfig::from(variant).init(&device);
        let (encoder, decoder) = match vae_lab::model::fused::vae_kernels_of(variant, model) {
            Ok(kernels) => kernels,
            Err(e) => {
                println!("{name}: no fused CPU kernels ({e})");
                continue;
            }
        };
        let image: Vec<f32> = (0..784).map(|i| ((i * 7919) % 1000) as f32 / 1000.0).collect();
        let times = vae_lab::kernels::cpu_fused::stage_times(&encoder, &decoder, &image, 2000);
        let stages = vae_lab::study::anatomy::stages(variant.architecture());
        let parts: Vec<String> = stages.iter().skip(1).zip(&times).map(|(s, t)| format!("{} {:.1} µs", s.name, t * 1e6)).collect();
        println!("{:<34} {:>9.3} ms   {}", name, times.iter().sum::<f64>() * 1e3, parts.join(", "));
    }
    // The same decodes with the fused CPU decoder the page uses (kernels::cpu_fused), one thread.
    let kernel = match vae_lab::model::fused::vae_kernels_of(Variant::Baseline, model.clone()) {
        Ok((_, decoder)) => decoder,
        Err(e) => {
            println!("the baseline has no fused CPU kernels ({e})");
            return;
        }
    };
    for n in [1usize, 900] {
        let name = format!("decode {n} latent(s), fused kernel");
        if !wanted(&name) {
            continue;
        }
        let z: Vec<f32> = (0..n * 2).map(|i| ((i * 7919) % 1000) as f32 / 250.0 - 2.0).collect();
        let iters = if n == 1 { 2000 } else { 10 };
        let mut times = vec![];
        for _ in 0..iters + 2 {
            let t0 = Instant::now();
            std::hint::black_box(kernel.decode(std::hint::black_box(&z)));
            times.push(t0.elapsed().as_secs_f64());
        }
        let t = median(times[2..].to_vec());
        println!("{:<34} {:>9.3} ms {:>9.0} img/s", name, t * 1e3, n as f64 / t);
    }
}
