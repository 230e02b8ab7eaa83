"""PyTorch's training step on the study's model, for scale beside `cargo bench --bench throughput`
(which runs this when `python3 -c "import torch"` works; not a dependency of the tests).

The same layers as src/model and src/kernels (Keras' "Variational AutoEncoder": Conv 32 / Conv 64, 3x3 stride 2,
ReLU -> Dense 16 -> z_mean, z_log_var; Dense 7*7*64 -> ConvT 64 -> ConvT 32 (stride 2) -> ConvT 1;
`deeper` adds a stride-2 Conv 128 and its mirror: Dense 4*4*128 -> ConvT 128 -> ConvT 64 ->
ConvT 32 -> ConvT 1, as model::decoder builds it), the same loss (summed BCE + summed KL, mean over the batch),
Adam 1e-3, batch 128, on synthetic digits like the Rust bench. PyTorch pads `same` symmetrically
where TensorFlow pads after: the multiply-adds are the same. Prints one line per variant:
`pytorch train step <variant> batch 128 <median ms> ms <images/s> img/s`.

    python3 benches/pytorch_vae.py [--threads 2] [--steps 20] [--variant baseline|deeper] [--layers]

(ONNX Runtime Web's copy of the baseline, for benches/ort-web.mjs, is benches/onnx_vae.py's.)
"""

import argparse
import statistics
import time

import torch
from torch import nn
import torch.nn.functional as F


class Vae(nn.Module):
    def __init__(self, deeper: bool, latent: int = 2):
        super().__init__()
        filters = [32, 64, 128] if deeper else [32, 64]
        sides = [28, 14, 7, 4][: len(filters) + 1]
        self.convs = nn.ModuleList(nn.Conv2d(i, o, 3, 2, 1) for i, o in zip([1] + filters, filters))
        self.start = (filters[-1], sides[-1])
        self.dense = nn.Linear(filters[-1] * sides[-1] ** 2, 16)
        self.mean = nn.Linear(16, latent)
        self.log_var = nn.Linear(16, latent)
        self.up = nn.Linear(latent, filters[-1] * sides[-1] ** 2)
        # Mirror of the encoder, filters reversed; output_padding makes each side the encoder's.
        outs = list(reversed(filters))
        ins = [filters[-1]] + outs[:-1]
        self.deconvs = nn.ModuleList(
            nn.ConvTranspose2d(i, o, 3, 2, 1, output_padding=sides[k] - (2 * sides[k + 1] - 1))
            for i, o, k in zip(ins, outs, reversed(range(len(filters))))
        )
        self.out = nn.ConvTranspose2d(filters[0], 1, 3, 1, 1)

    def forward(self, x):
        for conv in self.convs:
            x = F.relu(conv(x))
        h = F.relu(self.dense(x.flatten(1)))
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean + torch.exp(0.5 * log_var) * torch.randn_like(mean)
        channels, side = self.start
        y = F.relu(self.up(z)).view(-1, channels, side, side)
        for deconv in self.deconvs:
            y = F.relu(deconv(y))
        return self.out(y), mean, log_var


def step_ms(model, optimizer, images):
    started = time.perf_counter()
    logits, mean, log_var = model(images)
    recon = F.binary_cross_entropy_with_logits(logits, images, reduction="none").sum(dim=(1, 2, 3))
    kl = -0.5 * (1 + log_var - mean.pow(2) - log_var.exp()).sum(dim=1)
    loss = (recon + kl).mean()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return (time.perf_counter() - started) * 1000


def layer_times(variant: str):
    """Each convolution at its training shape (batch 128), forward with its ReLU and backward
    (input and weight gradients; the first layer's input needs none), as `cargo bench --bench
    throughput -- "layer deeper"` times the trainer's: median of 8 after 3 untimed."""
    model = Vae(deeper=variant == "deeper")
    sides = [28, 14, 7, 4][: len(model.convs) + 1]
    layers = [(f"conv {i}", conv, conv.in_channels, sides[i], True) for i, conv in enumerate(model.convs)]
    layers += [(f"deconv {i}", deconv, deconv.in_channels, sides[-1 - i], True) for i, deconv in enumerate(model.deconvs)]
    layers.append((f"deconv {len(model.deconvs)}", model.out, model.out.in_channels, 28, False))
    for name, layer, channels, side, relu in layers:
        x = torch.rand(128, channels, side, side, requires_grad=name != "conv 0")
        forward, backward = [], []
        for i in range(11):
            started = time.perf_counter()
            y = F.relu(layer(x)) if relu else layer(x)
            between = time.perf_counter()
            y.sum().backward()
            if i >= 3:
                forward.append((between - started) * 1000)
                backward.append((time.perf_counter() - between) * 1000)
        print(f"  pytorch layer {variant} {name} {list(x.shape)}: fwd {statistics.median(forward):.1f} ms, bwd {statistics.median(backward):.1f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--variant", choices=["baseline", "deeper"], help="only this variant (default: both)")
    parser.add_argument("--layers", action="store_true", help="time each convolution instead of whole steps")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    images = (torch.rand(128, 1, 28, 28) > 0.8).float()
    print(f"pytorch {torch.__version__}, {torch.get_num_threads()} threads")
    for variant in [args.variant] if args.variant else ["baseline", "deeper"]:
        if args.layers:
            layer_times(variant)
            continue
        model = Vae(deeper=variant == "deeper")
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
        for _ in range(3):
            step_ms(model, optimizer, images)
        median = statistics.median(step_ms(model, optimizer, images) for _ in range(args.steps))
        name = f"pytorch train step {variant} batch 128"
        print(f"{name:<34} {median:>9.1f} ms {128000 / median:>9.0f} img/s")


if __name__ == "__main__":
    main()
