#!/usr/bin/env bash
# The side-by-side benchmark: our wasm core and TensorFlow.js 4.22's wasm backend in one headless
# Chromium page (training, batch-1 inference, the mean filter), next to the native build. A
# benchmark, not a test: it prints one table to stdout (everything else goes to stderr), writes
# every figure to bench/results.json, and asserts nothing.
# Usage: scripts/bench.sh [--runs 5] [--steps 20] [--warmup 3] [--infer 200] [--threads N] [--out FILE]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{
    "$ROOT/scripts/setup.sh"
    step "building the wasm core"
    build_wasm
    step "building the native binary"
    (cd "$ROOT" && cargo build -q --release --bin cnn-playground) || die "building the native binary failed"
    step "benchmarking (the figures are noisy on a busy machine: run it on a quiet one)"
} >&2
chromium=$(chromium_path)
cd "$ROOT"
CHROMIUM=$chromium exec node bench/run.mjs "$@"
