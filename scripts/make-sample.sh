#!/usr/bin/env bash
# Rewrites www/data/test-sample-* (1,000 label-stratified MNIST test digits + the study's three),
# which the page's gallery and the tests use, from the MNIST files. The sample is committed (a
# small derived part of MNIST, attribution in the README), so only a change of the sample needs
# this; the native tests check the committed one against MNIST when the files are there.
#   MNIST_DIR: the four IDX files [default: ../shared/data/mnist]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --locked --quiet -- sample --data "${MNIST_DIR:-../shared/data/mnist}"
