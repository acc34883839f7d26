"""RingTransfer (Bodnar et al., 2021; the DRew paper's synthetic long-range task).

A ring of ``n`` nodes; the target node 0 has all-zero features, the node opposite it,
``n // 2`` hops away, carries the graph's class as a one-hot vector, every other node an
all-ones vector. The model must carry the class across the ring to node 0, where it is
read out (``target_mask``). A model whose information travels one hop per layer needs
``n // 2`` layers, the setting the paper uses; chance accuracy is ``1 / num_classes``.

As in the official generator, graphs are made class by class in equal numbers and
every graph of a class is the same ring: the task measures whether the class can be
carried across, not generalisation between different inputs.
"""

from __future__ import annotations

import torch
from torch_geometric.data import Data


def ring_transfer_graph(ring_size: int, label: int, num_classes: int) -> Data:
    """One ring of ``ring_size`` nodes whose class ``label`` sits at node ``ring_size // 2``."""
    if ring_size < 3:
        raise ValueError(f"a ring needs at least 3 nodes, got {ring_size}")
    if not 0 <= label < num_classes:
        raise ValueError(f"label {label} is not in 0..{num_classes - 1}")
    x = torch.ones(ring_size, num_classes)
    x[0] = 0.0
    x[ring_size // 2] = torch.nn.functional.one_hot(torch.tensor(label), num_classes).float()
    nodes = torch.arange(ring_size)
    following = (nodes + 1) % ring_size
    edge_index = torch.stack([torch.cat([nodes, following]), torch.cat([following, nodes])])
    target_mask = torch.zeros(ring_size, dtype=torch.bool)
    target_mask[0] = True
    return Data(x=x, edge_index=edge_index, y=torch.tensor([label]), target_mask=target_mask)


def ring_transfer(num_graphs: int, ring_size: int, num_classes: int = 5) -> list[Data]:
    """``num_graphs`` rings, classes in equal blocks (graph ``i`` has class
    ``i // (num_graphs // num_classes)``, as in the official generator)."""
    if num_graphs < num_classes:
        raise ValueError(f"need at least one ring per class: {num_graphs} < {num_classes}")
    per_class = num_graphs // num_classes
    return [
        ring_transfer_graph(ring_size, min(i // per_class, num_classes - 1), num_classes)
        for i in range(num_graphs)
    ]
