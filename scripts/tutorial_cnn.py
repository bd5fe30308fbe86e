"""The tutorial's network in PyTorch, as src/nn/spec.rs's ModelSpec::tutorial() builds it: the
reference the fixtures are written with (scripts/fixtures.py) and the peer the benchmark trains
(bench/pytorch.py)."""
import torch.nn as nn
import torch.nn.functional as F


class CNN(nn.Module):
    """The tutorial's network."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x, acts=None):
        acts = {} if acts is None else acts
        acts["conv1"] = x = self.conv1(x)
        acts["relu1"] = x = F.relu(x)
        acts["pool1"] = x = F.max_pool2d(x, 2)
        acts["conv2"] = x = self.conv2(x)
        acts["relu2"] = x = F.relu(x)
        acts["pool2"] = x = F.max_pool2d(x, 2)
        acts["flat"] = x = x.flatten(1)
        acts["fc1"] = x = self.fc1(x)
        acts["relu3"] = x = F.relu(x)
        acts["logits"] = x = self.fc2(x)
        return x
