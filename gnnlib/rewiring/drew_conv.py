"""DRew form of any convolution of the core registry (DRew-GCN when ``conv='gcn'``)."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from gnnlib.nn.conv import apply_conv, build_conv, conv_spec
from gnnlib.nn.norm import make_activation, make_norm
from gnnlib.rewiring.delay import delayed_state, hops_at_layer
from gnnlib.rewiring.hop_shells import HopGraph


class DRewConv(torch.nn.Module):
    r"""Layer :math:`t` of a DRew stack, built from conv ``conv`` of
    :data:`gnnlib.nn.conv.CONVS`: one copy of the conv per hop it reads.

    .. math::
        \mathbf{m}_i^{(t)} = \sum_{k=1}^{\min(t+1, K)} \alpha_{k,t}\,
            \mathrm{L2}\Big(\sigma\Big(\mathrm{dropout}\Big(\mathrm{norm}_{k,t}\big(
            \mathrm{conv}_{k,t}(\mathbf{H}^{(t - \max(0, k - \nu))}, A_k)_i\big)\Big)
            \Big)\Big)

    where :math:`A_k` is the :math:`k`-hop shell (hop 1 is the graph itself) and
    :math:`\mathrm{conv}_{k,t}` has its own weights per (hop, layer), as in the paper's
    DRew-GCN; ``share_hops=True`` uses one conv per layer for every hop (the official
    ``drew_share_gnn``). Each hop's term is what the official GraphGym ``GeneralLayer``
    computes (norm, dropout, activation, then the L2 normalisation when ``l2norm``).
    :math:`\alpha_{k,t} = 1` unless ``hop_weights='learned'`` (official
    ``agg_weights.use``): :math:`\alpha_{\cdot,t} = n_t\,\mathrm{softmax}(
    \mathbf{a}_t)` over the layer's :math:`n_t` hops, with :math:`\mathbf{a}_t`
    learned and initialised to ones (so training starts from equal weights); with
    ``convex=True`` (``agg_weights.convex_combo``) without the factor :math:`n_t`. The
    stack adds the residual: :math:`\mathbf{h}^{(t+1)} = \mathbf{h}^{(t)} +
    \mathrm{ReLU}(\mathbf{m}^{(t)})` (:class:`~gnnlib.rewiring.model.DRewStack`).
    The official configs build the conv without a bias when ``norm`` is batch norm
    (its shift makes the bias redundant): ``conv_options: {bias: false}``.

    An empty shell (a batch whose graphs are all smaller than ``k`` hops) contributes
    nothing. Convs that update edge states (``gatedgcn``) have their own DRew form,
    :class:`~gnnlib.rewiring.drew_gatedgcn.DRewGatedGCNConv`; convs that need edge
    features (``gine``) have none on hops past 1: use
    :class:`~gnnlib.rewiring.drew_gin.DRewGINConv`.

    Args:
        conv: name of a core conv (``'gcn'``, ``'sage'``, ``'gin'``, ``'gat'``, ...).
        channels: node state width (in and out: the stack is residual).
        layer: :math:`t`, counted from 0.
        max_hops: :math:`K`, the largest shell read.
        nu: the delay parameter :math:`\nu` (``None`` for :math:`\infty`).
        share_hops: one conv for all hops of the layer.
        every_hop: read hops ``1..K`` at every layer (the SP-MPNN baseline).
        norm: normalisation after each hop's conv (``'batch'`` as in the paper).
        act: activation after each hop's conv.
        dropout: dropout of each hop's normalised output, before the activation.
        l2norm: L2-normalise each hop's term per node.
        hop_weights: ``'equal'`` or ``'learned'`` (:math:`\alpha_{k,t}` above).
        convex: with learned weights, a convex combination (no factor :math:`n_t`).
        edge_dim: width of hop-1 edge features, for convs that take them (GAT).
        conv_options: passed to :func:`~gnnlib.nn.conv.build_conv`.

    Shapes:
        ``states`` a list of ``t + 1`` tensors ``[N, channels]``; ``edge_attr``
        ``[E, edge_dim]`` for hop 1 -> ``[N, channels]``.
    """

    def __init__(
        self,
        conv: str,
        channels: int,
        layer: int,
        max_hops: int,
        nu: float | None = None,
        share_hops: bool = False,
        every_hop: bool = False,
        norm: str = "batch",
        act: str = "relu",
        dropout: float = 0.0,
        l2norm: bool = False,
        hop_weights: str = "equal",
        convex: bool = False,
        edge_dim: int | None = None,
        conv_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if hop_weights not in ("equal", "learned"):
            raise ValueError(f"hop_weights must be 'equal' or 'learned', got {hop_weights!r}")
        self.spec = conv_spec(conv)
        if self.spec.updates_edges or self.spec.needs_edge_features:
            raise ValueError(
                f"conv {conv!r} needs edge states on every hop; use DRewGatedGCNConv or "
                "DRewGINConv for the DRew forms of GatedGCN and GINE"
            )
        options = dict(conv_options or {})
        if self.spec.edge_features and edge_dim is not None:
            options.setdefault("edge_dim", edge_dim)
        self.layer = layer
        self.nu = nu
        self.hops = hops_at_layer(layer, max_hops, every_hop)
        copies = 1 if share_hops else len(self.hops)
        self.convs = torch.nn.ModuleList(
            build_conv(conv, channels, channels, **options) for _ in range(copies)
        )
        self.norms = torch.nn.ModuleList(make_norm(norm, channels) for _ in self.hops)
        self.act = make_activation(act)
        self.dropout = dropout
        self.l2norm = l2norm
        self.convex = convex
        self.hop_logits = (
            torch.nn.Parameter(torch.ones(len(self.hops))) if hop_weights == "learned" else None
        )

    def reset_parameters(self) -> None:
        for module in [*self.convs, *self.norms]:
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
        if self.hop_logits is not None:
            torch.nn.init.ones_(self.hop_logits)

    def hop_weights(self) -> Tensor | None:
        r""":math:`\alpha_{\cdot,t}`, one weight per hop of the layer (None: all 1)."""
        if self.hop_logits is None:
            return None
        weights = torch.softmax(self.hop_logits, dim=0)
        return weights if self.convex else weights * len(self.hops)

    def forward(
        self, states: list[Tensor], hops: HopGraph, edge_attr: Tensor | None = None
    ) -> Tensor:
        out = torch.zeros_like(states[-1])
        weights = self.hop_weights()
        for index, hop in enumerate(self.hops):
            adjacency = hops.adjacency(hop)
            if adjacency.num_edges == 0:
                continue
            conv = self.convs[index % len(self.convs)]
            x = delayed_state(states, self.layer, hop, self.nu)
            h = apply_conv(self.spec, conv, x, adjacency, edge_attr if hop == 1 else None)
            h = F.dropout(self.norms[index](h), self.dropout, self.training)
            h = self.act(h)
            if self.l2norm:
                h = F.normalize(h, dim=-1)
            out = out + (h if weights is None else weights[index] * h)
        return out

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}({self.spec.name!r}, layer={self.layer}, "
            f"hops={list(self.hops)}, nu={self.nu}, convs={len(self.convs)})"
        )
