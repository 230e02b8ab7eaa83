//! Fast layers that know burn's layers, not the VAE: the fused CPU kernels the page infers with
//! (`cpu_fused`), the sub-pixel form of the transposed convolutions for WebGPU (`sub_pixel`),
//! and the trainer's convolutions with their own gradients (`conv_gradients`, over the
//! `phase_planes` matrix products, and `phase_columns`' for small planes; in the page's training
//! worker those products run on `tiled_product`'s kernels).

pub mod conv_gradients;
pub mod cpu_fused;
#[cfg(flex_train)]
pub(crate) mod phase_columns;
#[cfg(flex_train)]
pub(crate) mod phase_planes;
#[cfg(flex_train)]
mod strided;
// The page's training worker's products (and natively their tests against gemm).
#[cfg(all(flex_train, any(test, target_arch = "wasm32")))]
pub(crate) mod tiled_product;
#[cfg(feature = "burn-layers")]
pub(crate) mod sub_pixel;

/// Random test weights and inputs from a generator of the test's own: the device's generator is
/// shared by the tests running in parallel, so what a test drew from it depended on the order
/// they ran in (a range check failed about one run in six).
#[cfg(test)]
pub(crate) mod seeded {
    use burn::module::Param;
    use burn::prelude::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution, Normal};

    pub(crate) struct Seeded(StdRng);

    impl Seeded {
        pub fn new(seed: u64) -> Seeded {
            Seeded(StdRng::seed_from_u64(seed))
        }

        /// A tensor of `shape` with values from `sample`.
        pub(crate) fn tensor<const D: usize>(&mut self, shape: [usize; D], device: &Device, mut sample: impl FnMut(&mut StdRng) -> f32) -> Tensor<D> {
            let values: Vec<f32> = (0..shape.iter().product()).map(|_| sample(&mut self.0)).collect();
            Tensor::from_data(TensorData::new(values, shape), device)
        }

        /// Uniform in `low..high`.
        pub(crate) fn uniform<const D: usize>(&mut self, shape: [usize; D], low: f32, high: f32, device: &Device) -> Tensor<D> {
            self.tensor(shape, device, |rng| rng.random_range(low..high))
        }

        /// Normal with mean 0 and `std`.
        pub(crate) fn normal<const D: usize>(&mut self, shape: [usize; D], std: f32, device: &Device) -> Tensor<D> {
            let normal = Normal::new(0.0, std).expect("a positive standard deviation");
            self.tensor(shape, device, |rng| normal.sample(rng))
        }

        /// Glorot-uniform weights shaped like `like` (`[a, b, kernel…]`), times `scale`.
        pub(crate) fn weights<const D: usize>(&mut self, like: &Param<Tensor<D>>, scale: f32) -> Param<Tensor<D>> {
            let dims = like.dims();
            let area: usize = dims[2..].iter().product();
            let limit = scale * (6.0 / ((dims[0] + dims[1]) * area) as f32).sqrt();
            Param::from_tensor(self.uniform(dims, -limit, limit, &like.device()))
        }

        /// A bias shaped like `like`, uniform in ±`limit`.
        pub(crate) fn bias(&mut self, like: &Param<Tensor<1>>, limit: f32) -> Param<Tensor<1>> {
            Param::from_tensor(self.uniform(like.dims(), -limit, limit, &like.device()))
        }
    }
}
