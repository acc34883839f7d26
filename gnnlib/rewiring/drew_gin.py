"""DRew-GIN: a GIN layer with one MLP per hop shell and a self MLP."""

from __future__ import annotations

import torch
from torch import Tensor

from gnnlib.nn.adjacency import sparse_matmul
from gnnlib.nn.mlp import MLP
from gnnlib.rewiring.delay import delayed_state, hops_at_layer
from gnnlib.rewiring.hop_shells import HopGraph


def _mlp(channels: int, norm: str) -> MLP:
    # Linear -> norm -> ReLU, the official DRew-GIN's MLP_s and MLP_k.
    return MLP([channels, channels], norm=norm, plain_last=False)


class DRewGINConv(torch.nn.Module):
    r"""Layer :math:`t` of DRew-GIN (Gutteridge et al., 2023):

    .. math::
        \mathbf{m}_i^{(t)} = (1 + \epsilon)\, \mathrm{MLP}_s(\mathbf{h}_i^{(t)})
            + \sum_{k=1}^{\min(t+1, K)} \mathrm{MLP}_k\Big(\sum_{j : d(j, i) = k}
            \mathbf{h}_j^{(t - \max(0, k - \nu))}
            \,[+\, \mathrm{ReLU}(\mathbf{h}_j^{(t)} + \mathbf{e}_{ji}) \text{ for } k = 1
            \text{ with edge features}]\Big)

    With ``edge_dim`` set, the hop-1 sum is GINE's
    :math:`\sum_j \mathrm{ReLU}(\mathbf{h}_j + W_e \mathbf{e}_{ji})` instead of
    :math:`\sum_j \mathbf{h}_j` (hop 1 is never delayed). The official code has no edge
    features; ``edge_dim=None`` is its layer.

    Args:
        channels: node state width (in and out).
        layer: :math:`t`, counted from 0.
        max_hops: :math:`K`.
        nu: :math:`\nu` (``None`` for :math:`\infty`).
        every_hop: hops ``1..K`` at every layer (SP-MPNN).
        norm: the MLPs' normalisation.
        eps: :math:`\epsilon`; ``train_eps`` makes it a parameter.
        edge_dim: width of hop-1 edge features (``None``: not read).

    Shapes:
        ``states`` ``t + 1`` tensors ``[N, channels]``; ``edge_attr`` ``[E, edge_dim]``
        -> ``[N, channels]``.
    """

    def __init__(
        self,
        channels: int,
        layer: int,
        max_hops: int,
        nu: float | None = None,
        every_hop: bool = False,
        norm: str = "batch",
        eps: float = 0.0,
        train_eps: bool = False,
        edge_dim: int | None = None,
    ) -> None:
        super().__init__()
        self.layer = layer
        self.nu = nu
        self.hops = hops_at_layer(layer, max_hops, every_hop)
        self.mlp_self = _mlp(channels, norm)
        self.mlp_hops = torch.nn.ModuleList(_mlp(channels, norm) for _ in self.hops)
        self.edge_lin = torch.nn.Linear(edge_dim, channels) if edge_dim is not None else None
        self.initial_eps = eps
        if train_eps:
            self.eps = torch.nn.Parameter(torch.tensor([eps]))
        else:
            self.register_buffer("eps", torch.tensor([eps]))

    def reset_parameters(self) -> None:
        for module in [self.mlp_self, *self.mlp_hops, self.edge_lin]:
            if module is not None:
                module.reset_parameters()
        self.eps.data.fill_(self.initial_eps)

    def forward(
        self, states: list[Tensor], hops: HopGraph, edge_attr: Tensor | None = None
    ) -> Tensor:
        out = (1 + self.eps) * self.mlp_self(states[-1])
        for index, hop in enumerate(self.hops):
            adjacency = hops.adjacency(hop)
            if adjacency.num_edges == 0:
                continue
            x = delayed_state(states, self.layer, hop, self.nu)
            if hop == 1 and self.edge_lin is not None and edge_attr is not None:
                source, target = adjacency.edge_index
                message = torch.relu(x[source] + self.edge_lin(edge_attr))
                summed = torch.zeros_like(x).index_add_(0, target, message)
            else:
                summed = sparse_matmul(adjacency.csr(weighted=False), x)
            out = out + self.mlp_hops[index](summed)
        return out

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(layer={self.layer}, hops={list(self.hops)}, nu={self.nu})"
        )
