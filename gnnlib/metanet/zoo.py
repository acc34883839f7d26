"""A model zoo: small networks trained on scikit-learn's digits, with checkpoints.

:func:`build_zoo` samples ``size`` training runs from a seed (architecture family,
width, depth, activation, initialisation, optimizer, learning rate, weight decay,
training length), trains each on the bundled 8x8 digits (no download) and saves, per
run, one file ``run_NNNNN.pt`` with the run's spec and its checkpoints at several
epochs, each with train and test accuracy and the generalisation gap. Run ``i`` draws
its spec and initial weights from a seed derived from ``(seed, i)`` alone, so the zoo is
the same however often the build is interrupted: a rebuild skips the finished files.

:class:`ModelZoo` reads the files back and turns checkpoints into parameter graphs;
:func:`split_runs` splits by training run, so checkpoints of one run never land on both
sides of a split.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data

from gnnlib.io import atomic_torch_save, atomic_write_text, read_torch_file
from gnnlib.metanet.architectures import FAMILIES, build_network, network_input
from gnnlib.metanet.parameter_graph import parameter_graph
from gnnlib.train import ProgressLog, get_logger, progress

logger = get_logger(__name__)

#: How often each family is drawn: CNNs most, since two settings use only them.
FAMILY_WEIGHTS = {"mlp": 0.2, "cnn": 0.4, "resnet": 0.2, "vit": 0.2}
WIDTHS = {"mlp": (16, 32, 64), "cnn": (4, 6, 8, 12, 16), "resnet": (4, 8, 12), "vit": (8, 16)}
DEPTHS = {"mlp": (1, 2, 3), "cnn": (2, 3, 4), "resnet": (1, 2), "vit": (1, 2)}
ACTIVATION_CHOICES = ("relu", "gelu", "tanh", "silu")
INITS = ("default", "xavier", "kaiming")
WEIGHT_DECAYS = (0.0, 1e-4, 1e-3, 1e-2)
TRAIN_SIZE = 1000  # of the 1797 digits; the other 797 are the test set
BATCH_SIZE = 50
MANIFEST = "zoo.json"
# Far above any normally trained weight: the 99.9th-percentile checkpoint of the 3000-run
# digits zoo has 46 as its largest; a diverged run there reaches 5e25.
MAX_ABS_WEIGHT = 1e4


def digits_split(seed: int) -> dict[str, tuple[Tensor, Tensor]]:
    """scikit-learn's digits as ``[N, 8, 8]`` images in ``[0, 1]``, split into a train and
    a test set by ``seed`` (one split for the whole zoo)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.tensor(digits.images, dtype=torch.float32) / 16.0
    labels = torch.tensor(digits.target, dtype=torch.long)
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    train, test = order[:TRAIN_SIZE], order[TRAIN_SIZE:]
    return {"train": (images[train], labels[train]), "test": (images[test], labels[test])}


def sample_spec(seed: int, index: int) -> dict[str, Any]:
    """The hyperparameters of run ``index`` of the zoo of ``seed``."""
    rng = np.random.default_rng([seed, index])
    family = str(rng.choice(FAMILIES, p=[FAMILY_WEIGHTS[f] for f in FAMILIES]))
    optimizer = str(rng.choice(("adam", "sgd")))
    low, high = (1e-3, 3e-2) if optimizer == "adam" else (3e-2, 3e-1)
    spec = {
        "index": index,
        "seed": int(rng.integers(2**31)),
        "family": family,
        "width": int(rng.choice(WIDTHS[family])),
        "depth": int(rng.choice(DEPTHS[family])),
        "act": str(rng.choice(ACTIVATION_CHOICES)),
        "init": str(rng.choice(INITS)),
        "optimizer": optimizer,
        "lr": float(math.exp(rng.uniform(math.log(low), math.log(high)))),
        "weight_decay": float(rng.choice(WEIGHT_DECAYS)),
        "epochs": int(rng.integers(3, 9)),
    }
    if family == "vit":
        spec["heads"] = 2
    return spec


def checkpoint_epochs(epochs: int) -> list[int]:
    """Epochs after which a run is saved: the first, about a third and two thirds, the last."""
    return sorted({1, math.ceil(epochs / 3), math.ceil(2 * epochs / 3), epochs})


def initialise(net: torch.nn.Module, init: str) -> None:
    """Re-initialise linear and convolution weights (``'default'`` keeps PyTorch's)."""
    if init == "default":
        return
    for module in net.modules():
        if isinstance(module, torch.nn.Linear | torch.nn.Conv1d | torch.nn.Conv2d):
            if init == "xavier":
                torch.nn.init.xavier_normal_(module.weight)
            else:
                torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
            if module.bias is not None:
                torch.nn.init.zeros_(module.bias)


def train_run(spec: dict[str, Any], data: dict[str, tuple[Tensor, Tensor]]) -> dict[str, Any]:
    """Train the network of ``spec``; return the spec and its checkpoints."""
    torch.manual_seed(spec["seed"])
    net = build_network(spec)
    initialise(net, spec["init"])
    if spec["optimizer"] == "adam":
        optimizer = torch.optim.Adam(
            net.parameters(), spec["lr"], weight_decay=spec["weight_decay"]
        )
    else:
        optimizer = torch.optim.SGD(
            net.parameters(), spec["lr"], momentum=0.9, weight_decay=spec["weight_decay"]
        )
    images, labels = data["train"]
    inputs = network_input(spec, images)
    saves = checkpoint_epochs(spec["epochs"])
    checkpoints = []
    for epoch in range(1, spec["epochs"] + 1):
        net.train()
        for batch in torch.randperm(len(labels)).split(BATCH_SIZE):
            optimizer.zero_grad()
            F.cross_entropy(net(inputs[batch]), labels[batch]).backward()
            optimizer.step()
        if epoch in saves:
            accuracy = {split: _accuracy(net, spec, *data[split]) for split in data}
            checkpoints.append(
                {
                    "epoch": epoch,
                    "state_dict": {k: v.clone() for k, v in net.state_dict().items()},
                    "train_acc": accuracy["train"],
                    "test_acc": accuracy["test"],
                    "gap": accuracy["train"] - accuracy["test"],
                }
            )
    return {"spec": spec, "checkpoints": checkpoints}


@torch.no_grad()
def _accuracy(net: torch.nn.Module, spec: dict[str, Any], images: Tensor, labels: Tensor) -> float:
    net.eval()
    logits = net(network_input(spec, images))
    return float((logits.argmax(-1) == labels).float().mean())


def build_zoo(out: str | Path, size: int, seed: int = 0, show_progress: bool | None = None) -> Path:
    """Train runs ``0..size-1`` of the zoo of ``seed`` into ``out``, skipping finished ones.

    Each run is written atomically when it finishes, so a killed build resumes where it
    stopped; growing ``size`` later adds runs to the same zoo.
    """
    if size < 1:
        raise ValueError(f"size must be at least 1, got {size}")
    out = Path(out)
    manifest = out / MANIFEST
    if manifest.exists():
        existing = json.loads(manifest.read_text())
        if existing["seed"] != seed:
            raise ValueError(
                f"{out} holds the zoo of seed {existing['seed']}, not {seed}; "
                "pass another --out or the same --seed"
            )
    atomic_write_text(manifest, json.dumps({"seed": seed, "size": size}) + "\n")
    data = digits_split(seed)
    todo = [i for i in range(size) if not run_path(out, i).exists()]
    bar = progress(todo, desc=f"zoo {out.name}", enabled=show_progress)
    log = ProgressLog(bar)
    for done, index in enumerate(bar, start=1):
        atomic_torch_save(train_run(sample_spec(seed, index), data), run_path(out, index))
        if log.due(last=done == len(todo)):
            logger.info(
                "zoo %s: run %d written, %d of %d to build", out.name, index, done, len(todo)
            )
    return out


def run_path(root: Path, index: int) -> Path:
    return root / f"run_{index:05d}.pt"


@dataclass
class Checkpoint:
    """One saved network of the zoo and what is known about it."""

    run: int
    epoch: int
    spec: dict[str, Any]
    state_dict: dict[str, Tensor]
    train_acc: float
    test_acc: float
    gap: float

    def network(self) -> torch.nn.Module:
        net = build_network(self.spec)
        net.load_state_dict(self.state_dict)
        return net.eval()

    def graph(self) -> Data:
        """The parameter graph, with ``y`` the test accuracy and ``run`` the run index."""
        example = network_input(self.spec, torch.zeros(2, 8, 8))
        graph = parameter_graph(self.network(), example)
        graph.y = torch.tensor([self.test_acc])
        graph.run = torch.tensor([self.run])
        return graph


class ModelZoo:
    """The checkpoints of a zoo folder written by :func:`build_zoo`.

    Training runs that diverged are part of any real zoo (in the 3000-run digits zoo one
    CNN trained with SGD at learning rate 0.25 reaches weights of 5e25 at chance
    accuracy). No weight-space model can read such values in float32, so checkpoints
    with a non-finite weight or one above ``max_abs_weight`` in magnitude are left out
    and listed in :attr:`excluded` as ``(run, epoch)`` pairs. The default bound is
    :data:`MAX_ABS_WEIGHT`.

    Args:
        root: the zoo folder.
        families: keep only these network families (default: all).
        max_abs_weight: the largest weight magnitude kept; ``None`` keeps every finite one.
    """

    def __init__(
        self,
        root: str | Path,
        families: tuple[str, ...] | list[str] | None = None,
        max_abs_weight: float | None = MAX_ABS_WEIGHT,
    ):
        self.root = Path(root)
        if not (self.root / MANIFEST).exists():
            raise FileNotFoundError(
                f"no model zoo in {self.root} (expected {MANIFEST} and run_*.pt files); "
                f"build one with: gnnlib zoo build --out {self.root} --size 200 --seed 0"
            )
        unknown = set(families or ()) - set(FAMILIES)
        if unknown:
            raise ValueError(f"unknown families {sorted(unknown)}; expected some of {FAMILIES}")
        self.checkpoints: list[Checkpoint] = []
        self.excluded: list[tuple[int, int]] = []
        for path in sorted(self.root.glob("run_*.pt")):
            record = read_torch_file(
                path,
                "zoo run",
                f"Delete it and rerun the gnnlib zoo build that made {self.root} to train it again.",
            )
            spec = record["spec"]
            if families and spec["family"] not in families:
                continue
            for c in record["checkpoints"]:
                if not _usable(c["state_dict"], max_abs_weight):
                    self.excluded.append((spec["index"], c["epoch"]))
                    continue
                self.checkpoints.append(
                    Checkpoint(
                        run=spec["index"],
                        epoch=c["epoch"],
                        spec=spec,
                        state_dict=c["state_dict"],
                        train_acc=c["train_acc"],
                        test_acc=c["test_acc"],
                        gap=c["gap"],
                    )
                )
        if not self.checkpoints:
            raise FileNotFoundError(f"{self.root} has no runs of families {families or FAMILIES}")

    def __len__(self) -> int:
        return len(self.checkpoints)

    def __getitem__(self, index: int) -> Checkpoint:
        return self.checkpoints[index]

    @property
    def runs(self) -> list[int]:
        return sorted({c.run for c in self.checkpoints})


def _usable(state_dict: dict[str, Tensor], max_abs_weight: float | None) -> bool:
    """Whether every floating-point entry is finite and, with a bound, within it."""
    for value in state_dict.values():
        if not value.is_floating_point() or value.numel() == 0:
            continue
        if not torch.isfinite(value).all():
            return False
        if max_abs_weight is not None and value.abs().max() > max_abs_weight:
            return False
    return True


def split_runs(runs: list[int], ratios: tuple[float, float], seed: int) -> dict[str, list[int]]:
    """Split training runs (not checkpoints) into ``train``/``valid``/``test`` by ``ratios``
    ``(train, valid)``; the rest is test."""
    if not (ratios[0] > 0 and ratios[1] >= 0 and sum(ratios) <= 1):
        raise ValueError(
            f"ratios (train, valid) must be positive and sum to at most 1, got {ratios}"
        )
    order = [
        runs[i] for i in torch.randperm(len(runs), generator=torch.Generator().manual_seed(seed))
    ]
    n_train, n_valid = round(ratios[0] * len(runs)), round(ratios[1] * len(runs))
    return {
        "train": order[:n_train],
        "valid": order[n_train : n_train + n_valid],
        "test": order[n_train + n_valid :],
    }
