//! `cargo bench --bench throughput`: trainer images/s and native decode latency on the CPU
//! backend, on synthetic digits (no dataset needed). Prints a table.

// Training allocates and frees large activation buffers every step; glibc returns them to the
// kernel each time (page faults, TLB shootdowns), mimalloc keeps them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::Distribution;
use vae_lab::model::{Variant, WeightGradients, vae_loss};

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

fn main() {
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));
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
        let device = Device::flex().autodiff();
        device.seed(0);
        let config = variant.config();
        let mut model = config.init(&device);
        let mut optimizer = AdamConfig::new().with_epsilon(1e-7).init();
        let images = Tensor::<4>::random([128, 1, 28, 28], Distribution::Default, &device);
        let (mut fwd, mut bwd, mut opt, mut total) = (vec![], vec![], vec![], vec![]);
        for i in 0..23 {
            let t0 = Instant::now();
            let output = model.forward_with(images.clone(), grads);
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
        let step = median(total);
        println!("{:<34} {:>9.1} ms {:>9.0} img/s", name, step * 1e3, 128.0 / step);
        println!(
            "{:<34} fwd {:.1} ms, bwd {:.1} ms, adam {:.1} ms",
            "  of which",
            median(fwd) * 1e3,
            median(bwd) * 1e3,
            median(opt) * 1e3
        );
    }

    let device = Device::flex();
    device.seed(0);
    let model = Variant::Baseline.config().init(&device);
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
    // The same decodes with the fused CPU decoder the page uses (model::cpu_fused), one thread.
    let Some(kernel) = model.decoder.cpu_kernel() else {
        println!("the baseline decoder has no fused CPU kernel");
        return;
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
