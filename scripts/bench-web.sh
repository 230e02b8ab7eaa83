#!/usr/bin/env bash
# Browser benchmark: builds the page, times it in headless Chromium on WebGPU (SwiftShader) and
# on the CPU, prints a table and writes target/web-bench.json.
#   usage: scripts/bench-web.sh [webgpu|cpu]...
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-page.sh --browser --bench
node benches/web.mjs "$@"
