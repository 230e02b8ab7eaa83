#!/usr/bin/env bash
# Browser tests: builds the page with Trunk and drives it in Chromium (WebGPU over SwiftShader,
# and the CPU path). Installs the tools it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-page.sh --browser --bench
# One test file at a time. Two at a time ran the 85 tests in 402 s instead of 528 s on 2 cores
# (AMD EPYC, 2026-12-05), but on 2 busy cores one of three full runs failed a WebGPU test whose
# second decode rounded 1 level differently (burn's autotune picks kernels by timing; the test
# now allows it): until more runs show two at a time steady, CI stays with one.
node --test --test-concurrency=1 --test-reporter=spec tests/e2e/
