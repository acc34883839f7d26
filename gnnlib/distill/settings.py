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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor
from torch_geometric.data import Data

from gnnlib.eval.metrics import accuracy

Setting = Literal["transductive", "production"]
SETTINGS = ("transductive", "production")


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
    """

    setting: str
    observed: Data
    full: Data
    observed_nodes: Tensor
    inductive_test: Tensor
    inductive_ratio: float


def make_setting(
    data: Data,
    masks: dict[str, Tensor],
    setting: str,
    inductive_ratio: float = 0.2,
    seed: int = 0,
) -> SettingSplit:
    """Split ``data`` for ``setting``; ``masks`` are bool ``train``/``valid``/``test``.

    In the production setting ``floor(inductive_ratio * num_test)`` test nodes, drawn
    with a generator seeded by ``seed`` (GLNN's ``graph_split``), are held out, and the
    observed graph is the subgraph induced by all other nodes.
    """
    if setting not in SETTINGS:
        raise ValueError(f"unknown setting {setting!r}; expected one of {SETTINGS}")
    if not 0.0 < inductive_ratio < 1.0:
        raise ValueError(f"inductive_ratio must lie in (0, 1), got {inductive_ratio}")
    missing = {"train", "valid", "test"} - set(masks)
    if missing:
        raise ValueError(f"masks lack {sorted(missing)}; expected train, valid and test")
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
        )
    test = masks["test"].nonzero().view(-1)
    generator = torch.Generator().manual_seed(seed)
    held_out = test[torch.randperm(test.numel(), generator=generator)]
    held_out = held_out[: int(test.numel() * inductive_ratio)].sort().values
    keep = torch.ones(full.num_nodes, dtype=torch.bool)
    keep[held_out] = False
    # Data.subgraph drops every edge with an end outside `keep` and renumbers nodes.
    observed = full.subgraph(keep)
    return SettingSplit(setting, observed, full, keep.nonzero().view(-1), held_out, inductive_ratio)


def setting_metrics(
    split: SettingSplit, observed_logits: Tensor, inductive_logits: Tensor | None = None
) -> dict[str, dict[str, float]]:
    """Accuracy per split: ``acc`` on train/valid (observed nodes); on test ``acc``
    (transductive) or ``acc_tran`` / ``acc_ind`` / ``acc_prod`` (production).

    Args:
        observed_logits: ``[N_obs, C]`` predictions for the observed graph's nodes.
        inductive_logits: ``[N_ind, C]`` predictions for ``split.inductive_test``
            (production only).
    """
    observed = split.observed
    if observed_logits.size(0) != observed.num_nodes:
        raise ValueError(
            f"observed_logits has {observed_logits.size(0)} rows; the observed graph has "
            f"{observed.num_nodes} nodes"
        )

    def acc(mask: Tensor) -> float:
        return accuracy(observed_logits[mask], observed.y[mask])

    metrics = {"train": {"acc": acc(observed.train_mask)}, "valid": {"acc": acc(observed.val_mask)}}
    if split.setting == "transductive":
        metrics["test"] = {"acc": acc(observed.test_mask)}
        return metrics
    if inductive_logits is None or inductive_logits.size(0) != split.inductive_test.numel():
        raise ValueError(
            f"the production setting needs inductive_logits for the "
            f"{split.inductive_test.numel()} held-out test nodes"
        )
    acc_tran = acc(observed.test_mask)
    acc_ind = accuracy(inductive_logits, split.full.y[split.inductive_test])
    ratio = split.inductive_ratio
    metrics["test"] = {
        "acc_prod": (1 - ratio) * acc_tran + ratio * acc_ind,
        "acc_tran": acc_tran,
        "acc_ind": acc_ind,
    }
    return metrics
