"""Predicting a network's test accuracy from its weights (the GMN paper's Table 2 task).

A zoo (:mod:`gnnlib.metanet.zoo`) is split by training run into train/valid/test; each
checkpoint is one example whose target is its test accuracy. The settings of the paper
map onto the data config: ``families: [cnn]`` (varying CNNs), all families (diverse
architectures), ``train_fraction: 0.1`` (10% of the training runs), and ``ood_width``
(train and validate on narrower CNNs, test on the wider ones). Metrics are R^2 and
Kendall's tau on the test runs, read at the epoch of best validation R^2; where the test
runs span several families, the record also scores each family alone (``test_<family>``).

``loss`` picks the training objective: ``mse`` regresses the accuracy on the model's
output; ``bce`` (the paper's, and NFN's default) reads the output through a sigmoid, so
predictions stay in [0, 1], and trains on the binary cross-entropy between it and the
true accuracy.

Models: ``gmn`` (:class:`~gnnlib.metanet.GMN` on parameter graphs), ``statnn``
(:class:`~gnnlib.metanet.StatNN` on weight statistics), ``deepsets``
(:class:`~gnnlib.metanet.ParameterDeepSets` on the set of weights) and ``neuralgraph``
(:class:`~gnnlib.metanet.NeuralGraphGNN` on Kofinas et al.'s neural graphs, collapsed
from the parameter graphs by :func:`~gnnlib.metanet.neural_graph`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Batch, Data
from torch_geometric.loader import DataLoader

from gnnlib.config import check_range
from gnnlib.eval.metrics import kendall_tau, r2
from gnnlib.eval.records import ResultRecord
from gnnlib.metanet.architectures import FAMILIES
from gnnlib.metanet.deepsets import ParameterDeepSets
from gnnlib.metanet.gmn import GMN, edge_value_scale
from gnnlib.metanet.neural_graph import NeuralGraphGNN, kernel_shape, neural_graph
from gnnlib.metanet.statnn import StatNN, weight_statistics
from gnnlib.metanet.zoo import MAX_ABS_WEIGHT, ModelZoo, split_runs
from gnnlib.tasks.common import TrainConfig, result_record
from gnnlib.train import Checkpointer, EarlyStopping, get_logger, seed_everything
from gnnlib.train.graph_batches import predict_graph_batches, train_graph_batches
from gnnlib.train.loop import fit


@dataclass
class ZooDataConfig:
    """Which zoo, which networks, and how they are split (always by training run).
    ``max_abs_weight`` leaves out diverged checkpoints (see :class:`ModelZoo`)."""

    name: str
    root: str = "datasets/zoo/digits"
    families: list[str] = field(default_factory=lambda: list(FAMILIES))
    train_ratio: float = 0.7
    valid_ratio: float = 0.1
    train_fraction: float = 1.0
    ood_width: int | None = None
    batch_size: int = 8
    max_abs_weight: float | None = MAX_ABS_WEIGHT

    def __post_init__(self) -> None:
        check_range(self, "train_fraction", 0, 1, low_open=True)
        check_range(self, "batch_size", 1)
        check_range(self, "max_abs_weight", 0, low_open=True)


@dataclass
class MetanetModelConfig:
    """``global_state`` (GMN only): a graph-level state updated by every block and read
    out (:class:`~gnnlib.metanet.gmn.GlobalState`). ``readout_neurons`` (GMN only): the
    graph-level readout reads the mean node and output-neuron states too, as the
    neural-graph model's does. ``group_kernels`` and ``bias_features`` (neural graphs
    only): the two ways a neural graph differs from a parameter graph, each of which can
    be switched off (:func:`~gnnlib.metanet.neural_graph`)."""

    name: Literal["gmn", "statnn", "deepsets", "neuralgraph"] = "gmn"
    hidden: int = 32
    layers: int = 3
    dropout: float = 0.0
    global_state: bool = False
    readout_neurons: bool = False
    group_kernels: bool = True
    bias_features: bool = True

    def __post_init__(self) -> None:
        check_range(self, "hidden", 1)  # a width of 0 used to train and report
        check_range(self, "layers", 1)
        check_range(self, "dropout", 0, 1, high_open=True)


#: Model options that one model owns: (option, its default, the model's name).
MODEL_OPTIONS = (
    ("global_state", False, "gmn"),
    ("readout_neurons", False, "gmn"),
    ("group_kernels", True, "neuralgraph"),
    ("bias_features", True, "neuralgraph"),
)


@dataclass
class WeightSpaceConfig:
    """``loss``: the training objective (module docstring)."""

    method: str
    data: ZooDataConfig
    model: MetanetModelConfig = field(default_factory=MetanetModelConfig)
    train: TrainConfig = field(
        default_factory=lambda: TrainConfig(epochs=30, lr=1e-3, weight_decay=0.0, patience=10)
    )
    loss: Literal["mse", "bce"] = "mse"
    seeds: list[int] = field(default_factory=lambda: [0])


def split_zoo(zoo: ModelZoo, config: ZooDataConfig, seed: int) -> dict[str, list[int]]:
    """Training runs per split. With ``ood_width`` the test runs are those at least that
    wide and the rest is split into train/valid in proportion to the ratios."""
    runs = zoo.runs
    if config.ood_width is None:
        splits = split_runs(runs, (config.train_ratio, config.valid_ratio), seed)
    else:
        width = {c.run: c.spec["width"] for c in zoo.checkpoints}
        narrow = [r for r in runs if width[r] < config.ood_width]
        share = config.train_ratio / (config.train_ratio + config.valid_ratio)
        splits = split_runs(narrow, (share, 1 - share), seed)
        splits["test"] = [r for r in runs if width[r] >= config.ood_width]
    keep = max(1, round(config.train_fraction * len(splits["train"])))
    splits["train"] = splits["train"][:keep]  # already in random order
    for split, members in splits.items():
        if not members:
            raise ValueError(
                f"the {split} split of {config.root} (families {config.families}) is empty; "
                "build a larger zoo or change the ratios"
            )
    return splits


def zoo_graphs(zoo: ModelZoo, with_statistics: bool) -> list[Data]:
    """One parameter graph per checkpoint (target ``y``: its test accuracy)."""
    graphs = []
    for checkpoint in zoo.checkpoints:
        graph = checkpoint.graph()
        if with_statistics:
            graph.stats = weight_statistics(graph).unsqueeze(0)
        graphs.append(graph)
    return graphs


def build_model(
    config: MetanetModelConfig, train_graphs: list[Data], graphs: list[Data]
) -> torch.nn.Module:
    """The model of ``config``, standardised on the training parameter graphs. ``graphs``
    (every split; only their kernel positions are read) fix the padding of the
    neural-graph edge vectors, so that a family absent from the training runs still fits."""
    for option, default, owner in MODEL_OPTIONS:
        if getattr(config, option) != default and config.name != owner:
            raise ValueError(
                f"model.{option} is an option of model.name {owner!r}; "
                f"model.name is {config.name!r}"
            )
    if config.name == "statnn":
        return StatNN(torch.cat([g.stats for g in train_graphs]), config.hidden, config.layers)
    scale = edge_value_scale(train_graphs)
    if config.name == "gmn":
        return GMN(
            config.hidden,
            config.layers,
            dropout=config.dropout,
            value_scale=scale,
            global_state=config.global_state,
            readout_neurons=config.readout_neurons,
        )
    if config.name == "neuralgraph":
        return NeuralGraphGNN(
            kernel_shape(graphs),
            config.hidden,
            config.layers,
            dropout=config.dropout,
            value_scale=scale,
        )
    return ParameterDeepSets(config.hidden, value_scale=scale)


def family_metrics(
    pred: Tensor, target: Tensor, families: list[str]
) -> dict[str, dict[str, float]]:
    """``{"test_<family>": {"r2", "tau"}}`` over the test checkpoints of each family
    alone: over several families, most of R^2 can come from telling the families apart,
    which these leave out."""
    metrics = {}
    for family in sorted(set(families)):
        mask = torch.tensor([f == family for f in families])
        metrics[f"test_{family}"] = {
            "r2": r2(pred[mask], target[mask]),
            "tau": kendall_tau(pred[mask], target[mask]),
        }
    return metrics


def predict(model: torch.nn.Module, name: str, batch: Batch) -> Tensor:
    """Predicted accuracy ``[B]`` of a batch of parameter graphs."""
    if name == "gmn":
        return model(batch)[0].squeeze(-1)
    if name == "statnn":
        return model(batch.stats).squeeze(-1)
    return model(batch).squeeze(-1)


def predicted_accuracy(output: Tensor, loss: str) -> Tensor:
    """The accuracy a model's output predicts under the training objective ``loss``."""
    return torch.sigmoid(output) if loss == "bce" else output


def training_loss(output: Tensor, accuracy: Tensor, loss: str) -> Tensor:
    """The objective ``loss`` (``mse`` or ``bce``, module docstring) of outputs ``[B]``
    against true accuracies ``[B]``."""
    if loss == "bce":
        # Soft targets in [0, 1]; the logits form keeps log(sigmoid) finite.
        return F.binary_cross_entropy_with_logits(output, accuracy)
    return F.mse_loss(output, accuracy)


def run(config: WeightSpaceConfig, seed: int, device: torch.device, run_dir: Path) -> ResultRecord:
    """Train one seed's metanetwork and evaluate R^2 and Kendall's tau per split."""
    start = time.perf_counter()
    seed_everything(seed)
    zoo = ModelZoo(config.data.root, config.data.families, config.data.max_abs_weight)
    if zoo.excluded:
        get_logger(__name__).warning(
            "%d checkpoints of runs %s left out: non-finite weights or weights above %g "
            "(data.max_abs_weight)",
            len(zoo.excluded),
            sorted({run for run, _ in zoo.excluded}),
            config.data.max_abs_weight,
        )
    splits = split_zoo(zoo, config.data, seed)
    graphs = zoo_graphs(zoo, with_statistics=config.model.name == "statnn")
    split_of = {run: split for split, runs in splits.items() for run in runs}
    members: dict[str, list[Data]] = {split: [] for split in splits}
    test_families = []
    for graph, checkpoint in zip(graphs, zoo.checkpoints, strict=True):
        if checkpoint.run in split_of:  # runs left out by train_fraction are in no split
            members[split_of[checkpoint.run]].append(graph)
            if split_of[checkpoint.run] == "test":
                test_families.append(checkpoint.spec["family"])
    model = build_model(config.model, members["train"], graphs).to(device)
    if config.model.name == "neuralgraph":
        members = {
            split: [
                neural_graph(
                    g, model.kernel_shape, config.model.group_kernels, config.model.bias_features
                )
                for g in data
            ]
            for split, data in members.items()
        }
    loaders = {
        split: DataLoader(data, config.data.batch_size, shuffle=split == "train")
        for split, data in members.items()
    }
    optimizer = torch.optim.Adam(
        model.parameters(), lr=config.train.lr, weight_decay=config.train.weight_decay
    )

    def output(batch: Batch) -> Tensor:
        return predict(model, config.model.name, batch)

    def train_epoch() -> float:
        return train_graph_batches(
            model,
            optimizer,
            loaders["train"],
            lambda batch: training_loss(output(batch), batch.y, config.loss),
            device,
        )

    def accuracy(batch: Batch) -> Tensor:
        return predicted_accuracy(output(batch), config.loss)

    def evaluate(
        splits: tuple[str, ...] = ("valid", "test"), by_family: bool = False
    ) -> dict[str, dict[str, float]]:
        # Epochs evaluate valid and test only: the train split is as large as both and
        # its metrics select nothing; the final record has all three, and the test
        # metrics of each family alone.
        metrics = {}
        for split in splits:
            pred, target = predict_graph_batches(model, loaders[split], accuracy, device)
            metrics[split] = {"r2": r2(pred, target), "tau": kendall_tau(pred, target)}
            if split == "test" and by_family:
                metrics.update(family_metrics(pred, target, test_families))
        return metrics

    result = fit(
        model=model,
        optimizer=optimizer,
        train_epoch=train_epoch,
        evaluate=evaluate,
        epochs=config.train.epochs,
        stopper=EarlyStopping("r2", "max", config.train.patience),
        checkpointer=Checkpointer(run_dir / "checkpoints", every=config.train.checkpoint_every),
        desc=f"{config.method} {config.data.name} seed {seed}",
    )
    metrics = evaluate(("train", "valid", "test"), by_family=len(set(test_families)) > 1)
    return result_record(config, config.data.name, seed, metrics, result, start, device, seed)
