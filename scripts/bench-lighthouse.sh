#!/usr/bin/env bash
# Lighthouse (npm lighthouse@12.2.3, fetched by npx) on the built page, mobile and desktop profiles:
# prints the scores. Not a test: the numbers depend on the machine.
#   usage: scripts/bench-lighthouse.sh [mobile|desktop]...
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build-page.sh --browser
node benches/lighthouse.mjs "$@"
