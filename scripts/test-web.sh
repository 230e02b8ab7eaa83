#!/usr/bin/env bash
# Browser tests: builds the page with Trunk and drives it in Chromium (WebGPU over SwiftShader,
# and the CPU path). Installs the tools it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-page.sh --browser --bench
node --test --test-concurrency=1 --test-reporter=spec tests/e2e/
