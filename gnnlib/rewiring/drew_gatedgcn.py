"""DRew-GatedGCN: gated aggregation over every hop shell, gates per hop."""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import Linear

from gnnlib.nn.norm import make_norm
from gnnlib.rewiring.delay import delayed_state, hops_at_layer
from gnnlib.rewiring.hop_shells import HopGraph


class DRewGatedGCNConv(torch.nn.Module):
    r"""Layer :math:`t` of DRew-GatedGCN (Gutteridge et al., 2023), for an edge
    :math:`j \to i` of shell :math:`k` and :math:`\tilde{\mathbf{h}}_j =
    \mathbf{h}_j^{(t - \max(0, k - \nu))}`:

    .. math::
        \sigma_{ij}^{k} &= \mathrm{sigmoid}\big(D\mathbf{h}_i^{(t)} + E_k\tilde{\mathbf{h}}_j
            \,[+\, C\mathbf{e}_{ji} \text{ for } k = 1 \text{ with edge features}]\big) \\
        \mathbf{m}_i^{(t)} &= \mathrm{norm}\Big(A\mathbf{h}_i^{(t)}
            + \sum_{k=1}^{\min(t+1, K)} \frac{\sum_{j : d(j,i) = k} \sigma_{ij}^{k} \odot
            B_k\tilde{\mathbf{h}}_j}{\sum_{j : d(j,i) = k} \sigma_{ij}^{k} + \epsilon}\Big)

    :math:`A` and :math:`D` read the receiving node's current state and are shared by
    all hops; :math:`B_k, E_k` are per hop, or one pair for all hops with
    ``share_hops=True`` (the official ``share_drewgatedgcnconv``). The official layer
    has no :math:`C` (no edge features); ``edge_dim=None`` is that layer. Edge states
    are not updated.

    Args:
        channels: node state width (in and out).
        layer: :math:`t`, counted from 0.
        max_hops: :math:`K`.
        nu: :math:`\nu` (``None`` for :math:`\infty`).
        share_hops: one :math:`B, E` for every hop.
        every_hop: hops ``1..K`` at every layer (SP-MPNN).
        norm: normalisation of the layer's output (``'batch'``).
        edge_dim: width of hop-1 edge features (``None``: not read).
        eps: the gate normaliser's stabiliser.

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
        share_hops: bool = False,
        every_hop: bool = False,
        norm: str = "batch",
        edge_dim: int | None = None,
        eps: float = 1e-6,
    ) -> None:
        super().__init__()
        self.layer = layer
        self.nu = nu
        self.hops = hops_at_layer(layer, max_hops, every_hop)
        self.A = Linear(channels, channels)
        self.D = Linear(channels, channels)
        copies = 1 if share_hops else len(self.hops)
        self.B = torch.nn.ModuleList(Linear(channels, channels) for _ in range(copies))
        self.E = torch.nn.ModuleList(Linear(channels, channels) for _ in range(copies))
        self.C = Linear(edge_dim, channels) if edge_dim is not None else None
        self.norm = make_norm(norm, channels)
        self.eps = eps

    def reset_parameters(self) -> None:
        for module in [self.A, self.D, *self.B, *self.E, self.C, self.norm]:
            if module is not None and hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(
        self, states: list[Tensor], hops: HopGraph, edge_attr: Tensor | None = None
    ) -> Tensor:
        h = states[-1]
        Dh = self.D(h)
        out = self.A(h)
        for index, hop in enumerate(self.hops):
            adjacency = hops.adjacency(hop)
            if adjacency.num_edges == 0:
                continue
            weights = index % len(self.B)
            x = delayed_state(states, self.layer, hop, self.nu)
            source, target = adjacency.edge_index
            logits = Dh[target] + self.E[weights](x)[source]
            if hop == 1 and self.C is not None and edge_attr is not None:
                logits = logits + self.C(edge_attr)
            gate = torch.sigmoid(logits)
            numerator = torch.zeros_like(h).index_add_(0, target, gate * self.B[weights](x)[source])
            denominator = torch.zeros_like(h).index_add_(0, target, gate)
            out = out + numerator / (denominator + self.eps)
        return self.norm(out)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(layer={self.layer}, hops={list(self.hops)}, nu={self.nu})"
        )
