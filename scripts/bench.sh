#!/usr/bin/env bash
# The side-by-side benchmark: our wasm core and TensorFlow.js 4.22's wasm backend in one headless
# Chromium page (training, batch-1 inference, the mean filter; then training the same network
# fitted to 3×32×32 colour images), next to the native build and native PyTorch; then the GPU: our
# GPU build and TensorFlow.js's webgpu backend in the same page on the same adapter, next to the
# native GPU path (wgpu); then ours and TF.js on the CPU in each other engine (Firefox, WebKitGTK,
# WPE WebKit). A benchmark, not a test: it prints five tables to stdout (everything else goes to
# stderr), writes every figure to bench/results.json, and asserts nothing.
# Usage: scripts/bench.sh [--runs 5] [--steps 20] [--warmup 3] [--infer 200] [--threads N]
#                         [--gpu-runs 3] [--gpu-steps 5] [--gpu-infer 20] [--engines LIST] [--out FILE]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
{
    "$ROOT/scripts/setup.sh"
    step "building the wasm core"
    build_wasm
    step "building the native binary"
    build_native --features gpu
    step "benchmarking (the figures are noisy on a busy machine: run it on a quiet one)"
} >&2
chromium=$(chromium_path)
cd "$ROOT"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$(mktemp -d)} # Mesa's Vulkan wants one
CHROMIUM=$chromium exec node bench/run.mjs "$@"
