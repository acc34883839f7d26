"""Training and evaluation of NCN / NCNC (and GAE, GAE+CN) exactly as the official code.

Protocol (GraphPKU/NeuralCommonNeighbor, ``NeighborOverlap.py``):

* one ``negative_sampling`` call per epoch on the training graph (PyG's, which draws
  from Python's ``random``: seeded here, unlike the official code);
* training batches are a random permutation of the training edges, the last
  incomplete batch dropped; with target link removal every batch's positive edges are
  removed from the adjacency that the encoder and the common-neighbour sets see;
* loss ``-log sigmoid(s(pos)) - log sigmoid(-s(neg))``, one optimizer with two learning
  rates (encoder, predictor);
* evaluation scores validation and test pairs on the full training graph (ogbl-collab:
  validation edges join the graph for test scoring only), Hits@K for K in 20, 50, 100,
  and the reported figure for each K is the test Hits@K at that K's best validation
  epoch (first best wins).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.utils import negative_sampling, to_undirected

from gnnlib.config import to_dict
from gnnlib.data import load
from gnnlib.eval.metrics import hits_at_k
from gnnlib.eval.records import ResultRecord, peak_memory_mb
from gnnlib.io import atomic_torch_save, safe_torch_load
from gnnlib.linkpred.common_neighbors import remove_target_links, symmetric_csr
from gnnlib.linkpred.encoder import NCNEncoder
from gnnlib.linkpred.heuristics import adamic_adar, common_neighbor_count, resource_allocation
from gnnlib.linkpred.predictors import build_predictor
from gnnlib.linkpred.split import ncn_planetoid_split
from gnnlib.tasks.common import result_record
from gnnlib.train import Checkpointer, EarlyStopping, seed_everything
from gnnlib.train.loop import FitResult, fit


@dataclass
class LinkDataConfig:
    """``split: ncn`` draws the official NCN 70/10/20 Planetoid split per seed;
    ``split: official`` uses OGB's ``get_edge_split()``. ``node_input``: ``features``
    (float node features), ``categorical`` (one-hot features read as a category per
    node with a learned embedding, as the official code does for ogbl-ppa) or
    ``node_id`` (a learned embedding per node, for featureless graphs such as
    ogbl-ddi); ``auto`` is ``features`` when the graph has them, else ``node_id``."""

    name: str
    split: Literal["ncn", "official"] = "ncn"
    use_valedges_as_input: bool = False
    node_input: Literal["auto", "features", "categorical", "node_id"] = "auto"


@dataclass
class LinkEncoderConfig:
    """The official flags: ``conv`` (--model), ``hidden`` (--hiddim), ``layers``
    (--mplayers), ``dropout`` (--gnndp), ``input_dropout`` (--xdp), ``tail_dropout``
    (--tdp), ``edge_dropout`` (--gnnedp), ``ln``, ``residual`` (--res), ``jk``."""

    conv: str = "puregcn"
    hidden: int = 256
    layers: int = 1
    dropout: float = 0.0
    input_dropout: float = 0.0
    tail_dropout: float = 0.0
    edge_dropout: float = 0.0
    ln: bool = False
    residual: bool = False
    jk: bool = False

    def build(self, in_channels: int, num_embeddings: int | None = None) -> NCNEncoder:
        return NCNEncoder(
            in_channels,
            self.hidden,
            self.layers,
            conv=self.conv,
            dropout=self.dropout,
            input_dropout=self.input_dropout,
            tail_dropout=self.tail_dropout,
            edge_dropout=self.edge_dropout,
            ln=self.ln,
            residual=self.residual,
            jk=self.jk,
            num_embeddings=num_embeddings,
        )


@dataclass
class LinkPredictorConfig:
    """``kind``: ``gae`` (cn0), ``ncn`` (cn1), ``ncnc`` (incn1cn1), ``gae_cn`` (scn1).
    The other fields are the official predictor flags (see
    :func:`gnnlib.linkpred.predictors.build_predictor`)."""

    kind: Literal["gae", "ncn", "ncnc", "gae_cn"] = "ncn"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class LinkTrainConfig:
    """``init_from``: a ``best_model.pt`` of an earlier run to start from, ``{seed}``
    replaced by the seed (the official NCNC on ogbl-ddi starts from trained NCN weights,
    ``--loadmod``); parameters it lacks (NCNC's extras) keep their initialisation."""

    epochs: int = 100
    encoder_lr: float = 0.001
    predictor_lr: float = 0.001
    batch_size: int = 8192
    test_batch_size: int = 8192
    target_link_removal: bool = True
    hits_k: list[int] = field(default_factory=lambda: [20, 50, 100])
    select: str = "hits@100"
    checkpoint_every: int = 1
    init_from: str | None = None


@dataclass
class LinkPredictionConfig:
    method: str
    data: LinkDataConfig
    encoder: LinkEncoderConfig = field(default_factory=LinkEncoderConfig)
    predictor: LinkPredictorConfig = field(default_factory=LinkPredictorConfig)
    train: LinkTrainConfig = field(default_factory=LinkTrainConfig)
    seeds: list[int] = field(default_factory=lambda: list(range(10)))


@dataclass
class LinkData:
    """A split graph ready to train on: node inputs, adjacencies, and the edge split."""

    x: Tensor
    num_nodes: int
    train_edge_index: Tensor  # [2, 2E] both directions, for negative sampling
    adj: Tensor  # symmetric CSR of the training edges
    test_adj: Tensor  # adj, plus validation edges when they join the graph at test time
    split: dict[str, dict[str, Tensor]]
    num_embeddings: int | None


def prepare(config: LinkDataConfig, seed: int) -> LinkData:
    """Load the dataset and build the split and adjacencies of one run."""
    dataset = load(config.name)
    data = dataset[0]
    num_nodes = data.num_nodes
    if config.split == "ncn":
        split = ncn_planetoid_split(data.edge_index, num_nodes, seed)
    else:
        split = {
            part: {key: value for key, value in edges.items() if key in ("edge", "edge_neg")}
            for part, edges in dataset.get_edge_split().items()
        }
    train_edges = split["train"]["edge"].t()
    adj = symmetric_csr(train_edges, num_nodes)
    test_adj = adj
    if config.use_valedges_as_input:
        test_adj = symmetric_csr(torch.cat([train_edges, split["valid"]["edge"].t()], 1), num_nodes)
    node_input = config.node_input
    if node_input == "auto":
        node_input = "node_id" if data.x is None else "features"
    if node_input != "node_id" and data.x is None:
        raise ValueError(f"{config.name} has no node features: use node_input: node_id")
    if node_input == "node_id":
        x, num_embeddings = torch.arange(num_nodes), num_nodes
    elif node_input == "categorical":
        x = data.x.argmax(dim=-1)
        num_embeddings = int(x.max()) + 1
    else:
        x, num_embeddings = data.x.float(), None
    return LinkData(
        x=x,
        num_nodes=num_nodes,
        train_edge_index=to_undirected(train_edges, num_nodes=num_nodes),
        adj=adj,
        test_adj=test_adj,
        split=split,
        num_embeddings=num_embeddings,
    )


class LinkPredictor(torch.nn.Module):
    """Encoder and pair predictor together, so that one state dict and one checkpoint
    hold both."""

    def __init__(self, in_channels: int, data: LinkData, config: LinkPredictionConfig) -> None:
        super().__init__()
        self.encoder = config.encoder.build(in_channels, data.num_embeddings)
        self.predictor = build_predictor(
            config.predictor.kind, config.encoder.hidden, **config.predictor.options
        )

    def score(self, h: Tensor, adj: Tensor, pairs: Tensor, batch_size: int) -> Tensor:
        """Logits of ``pairs`` (``[P, 2]``), in batches of ``batch_size``."""
        return torch.cat(
            [self.predictor(h, adj, batch.t()) for batch in pairs.split(batch_size)]
        ).view(-1)


def build_model(
    config: LinkPredictionConfig, data: LinkData, device: torch.device
) -> tuple[LinkPredictor, torch.optim.Optimizer]:
    """The model and its optimizer: Adam with one learning rate for the encoder and one
    for the predictor, as the official script."""
    in_channels = data.x.size(1) if data.num_embeddings is None else config.encoder.hidden
    model = LinkPredictor(in_channels, data, config).to(device)
    optimizer = torch.optim.Adam(
        [
            {"params": model.encoder.parameters(), "lr": config.train.encoder_lr},
            {"params": model.predictor.parameters(), "lr": config.train.predictor_lr},
        ]
    )
    return model, optimizer


def train_epoch(
    model: LinkPredictor,
    optimizer: torch.optim.Optimizer,
    x: Tensor,
    adj: Tensor,
    train_pos: Tensor,
    train_graph: Tensor,
    batch_size: int,
    target_link_removal: bool = True,
    max_batches: int | None = None,
) -> float:
    """One pass over the training edges ``train_pos`` (``[2, E]``); the mean loss.

    Negatives come from one ``negative_sampling`` call on ``train_graph`` (both
    directions); batches follow a random permutation and the last incomplete one is
    dropped, as the official ``PermIterator`` does. ``max_batches`` stops early (for
    benchmarks).
    """
    model.train()
    negatives = negative_sampling(train_graph, adj.size(0))
    order = torch.randperm(train_pos.size(1), device=train_pos.device)
    losses = []
    for begin in range(0, order.numel() - batch_size + 1, batch_size):
        if max_batches is not None and len(losses) == max_batches:
            break
        batch = order[begin : begin + batch_size]
        optimizer.zero_grad()
        # Target link removal: the batch's own edges are hidden from encoder and predictor.
        batch_adj = remove_target_links(adj, train_pos[:, batch]) if target_link_removal else adj
        h = model.encoder(x, batch_adj)
        pos = model.predictor(h, batch_adj, train_pos[:, batch])
        neg = model.predictor(h, batch_adj, negatives[:, batch])
        loss = -F.logsigmoid(pos).mean() - F.logsigmoid(-neg).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    if not losses:
        raise ValueError(
            f"batch_size={batch_size} exceeds the {train_pos.size(1)} training edges: "
            "no full batch to train on"
        )
    return sum(losses) / len(losses)


def run(
    config: LinkPredictionConfig, seed: int, device: torch.device, run_dir: Path
) -> ResultRecord:
    """Train and evaluate one seed; checkpoints go to ``run_dir`` so a killed run resumes."""
    start = time.perf_counter()
    train_cfg = config.train
    seed_everything(seed)
    data = prepare(config.data, seed)
    x, adj, test_adj = data.x.to(device), data.adj.to(device), data.test_adj.to(device)
    split = {
        part: {k: v.to(device) for k, v in edges.items()} for part, edges in data.split.items()
    }
    train_pos, train_graph = split["train"]["edge"].t(), data.train_edge_index.to(device)
    model, optimizer = build_model(config, data, device)
    if train_cfg.init_from is not None:
        path = Path(train_cfg.init_from.format(seed=seed))
        if not path.is_file():
            raise FileNotFoundError(
                f"train.init_from: {path} does not exist (run its config first)"
            )
        model.load_state_dict(safe_torch_load(path, map_location=device), strict=False)
    if (
        model.encoder.reads_sparse_features
        and x.is_floating_point()
        and x.count_nonzero() < 0.1 * x.numel()
    ):
        x = x.to_sparse_csr()

    @torch.no_grad()
    def evaluate() -> dict[str, dict[str, float]]:
        model.eval()
        h = model.encoder(x, adj)
        scores = {
            "valid": [
                model.score(h, adj, split["valid"][k], train_cfg.test_batch_size)
                for k in ("edge", "edge_neg")
            ]
        }
        if test_adj is not adj:
            h = model.encoder(x, test_adj)
        scores["test"] = [
            model.score(h, test_adj, split["test"][k], train_cfg.test_batch_size)
            for k in ("edge", "edge_neg")
        ]
        return {
            part: {f"hits@{k}": hits_at_k(pos, neg, k) for k in train_cfg.hits_k}
            for part, (pos, neg) in scores.items()
        }

    result = fit(
        model=model,
        optimizer=optimizer,
        train_epoch=lambda: train_epoch(
            model,
            optimizer,
            x,
            adj,
            train_pos,
            train_graph,
            train_cfg.batch_size,
            train_cfg.target_link_removal,
        ),
        evaluate=evaluate,
        epochs=train_cfg.epochs,
        stopper=EarlyStopping(train_cfg.select, "max", patience=None),
        checkpointer=Checkpointer(run_dir / "checkpoints", every=train_cfg.checkpoint_every),
        desc=f"{config.method} {config.data.name} seed {seed}",
    )
    atomic_torch_save(model.state_dict(), run_dir / "best_model.pt")
    return result_record(
        config,
        config.data.name,
        seed,
        best_per_k(result, train_cfg.hits_k),
        result,
        start,
        device,
        seed,
    )


def best_per_k(result: FitResult, ks: list[int]) -> dict[str, dict[str, float]]:
    """For each K, the validation and test Hits@K at the epoch of best validation Hits@K
    (the official reporting: each K selects its own epoch)."""
    metrics: dict[str, dict[str, float]] = {"valid": {}, "test": {}}
    for k in ks:
        name = f"hits@{k}"
        best = result.history.best("valid", name)["metrics"]
        metrics["valid"][name] = best["valid"][name]
        metrics["test"][name] = best["test"][name]
    return metrics


HEURISTICS = {"cn": common_neighbor_count, "aa": adamic_adar, "ra": resource_allocation}


@dataclass
class HeuristicConfig:
    """A scalar heuristic (``method``: ``cn``, ``aa`` or ``ra``) scored on the same
    split and graph as the learned predictors: a check of the split and evaluator."""

    method: Literal["cn", "aa", "ra"]
    data: LinkDataConfig
    hits_k: list[int] = field(default_factory=lambda: [20, 50, 100])
    seeds: list[int] = field(default_factory=lambda: list(range(10)))


def run_heuristic(
    config: HeuristicConfig, seed: int, device: torch.device, run_dir: Path
) -> ResultRecord:
    """Score validation and test pairs with the heuristic; nothing is trained."""
    start = time.perf_counter()
    data = prepare(config.data, seed)
    score = HEURISTICS[config.method]
    metrics = {}
    for part, adj in (("valid", data.adj), ("test", data.test_adj)):
        pos, neg = (score(adj, data.split[part][key].t()) for key in ("edge", "edge_neg"))
        metrics[part] = {f"hits@{k}": hits_at_k(pos, neg, k) for k in config.hits_k}
    return ResultRecord(
        method=config.method,
        dataset=config.data.name,
        config=to_dict(config),
        seed=seed,
        split_seed=seed,
        metrics=metrics,
        wall_time_s=time.perf_counter() - start,
        peak_memory_mb=peak_memory_mb(device),
    )
