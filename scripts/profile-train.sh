#!/usr/bin/env bash
# Chromium's CPU profile of the Train mode's relaxed-SIMD worker on the CPU path (benches/profile-train.mjs):
# builds the page, then the training worker's wasm again through wasm-bindgen alone, which keeps
# its function names (wasm-opt, which the page's build runs, drops them), and profiles a run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-page.sh --browser
cargo build --locked --profile page --target wasm32-unknown-unknown --bin vae-lab-train-relaxed-simd --features train,relaxed-simd
wasm-bindgen --target web --out-dir target/profile-train --out-name vae-lab-train-relaxed-simd \
    target/wasm32-unknown-unknown/page/vae-lab-train-relaxed-simd.wasm
node --experimental-websocket benches/profile-train.mjs target/profile-train
