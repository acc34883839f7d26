"""Graph classification on TU datasets with any encoder of the core and a pooled readout.

The default model follows GIN (Xu et al., ICLR 2019): GIN layers with batch norm, the
pooled states of every layer concatenated (``jk: cat``, ``pool: sum``) and a linear
classifier. Graphs without node features (IMDB-*) get one-hot degrees, as GIN does.
The split is a stratified random 80/10/10 split per seed (``split: random``); the
test accuracy is read at the epoch of best validation accuracy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.loader import DataLoader
from torch_geometric.transforms import OneHotDegree
from torch_geometric.utils import degree

from gnnlib.config import check_range
from gnnlib.data import load
from gnnlib.data.splits import stratified_split
from gnnlib.eval.metrics import accuracy
from gnnlib.eval.records import ResultRecord
from gnnlib.nn import MLP, global_pool
from gnnlib.tasks.common import EncoderConfig, TrainConfig, result_record
from gnnlib.train import Checkpointer, EarlyStopping, seed_everything
from gnnlib.train.graph_batches import predict_graph_batches, train_graph_batches
from gnnlib.train.loop import fit


@dataclass
class GraphDataConfig:
    name: str
    split: Literal["random"] = "random"
    train_ratio: float = 0.8
    val_ratio: float = 0.1
    batch_size: int = 32

    def __post_init__(self) -> None:
        # Every split holds graphs: training, model selection and the test all need some.
        check_range(self, "train_ratio", 0, 1, low_open=True, high_open=True)
        check_range(self, "val_ratio", 0, 1, low_open=True, high_open=True)
        if self.train_ratio + self.val_ratio >= 1:
            raise ValueError(
                f"train_ratio + val_ratio = {self.train_ratio + self.val_ratio:g} leaves no "
                "test graphs; it must be below 1"
            )
        check_range(self, "batch_size", 1)


@dataclass
class GraphModelConfig(EncoderConfig):
    """The encoder (GIN's by default) and the graph pooling."""

    conv: str = "gin"
    layers: int = 4
    norm: str = "batch"
    jk: str = "cat"
    pool: str = "sum"


@dataclass
class GraphClassificationConfig:
    method: str
    data: GraphDataConfig
    model: GraphModelConfig = field(default_factory=GraphModelConfig)
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=100, weight_decay=0.0))
    seeds: list[int] = field(default_factory=lambda: [0])


class GraphClassifier(torch.nn.Module):
    r"""Encoder, graph pooling, then an MLP head:
    :math:`\hat y_g = \mathrm{MLP}(\bigoplus_{i \in g} \mathbf{h}_i)`."""

    def __init__(self, in_channels: int, num_classes: int, config: GraphModelConfig) -> None:
        super().__init__()
        self.encoder = config.build(in_channels, act_last=True)
        self.pool = config.pool
        self.head = MLP(
            [self.encoder.out_channels, config.hidden, num_classes], dropout=config.dropout
        )

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
        h = self.encoder(x, edge_index)
        return self.head(global_pool(h, batch, self.pool, num_graphs))


def with_node_features(dataset: Any) -> Any:
    """Give feature-less graphs one-hot degree features (as GIN does for IMDB)."""
    if dataset.num_features > 0:
        return dataset
    max_degree = max(
        int(degree(graph.edge_index[0], graph.num_nodes).max()) if graph.num_edges else 0
        for graph in dataset
    )
    dataset.transform = OneHotDegree(max_degree)
    return dataset


def run(
    config: GraphClassificationConfig, seed: int, device: torch.device, run_dir: Path
) -> ResultRecord:
    """Train and evaluate one seed; checkpoints go to ``run_dir`` so a killed run resumes."""
    start = time.perf_counter()
    seed_everything(seed)
    dataset = with_node_features(load(config.data.name))
    y = torch.cat([graph.y for graph in dataset])
    indices = stratified_split(y, (config.data.train_ratio, config.data.val_ratio), seed=seed)
    loaders = {
        split: DataLoader(dataset[index], config.data.batch_size, shuffle=split == "train")
        for split, index in indices.items()
    }
    model = GraphClassifier(dataset.num_features, int(y.max()) + 1, config.model).to(device)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=config.train.lr, weight_decay=config.train.weight_decay
    )

    def logits_of(batch: Any) -> Tensor:
        return model(batch.x.float(), batch.edge_index, batch.batch, batch.num_graphs)

    def train_epoch() -> float:
        return train_graph_batches(
            model,
            optimizer,
            loaders["train"],
            lambda batch: F.cross_entropy(logits_of(batch), batch.y),
            device,
        )

    def evaluate() -> dict[str, dict[str, float]]:
        metrics = {}
        for split, loader in loaders.items():
            logits, labels = predict_graph_batches(model, loader, logits_of, device)
            metrics[split] = {"acc": accuracy(logits, labels)}
        return metrics

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
    return result_record(config, config.data.name, seed, evaluate(), result, start, device, seed)
