#!/usr/bin/env bash
# Trains (or resumes) every variant for 30 epochs, one after the other, on the CPU.
# Safe to kill at any moment and run again: each variant resumes from its last finished epoch.
#   usage: scripts/train-all.sh [MNIST_DIR] [variants...]
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data/mnist}"
shift || true
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(baseline latent10 mse latent1 deeper)
cargo build --release --quiet
for variant in "${variants[@]}"; do
    ./target/release/vae-lab train --variant "$variant" --data "$data" --resume
done
