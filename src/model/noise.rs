//! A training run's random numbers: its initial weights and the reparameterisation's ε, the very
//! numbers burn's CPU backend would draw, on any device.

use burn::prelude::*;
use burn::tensor::Distribution;

/// Where a training run's random numbers come from — its initial weights
/// ([`VaeConfig::init_seeded`](super::VaeConfig::init_seeded)) and the reparameterisation's ε: a generator of the kind burn's
/// CPU backend (flex) draws with — rand's `StdRng`, seeded the same way, filling a tensor value
/// after value as its `float_random` does — so these are the very numbers flex would draw,
/// whatever the device. It belongs to its run instead of being flex's global one: one seed gives
/// the native trainer's run on WebGPU too (where there is no flex), and replicas of data-parallel
/// training in one process (the tests) do not draw from each other's.
pub struct Noise(rand10::rngs::StdRng);

impl Noise {
    /// A generator seeded with `seed` (as flex's `seed` seeds its own).
    pub fn seeded(seed: u64) -> Noise {
        Noise(rand10::SeedableRng::seed_from_u64(seed))
    }

    /// ε ~ N(0, 1) for a batch of `batch` images, `[batch, latent]`, on `device`.
    pub(crate) fn standard_normal(&mut self, batch: usize, latent: usize, device: &Device) -> Tensor<2> {
        Tensor::from_data(self.normal(batch, latent), device)
    }

    /// Draws a batch's ε and drops it (a replica with no rows of the batch keeps in step).
    #[cfg(any(not(target_arch = "wasm32"), feature = "train"))]
    pub(crate) fn skip(&mut self, batch: usize, latent: usize) {
        self.normal(batch, latent);
    }

    /// The next values of `shape` from `distribution`, as flex's `float_random` draws them.
    pub(crate) fn draw<const D: usize>(&mut self, shape: [usize; D], distribution: Distribution) -> TensorData {
        TensorData::random::<f32, _, _>(shape, distribution, &mut self.0)
    }

    fn normal(&mut self, batch: usize, latent: usize) -> TensorData {
        self.draw([batch, latent], Distribution::Normal(0.0, 1.0))
    }
}
