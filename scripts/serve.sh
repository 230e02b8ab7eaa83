#!/usr/bin/env bash
# Serves the page with the shipped weights and test digits on http://127.0.0.1:8080 (installs the
# tools first). Needs nothing beside the clone: the digits the page shows are committed.
# The first time, it serves the page as soon as its main CPU build is done and adds the others
# (relaxed SIMD, WebGPU, training) while serving; reload to use them. After a change to the code,
# run it again.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f target/wasm32-unknown-unknown/page/vae-lab-webgpu.wasm ]; then
    bash scripts/build-page.sh --first
    node scripts/serve-dist.mjs &
    server=$!
    trap 'kill "$server" 2>/dev/null || true' EXIT
    echo "serving the main CPU build; building the others now (relaxed SIMD, WebGPU, training: the page uses them after a reload)"
    bash scripts/build-page.sh
    echo "every build is in: reload the page"
    wait "$server"
else
    bash scripts/build-page.sh
    exec node scripts/serve-dist.mjs
fi
