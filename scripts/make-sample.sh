#!/usr/bin/env bash
# Writes www/data/test-sample-* (1,000 label-stratified MNIST test digits + the study's three),
# which the tests and the page's gallery use, from the MNIST files: they are never committed.
#   MNIST_DIR: the four IDX files [default: ../shared/data/mnist]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f www/data/test-sample-images-idx3-ubyte.gz ] && [ -f www/data/test-sample-labels-idx1-ubyte.gz ] \
    && [ -f www/data/test-sample.json ] && exit 0
cargo run --release --locked --quiet -- sample --data "${MNIST_DIR:-../shared/data/mnist}"
