#!/usr/bin/env bash
# Serves the page with the shipped weights and test digits on http://127.0.0.1:8080 (installs the
# tools first). Needs nothing beside the clone: the digits the page shows are committed.
# The first time, it serves the page as soon as its CPU builds are done and adds the WebGPU build
# (the longest) while serving; reload to use it. After a change to the code, run it again.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f target/wasm32-unknown-unknown/page/vae-lab-webgpu.wasm ]; then
    bash scripts/build-page.sh --cpu
    node scripts/serve-dist.mjs &
    server=$!
    trap 'kill "$server" 2>/dev/null || true' EXIT
    echo "serving the CPU builds; building the WebGPU build now (the page uses it after a reload)"
    bash scripts/build-page.sh
    echo "the WebGPU build is in: reload the page"
    wait "$server"
else
    bash scripts/build-page.sh
    exec node scripts/serve-dist.mjs
fi
