#!/usr/bin/env bash
# Installs what building (and, with --browser, testing) the page needs, skipping what is there.
#   --deps   the wasm32 target, every crate in Cargo.lock, wasm-opt, playwright-core and axe-core
#            from npm, and (--browser) Debian's Chromium and Firefox ESR: quick.
#   --tools  Trunk 0.21.14 and wasm-bindgen-cli at the exact version in Cargo.lock, compiled from
#            crates.io (no prebuilt binaries here): minutes, mostly on one core, so the scripts run
#            it beside the page's cargo builds (scripts/build-page.sh).
# Neither: both.
set -euo pipefail
cd "$(dirname "$0")/.."

deps=1 tools=1 browser=
for arg in "$@"; do
    case "$arg" in
        --deps) tools= ;;
        --tools) deps= ;;
        --browser) browser=1 ;;
        *) echo "setup-web.sh: unknown option $arg" >&2; exit 2 ;;
    esac
done

if [ -n "$deps" ]; then
    rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
    # Trunk runs cargo --offline (Trunk.toml), and the native build never fetches the page's crates
    # (burn-wgpu's, for wasm32): fetch every crate in Cargo.lock first. A no-op when they are cached.
    cargo fetch --locked
    [ -x node_modules/.bin/wasm-opt ] && [ -d node_modules/playwright-core ] && [ -d node_modules/axe-core ] \
        && [ -d node_modules/puppeteer-core ] || npm ci --no-audit --no-fund
    # The browser tests: Chromium (Playwright) and Firefox ESR (puppeteer-core over WebDriver BiDi).
    if [ -n "$browser" ] && ! { [ -x /usr/bin/chromium ] && [ -x /usr/bin/firefox-esr ]; }; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq chromium chromium-driver firefox-esr
    fi
fi

if [ -n "$tools" ]; then
    if [ "$(trunk --version 2>/dev/null)" != "trunk 0.21.14" ]; then
        # Without its default features (TLS for downloading tools and its update check: it runs
        # offline here), unoptimised and without LTO except sha2 (its subresource-integrity hashes:
        # the one hot spot of its runs, perf): 264 s of CPU to compile instead of 472 at opt-level
        # 1, and a build of the page 1-2 s slower (2 cores, AMD EPYC, 2026-12-07). It only starts
        # cargo, wasm-bindgen and wasm-opt, hashes and copies files.
        cargo install trunk --version 0.21.14 --locked --no-default-features \
            --config 'profile.release.opt-level=0' --config 'profile.release.lto=false' \
            --config 'profile.release.codegen-units=256' --config 'profile.release.package.sha2.opt-level=3'
    fi
    bindgen=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
    if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen" ]; then
        # Not --locked: the CLI's own lock file pins versions that no longer build on this toolchain.
        # Only the `wasm-bindgen` binary (not its test runner), without TLS (it downloads nothing
        # here), unoptimised except the three crates its runs spend their time in (perf): 158 s of
        # CPU to compile instead of 221 at opt-level 1, and 2 s more for the page's six builds
        # (2 cores, AMD EPYC, 2026-12-07).
        cargo install wasm-bindgen-cli --version "$bindgen" --bin wasm-bindgen --no-default-features \
            --config 'profile.release.opt-level=0' --config 'profile.release.codegen-units=256' \
            --config 'profile.release.package.walrus.opt-level=1' \
            --config 'profile.release.package.wasmparser.opt-level=1' \
            --config 'profile.release.package.wasm-bindgen-cli-support.opt-level=1'
    fi
fi
