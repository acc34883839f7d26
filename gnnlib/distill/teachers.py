"""Teacher GNNs: their config, training, inference, and the cache of their outputs.

A teacher is trained once per (dataset, teacher config, seed, setting); its logits and
weights are written atomically to a cache file that every student run of that
combination reads back (with ``weights_only=True``), so MLP, GLNN and KRD runs learn
from the very same teacher, and the teacher's own record reports it.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.utils import add_remaining_self_loops

from gnnlib.config import check_range, to_dict
from gnnlib.distill.appnp import APPNP
from gnnlib.distill.sampling import layerwise_inference, sample_blocks, sampled_forward
from gnnlib.distill.settings import SettingSplit, score, setting_metrics
from gnnlib.io import atomic_torch_save, read_torch_file
from gnnlib.nn import to_csr
from gnnlib.tasks.common import EncoderConfig, check_training_ranges
from gnnlib.train import Checkpointer, EarlyStopping, get_logger
from gnnlib.train.loop import FitResult, fit


@dataclass
class TeacherConfig(EncoderConfig):
    """A teacher GNN (an :class:`~gnnlib.nn.Encoder` config, or ``conv: appnp``) and its
    optimisation.

    Defaults are GLNN's SAGE teacher: 2 x 128, no dropout, Adam lr 0.01, weight decay
    5e-4, neighbour-sampled minibatches (``fan_out`` per layer, ``batch_size`` seed
    nodes) and layer-wise full-neighbour inference. An empty ``fan_out`` trains
    full-batch (GCN, GAT, APPNP). ``appnp_*`` / ``edge_dropout`` configure
    :class:`~gnnlib.distill.APPNP`. ``self_loops`` adds a self-loop to every node, as
    GLNN's and KRD's graphs have (their adjacency is built from ``A + I``). GLNN's and
    KRD's SAGE is DGL's ``gcn`` aggregator, ``conv_options: {aggr: gcn}``
    (:class:`~gnnlib.nn.SAGEGCNConv`): one weight over the mean of the node and its
    (sampled) neighbours, the node always in it.
    """

    conv: str = "sage"
    hidden: int = 128
    layers: int = 2
    dropout: float = 0.0
    lr: float = 0.01
    weight_decay: float = 0.0005
    epochs: int = 200
    patience: int | None = 50
    fan_out: list[int] = field(default_factory=lambda: [5, 5])
    batch_size: int = 512
    appnp_hops: int = 10
    appnp_alpha: float = 0.1
    edge_dropout: float = 0.5
    self_loops: bool = False
    checkpoint_every: int = 10

    def __post_init__(self) -> None:
        if self.fan_out and self.conv != "sage":
            raise ValueError(
                f"fan_out (neighbour sampling) is implemented for sage teachers; "
                f"set fan_out: [] for conv {self.conv!r}"
            )
        if self.fan_out and len(self.fan_out) != self.layers:
            raise ValueError(f"fan_out {self.fan_out} needs one entry per layer ({self.layers})")
        if any(k < 1 and k != -1 for k in self.fan_out):
            raise ValueError(
                f"fan_out {self.fan_out}: each entry is a neighbour count >= 1, or -1 for all"
            )
        check_training_ranges(self)
        for name in ("hidden", "layers", "batch_size"):
            check_range(self, name, 1)
        for name in ("dropout", "edge_dropout"):
            check_range(self, name, 0, 1, high_open=True)
        check_range(self, "appnp_hops", 0)
        check_range(self, "appnp_alpha", 0, 1)

    def build_model(self, in_channels: int, num_classes: int) -> torch.nn.Module:
        if self.conv == "appnp":
            return APPNP(
                in_channels,
                self.hidden,
                num_classes,
                self.layers,
                self.dropout,
                self.norm,
                self.appnp_hops,
                self.appnp_alpha,
                self.edge_dropout,
            )
        return self.build(in_channels, num_classes)


@dataclass
class TeacherOutputs:
    """A trained teacher: ``logits`` ``[N, C]`` for every node of the full graph
    (observed nodes from the observed graph, held-out nodes from the full graph),
    its weights, the metrics of its setting, and its training length."""

    logits: Tensor
    state_dict: dict[str, Tensor]
    metrics: dict[str, dict[str, float]]
    best_epoch: int
    epochs_run: int

    def fit_result(self) -> FitResult:
        return FitResult(self.best_epoch, math.nan, self.epochs_run, resumed_from=None)


@torch.no_grad()
def teacher_predict(
    model: torch.nn.Module, config: TeacherConfig, x: Tensor, adj_t: Tensor
) -> Tensor:
    """Eval-mode logits for every node; sampled-SAGE teachers infer layer by layer."""
    model.eval()
    if config.fan_out:
        return layerwise_inference(model, x, adj_t, config.batch_size)
    return model(x, adj_t)


def train_teacher(
    config: TeacherConfig, split: SettingSplit, device: torch.device, checkpoint_dir: Path
) -> TeacherOutputs:
    """Train a teacher on ``split.observed`` (never on held-out nodes), keep the epoch
    of best validation ``split.metric``, and predict every node."""
    graph = split.observed
    x, y = graph.x.to(device), graph.y.to(device)
    adj_t = teacher_adjacency(config, graph.edge_index, graph.num_nodes).to(device)
    train_nodes = graph.train_mask.nonzero().view(-1).to(device)
    model = config.build_model(graph.num_features, int(split.full.y.max()) + 1).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)

    def train_epoch() -> float:
        model.train()
        if not config.fan_out:
            optimizer.zero_grad()
            loss = F.cross_entropy(model(x, adj_t)[train_nodes], y[train_nodes])
            loss.backward()
            optimizer.step()
            return loss.item()
        losses = []
        shuffled = train_nodes[torch.randperm(train_nodes.numel(), device=device)]
        for seeds in shuffled.split(config.batch_size):
            n_id, blocks = sample_blocks(adj_t, seeds, config.fan_out)
            optimizer.zero_grad()
            logits = sampled_forward(model, x[n_id], blocks)
            loss = F.cross_entropy(logits, y[seeds])
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return sum(losses) / len(losses)

    def evaluate() -> dict[str, dict[str, float]]:
        logits = teacher_predict(model, config, x, adj_t)
        mask = graph.val_mask.to(logits.device)
        return {"valid": {split.metric: score(split.metric, logits[mask], y[mask])}}

    result = fit(
        model=model,
        optimizer=optimizer,
        train_epoch=train_epoch,
        evaluate=evaluate,
        epochs=config.epochs,
        # ties: the official codes keep the latest of equally good epochs (>=).
        stopper=EarlyStopping(split.metric, "max", config.patience, ties=True),
        checkpointer=Checkpointer(checkpoint_dir, every=config.checkpoint_every),
        desc=f"teacher {config.conv}",
    )
    observed_logits = teacher_predict(model, config, x, adj_t).cpu()
    logits = torch.zeros(split.full.num_nodes, observed_logits.size(1))
    logits[split.observed_nodes] = observed_logits
    inductive_logits = None
    if split.inductive_test.numel():
        # The held-out nodes arrive with their edges: the teacher reads the full graph.
        full = split.full
        full_adj = teacher_adjacency(config, full.edge_index, full.num_nodes).to(device)
        full_logits = teacher_predict(model, config, full.x.to(device), full_adj).cpu()
        inductive_logits = full_logits[split.inductive_test]
        logits[split.inductive_test] = inductive_logits
    return TeacherOutputs(
        logits=logits,
        state_dict={k: v.cpu() for k, v in model.state_dict().items()},
        metrics=setting_metrics(split, observed_logits, inductive_logits),
        best_epoch=result.best_epoch,
        epochs_run=result.epochs_run,
    )


def teacher_adjacency(config: TeacherConfig, edge_index: Tensor, num_nodes: int) -> Tensor:
    """The transposed CSR adjacency the teacher reads, with self-loops if configured."""
    if config.self_loops:
        edge_index = add_remaining_self_loops(edge_index, num_nodes=num_nodes)[0]
    return to_csr(edge_index, num_nodes)[0]


# Part of every cache key. Bump it when a change to teacher training, or to the split a
# seed draws, makes one config train a different teacher, so that caches written by the
# older code are not read back.
# 2: sampled SAGE trains on per-layer blocks (DGL's), no longer on one merged subgraph.
# 3: split: glnn draws with numpy's RandomState as the official code, no longer torch's.
# 4: SAGEGCNConv starts from DGL's initialisation (Glorot, ReLU gain, zero bias).
TEACHER_TRAINING_VERSION = 4


def teacher_cache_path(
    cache_root: str | Path, dataset: str, seed: int, setting: str, identity: dict[str, Any]
) -> Path:
    """``<root>/<dataset>/<conv>-<hash>/<setting>/seed<seed>.pt``; the hash covers the
    teacher config and the data protocol (``identity``) and the training code's
    :data:`TEACHER_TRAINING_VERSION`, so neither a changed config nor changed training
    code reads a stale teacher."""
    key = {**identity, "training_version": TEACHER_TRAINING_VERSION}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
    conv = identity["teacher"]["conv"]
    return Path(cache_root) / dataset / f"{conv}-{digest}" / setting / f"seed{seed}.pt"


def load_or_train_teacher(
    config: TeacherConfig,
    split: SettingSplit,
    device: torch.device,
    cache_file: Path,
    checkpoint_dir: Path,
) -> TeacherOutputs:
    """The cached teacher of ``cache_file``, training and caching it first if absent.

    The cache notes the thread count the teacher trained with, and loading it under
    another count warns: trained under another count, the same config and seed give a
    teacher with other low bits in its logits (here, with the same accuracy), and its
    students can differ per seed (docs/distill.md, "Thread count"). The count is not
    part of the cache key, so that one cache serves runs of any thread count."""
    threads = torch.get_num_threads()
    if cache_file.exists():
        saved = read_torch_file(
            cache_file, "cached teacher", "Delete it to train the teacher again.", "cpu"
        )
        trained_with = saved.get("threads")  # caches written before it was noted lack it
        if trained_with is not None and trained_with != threads:
            get_logger(__name__).warning(
                "teacher %s was trained with %d threads and this run uses %d: a teacher "
                "trained here could differ in low bits, and its students' results per seed",
                cache_file,
                trained_with,
                threads,
            )
        return TeacherOutputs(**{k: saved[k] for k in TeacherOutputs.__dataclass_fields__})
    outputs = train_teacher(config, split, device, checkpoint_dir)
    payload = {**outputs.__dict__, "config": to_dict(config), "threads": threads}
    atomic_torch_save(payload, cache_file)
    return outputs


def restore_teacher(
    config: TeacherConfig, outputs: TeacherOutputs, in_channels: int, device: torch.device
) -> torch.nn.Module:
    """The teacher module with its trained weights, in eval mode."""
    model = config.build_model(in_channels, outputs.logits.size(1))
    model.load_state_dict(outputs.state_dict)
    return model.to(device).eval()
