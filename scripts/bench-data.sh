#!/usr/bin/env bash
# Fashion-MNIST side by side: the tutorial's network and recipe for 5 epochs natively (ours), in
# native PyTorch (the exported project's train.py, from PyTorch's own initial weights, on the
# very same data: our seeded 60,000/10,000 split, written into the project by `export --data`),
# and in the page (time to 90 %). A benchmark, not a test: it prints what each reached and
# asserts nothing. PyTorch runs when $PYTHON (python3 if unset) can import torch; otherwise
# that row says why.
# Usage: scripts/bench-data.sh [--epochs 5] [--target 90]
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
epochs=5 target=90
while [ $# -gt 0 ]; do
    case "$1" in
        --epochs) epochs=$2; shift 2 ;;
        --target) target=$2; shift 2 ;;
        *) die "usage: scripts/bench-data.sh [--epochs 5] [--target 90]" ;;
    esac
done
{
    "$ROOT/scripts/setup.sh"
    step "building the site and the native binary"
    build_site
    build_native
} >&2
cd "$ROOT"
bin=target/release/cnn-playground
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python=${PYTHON:-python3}

echo "Fashion-MNIST, the tutorial's network and recipe, $epochs epochs ($(nproc) CPUs)"
echo "ours, native (1 thread):"
"$bin" train --data fashion-mnist --epochs "$epochs" --out "$work/ours.safetensors" 2>/dev/null \
    | grep -E '^epoch [0-9]+:' | sed 's/^/  /'
if "$python" -c 'import torch, torchvision, safetensors' 2>/dev/null; then
    "$bin" export --weights "$work/ours.safetensors" --format pytorch --out "$work/project" \
        --data fashion-mnist >/dev/null
    echo "PyTorch $("$python" -c 'import torch; print(torch.__version__)'), native ($(nproc) threads), its own initial weights:"
    SECONDS=0
    (cd "$work/project" && "$python" train.py --fresh --epochs "$epochs" 2>/dev/null) \
        | grep -E '^epoch' | sed 's/^/  /'
    echo "  $SECONDS s in all"
else
    echo "PyTorch: not run (\`$python -c \"import torch, torchvision, safetensors\"\` failed: pip install torch torchvision safetensors, or set PYTHON)"
fi
echo "the page (Chromium, 2 workers):"
CHROMIUM=$(chromium_path) node bench/time-to-accuracy.mjs --runs 1 "tutorial:$target@fashion-mnist" 2>/dev/null | sed 's/^/  /'
