"""Dataset splits: official ones, and seeded random ones.

Every random split takes an explicit ``seed`` and draws from a local generator seeded
with it (a ``torch.Generator``, or numpy's ``RandomState`` where the split reproduces
numpy code), never from the global RNG: the same seed gives the same split on every
machine and whatever else the program has drawn before.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph
import torch
from torch import Tensor
from torch_geometric.data import Data, InMemoryDataset
from torch_geometric.datasets import Planetoid
from torch_geometric.io.planetoid import read_file

__all__ = [
    "drop_planetoid_padding",
    "largest_connected_component",
    "ogb_split",
    "planetoid_public_split",
    "random_link_split",
    "random_node_split",
    "stored_node_split",
    "stratified_split",
]


def planetoid_public_split(data: Data) -> tuple[Tensor, Tensor, Tensor]:
    """Return the public Planetoid masks ``(train_mask, val_mask, test_mask)`` of ``data``.

    PyG's ``Planetoid(split='public')`` already stores them (Yang et al., 2016: 20 labels
    per class, 500 validation and 1,000 test nodes); this checks they are there, are
    boolean ``[num_nodes]`` and do not overlap.

    Raises:
        ValueError: a mask is missing, has the wrong shape or type, or masks overlap.
    """
    masks = []
    for key in ("train_mask", "val_mask", "test_mask"):
        mask = getattr(data, key, None)
        expected = (data.num_nodes,)
        if not isinstance(mask, Tensor) or mask.dtype != torch.bool or mask.shape != expected:
            got = f"{mask.dtype} {tuple(mask.shape)}" if isinstance(mask, Tensor) else repr(mask)
            raise ValueError(f"data.{key} must be a bool tensor of shape {expected}; got {got}")
        masks.append(mask)
    overlap = (masks[0].long() + masks[1].long() + masks[2].long() > 1).sum().item()
    if overlap:
        raise ValueError(f"The public split masks overlap on {overlap} nodes")
    return masks[0], masks[1], masks[2]


def stored_node_split(data: Data, name: str, index: int | None = None) -> dict[str, Tensor]:
    """The split a dataset stores, as bool masks ``{'train', 'valid', 'test'}`` ``[N]``.

    Datasets store one split as ``[N]`` masks (Planetoid's public split) or several as
    ``[N, K]`` masks, one column per split (the 10 Geom-GCN splits of Actor and WebKB,
    the 10 of Platonov et al. of Minesweeper and Tolokers). ``index`` picks a column of
    the latter and must be ``None`` for the former, so that a config never names a split
    the data does not have, nor silently takes the first of several.

    Args:
        data: a graph with ``train_mask``, ``val_mask`` and ``test_mask``.
        name: the dataset's name, for error messages.
        index: which stored split, ``0 .. K-1``; ``None`` for a dataset with one.
    """
    masks = {}
    for split, key in (("train", "train_mask"), ("valid", "val_mask"), ("test", "test_mask")):
        mask = getattr(data, key, None)
        if mask is None:
            raise ValueError(f"dataset {name!r} stores no {key}: it has no stored split")
        masks[split] = mask.bool()
    stored = masks["train"].size(1) if masks["train"].dim() == 2 else None
    if index is None:
        if stored is not None:
            raise ValueError(
                f"dataset {name!r} stores {stored} splits ([N, {stored}] masks): choose one "
                f"by index 0..{stored - 1}"
            )
        return masks
    if stored is None:
        raise ValueError(
            f"dataset {name!r} stores a single split ([N] masks), so there is no split index "
            f"{index} to choose"
        )
    if not 0 <= index < stored:
        raise ValueError(
            f"split index {index} is out of range: dataset {name!r} stores {stored} splits "
            f"(0..{stored - 1})"
        )
    return {split: mask[:, index] for split, mask in masks.items()}


def random_node_split(
    y: Tensor,
    num_train_per_class: int = 20,
    num_val_per_class: int = 30,
    num_test: int | None = None,
    seed: int = 0,
) -> tuple[Tensor, Tensor, Tensor]:
    """Pick ``num_train_per_class`` training and ``num_val_per_class`` validation nodes per class.

    The protocol of Shchur et al. (2018) and GLNN (20 / 30 per class), drawn as their
    code draws it (``get_train_val_test_split``, which GLNN's takes over through CPF): a
    ``numpy.random.RandomState(seed)`` chooses, class by class in label order, the
    training nodes of each class, then its validation nodes among the rest, then, with
    ``num_test``, that many test nodes among all remaining; without, every remaining
    labelled node is a test node. On a graph in their node order a seed therefore gives
    the official code's split for that seed (Amazon Photo's largest component here is
    GLNN's graph node for node). Nodes with a negative label (unlabelled) are in no split.

    Args:
        y: node labels, shape ``[N]``.
        num_train_per_class, num_val_per_class: nodes per class in each split.
        num_test: number of test nodes; ``None`` takes every remaining labelled node.
        seed: seed of the local ``RandomState``.

    Returns:
        ``(train_mask, val_mask, test_mask)``, bool ``[N]`` each, pairwise disjoint.

    Raises:
        ValueError: ``y`` is not 1-D, a class has fewer than
            ``num_train_per_class + num_val_per_class`` nodes (the message names the class
            and both counts), or fewer than ``num_test`` nodes remain.
    """
    if y.dim() != 1:
        raise ValueError(f"y must be 1-D node labels of shape [N]; got shape {tuple(y.shape)}")
    labels = y.cpu().numpy()
    needed = num_train_per_class + num_val_per_class
    members = []
    for label in np.unique(labels[labels >= 0]):
        nodes = np.flatnonzero(labels == label)
        if nodes.size < needed:
            raise ValueError(
                f"Class {label} has {nodes.size} nodes; {needed} are needed "
                f"({num_train_per_class} train + {num_val_per_class} validation per class)"
            )
        members.append(nodes)
    random_state = np.random.RandomState(seed)
    train = np.concatenate(
        [random_state.choice(nodes, num_train_per_class, replace=False) for nodes in members]
    )
    val = np.concatenate(
        [
            random_state.choice(nodes[~np.isin(nodes, train)], num_val_per_class, replace=False)
            for nodes in members
        ]
    )
    rest = np.setdiff1d(np.flatnonzero(labels >= 0), np.concatenate([train, val]))
    if num_test is not None:
        if num_test > rest.size:
            raise ValueError(f"num_test={num_test}, but only {rest.size} labelled nodes remain")
        rest = random_state.choice(rest, num_test, replace=False)
    masks = []
    for chosen in (train, val, rest):
        mask = torch.zeros(y.numel(), dtype=torch.bool)
        mask[torch.from_numpy(chosen)] = True
        masks.append(mask.to(y.device))
    return masks[0], masks[1], masks[2]


def stratified_split(
    y: Tensor, ratios: tuple[float, float] = (0.8, 0.1), seed: int = 0
) -> dict[str, Tensor]:
    """Split items (graphs, usually) into train / valid / test with every class in proportion.

    For each class of ``n`` items, ``round(ratios[0] * n)`` go to training,
    ``round(ratios[1] * n)`` to validation and the rest to test, drawn with the seeded
    local generator.

    Args:
        y: one label per item, shape ``[N]``.
        ratios: ``(train_ratio, val_ratio)``; the test ratio is the remainder.
        seed: seed of the local generator.

    Returns:
        ``{'train', 'valid', 'test'}`` -> sorted LongTensor of item indices, disjoint and
        covering ``0 .. N-1``.

    Raises:
        ValueError: ``y`` is not 1-D, or the ratios are negative or sum above 1.
    """
    if y.dim() != 1:
        raise ValueError(f"y must hold one label per item, shape [N]; got shape {tuple(y.shape)}")
    train_ratio, val_ratio = ratios
    if not (train_ratio >= 0 and val_ratio >= 0 and train_ratio + val_ratio <= 1):
        raise ValueError(f"ratios must be >= 0 with a sum of at most 1; got {ratios}")
    generator = torch.Generator().manual_seed(seed)
    parts: dict[str, list[Tensor]] = {"train": [], "valid": [], "test": []}
    for label in torch.unique(y).tolist():
        items = (y == label).nonzero().view(-1)
        items = items[torch.randperm(items.numel(), generator=generator)]
        num_train = round(train_ratio * items.numel())
        num_val = min(round(val_ratio * items.numel()), items.numel() - num_train)
        parts["train"].append(items[:num_train])
        parts["valid"].append(items[num_train : num_train + num_val])
        parts["test"].append(items[num_train + num_val :])
    return {split: torch.cat(chunks).sort().values for split, chunks in parts.items()}


def random_link_split(
    edge_index: Tensor,
    num_nodes: int,
    val_ratio: float = 0.1,
    test_ratio: float = 0.2,
    seed: int = 0,
    num_val_neg_per_pos: int = 1,
    num_test_neg_per_pos: int = 1,
) -> dict[str, dict[str, Tensor]]:
    """Split the edges of an undirected graph into train / valid / test, OGB style.

    Each undirected edge is counted once, as ``(u, v)`` with ``u < v``; self-loops are
    dropped. ``floor(val_ratio * E)`` edges go to validation, ``floor(test_ratio * E)`` to
    test and the rest to training. Negatives are node pairs ``(u, v)``, ``u < v``, that are
    edges of the *full* graph in neither direction, no self-loops, all distinct (also
    across validation and test).

    Args:
        edge_index: ``[2, E]``, one or both directions of each edge.
        num_nodes: number of nodes.
        val_ratio, test_ratio: fractions of the undirected edges.
        seed: seed of the local generator.
        num_val_neg_per_pos, num_test_neg_per_pos: negatives per positive edge.

    Returns:
        ``{'train': {'edge': [E_train, 2]}, 'valid': {'edge': [E_val, 2], 'edge_neg':
        [E_val * k_val, 2]}, 'test': {'edge', 'edge_neg'}}``, like OGB's
        ``get_edge_split()``; all ``LongTensor``.

    Raises:
        ValueError: bad ratios or shapes, or the graph has too few non-edges.
    """
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"edge_index must have shape [2, E]; got {tuple(edge_index.shape)}")
    if not (val_ratio >= 0 and test_ratio >= 0 and val_ratio + test_ratio < 1):
        raise ValueError(
            "val_ratio and test_ratio must be >= 0 with a sum below 1; "
            f"got {val_ratio}, {test_ratio}"
        )
    generator = torch.Generator().manual_seed(seed)
    edge_keys = _undirected_keys(edge_index[0], edge_index[1], num_nodes).unique()
    edges = torch.stack([edge_keys // num_nodes, edge_keys % num_nodes], dim=1)

    edges = edges[torch.randperm(edges.size(0), generator=generator)]
    num_val = math.floor(val_ratio * edges.size(0))
    num_test = math.floor(test_ratio * edges.size(0))
    val, test, train = edges.split([num_val, num_test, edges.size(0) - num_val - num_test])

    num_neg = [num_val * num_val_neg_per_pos, num_test * num_test_neg_per_pos]
    negatives = _sample_non_edges(edge_keys, num_nodes, sum(num_neg), generator)
    val_neg, test_neg = negatives.split(num_neg)
    return {
        "train": {"edge": train},
        "valid": {"edge": val, "edge_neg": val_neg},
        "test": {"edge": test, "edge_neg": test_neg},
    }


def _undirected_keys(row: Tensor, col: Tensor, num_nodes: int) -> Tensor:
    """Key ``min * N + max`` of each non-loop pair, the same for both directions."""
    keep = row != col
    low, high = torch.minimum(row[keep], col[keep]), torch.maximum(row[keep], col[keep])
    return low.long() * num_nodes + high.long()


def _sample_non_edges(
    edge_keys: Tensor, num_nodes: int, count: int, generator: torch.Generator
) -> Tensor:
    """Draw ``count`` distinct non-edge pairs ``(u, v)``, ``u < v``, uniformly, as ``[count, 2]``.

    ``edge_keys`` are the sorted undirected keys of the graph's edges. Pairs are drawn in
    batches and rejected when a self-loop, an edge or already drawn, so the result
    depends on the generator only.
    """
    capacity = num_nodes * (num_nodes - 1) // 2 - edge_keys.numel()
    if count > capacity:
        raise ValueError(
            f"{count} negative pairs requested, but the graph has only {capacity} non-edges"
        )
    drawn = torch.empty(0, dtype=torch.long)
    while drawn.numel() < count:
        batch = 2 * (count - drawn.numel()) + 16
        pairs = torch.randint(num_nodes, (2, batch), generator=generator)
        keys = _undirected_keys(pairs[0], pairs[1], num_nodes)
        is_edge = torch.isin(keys, edge_keys)
        drawn = _first_occurrences(torch.cat([drawn, keys[~is_edge]]))
    drawn = drawn[:count]
    return torch.stack([drawn // num_nodes, drawn % num_nodes], dim=1)


def _first_occurrences(keys: Tensor) -> Tensor:
    """``keys`` without repeats, each kept at its first position (order preserved)."""
    unique, inverse = torch.unique(keys, return_inverse=True)
    first = torch.full((unique.numel(),), keys.numel(), dtype=torch.long)
    first.scatter_reduce_(0, inverse, torch.arange(keys.numel()), reduce="amin")
    return keys[first.sort().values]


def largest_connected_component(data: Data) -> Data:
    """Return the subgraph of ``data`` induced by its largest (weakly) connected component.

    As in GLNN's preprocessing. Node-level attributes (``x``, ``y``, masks) are sliced and
    nodes renumbered ``0 .. n-1`` in their original order; ``n_id`` (LongTensor ``[n]``,
    PyG's name for original node ids) maps each new node to its index in ``data``. Ties
    between equally large components go to the one holding the lowest node index.
    """
    num_nodes = data.num_nodes
    row, col = data.edge_index.cpu().numpy()
    adjacency = scipy.sparse.coo_matrix(
        (np.ones(row.size), (row, col)), shape=(num_nodes, num_nodes)
    )
    _, labels = scipy.sparse.csgraph.connected_components(adjacency, connection="weak")
    # connected_components numbers components by their lowest node, so argmax breaks ties.
    largest = np.bincount(labels).argmax()
    subset = torch.from_numpy(labels == largest)
    component = data.subgraph(subset)
    component.n_id = subset.nonzero().view(-1)
    return component


def drop_planetoid_padding(dataset: InMemoryDataset) -> Data:
    """``dataset[0]`` without the nodes the Planetoid files pad CiteSeer with.

    CiteSeer's test ids skip 15 numbers of their range: papers the graph links to whose
    text the LINQS files lack. Planetoid's loaders (Kipf's, PyG's, DGL's) fill those ids
    with zero features and an all-zero one-hot label, which becomes class 0: nodes with
    no label, 10 of them in the largest component, where a split drawn over all nodes
    makes them class-0 training, validation or test nodes. Shchur et al.'s CiteSeer,
    whose largest component the GLNN protocol (and Shchur's own) runs on, has no such
    nodes: it has 2,110 nodes and 3,668 edges, and this graph's largest component,
    without them, has the same counts. Cora's and PubMed's test ids have no gap, so their
    graphs, and those of datasets other than Planetoid, are returned unchanged. The
    other nodes keep their order.
    """
    data = dataset[0]
    if not isinstance(dataset, Planetoid):
        return data
    # The test index as PyG's Planetoid reads it to place the test rows.
    test_ids = read_file(dataset.raw_dir, dataset.name, "test.index").view(-1)
    span = torch.arange(int(test_ids.min()), int(test_ids.max()) + 1)
    keep = torch.ones(data.num_nodes, dtype=torch.bool)
    keep[span[~torch.isin(span, test_ids)]] = False
    return data.subgraph(keep)


def ogb_split(dataset: Any) -> dict[str, Any]:
    """Return the official split of an OGB-style dataset.

    ``get_edge_split()`` for link prediction (ogbl-*), ``get_idx_split()`` for graph and
    node prediction (ogbg-*, ogbn-*, Peptides-func).

    Raises:
        TypeError: ``dataset`` has neither method.
    """
    if hasattr(dataset, "get_edge_split"):
        return dataset.get_edge_split()
    if hasattr(dataset, "get_idx_split"):
        return dataset.get_idx_split()
    raise TypeError(
        f"{type(dataset).__name__} has no official split: expected an OGB-style dataset "
        "with get_edge_split() or get_idx_split()"
    )
