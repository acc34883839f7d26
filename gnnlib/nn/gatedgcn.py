"""Residual gated graph convolution with edge states (GatedGCN)."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import Linear
from torch_geometric.utils import scatter


class GatedGCNConv(torch.nn.Module):
    r"""GatedGCN of Bresson & Laurent (2017), with edge states as in Dwivedi et al.'s
    "Benchmarking GNNs" and the LRGB baselines.

    .. math::
        \hat{\mathbf{e}}_{ij} &= D\mathbf{x}_i + E\mathbf{x}_j + C\mathbf{e}_{ij} \\
        \sigma_{ij} &= \mathrm{sigmoid}(\hat{\mathbf{e}}_{ij}) \\
        \mathbf{x}'_i &= A\mathbf{x}_i + \frac{\sum_{j \in \mathcal{N}(i)} \sigma_{ij}
            \odot B\mathbf{x}_j}{\sum_{j \in \mathcal{N}(i)} \sigma_{ij} + \epsilon}

    for an edge ``j -> i``. The layer returns ``(x', e_hat)``; normalisation, activation,
    dropout and residuals of both node and edge states are applied by the
    :class:`~gnnlib.nn.Encoder`, the same way for every conv.

    Args:
        in_channels: node and edge state width in.
        out_channels: node and edge state width out.
        eps: the gate normaliser's stabiliser.

    Shapes:
        ``x`` ``[N, in]``, ``edge_index`` ``[2, E]``, ``edge_attr`` ``[E, in]`` ->
        ``([N, out], [E, out])``.
    """

    def __init__(self, in_channels: int, out_channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.A = Linear(in_channels, out_channels)
        self.B = Linear(in_channels, out_channels)
        self.C = Linear(in_channels, out_channels)
        self.D = Linear(in_channels, out_channels)
        self.E = Linear(in_channels, out_channels)
        self.eps = eps

    def reset_parameters(self) -> None:
        for lin in (self.A, self.B, self.C, self.D, self.E):
            lin.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> tuple[Tensor, Tensor]:
        if edge_attr is None:
            raise ValueError("GatedGCNConv needs edge states: pass edge_attr [E, in_channels]")
        source, target = edge_index
        e_hat = self.D(x)[target] + self.E(x)[source] + self.C(edge_attr)
        gate = torch.sigmoid(e_hat)
        num_nodes = x.size(0)
        numerator = scatter(gate * self.B(x)[source], target, 0, dim_size=num_nodes, reduce="sum")
        denominator = scatter(gate, target, 0, dim_size=num_nodes, reduce="sum")
        return self.A(x) + numerator / (denominator + self.eps), e_hat
