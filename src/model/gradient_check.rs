//! The trainer's convolution gradients (`kernels::conv_gradients`) against burn's, through the
//! whole model of every variant (a test).

use burn::prelude::*;

use super::{Vae, VaeConfig, VaeOutput, vae_loss};
use crate::kernels::conv_gradients::WeightGradients;
use crate::kernels::seeded::Seeded;
use crate::study::Variant;


/// Every convolution's weight and bias gradient (encoder then decoder) after one loss of
/// `vae` on `images`, with `epsilon` as the sampled noise.
fn conv_gradients(vae: &Vae, images: &Tensor<4>, epsilon: &Tensor<2>, grads: WeightGradients, variant: Variant) -> (f32, Vec<(String, Vec<f32>)>) {
    let (z_mean, z_log_var) = vae.encoder.forward_with(images.clone(), grads);
    let z = z_mean.clone() + z_log_var.clone().mul_scalar(0.5).exp() * epsilon.clone();
    let output = VaeOutput { logits: vae.decoder.forward_with(z, grads), z_mean, z_log_var };
    let loss = vae_loss(&output, images.clone(), variant.recon_loss()).total;
    let value = loss.clone().inner().into_scalar::<f32>();
    let gradients = loss.backward();
    let read = |t: Tensor<1>| t.into_data().try_into_vec::<f32>().expect("f32 gradients");
    let mut out = Vec::new();
    for (i, conv) in vae.encoder.convs().iter().enumerate() {
        let bias = conv.bias.as_ref().expect("the model's convolutions have biases");
        out.push((format!("conv {i} weight"), read(conv.weight.val().grad(&gradients).expect("a weight gradient").flatten(0, 3))));
        out.push((format!("conv {i} bias"), read(bias.val().grad(&gradients).expect("a bias gradient"))));
    }
    for (i, deconv) in vae.decoder.transposed_convs().enumerate() {
        let bias = deconv.bias.as_ref().expect("the model's convolutions have biases");
        out.push((format!("deconv {i} weight"), read(deconv.weight.val().grad(&gradients).expect("a weight gradient").flatten(0, 3))));
        out.push((format!("deconv {i} bias"), read(bias.val().grad(&gradients).expect("a bias gradient"))));
    }
    (value, out)
}

/// Whether every ReLU of `vae` on `images` takes in values of the same sign through both
/// routes.
fn same_relu_signs(vae: &Vae, images: &Tensor<4>, epsilon: &Tensor<2>) -> bool {
    let inputs = |grads| {
        let mut inputs = vae.encoder.relu_inputs(images.clone(), grads);
        let (z_mean, z_log_var) = vae.encoder.forward_with(images.clone(), grads);
        inputs.extend(vae.decoder.relu_inputs(z_mean + z_log_var.mul_scalar(0.5).exp() * epsilon.clone(), grads));
        inputs
    };
    let (ours, burns) = (inputs(WeightGradients::Gemm), inputs(WeightGradients::Burn));
    ours.iter().flatten().zip(burns.iter().flatten()).all(|(a, b)| (*a > 0.0) == (*b > 0.0))
}

#[test]
fn trainer_gradients_are_burns_for_every_layer_of_every_variant() {
    // The output layer's input gradient feeds every gradient upstream of it: a wrong one shows
    // in the decoder's other layers and in the whole encoder.
    let device = Device::flex().autodiff();
    let mut seeded = Seeded::new(17);
    for variant in Variant::ALL {
        // With ~10⁵ ReLU inputs a draw, one of them lies within rounding of 0 in about 1 % of
        // draws (5 of 480 seen, each a single value of ~1e-9 against ~1e-3) and takes the other
        // side of the kink in one route: that position's whole contribution then differs, by up
        // to 6 % of a weight gradient. Such a draw compares nothing about the routes; redraw.
        let draw = |seeded: &mut Seeded| {
            let vae = VaeConfig::from(variant).init(&device);
            // Pixels as dark as MNIST's on average (uniform⁶: mean 1/7): the output layer's bias
            // gradient sums sigmoid − pixel over every pixel, and with pixels of mean ½ that sum
            // could cancel to ~1e-4 in some weight draws (seen once in ~300 runs), leaving only
            // rounding to compare.
            let images = seeded.uniform([6, 1, 28, 28], 0.0, 1.0, &device).powi_scalar(6);
            let epsilon = seeded.normal([6, variant.latent_dim()], 1.0, &device);
            (vae, images, epsilon)
        };
        let (vae, images, epsilon) = (0..5)
            .map(|_| draw(&mut seeded))
            .find(|(vae, images, epsilon)| same_relu_signs(vae, images, epsilon))
            .unwrap_or_else(|| panic!("{variant}: five draws with ReLU inputs of opposite signs in the two routes"));
        let (loss, ours) = conv_gradients(&vae, &images, &epsilon, WeightGradients::Gemm, variant);
        let (burn_loss, burns) = conv_gradients(&vae, &images, &epsilon, WeightGradients::Burn, variant);
        // The decoder's stride-2 layers sum in another order (phase_planes): the same loss to rounding.
        assert!((loss - burn_loss).abs() <= 1e-6 * burn_loss.abs(), "{variant}: loss {loss} against burn's {burn_loss}");
        assert_eq!(ours.len(), burns.len());
        for ((name, got), (_, expected)) in ours.iter().zip(&burns) {
            assert_eq!(got.len(), expected.len(), "{variant} {name}");
            let scale = expected.iter().fold(0f32, |m, v| m.max(v.abs()));
            let diff = got.iter().zip(expected).fold(0f32, |m, (a, b)| m.max((a - b).abs()));
            eprintln!("{variant} {name}: max |diff| {diff:e} of max |grad| {scale:e}");
            assert!(scale > 1e-6, "{variant} {name}: a zero gradient compares nothing");
            assert!(diff <= 1e-4 * scale, "{variant} {name}: max |diff| {diff} against max |grad| {scale}");
        }
    }
}
