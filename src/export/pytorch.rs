//! The model as a PyTorch project, for a user who outgrows the tab: `model.py` (an `nn.Module`
//! with the same layers and parameter names, so `load_state_dict(load_file("model.safetensors"))`
//! just works), `train.py` (the recipe it was trained with, on one process or many under
//! `torchrun` with `DistributedDataParallel`), the weights, and a README. train.py trains on the
//! dataset the model was: torchvision's copy of a dataset it has, the playground's own file of
//! the dataset (`dataset.safetensors`, in the project when the page had it), or a folder of class
//! folders fitted to the network's input.
//!
//! Each layer is written from its spec: PyTorch's class (the layer type's label) and its fields,
//! which carry PyTorch's names and defaults; only the sizes PyTorch wants that the playground
//! infers (a convolution's input channels) are added here.

use crate::field::{Field, FieldKind};
use crate::io::checkpoint;
use crate::nn::spec::LayerSpec;
use crate::nn::Model;
use crate::optim::OptimizerSpec;
use crate::train::history::TrainedOn;
use crate::train::{History, TrainConfig};
use serde_json::Value;

/// The folder the files are written to (the zip's top folder in the page's download).
pub const FOLDER: &str = "cnn-playground-pytorch";

/// The datasets torchvision has, by the playground's name: its class in `torchvision.datasets`.
pub const TORCHVISION: [(&str, &str); 4] = [
    ("MNIST", "MNIST"),
    ("Fashion-MNIST", "FashionMNIST"),
    ("CIFAR-10", "CIFAR10"),
    ("CIFAR-100", "CIFAR100"),
];

/// The file of the dataset in the project, as the playground keeps one (`data::stored`).
pub const DATASET_FILE: &str = "dataset.safetensors";

/// The project's files: name and contents. `dataset`: the dataset's file, to train on as it is
/// (none: torchvision's copy or a folder, see the module's comment).
pub fn export(
    model: &Model,
    config: &TrainConfig,
    history: Option<&History>,
    dataset: Option<Vec<u8>>,
) -> Vec<(String, Vec<u8>)> {
    let data = trained_on(model, history);
    let mut files = vec![
        ("model.py".into(), model_py(model, &data).into_bytes()),
        ("train.py".into(), train_py(config).into_bytes()),
        ("model.safetensors".into(), checkpoint::save(model, history)),
        ("README.md".into(), README.into()),
    ];
    if let Some(bytes) = dataset {
        files.push((DATASET_FILE.into(), bytes));
    }
    files
}

/// What the model was trained on, from its story; a story that does not say (a file from before
/// datasets) with MNIST's input and ten outputs was MNIST's.
fn trained_on(model: &Model, history: Option<&History>) -> Option<TrainedOn> {
    if let Some(d) = history.and_then(|h| h.data.clone()) {
        return Some(d);
    }
    let mnist = crate::data::builtin::MNIST;
    (model.spec().input == mnist.shape && model.classes() == mnist.classes.len()).then(|| {
        TrainedOn {
            name: mnist.name.into(),
            classes: mnist.classes.iter().map(|c| c.to_string()).collect(),
        }
    })
}

/// Whether train.py gets the dataset `name` from torchvision.
pub fn in_torchvision(name: &str) -> bool {
    TORCHVISION.iter().any(|(n, _)| *n == name)
}

/// `nn.Conv2d(1, 16, 3, padding=1)`: the size PyTorch needs that the network infers, then the
/// required fields in order, then the others that differ from their default, by name.
fn constructor(layer: &LayerSpec, input: &[usize]) -> String {
    let about = layer.about();
    let json = serde_json::to_value(layer).expect("a spec serialises");
    let mut args: Vec<String> = Vec::new();
    if about.sized_by_input {
        args.push(input[0].to_string());
    }
    let mut positional = true;
    for f in about.fields {
        let value = &json[f.name];
        positional &= f.required;
        if positional {
            args.push(python(f, value));
        } else if !value.is_null() && (!is_default(f, value) || f.name == "kernel_size") {
            // PyTorch has no default kernel size, though the playground's max pooling has.
            args.push(format!("{}={}", f.name, python(f, value)));
        }
    }
    format!("nn.{}({})", about.label, args.join(", "))
}

fn is_default(f: &Field, value: &Value) -> bool {
    match f.kind {
        FieldKind::Flag => value.as_bool() == Some(f.default_flag()),
        FieldKind::Choice => value.as_str() == Some(f.choices[f.value as usize]),
        FieldKind::Number => value.as_f64().map(|v| v as f32) == Some(f.default_number()),
        FieldKind::Count | FieldKind::Size => {
            f.default_is.is_none() && value.as_u64() == Some(f.value as u64)
        }
    }
}

/// A field's value as a Python literal.
fn python(f: &Field, value: &Value) -> String {
    match (f.kind, value) {
        (FieldKind::Flag, Value::Bool(b)) => if *b { "True" } else { "False" }.into(),
        (FieldKind::Choice, Value::String(s)) => format!("'{s}'"),
        // Written as the f32 it is: 0.1, not 0.10000000149011612.
        (FieldKind::Number, v) => format!("{:?}", v.as_f64().unwrap_or(0.0) as f32),
        (_, Value::Array(pair)) => format!(
            "({})",
            pair.iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (_, v) => v.to_string(),
    }
}

fn model_py(model: &Model, data: &Option<TrainedOn>) -> String {
    let spec = model.spec();
    let mut layers = String::new();
    let mut forward = String::new();
    let mut input = spec.input.to_vec();
    for (layer, info) in spec.layers.iter().zip(model.layers()) {
        layers += &format!(
            "        self.{} = {}\n",
            info.name,
            constructor(layer, &input)
        );
        forward += &format!("        x = self.{}(x)\n", info.name);
        input.clone_from(&info.sizes.output_shape);
    }
    let [c, h, w] = spec.input;
    // JSON's strings are Python's.
    let (dataset, classes) = match data {
        Some(d) => (
            serde_json::to_string(&d.name).expect("a name serialises"),
            serde_json::to_string(&d.classes).expect("names serialise"),
        ),
        None => ("None".into(), "None".into()),
    };
    format!(
        r#""""The network exported from cnn-playground, as a PyTorch module.

Its layers and parameter names are the playground's, so the exported weights load as they are:

    from safetensors.torch import load_file
    model = Net()
    model.load_state_dict(load_file("model.safetensors"))

Input: float32 images of shape (N, {c}, {h}, {w}), values in [0, 1] (torchvision's ToTensor);
output: the {outputs} classes' scores (logits), named in CLASSES.
"""
from torch import nn

INPUT_SHAPE = ({c}, {h}, {w})
# What it was trained on, and the classes its outputs score, in order (None: not recorded).
DATASET = {dataset}
CLASSES = {classes}


class Net(nn.Module):
    def __init__(self):
        super().__init__()
{layers}
    def forward(self, x):
{forward}        return x


if __name__ == "__main__":
    print(Net())
"#,
        outputs = model.classes(),
    )
}

fn train_py(config: &TrainConfig) -> String {
    let optimizer = match config.optimizer {
        OptimizerSpec::Adam {
            lr,
            betas,
            eps,
            weight_decay,
        } => format!(
            "torch.optim.Adam(params, lr=args.lr, betas=({:?}, {:?}), eps={eps:?}, weight_decay={weight_decay:?})  # lr {lr:?}",
            betas.0, betas.1
        ),
        OptimizerSpec::Sgd {
            lr,
            momentum,
            weight_decay,
            nesterov,
        } => format!(
            "torch.optim.SGD(params, lr=args.lr, momentum={momentum:?}, weight_decay={weight_decay:?}, nesterov={})  # lr {lr:?}",
            if nesterov { "True" } else { "False" }
        ),
    };
    let lr = match config.optimizer {
        OptimizerSpec::Adam { lr, .. } | OptimizerSpec::Sgd { lr, .. } => lr,
    };
    TRAIN_PY
        .replace("{EPOCHS}", &config.epochs.to_string())
        .replace("{BATCH}", &config.batch_size.to_string())
        .replace("{LR}", &format!("{lr:?}"))
        .replace("{SHIFT}", &config.shift.to_string())
        .replace(
            "{LABEL_SMOOTHING}",
            &format!("{:?}", config.label_smoothing),
        )
        .replace("{SEED}", &config.seed.to_string())
        .replace("{SCHEDULE}", config.schedule.name())
        .replace("{OPTIMIZER}", &optimizer)
        .replace(
            "{TORCHVISION}",
            &serde_json::to_string(&std::collections::BTreeMap::from(TORCHVISION))
                .expect("names serialise"),
        )
        .replace("{DATASET_FILE}", DATASET_FILE)
}

const TRAIN_PY: &str = r#""""Trains model.py's network on its dataset with the recipe it was exported with, on one process
or many:

    python train.py                              # one process (the GPU if there is one)
    torchrun --nproc_per_node=4 train.py         # four, with DistributedDataParallel

The data (--data): the playground's file of the dataset ({DATASET_FILE}, in this folder when
the page had it); else torchvision's copy of MNIST, Fashion-MNIST or CIFAR, downloaded (its
Fashion-MNIST test set is Zalando's official one; the playground's is a seeded split); else a
folder of class folders (under train/ and test/, or a seeded seventh held out), fitted to the
network's input as the playground fits images (centre-cropped, resized, gray for one channel).

Each process computes its share of every batch (the batch size is the whole step's), as the
playground's two workers do. It starts from model.safetensors (--fresh: from new weights) and
writes trained.safetensors, which the playground loads back.
"""
import argparse
import math
import os

import torch
import torch.distributed as dist
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset
from torchvision import datasets, transforms

from model import CLASSES, DATASET, INPUT_SHAPE, Net

TORCHVISION = {TORCHVISION}  # the playground's names of the datasets torchvision has

EPOCHS = {EPOCHS}
BATCH_SIZE = {BATCH}
LR = {LR}
SHIFT = {SHIFT}  # shift each training image by up to this many pixels
LABEL_SMOOTHING = {LABEL_SMOOTHING}  # the share of each target spread over all classes
SEED = {SEED}
SCHEDULE = "{SCHEDULE}"  # how the rate moves over the run, step by step (the playground's)


def rate(t):
    """The share of LR to use when a share t of the run's steps is done."""
    cosine = lambda t: 0.5 * (1 + math.cos(math.pi * t))
    if SCHEDULE == "cosine":  # half a cosine from LR down to 0
        return cosine(t)
    if SCHEDULE == "one_cycle":  # up in a line from LR / 25 over a quarter, then a cosine to 0
        return 1 / 25 + (1 - 1 / 25) * t / 0.25 if t < 0.25 else cosine((t - 0.25) / 0.75)
    return 1.0


class Shift:
    """Moves an image by up to `pixels` in each direction, zeros shifted in (the playground's)."""

    def __init__(self, pixels):
        self.pixels = pixels

    def __call__(self, image):
        dy, dx = (int(v) for v in torch.randint(-self.pixels, self.pixels + 1, (2,)))
        out = torch.zeros_like(image)
        h, w = image.shape[-2:]
        out[..., max(dy, 0):h + min(dy, 0), max(dx, 0):w + min(dx, 0)] = \
            image[..., max(-dy, 0):h + min(-dy, 0), max(-dx, 0):w + min(-dx, 0)]
        return out


class Stored(Dataset):
    """A split of a dataset as the playground writes one: uint8 images (N, C, H, W), labels (N)."""

    def __init__(self, path, split, transform):
        tensors = load_file(path)
        self.images, self.labels = tensors[f"{split}_images"], tensors[f"{split}_labels"].long()
        self.transform = transform

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        image = self.images[i].float() / 255
        return self.transform(image), int(self.labels[i])


def splits(data, augment, rank, distributed):
    """The training and test sets (see the top of this file)."""
    if data.endswith(".safetensors"):
        return Stored(data, "train", transforms.Compose(augment)), Stored(data, "test", lambda x: x)
    if DATASET in TORCHVISION:
        kind = getattr(datasets, TORCHVISION[DATASET])
        if rank == 0:  # one download, before the others look
            kind(data, train=True, download=True)
            kind(data, train=False, download=True)
        if distributed:
            dist.barrier()
        tensor = transforms.ToTensor()
        return (kind(data, train=True, transform=transforms.Compose([tensor, *augment])),
                kind(data, train=False, transform=tensor))
    c, h, w = INPUT_SHAPE
    mode = transforms.Grayscale() if c == 1 else transforms.Lambda(lambda image: image.convert("RGB"))
    fit = [transforms.Resize(min(h, w)), transforms.CenterCrop((h, w)), mode, transforms.ToTensor()]
    folders = [os.path.join(data, split) for split in ("train", "test")]
    split = all(os.path.isdir(f) for f in folders)
    train_set, test_set = (datasets.ImageFolder(folder, transforms.Compose(fit + extra))
                           for folder, extra in zip(folders if split else [data, data], (augment, [])))
    if CLASSES is not None and train_set.classes != CLASSES:
        raise SystemExit(f"{data}: its classes {train_set.classes} are not the model's {CLASSES}")
    if not split:  # one folder: a seeded seventh held out to test on (not the playground's own pick)
        order = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(0)).tolist()
        held = len(order) // 7
        train_set, test_set = Subset(train_set, order[held:]), Subset(test_set, order[:held])
    return train_set, test_set


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="images per step, all processes together")
    parser.add_argument("--lr", type=float, default=LR)
    stored = os.path.exists("{DATASET_FILE}")
    parser.add_argument("--data", default="{DATASET_FILE}" if stored else "data",
                        help="the playground's dataset file, where torchvision keeps its copy, or a folder")
    parser.add_argument("--weights", default="model.safetensors")
    parser.add_argument("--fresh", action="store_true", help="start from new weights")
    parser.add_argument("--limit", type=int, help="train on the first N images only (a quick check)")
    parser.add_argument("--out", default="trained.safetensors")
    args = parser.parse_args()

    distributed = "RANK" in os.environ
    if distributed:
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    if args.batch_size % world:
        raise SystemExit(f"--batch-size {args.batch_size} does not split over {world} processes")
    local = int(os.environ.get("LOCAL_RANK", 0))
    device = torch.device(f"cuda:{local}" if torch.cuda.is_available() else "cpu")
    torch.manual_seed(SEED)

    model = Net().to(device)
    if not args.fresh and os.path.exists(args.weights):
        model.load_state_dict(load_file(args.weights))
    net = DistributedDataParallel(model, device_ids=[local] if device.type == "cuda" else None) if distributed else model

    augment = [Shift(SHIFT)] if SHIFT else []
    train_set, test_set = splits(args.data, augment, rank, distributed)
    if args.limit:
        train_set = Subset(train_set, range(args.limit))
    sampler = DistributedSampler(train_set, seed=SEED) if distributed else None
    loader = DataLoader(train_set, batch_size=args.batch_size // world, shuffle=sampler is None, sampler=sampler)

    params = net.parameters()
    optimizer = {OPTIMIZER}
    steps = args.epochs * len(loader)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: rate(min(step / steps, 1)))

    for epoch in range(1, args.epochs + 1):
        if sampler:
            sampler.set_epoch(epoch)
        net.train()
        total, count = 0.0, 0
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            loss = F.cross_entropy(net(images), labels, label_smoothing=LABEL_SMOOTHING)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            total, count = total + loss.item() * len(labels), count + len(labels)
        if rank == 0:
            print(f"epoch {epoch}: train loss {total / count:.4f}, test accuracy {100 * accuracy(model, test_set, device):.2f}%")
    if rank == 0:
        save_file({k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}, args.out)
        print(f"saved {args.out}")
    if distributed:
        dist.destroy_process_group()


@torch.no_grad()
def accuracy(model, test_set, device):
    model.eval()
    correct = 0
    for images, labels in DataLoader(test_set, batch_size=1000):
        correct += (model(images.to(device)).argmax(1).cpu() == labels).sum().item()
    return correct / len(test_set)


if __name__ == "__main__":
    main()
"#;

const README: &str = "# The network, exported from cnn-playground

- `model.py`: the network as a PyTorch module, with the playground's layer and parameter names.
- `model.safetensors`: its weights (`model.load_state_dict(safetensors.torch.load_file(...))`).
- `train.py`: the recipe it was trained with, on its dataset: `dataset.safetensors` when it is
  here (the playground's own file of it), else torchvision's copy (MNIST, Fashion-MNIST, CIFAR),
  else `--data FOLDER` with `train/` and `test/` folders of class folders.
- `model.py` names the dataset and the classes its outputs score (`DATASET`, `CLASSES`).

```sh
pip install torch torchvision safetensors
python train.py                         # one process
torchrun --nproc_per_node=4 train.py    # four processes, DistributedDataParallel
```

`trained.safetensors`, which train.py writes, loads back into the playground (Save and load,
or `cnn-playground eval --weights trained.safetensors`).
";
