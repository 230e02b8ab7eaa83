#!/usr/bin/env bash
# The seed-spread runs of the report (issue 13): `deeper` with 5 seeds for 3 epochs each (does a
# latent dimension collapse?), then `baseline` with seeds 1 and 2 for the full 30 epochs (seed 42
# is the shipped one). Each run writes reports/seeds/<variant>-seed<N>/ and checkpoints in
# checkpoints/seeds/<variant>-seed<N>/: kill it at any moment and run it again to resume.
#   usage: scripts/seed-runs.sh [MNIST_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data/mnist}"
cargo build --release --locked --quiet
run() {  # variant seed epochs
    ./target/release/vae-lab train --variant "$1" --seed "$2" --epochs "$3" --data "$data" --resume \
        --out "reports/seeds/$1-seed$2" --checkpoint-dir "checkpoints/seeds/$1-seed$2"
}
for seed in 1 2 3 4 5; do run deeper "$seed" 3; done
for seed in 1 2; do run baseline "$seed" 30; done
