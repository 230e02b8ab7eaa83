#!/usr/bin/env bash
# Builds the page into dist/ (release, relative URLs: it works from any sub-path of a static
# host). Installs the tools it needs first. What the tests, the benchmark and the GitHub Pages
# workflow build.
#   --browser  install Chromium too, for the tests
#   --first    the main CPU build only (the loader then runs it everywhere; the Train mode says
#              its build is missing): scripts/serve.sh shows the page with it first
#   --bench    every build with the `bench` feature: window.vaeLab, the hook the browser tests
#              and the benchmarks drive (a visitor's page, built without it, does not carry it)
#   --tests    the browser tests' build: no wasm-opt pass (larger wasm files; wasm-opt took 6 min
#              of CPU on 2 cores of a first-generation AMD EPYC, 167 s of it the WebGPU build's),
#              and cargo's `page-tests` profile, whose WebGPU kernel libraries compile unoptimised
#              (Cargo.toml). The hosted page and the benchmarks keep the page's.
set -euo pipefail
cd "$(dirname "$0")/.."
browser= first= bench= tests=
for arg in "$@"; do
    case "$arg" in
        --browser) browser=--browser ;;
        --first) first=--first ;;
        --bench) bench=--bench ;;
        --tests) tests=--tests ;;
        *) echo "build-page.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done
bash scripts/setup-web.sh --deps $browser
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"   # wasm-opt for Trunk
SECONDS=0
# Trunk and wasm-bindgen-cli compile (when not installed yet: minutes, mostly on one core) while
# cargo builds the page's wasm (page-builds.mjs runs each build as Trunk will, so Trunk then
# finds them built).
mkdir -p target
setsid bash scripts/setup-web.sh --tools >target/setup-tools.log 2>&1 &
tools=$!
trap 'kill -- "-$tools" 2>/dev/null || true' EXIT
node scripts/page-builds.mjs build $first $bench $tests
if ! wait "$tools"; then
    cat target/setup-tools.log
    echo "build-page.sh: installing Trunk or wasm-bindgen-cli failed (above)" >&2
    exit 1
fi
trap - EXIT
if [ -n "$first$bench$tests" ]; then
    # Trunk takes the links of the page it builds from its HTML file, which must sit beside
    # index.html (the links' paths are relative to it).
    node scripts/page-builds.mjs html index.variant.html $first $bench $tests
    trap 'rm -f index.variant.html' EXIT
    trunk build index.variant.html --release --html-output index.html
else
    trunk build --release
fi
echo "release build of the page${first:+ (main CPU build only)}${bench:+ (with the bench hook)}${tests:+ (for the tests: page-tests profile, no wasm-opt)}: ${SECONDS} s"
