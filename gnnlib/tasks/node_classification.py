"""Full-batch node classification with any encoder of the core (GCN, SAGE, GAT, GIN, ...).

The reference setting is Kipf & Welling's GCN on the public Planetoid split: 2 layers,
16 hidden units, dropout 0.5 on the input and hidden layer, Adam with lr 0.01 and
weight decay 5e-4, 200 epochs, test accuracy at the epoch of best validation accuracy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor

from gnnlib.config import check_range
from gnnlib.data import load
from gnnlib.data.splits import drop_planetoid_padding, random_node_split, stored_node_split
from gnnlib.eval.metrics import accuracy
from gnnlib.eval.records import ResultRecord
from gnnlib.nn import feature_dropout, to_csr
from gnnlib.tasks.common import EncoderConfig, TrainConfig, result_record
from gnnlib.train import Checkpointer, EarlyStopping, seed_everything
from gnnlib.train.loop import fit


@dataclass
class NodeDataConfig:
    """Which graph and which split.

    ``split``: ``'public'`` uses the masks stored with the dataset (the Planetoid public
    split; for datasets that store several splits, column ``split_index``, which such a
    dataset requires and a single-split one refuses: :func:`~gnnlib.data.splits.stored_node_split`);
    ``'random'`` draws ``train_per_class`` / ``val_per_class`` labelled nodes per class
    with the run's seed as Shchur et al.'s code does
    (:func:`~gnnlib.data.splits.random_node_split`), the rest is test, on a graph without
    the nodes Planetoid pads CiteSeer with (:func:`~gnnlib.data.splits.drop_planetoid_padding`).
    """

    name: str
    split: Literal["public", "random"] = "public"
    split_index: int | None = None
    train_per_class: int = 20
    val_per_class: int = 30
    normalize_features: bool = True

    def __post_init__(self) -> None:
        check_range(self, "split_index", 0)
        check_range(self, "train_per_class", 1)
        check_range(self, "val_per_class", 1)


@dataclass
class NodeModelConfig(EncoderConfig):
    """The encoder (GCN's 2 x 16 by default) and dropout on the input features."""

    hidden: int = 16
    input_dropout: float = 0.5


@dataclass
class NodeClassificationConfig:
    method: str
    data: NodeDataConfig
    model: NodeModelConfig = field(default_factory=NodeModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    seeds: list[int] = field(default_factory=lambda: [0])


class NodeClassifier(torch.nn.Module):
    """Dropout on the input features (only their non-zeros draw masks), then an :class:`~gnnlib.nn.Encoder` to class logits."""

    def __init__(self, in_channels: int, num_classes: int, config: NodeModelConfig) -> None:
        super().__init__()
        self.input_dropout = config.input_dropout
        self.encoder = config.build(in_channels, num_classes)

    def forward(self, x: Tensor, adj: Any) -> Tensor:
        return self.encoder(feature_dropout(x, self.input_dropout, self.training), adj)


def node_split(data: Any, config: NodeDataConfig, seed: int) -> dict[str, Tensor]:
    """Boolean masks ``{'train', 'valid', 'test'}`` for one run."""
    if config.split == "random":
        train, valid, test = random_node_split(
            data.y, config.train_per_class, config.val_per_class, seed=seed
        )
        return {"train": train, "valid": valid, "test": test}
    return stored_node_split(data, config.name, config.split_index)


def run(
    config: NodeClassificationConfig, seed: int, device: torch.device, run_dir: Path
) -> ResultRecord:
    """Train and evaluate one seed; checkpoints go to ``run_dir`` so a killed run resumes."""
    start = time.perf_counter()
    seed_everything(seed)
    dataset = load(config.data.name)
    # A random split would draw the label-less nodes Planetoid pads CiteSeer with as class 0.
    data = drop_planetoid_padding(dataset) if config.data.split == "random" else dataset[0]
    if config.data.normalize_features:
        # Row-normalised bag-of-words features, as in Kipf & Welling's preprocessing.
        data.x = data.x / data.x.sum(1, keepdim=True).clamp(min=1)
    masks = node_split(data, config.data, seed)
    x, y = data.x.to(device), data.y.to(device)
    adj, _ = to_csr(data.edge_index, data.num_nodes)
    adj = adj.to(device)
    masks = {split: mask.to(device) for split, mask in masks.items()}

    model = NodeClassifier(data.num_features, int(data.y.max()) + 1, config.model).to(device)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=config.train.lr, weight_decay=config.train.weight_decay
    )

    def train_epoch() -> float:
        model.train()
        optimizer.zero_grad()
        logits = model(x, adj)
        loss = F.cross_entropy(logits[masks["train"]], y[masks["train"]])
        loss.backward()
        optimizer.step()
        return loss.item()

    @torch.no_grad()
    def evaluate() -> dict[str, dict[str, float]]:
        model.eval()
        logits = model(x, adj)
        return {split: {"acc": accuracy(logits[mask], y[mask])} for split, mask in masks.items()}

    result = fit(
        model=model,
        optimizer=optimizer,
        train_epoch=train_epoch,
        evaluate=evaluate,
        epochs=config.train.epochs,
        stopper=EarlyStopping("acc", "max", config.train.patience),
        checkpointer=Checkpointer(run_dir / "checkpoints", every=config.train.checkpoint_every),
        desc=f"{config.method} {config.data.name} seed {seed}",
    )
    return result_record(
        config,
        config.data.name,
        seed,
        evaluate(),
        result,
        start,
        device,
        seed if config.data.split == "random" else None,
    )
