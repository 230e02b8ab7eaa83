#!/usr/bin/env bash
# Browser tests: builds the page with Trunk and drives it in Chromium (WebGPU over SwiftShader,
# and the CPU path). Installs the tools it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-page.sh --browser --bench
# Two test files at a time: one file's browser often waits (on the page, on the network) while the
# other computes. 85 tests in 402 s instead of 528 s on 2 cores (AMD EPYC, 2026-12-05), CPU 9 %
# idle instead of 26 % (vmstat). Each test opens its own browser and server, so files do not meet.
node --test --test-concurrency=2 --test-reporter=spec tests/e2e/
