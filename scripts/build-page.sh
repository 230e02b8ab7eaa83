#!/usr/bin/env bash
# Builds the page into dist/ (release, relative URLs: it works from any sub-path of a static
# host). Installs the tools it needs first. What the tests, the benchmark and the GitHub Pages
# workflow build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-web.sh "$@"
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"   # wasm-opt for Trunk
SECONDS=0
trunk build --release
echo "release build of the page: ${SECONDS} s"
