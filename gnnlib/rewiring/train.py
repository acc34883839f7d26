"""The DRew task: graph-level training on Peptides-func, OGB molecule sets or RingTransfer.

``gnnlib run experiments/drew/<config>.yaml`` (``task: drew``). The protocol defaults are
the paper's (LRGB's): AdamW, lr 1e-3, no weight decay, reduce-on-plateau (factor 0.5,
patience 20, min 1e-5), 300 epochs, batch 128, ~500k parameters, the test metric read at
the epoch of best validation metric.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch_geometric.loader import DataLoader

from gnnlib.data.resident import ResidentGraphLoader
from gnnlib.eval import metrics
from gnnlib.eval.records import ResultRecord
from gnnlib.rewiring.data import graph_splits, task_info
from gnnlib.rewiring.model import DRewModel, DRewModelConfig
from gnnlib.rewiring.param_budget import hidden_for_budget
from gnnlib.tasks.common import TrainConfig, result_record
from gnnlib.train import Checkpointer, EarlyStopping, seed_everything
from gnnlib.train.graph_batches import predict_graph_batches, train_graph_batches
from gnnlib.train.loop import fit

_METRICS = {
    "ap": metrics.average_precision,
    "rocauc": metrics.roc_auc,
    "rmse": metrics.rmse,
    "mae": metrics.mae,
    "acc": metrics.accuracy,
}


@dataclass
class DRewDataConfig:
    """``name``: ``RingTransfer``, ``Peptides-func``, ``Peptides-struct`` or an
    ``ogbg-mol*`` set; the ring fields apply to RingTransfer only.

    How batches are made (neither changes a result: the batch order is drawn in the main
    process from the same generator, and the batches are equal): ``resident: true``
    keeps every split's graphs on the training device and gathers each batch there
    (:class:`~gnnlib.data.resident.ResidentGraphLoader`), so a GPU never waits on the CPU
    to collate; ``resident: false`` uses PyG's ``DataLoader``, which collates on the CPU,
    in ``num_workers`` background processes if asked. On Peptides-func, collating the
    hop-shell edge sets takes 1.3-2.3 s per training epoch on one core here."""

    name: str
    batch_size: int = 128
    resident: bool = False
    num_workers: int = 0
    ring_size: int = 10
    num_rings: int = 2000
    num_classes: int = 5

    def __post_init__(self) -> None:
        if self.resident and self.num_workers:
            raise ValueError(
                "data.num_workers sets DataLoader processes; resident batches are gathered "
                "on the device by the main process: set data.resident: false to use workers"
            )


@dataclass
class DRewTrainConfig(TrainConfig):
    """:class:`~gnnlib.tasks.common.TrainConfig` with the DRew protocol's defaults, the
    optimizer, and ``plateau_*`` configuring ``ReduceLROnPlateau`` on the validation
    metric (``scheduler: none`` keeps the rate fixed)."""

    epochs: int = 300
    lr: float = 1e-3
    weight_decay: float = 0.0
    optimizer: Literal["adam", "adamw"] = "adamw"
    scheduler: Literal["plateau", "none"] = "plateau"
    plateau_factor: float = 0.5
    plateau_patience: int = 20
    min_lr: float = 1e-5


@dataclass
class DRewConfig:
    method: str
    data: DRewDataConfig
    model: DRewModelConfig = field(default_factory=DRewModelConfig)
    train: DRewTrainConfig = field(default_factory=DRewTrainConfig)
    seeds: list[int] = field(default_factory=lambda: [0])


def build_model(config: DRewConfig, example) -> DRewModel:
    """The model for ``config`` on graphs like ``example``; ``model.hidden: null`` takes the
    largest width within ``model.param_budget``."""
    info = task_info(config.data.name)
    if config.data.name == "RingTransfer":
        out_channels = config.data.num_classes
    else:
        out_channels = example.y.size(-1)
    edge_channels = None
    if example.edge_attr is not None:
        edge_channels = example.edge_attr.size(-1)
    in_channels = example.x.size(-1)

    def build(hidden: int) -> DRewModel:
        model_config = dataclasses.replace(config.model, hidden=hidden)
        return DRewModel(model_config, in_channels, out_channels, info.categorical, edge_channels)

    hidden = config.model.hidden
    if hidden is None:
        minimum = config.model.pe_dim + 1 if config.model.pe != "none" else 1
        hidden = hidden_for_budget(build, config.model.param_budget, minimum=minimum)
    return build(hidden)


def run(config: DRewConfig, seed: int, device: torch.device, run_dir: Path) -> ResultRecord:
    """Train and evaluate one seed; checkpoints go to ``run_dir`` so a killed run resumes."""
    start = time.perf_counter()
    seed_everything(seed)
    info = task_info(config.data.name)
    splits = graph_splits(
        config.data.name,
        config.model.hops,
        config.model.pe,
        config.model.pe_size,
        config.data.ring_size,
        config.data.num_rings,
        config.data.num_classes,
    )
    loaders = {
        split: ResidentGraphLoader(graphs, config.data.batch_size, split == "train", device)
        if config.data.resident
        else DataLoader(
            graphs,
            config.data.batch_size,
            shuffle=split == "train",
            num_workers=config.data.num_workers,
            pin_memory=device.type == "cuda",
        )
        for split, graphs in splits.items()
    }
    model = build_model(config, splits["train"][0]).to(device)
    optimizer_class = torch.optim.AdamW if config.train.optimizer == "adamw" else torch.optim.Adam
    optimizer = optimizer_class(
        model.parameters(), lr=config.train.lr, weight_decay=config.train.weight_decay
    )
    scheduler = None
    if config.train.scheduler == "plateau":
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
            optimizer,
            mode=info.mode,
            factor=config.train.plateau_factor,
            patience=config.train.plateau_patience,
            min_lr=config.train.min_lr,
        )

    def loss_of(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if info.loss == "cross_entropy":
            return F.cross_entropy(out, y)
        labelled = ~torch.isnan(y)  # OGB molecule sets leave some labels blank
        if info.loss == "bce":
            return F.binary_cross_entropy_with_logits(out[labelled], y[labelled].float())
        if info.loss == "l1":
            return F.l1_loss(out[labelled], y[labelled].float())
        return F.mse_loss(out[labelled], y[labelled].float())

    def train_epoch() -> float:
        return train_graph_batches(
            model, optimizer, loaders["train"], lambda batch: loss_of(model(batch), batch.y), device
        )

    def evaluate(splits: tuple[str, ...] = ("valid", "test")) -> dict[str, dict[str, float]]:
        # Per epoch only the model-selection splits: on Peptides-func a pass over the
        # training graphs costs as much as the other two together; the record's final
        # evaluation adds the training split.
        scores = {}
        for split in splits:
            outputs, labels = predict_graph_batches(model, loaders[split], model, device)
            scores[split] = {info.metric: _METRICS[info.metric](outputs, labels)}
        return scores

    result = fit(
        model=model,
        optimizer=optimizer,
        train_epoch=train_epoch,
        evaluate=evaluate,
        epochs=config.train.epochs,
        stopper=EarlyStopping(info.metric, info.mode, config.train.patience),
        scheduler=scheduler,
        checkpointer=Checkpointer(run_dir / "checkpoints", every=config.train.checkpoint_every),
        desc=f"{config.method} {config.data.name} seed {seed}",
    )
    final = evaluate(("train", "valid", "test"))
    final["model"] = {
        "hidden": float(model.config.hidden),
        "parameters": float(sum(p.numel() for p in model.parameters())),
    }
    return result_record(config, config.data.name, seed, final, result, start, device, seed)
