"""``gnnlib run`` task ``distillation``: a teacher GNN, a plain MLP, GLNN or KRD.

One config trains and reports one of four models on one dataset and setting:

* ``teacher``: the GNN itself (trained, or read from the teacher cache);
* ``mlp``: the student MLP on the labels alone (``loss.lam: 1``);
* ``glnn``: the student on the teacher's soft labels of every node it may see
  (Zhang et al., ICLR 2022; official ``lam: 0``);
* ``krd``: the student on the soft labels of each node and of its neighbours sampled
  by knowledge reliability (Wu et al., ICML 2023).

The GLNN protocol is the default: the largest connected component, 20 training and 30
validation labels per class drawn with the run's seed, every other node a test node;
``split: public`` with ``largest_component: false`` is KRD's (the public Planetoid split).
``split: stored`` runs on the splits a dataset stores (the heterophilous sets' 10), one
per seed; ``metric: rocauc`` scores binary sets by ROC-AUC (:class:`DistillDataConfig`).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import to_undirected

from gnnlib.config import check_range, to_dict
from gnnlib.data import load
from gnnlib.data.splits import (
    drop_planetoid_padding,
    largest_connected_component,
    ogb_split,
    random_node_split,
    stored_node_split,
)
from gnnlib.distill.features import propagate_features
from gnnlib.distill.losses import distillation_loss, soft_label_kl
from gnnlib.distill.reliability import KnowledgeSampler, entropy_shift
from gnnlib.distill.settings import (
    Metric,
    Setting,
    SettingSplit,
    make_setting,
    setting_metrics,
)
from gnnlib.distill.student import STUDENT_FILE, StudentConfig, save_student
from gnnlib.distill.teachers import (
    TeacherConfig,
    TeacherOutputs,
    load_or_train_teacher,
    restore_teacher,
    teacher_adjacency,
    teacher_cache_path,
    teacher_predict,
)
from gnnlib.eval.records import ResultRecord
from gnnlib.tasks.common import result_record
from gnnlib.train import Checkpointer, EarlyStopping, seed_everything
from gnnlib.train.loop import fit


@dataclass
class DistillDataConfig:
    """Dataset, split protocol, metric and setting.

    ``split: glnn`` draws ``train_per_class`` / ``val_per_class`` labelled nodes per
    class with the run's seed (the rest is test); ``split: public`` uses the stored
    Planetoid masks; ``split: ogb`` the official OGB split. ``split: stored`` uses the
    splits a dataset stores as ``[N, K]`` masks: the run with seed ``s`` trains,
    validates and tests on column ``s`` (split index = seed, so seeds must lie in
    ``0 .. K-1``), e.g. the 10 Geom-GCN splits (48/32/20 %) of Actor and WebKB and the
    10 of Platonov et al. (2023; 50/25/25 %) of Minesweeper and Tolokers. ``ogb`` and
    ``stored`` index the whole graph: they need ``largest_component: false``.

    ``undirected`` adds the reverse of every edge (GLNN does for ogbn-arxiv; the
    heterophilous configs do for the directed Actor and WebKB). ``metric`` scores every
    split and selects the epoch of teacher and student: ``acc``, or ``rocauc`` for
    binary tasks (:func:`~gnnlib.distill.settings.score`). ``setting: production`` holds
    out ``inductive_ratio`` of the test nodes with their edges
    (:mod:`gnnlib.distill.settings`). ``normalize_features`` divides each feature row
    by its sum, as DGL's Planetoid loader (and so KRD's code) does.
    """

    name: str
    split: Literal["glnn", "public", "ogb", "stored"] = "glnn"
    largest_component: bool = True
    undirected: bool = False
    train_per_class: int = 20
    val_per_class: int = 30
    setting: Setting = "transductive"
    inductive_ratio: float = 0.2
    normalize_features: bool = False
    metric: Metric = "acc"

    def __post_init__(self) -> None:
        if self.split in ("ogb", "stored") and self.largest_component:
            raise ValueError(
                f"split: {self.split} indexes the whole graph; set largest_component: false"
            )
        check_range(self, "train_per_class", 1)
        check_range(self, "val_per_class", 1)
        check_range(self, "inductive_ratio", 0, 1, low_open=True, high_open=True)


@dataclass
class LossConfig:
    """``lam`` weighs CE on labels against KL to the teacher (:mod:`~gnnlib.distill.losses`);
    ``temperature`` softens both distributions in the KL term.

    ``passes`` is how a GLNN epoch takes its Adam steps. ``joint``: one pass over the
    nodes that carry a loss term, in minibatches of equal size (at most ``batch_size``),
    every one holding both weighted terms, a term of weight 0 skipped.
    ``alternating``: the official GLNN loop, a ``lam``-weighted CE pass over the
    labelled nodes, then a ``(1 - lam)``-weighted KL pass over every node, each cut into
    whole minibatches (the partial one dropped unless it is the only one). With
    ``lam = 0`` the CE pass is a step on a zero loss, which still moves the weights
    through Adam's momentum and weight decay: one extra step per epoch, a fifth of all
    steps on Cora.
    """

    lam: float = 0.0
    temperature: float = 1.0
    passes: Literal["joint", "alternating"] = "joint"

    def __post_init__(self) -> None:
        check_range(self, "lam", 0, 1)
        check_range(self, "temperature", 0, low_open=True)


@dataclass
class KRDConfig:
    """Knowledge reliability (:mod:`~gnnlib.distill.reliability`): feature noise
    standard deviation, initial exponent, its momentum, bins of the fit, warm-up epochs."""

    noise_std: float = 1.0
    init_power: float = 1.0
    momentum: float = 0.99
    bins: int = 50
    warmup_epochs: int = 50

    def __post_init__(self) -> None:
        check_range(self, "noise_std", 0)
        check_range(self, "init_power", 0, low_open=True)
        check_range(self, "momentum", 0, 1)
        check_range(self, "bins", 1)
        check_range(self, "warmup_epochs", 0)


@dataclass
class DistillationConfig:
    """One distillation experiment; ``model`` says what is trained and reported.

    ``feature_hops > 0`` gives the student GLNN's augmented features
    :math:`\\hat A^k X` (a GA-MLP: it then needs neighbour features when deployed).
    ``teacher_cache`` is the folder of cached teacher outputs.
    """

    method: str
    data: DistillDataConfig
    model: Literal["teacher", "mlp", "glnn", "krd"] = "glnn"
    teacher: TeacherConfig = field(default_factory=TeacherConfig)
    student: StudentConfig = field(default_factory=StudentConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    krd: KRDConfig = field(default_factory=KRDConfig)
    feature_hops: int = 0
    teacher_cache: str = "runs/distill/teachers"
    seeds: list[int] = field(default_factory=lambda: [0])

    def __post_init__(self) -> None:
        if self.model == "mlp" and self.loss.lam != 1.0:
            raise ValueError("model 'mlp' trains on labels only: set loss.lam: 1")
        if self.model in ("glnn", "krd") and self.loss.lam == 1.0:
            raise ValueError(f"model {self.model!r} with loss.lam: 1 ignores the teacher")
        if self.loss.passes == "alternating" and self.model != "glnn":
            raise ValueError(
                f"loss.passes: alternating is GLNN's training loop; model {self.model!r} "
                "trains with passes: joint"
            )


def load_graph(config: DistillDataConfig) -> Data:
    """The dataset's graph, cut to its largest connected component if asked. Under
    ``split: glnn`` it is first cleared of the label-less nodes Planetoid pads CiteSeer
    with (:func:`~gnnlib.data.splits.drop_planetoid_padding`), which the split would
    otherwise draw as class 0 and which GLNN's graph does not have."""
    dataset = load(config.name)
    data = drop_planetoid_padding(dataset) if config.split == "glnn" else dataset[0]
    data.y = data.y.view(-1)  # OGB stores labels as [N, 1]
    if config.undirected:
        data.edge_index = to_undirected(data.edge_index, num_nodes=data.num_nodes)
    if config.largest_component:
        data = largest_connected_component(data)
    if config.normalize_features:
        data.x = data.x / data.x.sum(1, keepdim=True).clamp(min=1)
    return data


def node_masks(data: Data, config: DistillDataConfig, seed: int) -> dict[str, Tensor]:
    """Bool ``train`` / ``valid`` / ``test`` masks ``[N]`` of the run's split protocol."""
    if config.split == "glnn":
        train, valid, test = random_node_split(
            data.y, config.train_per_class, config.val_per_class, seed=seed
        )
        return {"train": train, "valid": valid, "test": test}
    if config.split == "ogb":
        indices = ogb_split(load(config.name))
        masks = {}
        for split in ("train", "valid", "test"):
            masks[split] = torch.zeros(data.num_nodes, dtype=torch.bool)
            masks[split][torch.as_tensor(indices[split])] = True
        return masks
    # public: the one split stored; stored: split index = seed, of several stored
    return stored_node_split(data, config.name, seed if config.split == "stored" else None)


def run(config: DistillationConfig, seed: int, device: torch.device, run_dir: Path) -> ResultRecord:
    """Train and evaluate one seed; checkpoints go to ``run_dir`` so a killed run resumes,
    and a student's best weights to ``run_dir/student.pt``
    (:func:`~gnnlib.distill.student.load_student` reads it)."""
    start = time.perf_counter()
    seed_everything(seed)
    data = load_graph(config.data)
    split = make_setting(
        data,
        node_masks(data, config.data, seed),
        config.data.setting,
        config.data.inductive_ratio,
        seed,
        config.data.metric,
    )
    # The seed picks the split under glnn (its draw) and stored (its index).
    split_seed = seed if config.data.split in ("glnn", "stored") else None

    teacher = None
    if config.model != "mlp":
        teacher = load_or_train_teacher(
            config.teacher,
            split,
            device,
            teacher_cache_file(config, seed, data),
            run_dir / "teacher" / "checkpoints",
        )
        if config.model == "teacher":
            return result_record(
                config,
                config.data.name,
                seed,
                teacher.metrics,
                teacher.fit_result(),
                start,
                device,
                split_seed,
                config.data.setting,
            )
        # The student's draws must not depend on whether the teacher came from the cache.
        seed_everything(seed)

    observed, full = split.observed, split.full
    x = propagate_features(observed.x, observed.edge_index, config.feature_hops).to(device)
    # Held-out nodes' augmented features come from the full graph they arrive in.
    x_new = propagate_features(full.x, full.edge_index, config.feature_hops)
    x_new = x_new[split.inductive_test].to(device)
    y, labelled = observed.y.to(device), observed.train_mask.to(device)
    teacher_logits = None if teacher is None else teacher.logits[split.observed_nodes].to(device)

    student = config.student.build(x.size(1), int(full.y.max()) + 1).to(device)
    trained = torch.nn.ModuleDict({"student": student})
    if config.model == "krd":
        trained["sampler"] = knowledge_sampler(config, split, teacher, device)
    optimizer = torch.optim.Adam(
        student.parameters(), lr=config.student.lr, weight_decay=config.student.weight_decay
    )
    lam, temperature = config.loss.lam, config.loss.temperature
    labelled_nodes = labelled.nonzero().view(-1)
    every_node = torch.arange(x.size(0), device=device)
    if config.loss.passes == "joint":
        # The minibatches run over the nodes that carry a loss term: all observed nodes
        # when the teacher's soft labels count, the labelled ones alone for a plain MLP.
        passes = [
            (
                labelled_nodes if lam == 1 else every_node,
                lambda z, batch: distillation_loss(
                    z,
                    y[batch],
                    labelled[batch],
                    None if teacher_logits is None else teacher_logits[batch],
                    lam,
                    temperature,
                ),
            )
        ]
    else:
        passes = [
            (labelled_nodes, lambda z, batch: lam * F.cross_entropy(z, y[batch])),
            (
                every_node,
                lambda z, batch: (1 - lam) * soft_label_kl(z, teacher_logits[batch], temperature),
            ),
        ]

    drop_last = config.loss.passes == "alternating"

    def train_glnn_epoch() -> float:
        student.train()
        losses = []
        for nodes, loss_of in passes:
            for batch in minibatches(nodes, config.student.batch_size, drop_last):
                optimizer.zero_grad()
                loss = loss_of(student(x[batch]), batch)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        return sum(losses) / len(losses)

    # The student's eval-mode logits of the last evaluation: the current predictions
    # KRD's exponent is fitted to, without a second forward pass.
    evaluated: dict[str, Tensor] = {}

    def train_krd_epoch() -> float:
        # Full batch, as KRD: the knowledge pairs pair nodes across the whole graph.
        if "logits" not in evaluated:  # first epoch, or resumed from a checkpoint
            evaluate()
        pairs = trained["sampler"].pairs(teacher_logits, evaluated["logits"])
        student.train()
        optimizer.zero_grad()
        loss = distillation_loss(student(x), y, labelled, teacher_logits, lam, temperature, pairs)
        loss.backward()
        optimizer.step()
        return loss.item()

    @torch.no_grad()
    def evaluate() -> dict[str, dict[str, float]]:
        student.eval()
        evaluated["logits"] = student(x)
        new = student(x_new).cpu() if split.inductive_test.numel() else None
        return setting_metrics(split, evaluated["logits"].cpu(), new)

    result = fit(
        model=trained,
        optimizer=optimizer,
        train_epoch=train_krd_epoch if config.model == "krd" else train_glnn_epoch,
        evaluate=evaluate,
        epochs=config.student.epochs,
        # ties: the official codes keep the latest of equally good epochs (>=).
        stopper=EarlyStopping(split.metric, "max", config.student.patience, ties=True),
        checkpointer=Checkpointer(run_dir / "checkpoints", every=config.student.checkpoint_every),
        desc=f"{config.method} {config.data.name} seed {seed}",
    )
    save_student(student, config.student, run_dir / STUDENT_FILE, config.feature_hops)
    return result_record(
        config,
        config.data.name,
        seed,
        evaluate(),
        result,
        start,
        device,
        split_seed,
        config.data.setting,
    )


def minibatches(nodes: Tensor, batch_size: int, drop_last: bool) -> tuple[Tensor, ...]:
    """``nodes`` shuffled and cut into minibatches of at most ``batch_size``.

    With ``drop_last``, whole minibatches of ``batch_size`` and the rest dropped unless
    it is the only batch, as GLNN's official ``train_mini_batch`` does. Without, every
    node in ``ceil(n / batch_size)`` minibatches of equal size (to one node): cutting
    whole batches would leave a last one of a few nodes, an Adam step as large as the
    others on a noisy gradient (10 of Cora's 2058 observed nodes in production, where
    it cost GLNN 1.2 points).
    """
    shuffled = nodes[torch.randperm(nodes.numel(), device=nodes.device)]
    if drop_last:
        return shuffled[: max(1, nodes.numel() // batch_size) * batch_size].split(batch_size)
    return shuffled.tensor_split(max(1, math.ceil(nodes.numel() / batch_size)))


def teacher_cache_file(config: DistillationConfig, seed: int, data: Data) -> Path:
    """The cache file of the run's teacher (:func:`~gnnlib.distill.teachers.teacher_cache_path`):
    keyed by the seed (and so by the split it picks under ``split: glnn`` and ``split:
    stored``), the setting, and a hash of the teacher config, the data protocol and the
    size of the graph ``data`` it gives, so that when the protocol's graph changes no
    teacher of the old graph is read."""
    identity = {
        "teacher": to_dict(config.teacher),
        "data": to_dict(config.data),
        "graph": {"nodes": data.num_nodes, "edges": data.num_edges},
    }
    return teacher_cache_path(
        config.teacher_cache, config.data.name, seed, config.data.setting, identity
    )


def knowledge_sampler(
    config: DistillationConfig,
    split: SettingSplit,
    teacher: TeacherOutputs,
    device: torch.device,
) -> KnowledgeSampler:
    """KRD's sampler on the observed graph, with the teacher's entropy shift under
    Gaussian feature noise measured on that graph."""
    observed = split.observed
    x = observed.x.to(device)
    adj_t = teacher_adjacency(config.teacher, observed.edge_index, observed.num_nodes).to(device)
    model = restore_teacher(config.teacher, teacher, observed.num_features, device)
    clean = teacher_predict(model, config.teacher, x, adj_t)
    noisy = teacher_predict(
        model, config.teacher, x + config.krd.noise_std * torch.randn_like(x), adj_t
    )
    return KnowledgeSampler(
        entropy_shift(clean, noisy),
        observed.edge_index.to(device),
        config.krd.init_power,
        config.krd.momentum,
        config.krd.bins,
        config.krd.warmup_epochs,
    ).to(device)
