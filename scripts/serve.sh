#!/usr/bin/env bash
# Serves the page with the shipped weights and test digits on http://127.0.0.1:8080 (installs the
# tools first). Needs nothing beside the clone: the digits the page shows are committed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-web.sh
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"   # wasm-opt for Trunk
# No auto-reload: its script is injected by the server, and the page's CSP allows no inline
# script but the loader (scripts/finish-dist.mjs), so the page served is exactly dist/.
exec trunk serve --release --no-autoreload
