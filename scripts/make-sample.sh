#!/usr/bin/env bash
# Rewrites www/data/test-sample-* (1,000 label-stratified MNIST test digits + the study's three),
# which the page's gallery and the tests use, and www/data/train-sample-* (10,001 label-stratified
# training digits, for training in the page) from the MNIST files. The samples are committed
# (small derived parts of MNIST, attribution in the README), so only a change of a sample needs
# this; the native tests check the committed ones against MNIST when the files are there.
#   MNIST_DIR: the four IDX files [default: ../shared/data/mnist]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release --locked --quiet -- sample --data "${MNIST_DIR:-../shared/data/mnist}"
