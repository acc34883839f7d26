"""Graph-level readout: one vector per graph of a batch."""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.utils import scatter

POOLINGS = ("sum", "mean", "max")


def global_pool(
    x: Tensor, batch: Tensor | None, reduce: str = "mean", num_graphs: int | None = None
) -> Tensor:
    r"""Pool node states ``[N, F]`` into graph states ``[B, F]``:
    :math:`\mathbf{r}_g = \bigoplus_{i \in g} \mathbf{x}_i` with ``reduce`` in
    ``'sum'``, ``'mean'``, ``'max'``. ``batch`` ``[N]`` maps nodes to graphs; ``None``
    means one graph."""
    if reduce not in POOLINGS:
        raise ValueError(f"unknown pooling {reduce!r}; expected one of {POOLINGS}")
    if batch is None:
        batch = x.new_zeros(x.size(0), dtype=torch.long)
        num_graphs = 1
    if num_graphs is None:
        num_graphs = int(batch.max()) + 1 if batch.numel() else 0
    return scatter(x, batch, dim=0, dim_size=num_graphs, reduce=reduce)
