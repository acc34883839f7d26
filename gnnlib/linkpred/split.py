"""Edge splits for link prediction as NCN/NCNC's official code draws them."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from gnnlib.data.splits import random_link_split


def ncn_planetoid_split(
    edge_index: Tensor, num_nodes: int, seed: int
) -> dict[str, dict[str, Tensor]]:
    """The official NCN split of a Planetoid graph: 70 / 10 / 20 of the undirected edges.

    The official code calls PyG's ``train_test_split_edges(data, 0.2, 0.2)`` (20% of the
    edges to validation and 20% to test, one negative per positive for each) and then
    moves half of the validation positives into training, keeping all validation
    negatives. So validation has twice as many negatives as positives, test has one
    per positive, and training has 70% of the edges. Drawn anew for every seed.

    Returns OGB's split format: ``{'train': {'edge'}, 'valid': {'edge', 'edge_neg'},
    'test': {'edge', 'edge_neg'}}`` with ``[*, 2]`` LongTensors, each pair once (u < v).
    """
    split = random_link_split(
        edge_index,
        num_nodes,
        val_ratio=0.2,
        test_ratio=0.2,
        seed=seed,
        num_val_neg_per_pos=1,
        num_test_neg_per_pos=1,
    )
    valid = split["valid"]["edge"]  # already in random order
    num_valid = math.floor(valid.size(0) * 0.1 / 0.2)
    split["train"]["edge"] = torch.cat([split["train"]["edge"], valid[: valid.size(0) - num_valid]])
    split["valid"]["edge"] = valid[valid.size(0) - num_valid :]
    return split
