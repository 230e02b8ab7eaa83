#!/usr/bin/env bash
# The report's long training runs (issue 13), one after the other on the CPU:
#   - `deeper` with seeds 1-5 for 3 epochs each (does a latent dimension collapse?),
#   - `baseline` with seeds 1 and 2 for the full 30 epochs (seed 42 is the shipped one),
#   - latent sizes 3, 4 and 16 for 30 epochs (the latent-size curve; these ship with the page).
# Seed runs write reports/seeds/<variant>-seed<N>/ and checkpoint in checkpoints/seeds/…; the
# latent sizes write www/models/ and checkpoint in checkpoints/<variant>/. Kill it at any moment
# and run it again: every run resumes from its last finished epoch.
#   usage: scripts/report-runs.sh [MNIST_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:-../shared/data/mnist}"
cargo build --release --locked --quiet
train=./target/release/vae-lab
seed_run() {  # variant seed epochs
    "$train" train --variant "$1" --seed "$2" --epochs "$3" --data "$data" --resume \
        --out "reports/seeds/$1-seed$2" --checkpoint-dir "checkpoints/seeds/$1-seed$2"
}
for seed in 1 2 3 4 5; do seed_run deeper "$seed" 3; done
seed_run baseline 1 30
for variant in latent3 latent4 latent16; do
    "$train" train --variant "$variant" --data "$data" --resume
done
seed_run baseline 2 30
