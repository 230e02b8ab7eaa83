#!/usr/bin/env bash
# Serves the page with the shipped weights on http://127.0.0.1:8080 (installs the tools first).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-web.sh
bash scripts/make-sample.sh
export PATH="$PWD/node_modules/.bin:$PATH"   # wasm-opt for Trunk
exec trunk serve --release
