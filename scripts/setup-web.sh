#!/usr/bin/env bash
# Installs what building (and, with --browser, testing) the page needs, skipping what is there:
# the wasm32 target, Trunk 0.21.14, wasm-bindgen-cli at the exact version in Cargo.lock,
# wasm-opt and playwright-core from npm, and (--browser) Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

if [ "$(trunk --version 2>/dev/null)" != "trunk 0.21.14" ]; then
    cargo install trunk --version 0.21.14 --locked
fi

bindgen=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen" ]; then
    # Not --locked: the CLI's own lock file pins versions that no longer build on this toolchain.
    cargo install wasm-bindgen-cli --version "$bindgen"
fi

# Trunk runs cargo --offline (Trunk.toml), and the native build never fetches the page's crates
# (burn-wgpu's, for wasm32): fetch every crate in Cargo.lock first. A no-op when they are cached.
cargo fetch --locked

[ -x node_modules/.bin/wasm-opt ] && [ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund

if [ "${1:-}" = "--browser" ] && ! [ -x /usr/bin/chromium ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium chromium-driver
fi
