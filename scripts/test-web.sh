#!/usr/bin/env bash
# Browser tests: builds the page with Trunk and drives it in Chromium (WebGPU over SwiftShader,
# and the CPU path). Installs the tools it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
# The bench hook the tests drive, no wasm-opt pass (3 min less on 2 cores of a first-generation
# AMD EPYC) and the WebGPU kernel libraries unoptimised (Cargo.toml, `page-tests`): the code of
# the benchmarks' page (`build-page.sh --bench`), compiled in less time.
bash scripts/build-page.sh --browser --bench --tests
# Two test files at a time, the longest first (tests/e2e/run.mjs): one file mostly waits on one
# core (the page's thread, a worker or SwiftShader), so two keep both busy (85 tests in 402 s
# instead of 528 s, 2 cores, AMD EPYC, 2026-12-05). The WebGPU tests allow for burn's autotune
# picking another kernel when the cores are busy (a decode may round 1 level differently,
# tests/e2e/inside.test.mjs).
node tests/e2e/run.mjs
