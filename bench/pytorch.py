"""The native PyTorch peer of scripts/bench.sh: the tutorial's CNN trained with PyTorch's own loop
(batch 64, Adam 1e-3, random pixels, as `cnn-playground bench` does), single-image inference, and
the mean filter of a 1133×1700×3 photo (`conv2d(groups=3)` on floats, then back to bytes), on 1
thread and on 2; and the same network fitted to 3×32×32 colour images (CIFAR's), trained the same
way. Prints one JSON object to stdout; progress goes to stderr.

    python3 bench/pytorch.py [--runs 5] [--steps 20] [--warmup 3] [--infer 200] [--threads 1,2]

It needs `torch` (CPU is enough); bench/run.mjs runs it when `import torch` works and says so
when it does not. The benchmark never installs it: a PyPI wheel is gigabytes.
"""
import argparse
import json
import pathlib
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "scripts"))
from tutorial_cnn import CNN  # noqa: E402  (the network the fixtures are written with)


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def colour_cnn():
    """The tutorial's network fitted to 3×32×32 (as the playground fits it to CIFAR-10)."""
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 8 * 8, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def training(net, shape, args):
    """Images/s of `runs` runs of `steps` Adam steps at batch 64 (after a warm-up), and the
    first step's loss, and a function for one more step."""
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.rand(64, *shape)
    y = torch.randint(0, 10, (64,))

    def step():
        loss = F.cross_entropy(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    first_loss = step().item()
    for _ in range(args.warmup):
        step()
    rates = [
        args.steps * 64 / timed(lambda: [step() for _ in range(args.steps)])
        for _ in range(args.runs)
    ]
    return rates, first_loss, step


def measure(threads, args):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = CNN()
    train, first_loss, step = training(net, (1, 28, 28), args)
    colour, _, _ = training(colour_cnn(), (3, 32, 32), args)

    net.eval()
    one = torch.rand(1, 1, 28, 28)
    with torch.no_grad():
        for _ in range(20):
            net(one)
        infer = [
            timed(lambda: [net(one) for _ in range(args.infer)]) * 1e3 / args.infer
            for _ in range(args.runs)
        ]

        photo = torch.randint(0, 256, (1, 3, 1133, 1700), dtype=torch.uint8)
        mean = torch.full((3, 1, 3, 3), 1 / 9)

        def mean_filter():
            out = F.conv2d(photo.float(), mean, padding=1, groups=3)
            return out.round().clamp(0, 255).to(torch.uint8)

        mean_filter()
        filter_ms = [timed(mean_filter) * 1e3 for _ in range(args.runs)]

    print(f"[pytorch] {threads} thread(s): {statistics.median(train):.0f} images/s, "
          f"3×32×32 {statistics.median(colour):.0f}", file=sys.stderr)
    return {
        "threads": threads,
        "train_images_per_s": statistics.median(train),
        "colour_train_images_per_s": statistics.median(colour),
        "infer_batch1_ms": statistics.median(infer),
        "mean_filter_1133x1700_ms": statistics.median(filter_ms),
        "loss": {"first_step": first_loss, "after_last_run": step().item()},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--infer", type=int, default=200)
    parser.add_argument("--threads", default="1,2", help="thread counts, comma-separated")
    args = parser.parse_args()
    report = {
        "torch": torch.__version__,
        "backend": "oneDNN" if torch.backends.mkldnn.is_available() else "plain",
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "by_threads": [measure(int(t), args) for t in args.threads.split(",")],
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
