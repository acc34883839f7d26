"""The two evaluation settings of GLNN: transductive, and inductive ("production").

*Transductive*: teacher and student see the whole graph and every node's features
(labels only of the training nodes); test accuracy is measured on the test nodes.

*Production*: a fraction (GLNN: 20%) of the test nodes is held out, with every edge
touching them. Teacher and student train on the remaining, *observed* graph only; at
test time the held-out nodes arrive (the teacher reads them with their edges, the
student their features). GLNN reports

    acc_prod = (1 - r) * acc_tran + r * acc_ind

with ``acc_tran`` the accuracy on the observed test nodes, ``acc_ind`` on the held-out
(inductive) ones and ``r`` the held-out fraction (0.2: "0.8 x observed + 0.2 x inductive").

Every split is scored with one metric (:func:`score`): accuracy, or for binary tasks
ROC-AUC (``rocauc``, as Platonov et al. (ICLR 2023) report Minesweeper and Tolokers),
with the same names and the same weighted mean in production (``rocauc_prod = (1 - r) *
rocauc_tran + r * rocauc_ind``: the weighted mean of two AUCs, not the AUC of the union).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor
from torch_geometric.data import Data

from gnnlib.eval.metrics import accuracy, roc_auc

Setting = Literal["transductive", "production"]
SETTINGS = ("transductive", "production")
Metric = Literal["acc", "rocauc"]
METRICS = ("acc", "rocauc")


@dataclass
class SettingSplit:
    """What training may read, and what evaluation reads besides.

    Attributes:
        setting: ``'transductive'`` or ``'production'``.
        observed: the graph training sees: ``x``, ``y``, ``edge_index`` and bool masks
            ``train_mask`` / ``val_mask`` / ``test_mask``, in its own node numbering.
            Held-out nodes and their edges are not in it.
        full: the whole graph, read only to evaluate held-out nodes.
        observed_nodes: ``[N_obs]`` index in ``full`` of each observed node.
        inductive_test: ``[N_ind]`` index in ``full`` of each held-out test node (empty
            in the transductive setting).
        inductive_ratio: the held-out fraction ``r`` of the test nodes.
        metric: what scores every split (:func:`score`), and so selects the epoch.
    """

    setting: str
    observed: Data
    full: Data
    observed_nodes: Tensor
    inductive_test: Tensor
    inductive_ratio: float
    metric: str = "acc"


def score(metric: str, logits: Tensor, y: Tensor) -> float:
    r"""``metric`` of ``logits`` ``[N, C]`` against labels ``y`` ``[N]``.

    ``acc``: accuracy of the argmax class. ``rocauc`` (binary tasks, ``C = 2``): ROC-AUC
    of the class-1 log-odds :math:`s_i = z_{i1} - z_{i0}`, a monotone function of the
    softmax probability of class 1 and so the same AUC as that probability's.
    """
    if metric == "acc":
        return accuracy(logits, y)
    if metric != "rocauc":
        raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")
    if logits.dim() != 2 or logits.size(1) != 2:
        raise ValueError(
            f"metric 'rocauc' scores binary tasks: expected logits of shape [N, 2], got "
            f"{tuple(logits.shape)}"
        )
    return roc_auc(logits[:, 1] - logits[:, 0], y)


def make_setting(
    data: Data,
    masks: dict[str, Tensor],
    setting: str,
    inductive_ratio: float = 0.2,
    seed: int = 0,
    metric: str = "acc",
) -> SettingSplit:
    """Split ``data`` for ``setting``; ``masks`` are bool ``train``/``valid``/``test``
    ``[N]``, and ``metric`` scores them (:func:`score`).

    In the production setting ``floor(inductive_ratio * num_test)`` test nodes, drawn
    with a generator seeded by ``seed`` (GLNN's ``graph_split``), are held out, and the
    observed graph is the subgraph induced by all other nodes.
    """
    if setting not in SETTINGS:
        raise ValueError(f"unknown setting {setting!r}; expected one of {SETTINGS}")
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; expected one of {METRICS}")
    if not 0.0 < inductive_ratio < 1.0:
        raise ValueError(f"inductive_ratio must lie in (0, 1), got {inductive_ratio}")
    missing = {"train", "valid", "test"} - set(masks)
    if missing:
        raise ValueError(f"masks lack {sorted(missing)}; expected train, valid and test")
    for name, mask in masks.items():
        if mask.dtype != torch.bool or mask.shape != (data.num_nodes,):
            raise ValueError(
                f"mask {name!r} must be bool of shape [{data.num_nodes}], got {mask.dtype} "
                f"{tuple(mask.shape)}; of stored [N, K] masks pass one column"
            )
    full = Data(
        x=data.x,
        y=data.y,
        edge_index=data.edge_index,
        train_mask=masks["train"],
        val_mask=masks["valid"],
        test_mask=masks["test"],
        num_nodes=data.num_nodes,
    )
    if setting == "transductive":
        return SettingSplit(
            setting,
            full,
            full,
            torch.arange(full.num_nodes),
            torch.empty(0, dtype=torch.long),
            inductive_ratio,
            metric,
        )
    test = masks["test"].nonzero().view(-1)
    generator = torch.Generator().manual_seed(seed)
    held_out = test[torch.randperm(test.numel(), generator=generator)]
    held_out = held_out[: int(test.numel() * inductive_ratio)].sort().values
    keep = torch.ones(full.num_nodes, dtype=torch.bool)
    keep[held_out] = False
    # Data.subgraph drops every edge with an end outside `keep` and renumbers nodes.
    observed = full.subgraph(keep)
    return SettingSplit(
        setting, observed, full, keep.nonzero().view(-1), held_out, inductive_ratio, metric
    )


def setting_metrics(
    split: SettingSplit, observed_logits: Tensor, inductive_logits: Tensor | None = None
) -> dict[str, dict[str, float]]:
    """``split.metric`` (``m``: ``acc`` or ``rocauc``) per split: ``m`` on train/valid
    (observed nodes); on test ``m`` (transductive) or ``m_tran`` / ``m_ind`` / ``m_prod``
    (production).

    Args:
        observed_logits: ``[N_obs, C]`` predictions for the observed graph's nodes.
        inductive_logits: ``[N_ind, C]`` predictions for ``split.inductive_test``
            (production only).
    """
    observed, metric = split.observed, split.metric
    if observed_logits.size(0) != observed.num_nodes:
        raise ValueError(
            f"observed_logits has {observed_logits.size(0)} rows; the observed graph has "
            f"{observed.num_nodes} nodes"
        )

    def measure(mask: Tensor) -> float:
        return score(metric, observed_logits[mask], observed.y[mask])

    metrics = {
        "train": {metric: measure(observed.train_mask)},
        "valid": {metric: measure(observed.val_mask)},
    }
    if split.setting == "transductive":
        metrics["test"] = {metric: measure(observed.test_mask)}
        return metrics
    if inductive_logits is None or inductive_logits.size(0) != split.inductive_test.numel():
        raise ValueError(
            f"the production setting needs inductive_logits for the "
            f"{split.inductive_test.numel()} held-out test nodes"
        )
    tran = measure(observed.test_mask)
    ind = score(metric, inductive_logits, split.full.y[split.inductive_test])
    ratio = split.inductive_ratio
    metrics["test"] = {
        f"{metric}_prod": (1 - ratio) * tran + ratio * ind,
        f"{metric}_tran": tran,
        f"{metric}_ind": ind,
    }
    return metrics
