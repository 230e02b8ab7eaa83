#!/usr/bin/env bash
# Runs every test of the project (the README's test command): the native tests, then the page
# built with Trunk and driven in Chromium on WebGPU (SwiftShader) and on the CPU path.
set -euo pipefail
cd "$(dirname "$0")/.."
# The page's tools (Trunk and wasm-bindgen-cli, compiled from crates.io where missing: minutes)
# compile beside the native build and tests, which leave a core idle at times (their tests ~40 s
# at ~65 % of the CPU); build-page.sh then waits for this install (setup-web.sh takes a lock).
mkdir -p target
setsid bash scripts/setup-web.sh --tools >target/setup-tools-early.log 2>&1 &
tools=$!
trap 'kill -- "-$tools" 2>/dev/null || true' EXIT
cargo test --release --locked
bash scripts/test-web.sh
