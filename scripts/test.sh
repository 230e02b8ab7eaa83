#!/usr/bin/env bash
# Runs every test of the project (the README's test command): the native tests, then the page
# built with Trunk and driven in Chromium on WebGPU (SwiftShader) and on the CPU path.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
# The page's installs (its crates, npm's packages, the browsers: mostly downloads) beside the
# native build. Its tools (Trunk, wasm-bindgen-cli) compile later, beside the page's builds
# (build-page.sh): beside the native build, even at idle priority, they stretched its longest
# chain by more than they gained (docs/performance.md, sessions 37 and 38).
bash scripts/setup-web.sh --deps --browser >target/setup-deps.log 2>&1 &
deps=$!
cargo test --release --locked
wait "$deps" && deps_ok=1 || deps_ok=
cat target/setup-deps.log
if [ -z "$deps_ok" ]; then
    echo "test.sh: installing what the page's tests need failed (above)" >&2
    exit 1
fi
bash scripts/test-web.sh
