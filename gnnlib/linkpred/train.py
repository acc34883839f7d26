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

ogbl-citation2 follows ``NeighborOverlapCitation2.py`` instead: each batch draws its own
negatives (the batch's sources with uniformly random targets), gradients are clipped to
norm 1 (encoder and predictor separately), and each validation/test positive is ranked
against its own 1000 negative targets (MRR, with Hits@1/3/10). Its NCNC reads the node
states of a trained NCN as fixed features (``data.features_from``; the NCN run writes them
with ``train.save_node_states``) through a linear input map (``encoder.layers: 0``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.utils import negative_sampling, to_undirected

from gnnlib.config import check_range, to_dict
from gnnlib.data import load
from gnnlib.eval.metrics import hits_at_k, ranking_metrics
from gnnlib.eval.records import ResultRecord, peak_memory_mb
from gnnlib.io import atomic_torch_save, read_torch_file
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
    ogbl-ddi); ``auto`` is ``features`` when the graph has them, else ``node_id``.
    ``features_from``: a saved ``[N, F]`` tensor replacing the node features (``{seed}``
    replaced by the seed), e.g. an NCN run's ``node_states.pt`` (official ``--load``)."""

    name: str
    split: Literal["ncn", "official"] = "ncn"
    use_valedges_as_input: bool = False
    node_input: Literal["auto", "features", "categorical", "node_id"] = "auto"
    features_from: str | None = None


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

    def __post_init__(self) -> None:
        check_range(self, "hidden", 1)
        check_range(self, "layers", 0)  # 0: the linear input map alone
        for name in ("dropout", "input_dropout", "tail_dropout", "edge_dropout"):
            check_range(self, name, 0, 1, high_open=True)

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
    """``kind``: ``gae`` (cn0), ``ncn`` (cn1), ``ncn_diff`` (cn1res), ``ncnc`` (incn1cn1),
    ``gae_cn`` (scn1).
    The other fields are the official predictor flags (see
    :func:`gnnlib.linkpred.predictors.build_predictor`)."""

    kind: Literal["gae", "gae_cn", "ncn", "ncn_diff", "ncn2", "ncnc"] = "ncn"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class LinkTrainConfig:
    """``init_from``: a ``best_model.pt`` of an earlier run to start from, ``{seed}``
    replaced by the seed (the official NCNC on ogbl-ddi starts from trained NCN weights,
    ``--loadmod``); parameters it lacks (NCNC's extras) keep their initialisation.
    ``negatives``: ``per_epoch`` is one ``negative_sampling`` call per epoch
    (``NeighborOverlap.py``); ``per_batch`` pairs each batch's sources with uniformly
    random targets (``NeighborOverlapCitation2.py``). ``grad_clip``: the gradient norm
    bound, applied to encoder and predictor separately. ``select`` names the monitored
    validation metric (``hits@K``, or ``mrr`` on splits with per-positive negatives).
    ``save_node_states``: write the best model's node states to ``node_states.pt``."""

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
    negatives: Literal["per_epoch", "per_batch"] = "per_epoch"
    grad_clip: float | None = None
    save_node_states: bool = False

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "test_batch_size", "checkpoint_every"):
            check_range(self, name, 1)
        for name in ("encoder_lr", "predictor_lr"):
            check_range(self, name, 0)
        check_range(self, "grad_clip", 0, low_open=True)
        if any(k < 1 for k in self.hits_k):
            raise ValueError(f"hits_k {self.hits_k}: every K must be >= 1")
        selectable = ["mrr", *(f"hits@{k}" for k in self.hits_k)]
        if self.select not in selectable:
            raise ValueError(
                f"select {self.select!r} is not measured: expected one of {selectable} "
                "(hits@K for a K in hits_k)"
            )


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


def official_split(edge_split: dict[str, dict[str, Tensor]]) -> dict[str, dict[str, Tensor]]:
    """OGB's ``get_edge_split()`` in one form: ``edge`` ``[P, 2]`` positives, and either
    ``edge_neg`` ``[Q, 2]`` negatives shared by all positives (collab, ppa, ddi) or
    ``target_node_neg`` ``[P, Q]`` negative targets per positive (citation2, whose
    positives come as ``source_node`` / ``target_node``)."""
    split = {}
    for part, edges in edge_split.items():
        if "source_node" in edges:
            out = {"edge": torch.stack([edges["source_node"], edges["target_node"]], 1)}
            if "target_node_neg" in edges:
                out["target_node_neg"] = edges["target_node_neg"]
        else:
            out = {key: edges[key] for key in ("edge", "edge_neg") if key in edges}
        split[part] = out
    return split


def prepare(config: LinkDataConfig, seed: int) -> LinkData:
    """Load the dataset and build the split and adjacencies of one run."""
    dataset = load(config.name)
    data = dataset[0]
    num_nodes = data.num_nodes
    if config.split == "ncn":
        split = ncn_planetoid_split(data.edge_index, num_nodes, seed)
    else:
        split = official_split(dataset.get_edge_split())
    if config.features_from is not None:
        data.x = _saved_features(config.features_from.format(seed=seed), num_nodes)
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


def _saved_features(path: str, num_nodes: int) -> Tensor:
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"data.features_from: {path} does not exist (run the config that saves it first)"
        )
    x = read_torch_file(path, "saved node features", "Run the config that saves them again.")
    if not isinstance(x, Tensor) or x.dim() != 2 or x.size(0) != num_nodes:
        raise ValueError(
            f"data.features_from: {path} holds {type(x).__name__} "
            f"{tuple(x.shape) if isinstance(x, Tensor) else ''}; expected a [{num_nodes}, F] tensor"
        )
    return x


def split_metrics(
    score: Callable[[Tensor], Tensor], edges: dict[str, Tensor], hits_k: list[int]
) -> dict[str, float]:
    """Hits@K of the positives ``edge`` against the shared negatives ``edge_neg``, or
    MRR and Hits@1/3/10 of each positive against its own negative targets
    ``target_node_neg``; ``score`` maps pairs ``[P, 2]`` to scores ``[P]``."""
    pos = score(edges["edge"])
    if "target_node_neg" not in edges:
        neg = score(edges["edge_neg"])
        return {f"hits@{k}": hits_at_k(pos, neg, k) for k in hits_k}
    targets = edges["target_node_neg"]
    sources = edges["edge"][:, :1].expand_as(targets)
    neg = score(torch.stack([sources.reshape(-1), targets.reshape(-1)], 1))
    return ranking_metrics(pos, neg.view_as(targets))


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
    negatives_per: Literal["per_epoch", "per_batch"] = "per_epoch",
    grad_clip: float | None = None,
) -> float:
    """One pass over the training edges ``train_pos`` (``[2, E]``); the mean loss.

    Negatives come from one ``negative_sampling`` call on ``train_graph`` (both
    directions), or with ``per_batch`` from the batch's sources paired with uniformly
    random targets; batches follow a random permutation and the last incomplete one is
    dropped, as the official ``PermIterator`` does. ``max_batches`` stops early (for
    benchmarks).
    """
    model.train()
    num_nodes = adj.size(0)
    if negatives_per == "per_epoch":
        negatives = negative_sampling(train_graph, num_nodes)
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
        if negatives_per == "per_batch":
            random_targets = torch.randint(0, num_nodes, batch.shape, device=batch.device)
            neg_pairs = torch.stack([train_pos[0, batch], random_targets])
        else:
            neg_pairs = negatives[:, batch]
        neg = model.predictor(h, batch_adj, neg_pairs)
        loss = -F.logsigmoid(pos).mean() - F.logsigmoid(-neg).mean()
        loss.backward()
        if grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(model.encoder.parameters(), grad_clip)
            torch.nn.utils.clip_grad_norm_(model.predictor.parameters(), grad_clip)
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
        saved = read_torch_file(path, "model to start from", "Run its config again.", device)
        model.load_state_dict(saved, strict=False)
    if (
        model.encoder.reads_sparse_features
        and x.is_floating_point()
        and x.count_nonzero() < 0.1 * x.numel()
    ):
        x = x.to_sparse_csr()

    @torch.no_grad()
    def evaluate() -> dict[str, dict[str, float]]:
        model.eval()
        metrics = {}
        h = model.encoder(x, adj)
        for part, part_adj in (("valid", adj), ("test", test_adj)):
            if part_adj is not adj:  # ogbl-collab: validation edges join for test scoring
                h = model.encoder(x, part_adj)
            metrics[part] = split_metrics(
                partial(model.score, h, part_adj, batch_size=train_cfg.test_batch_size),
                split[part],
                train_cfg.hits_k,
            )
        return metrics

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
            negatives_per=train_cfg.negatives,
            grad_clip=train_cfg.grad_clip,
        ),
        evaluate=evaluate,
        epochs=train_cfg.epochs,
        stopper=EarlyStopping(train_cfg.select, "max", patience=None),
        checkpointer=Checkpointer(run_dir / "checkpoints", every=train_cfg.checkpoint_every),
        desc=f"{config.method} {config.data.name} seed {seed}",
    )
    atomic_torch_save(model.state_dict(), run_dir / "best_model.pt")
    if train_cfg.save_node_states:
        model.eval()
        with torch.no_grad():
            atomic_torch_save(model.encoder(x, test_adj).cpu(), run_dir / "node_states.pt")
    return result_record(
        config,
        config.data.name,
        seed,
        best_per_metric(result),
        result,
        start,
        device,
        seed,
    )


def best_per_metric(result: FitResult) -> dict[str, dict[str, float]]:
    """For each metric, its validation and test values at the epoch of its best
    validation value (the official reporting: each Hits@K selects its own epoch)."""
    metrics: dict[str, dict[str, float]] = {"valid": {}, "test": {}}
    for name in result.history.epochs[-1]["metrics"]["valid"]:
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
        metrics[part] = split_metrics(
            lambda pairs, adj=adj: score(adj, pairs.t()), data.split[part], config.hits_k
        )
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
