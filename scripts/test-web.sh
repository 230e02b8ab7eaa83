#!/usr/bin/env bash
# Browser tests: builds the page with Trunk and drives it in Chromium (WebGPU over SwiftShader,
# and the CPU path). Installs the tools it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-web.sh --browser
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
SECONDS=0
trunk build --release
echo "release build of the page: ${SECONDS} s"
node --test --test-reporter=spec tests/e2e/
