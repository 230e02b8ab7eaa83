#!/usr/bin/env bash
# Runs every test of the project (the README's test command): the native tests, then the page
# built with Trunk and driven in Chromium on WebGPU (SwiftShader) and on the CPU path.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --release --locked
bash scripts/test-web.sh
