#!/usr/bin/env bash
# Runs every test of the project (the README's test command): the native tests, then the page
# built with Trunk and driven in Chromium on WebGPU (SwiftShader) and on the CPU path.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
# Beside the native build and tests: the page's installs (crates, npm packages, browsers: mostly
# downloads), and its tools (Trunk, wasm-bindgen-cli) compiling at idle priority, so that they
# take only the CPU the native build and tests leave (their tests leave ~35 % of it for ~40 s).
# When the native tests end the tools stop, and build-page.sh goes on with them at normal
# priority from what they compiled (target/tools). At normal priority beside the native build
# they stretched its longest chain by more than they gained (docs/performance.md, session 37).
bash scripts/setup-web.sh --deps --browser >target/setup-deps.log 2>&1 &
deps=$!
if chrt --idle 0 true 2>/dev/null; then idle=(chrt --idle 0); else idle=(nice -n 19); fi
setsid "${idle[@]}" bash scripts/setup-web.sh --tools >target/setup-tools-early.log 2>&1 &
tools=$!
trap 'kill -- "-$tools" 2>/dev/null || true' EXIT
cargo test --release --locked
kill -- "-$tools" 2>/dev/null || true
trap - EXIT
wait "$deps" && deps_ok=1 || deps_ok=
cat target/setup-deps.log
if [ -z "$deps_ok" ]; then
    echo "test.sh: installing what the page's tests need failed (above)" >&2
    exit 1
fi
bash scripts/test-web.sh
