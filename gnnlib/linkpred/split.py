"""Edge splits for link prediction as NCN/NCNC's official code draws them."""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch_geometric.utils import is_undirected, to_undirected


def ncn_planetoid_split(
    edge_index: Tensor, num_nodes: int, seed: int
) -> dict[str, dict[str, Tensor]]:
    """The official NCN split of a Planetoid graph: 70 / 10 / 20 of the undirected edges,
    the very draws the official script makes for run ``seed``.

    The official code (``ogbdataset.py``, ``randomsplit``) calls PyG's
    ``train_test_split_edges(data, 0.2, 0.2)`` (20% of the edges to validation and 20% to
    test, one negative per positive for each), shuffles the validation positives and
    moves half of them into training, keeping all validation negatives. So validation
    has twice as many negatives as positives, test has one per positive, and training
    has 70% of the edges. Its ``main`` calls ``set_seed(run)`` right before, so run
    ``r`` splits with the torch generator seeded ``r``. The same steps on a local
    generator seeded ``seed`` give the same edges (checked against PyG's function in
    the tests), so seed ``r`` here scores on the paper's split of run ``r``, provided
    ``edge_index`` comes in the dataset's own order, as the official code passes it.

    As in PyG, the negatives are drawn from a dense ``[N, N]`` mask: fine for
    Planetoid-sized graphs (PubMed's needs ~3 GB), not for large ones.

    Returns OGB's split format: ``{'train': {'edge'}, 'valid': {'edge', 'edge_neg'},
    'test': {'edge', 'edge_neg'}}`` with ``[*, 2]`` LongTensors, each pair once (u < v),
    sorted, as the official ``removerepeated`` leaves them.
    """
    if not is_undirected(edge_index, num_nodes=num_nodes):
        raise ValueError(
            "ncn_planetoid_split expects an undirected edge_index holding both directions "
            "of every edge (as Planetoid's does): the official split keeps the entries "
            "with row < col and would silently lose edges stored one way only"
        )
    generator = torch.Generator().manual_seed(seed)
    # train_test_split_edges: the row < col entries in the given order, shuffled. The
    # order matters for the draws: pass the dataset's edge_index as it comes.
    row, col = edge_index
    upper = row < col
    row, col = row[upper], col[upper]
    num_val = math.floor(0.2 * row.size(0))
    num_test = math.floor(0.2 * row.size(0))
    perm = torch.randperm(row.size(0), generator=generator)
    row, col = row[perm], col[perm]
    edges = torch.stack([row, col])
    val, test, train = edges.split([num_val, num_test, row.size(0) - num_val - num_test], 1)
    # Negatives: a random subset of the upper-triangle non-edges, in row-major order.
    non_edge = torch.ones(num_nodes, num_nodes, dtype=torch.bool).triu(diagonal=1)
    non_edge[row, col] = False
    negatives = non_edge.nonzero().t()
    perm = torch.randperm(negatives.size(1), generator=generator)[: num_val + num_test]
    val_neg, test_neg = negatives[:, perm].split([num_val, num_test], 1)
    # randomsplit: shuffle the validation positives; the last half stays validation.
    val = val[:, torch.randperm(num_val, generator=generator)]
    num_kept = int(num_val * 0.1 / 0.2)
    train = torch.cat([train, val[:, : num_val - num_kept]], 1)
    val = val[:, num_val - num_kept :]

    def once(pairs: Tensor) -> Tensor:  # the official removerepeated
        pairs = to_undirected(pairs, num_nodes=num_nodes)
        return pairs[:, pairs[0] < pairs[1]].t()

    return {
        "train": {"edge": once(train)},
        "valid": {"edge": once(val), "edge_neg": once(val_neg)},
        "test": {"edge": once(test), "edge_neg": once(test_neg)},
    }
