"""Parameter-free propagation, as NCN uses for its encoder ("puregcn", "puresum", ...)."""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.utils import spmm

from gnnlib.nn.adjacency import AdjacencyInput, as_adjacency, sparse_matmul


class PureConv(torch.nn.Module):
    r"""Propagation without weights: one aggregation of neighbour states.

    .. math::
        \mathbf{x}'_i = \bigoplus_{j \in \mathcal{N}(i)} w_{ji}\, \mathbf{x}_j

    with :math:`\bigoplus` a sum, mean or max over in-neighbours, or (``aggr='gcn'``)
    :math:`\mathbf{X}' = \hat{D}^{-1/2} \hat{A}^\top \hat{D}^{-1/2} \mathbf{X}` where
    :math:`\hat{A}` has self-loops when ``add_self_loops`` is set. The output has the
    input's width, so ``in_channels`` must equal ``out_channels``; the encoder's
    per-layer linear maps (if any) change widths.

    Args:
        in_channels, out_channels: node state width (must be equal).
        aggr: ``'sum'``, ``'mean'``, ``'max'`` or ``'gcn'``.
        add_self_loops: for ``aggr='gcn'`` only.

    Shapes:
        input ``x`` ``[N, F]`` and an adjacency (``edge_index``, ``EdgeIndex``,
        sparse CSR or :class:`~gnnlib.nn.adjacency.Adjacency`); output ``[N, F]``.
    """

    AGGREGATIONS = ("sum", "mean", "max", "gcn")

    def __init__(
        self, in_channels: int, out_channels: int, aggr: str = "gcn", add_self_loops: bool = True
    ) -> None:
        super().__init__()
        if aggr not in self.AGGREGATIONS:
            raise ValueError(f"aggr must be one of {self.AGGREGATIONS}, got {aggr!r}")
        if in_channels != out_channels:
            raise ValueError(
                "a parameter-free conv keeps the feature width: in_channels "
                f"({in_channels}) must equal out_channels ({out_channels})"
            )
        self.aggr = aggr
        self.add_self_loops = add_self_loops

    def reset_parameters(self) -> None:
        """Nothing to reset: the layer has no parameters."""

    def forward(self, x: Tensor, adj: AdjacencyInput) -> Tensor:
        adj = as_adjacency(adj, num_nodes=x.size(0))
        if self.aggr == "gcn":
            return sparse_matmul(adj.gcn_csr(self.add_self_loops), x)
        if self.aggr == "sum":
            return sparse_matmul(adj.csr(), x)
        return spmm(adj.csr(), x, reduce=self.aggr)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(aggr={self.aggr!r})"
