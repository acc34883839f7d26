"""Graph-level models of the DRew study: DRew, SP-MPNN, plain MPNNs and MixHop, all with
the same input encoders, positional encodings, readout and head, so that they differ in
message passing only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import torch
import torch.nn.functional as F
from ogb.graphproppred.mol_encoder import AtomEncoder, BondEncoder
from torch import Tensor
from torch_geometric.data import Data

from gnnlib.nn import MLP, Adjacency, Encoder, global_pool, make_norm
from gnnlib.rewiring.delay import check_nu
from gnnlib.rewiring.drew_conv import DRewConv
from gnnlib.rewiring.drew_gatedgcn import DRewGatedGCNConv
from gnnlib.rewiring.drew_gin import DRewGINConv
from gnnlib.rewiring.hop_shells import HopGraph
from gnnlib.rewiring.mixhop import MixHopConv
from gnnlib.rewiring.positional import LapPEEncoder, RWSEEncoder

KINDS = ("drew", "sp", "mpnn", "mixhop")
READOUTS = ("mean", "sum", "max", "target")


@dataclass
class DRewModelConfig:
    """Which model, how wide and deep.

    ``kind``: ``'drew'`` (hops ``1..t+1`` at layer ``t``, delay ``nu``), ``'sp'`` (SP-MPNN:
    hops ``1..max_hops`` at every layer, no delay), ``'mpnn'`` (the core
    :class:`~gnnlib.nn.Encoder` with residuals: GCN, GINE, GatedGCN, ...), ``'mixhop'``.
    For ``drew``/``sp``, ``conv`` ``'gin'`` and ``'gatedgcn'`` give DRew-GIN and
    DRew-GatedGCN; any other core conv is wrapped by :class:`DRewConv` (``'gcn'``:
    DRew-GCN). ``hidden: null`` picks the largest width within ``param_budget``
    (:func:`~gnnlib.rewiring.param_budget.hidden_for_budget`). ``nu: null`` is
    :math:`\\nu = \\infty`. ``max_hops: null`` is ``layers``. ``edge_features`` feeds
    edge features to hop 1 (and to the MPNN's convs). ``pe``: ``'lappe'`` or ``'rwse'``
    computed on the original graph, ``pe_size`` eigenvectors or walk steps, encoded to
    ``pe_dim`` channels of the ``hidden``. ``readout: target`` reads each graph's
    ``target_mask`` node (RingTransfer).

    Where dropout and ``l2norm`` act follows the official code per model: DRew-GCN (and
    any conv wrapped by :class:`DRewConv`) applies both inside every hop's term, as
    GraphGym's ``GeneralLayer`` does, and ``l2norm`` again after the residual;
    DRew-GIN and DRew-GatedGCN drop out after the residual's ReLU. ``hop_weights:
    learned`` (with ``convex_hop_weights``) is the official ``agg_weights`` option of
    DRew-GCN (:class:`DRewConv`).
    """

    kind: str = "drew"
    conv: str = "gcn"
    layers: int = 7
    hidden: int | None = None
    param_budget: int = 500_000
    nu: float | None = None
    max_hops: int | None = None
    share_hops: bool = False
    edge_features: bool = False
    norm: str = "batch"
    dropout: float = 0.0
    residual: bool = True
    l2norm: bool = False
    hop_weights: Literal["equal", "learned"] = "equal"
    convex_hop_weights: bool = False
    pe: str = "none"
    pe_size: int = 10
    pe_dim: int = 16
    readout: str = "mean"
    head_layers: int = 1
    mixhop_powers: list[int] = field(default_factory=lambda: [0, 1, 2])
    conv_options: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"model.kind must be one of {KINDS}, got {self.kind!r}")
        if self.readout not in READOUTS:
            raise ValueError(f"model.readout must be one of {READOUTS}, got {self.readout!r}")
        if self.pe not in ("none", "lappe", "rwse"):
            raise ValueError(f"model.pe must be 'none', 'lappe' or 'rwse', got {self.pe!r}")
        check_nu(self.nu)

    @property
    def hops(self) -> int:
        """The largest shell the model reads (what the data must have precomputed)."""
        if self.kind in ("drew", "sp"):
            return self.max_hops or self.layers
        return 1


def drew_layer(config: DRewModelConfig, hidden: int, layer: int, edge_dim: int | None):
    """Layer ``layer`` of a DRew (or SP-MPNN) stack for ``config.conv``."""
    common = {
        "channels": hidden,
        "layer": layer,
        "max_hops": config.hops,
        "nu": config.nu if config.kind == "drew" else None,
        "every_hop": config.kind == "sp",
        "norm": config.norm,
        "edge_dim": edge_dim,
    }
    if config.conv in ("gin", "gatedgcn") and config.hop_weights != "equal":
        raise ValueError(
            f"model.hop_weights={config.hop_weights!r} is an option of DRew-GCN (DRewConv); "
            f"DRew-{config.conv} sums its hops with equal weights, as the official code does"
        )
    if config.conv == "gin":
        return DRewGINConv(**common, **config.conv_options)
    if config.conv == "gatedgcn":
        return DRewGatedGCNConv(**common, share_hops=config.share_hops, **config.conv_options)
    return DRewConv(
        config.conv,
        **common,
        share_hops=config.share_hops,
        dropout=config.dropout,
        l2norm=config.l2norm,
        hop_weights=config.hop_weights,
        convex=config.convex_hop_weights,
        conv_options=config.conv_options,
    )


class DRewStack(torch.nn.Module):
    r"""A residual stack of DRew layers keeping every layer's states for the delay:
    :math:`\mathbf{h}^{(t+1)} = \mathbf{h}^{(t)} + \mathrm{dropout}(\mathrm{ReLU}(
    \mathbf{m}^{(t)}))` (dropout 0 for :class:`DRewConv` layers, which drop out per hop), with :math:`\mathbf{m}^{(t)}` from the layer (which reads
    :math:`\mathbf{h}^{(0)}, \ldots, \mathbf{h}^{(t)}`), then an optional L2
    normalisation per node as in the official configs."""

    def __init__(self, layers: list[torch.nn.Module], dropout: float, l2norm: bool) -> None:
        super().__init__()
        self.layers = torch.nn.ModuleList(layers)
        self.dropout = dropout
        self.l2norm = l2norm

    def forward(self, x: Tensor, hops: HopGraph, edge_attr: Tensor | None) -> Tensor:
        states = [x]
        for layer in self.layers:
            message = layer(states, hops, edge_attr)
            h = states[-1] + F.dropout(torch.relu(message), self.dropout, self.training)
            states.append(F.normalize(h, dim=-1) if self.l2norm else h)
        return states[-1]


class MixHopStack(torch.nn.Module):
    """Residual MixHop layers with norm and ReLU."""

    def __init__(self, hidden: int, layers: int, powers: list[int], norm: str, dropout: float):
        super().__init__()
        self.convs = torch.nn.ModuleList(MixHopConv(hidden, hidden, powers) for _ in range(layers))
        self.norms = torch.nn.ModuleList(make_norm(norm, hidden) for _ in range(layers))
        self.dropout = dropout

    def forward(self, x: Tensor, adjacency: Adjacency) -> Tensor:
        for conv, norm in zip(self.convs, self.norms):
            h = torch.relu(norm(conv(x, adjacency)))
            x = x + F.dropout(h, self.dropout, self.training)
        return x


class DRewModel(torch.nn.Module):
    r"""Input encoders, a message-passing body chosen by ``config.kind``, a readout and a
    linear (or MLP) head.

    Node inputs are OGB atom embeddings when ``categorical`` (Peptides, ogbg-mol*), else
    a linear map; the positional encoding takes ``pe_dim`` of the ``hidden`` channels.

    Args:
        config: the model config.
        in_channels: node feature columns.
        out_channels: outputs per graph (classes, labels or targets).
        categorical: node/edge features are OGB's integer atom/bond features.
        edge_channels: edge feature columns (float features), for ``edge_features``.

    Shapes: a ``Batch`` with ``x`` ``[N, in]``, ``edge_index``, ``hop{k}_edge_index``,
    ``batch``, and ``edge_attr`` / PE attributes as configured -> ``[B, out_channels]``.
    """

    def __init__(
        self,
        config: DRewModelConfig,
        in_channels: int,
        out_channels: int,
        categorical: bool,
        edge_channels: int | None = None,
    ) -> None:
        super().__init__()
        if config.hidden is None:
            raise ValueError("config.hidden is None: pick it with hidden_for_budget first")
        hidden = config.hidden
        self.config = config
        self.categorical = categorical
        node_width = hidden - config.pe_dim if config.pe != "none" else hidden
        if node_width < 1:
            raise ValueError(f"hidden={hidden} leaves no channels beside pe_dim={config.pe_dim}")
        self.node_input = (
            AtomEncoder(node_width) if categorical else torch.nn.Linear(in_channels, node_width)
        )
        self.pe_input = None
        if config.pe == "lappe":
            self.pe_input = LapPEEncoder(config.pe_dim)
        elif config.pe == "rwse":
            self.pe_input = RWSEEncoder(config.pe_size, config.pe_dim)
        self.edge_input = None
        if config.edge_features:
            if categorical:
                self.edge_input = BondEncoder(hidden)
            elif edge_channels is None:
                raise ValueError("model.edge_features is set but the data has no edge features")
            else:
                self.edge_input = torch.nn.Linear(edge_channels, hidden)
        edge_dim = hidden if config.edge_features else None

        if config.kind in ("drew", "sp"):
            layers = [drew_layer(config, hidden, t, edge_dim) for t in range(config.layers)]
            # DRewConv drops out inside each hop's term (see the class docstring)
            hop_dropout = config.conv not in ("gin", "gatedgcn")
            stack_dropout = 0.0 if hop_dropout else config.dropout
            self.body = DRewStack(layers, stack_dropout, config.l2norm)
        elif config.kind == "mpnn":
            self.body = Encoder(
                hidden,
                hidden,
                config.layers,
                conv=config.conv,
                norm=config.norm,
                dropout=config.dropout,
                residual=config.residual,
                act_last=True,
                edge_dim=edge_dim,
                conv_options=config.conv_options,
            )
        else:
            self.body = MixHopStack(
                hidden, config.layers, config.mixhop_powers, config.norm, config.dropout
            )
        self.head = MLP([hidden] * config.head_layers + [out_channels])

    def forward(self, data: Data) -> Tensor:
        x = self.node_input(data.x if self.categorical else data.x.float())
        if self.pe_input is not None:
            x = torch.cat([x, self.pe_input(data)], dim=-1)
        edge_attr = None
        if self.edge_input is not None:
            edge_attr = data.edge_attr if self.categorical else data.edge_attr.float()
            edge_attr = self.edge_input(edge_attr)
        num_nodes = x.size(0)
        if isinstance(self.body, DRewStack):
            h = self.body(x, HopGraph(data, num_nodes), edge_attr)
        elif isinstance(self.body, Encoder):
            h = self.body(x, Adjacency(data.edge_index, num_nodes), edge_attr)
        else:
            h = self.body(x, Adjacency(data.edge_index, num_nodes))
        return self.readout(h, data)

    def readout(self, h: Tensor, data: Data) -> Tensor:
        """The head over the target node's state (RingTransfer) or the pooled graph."""
        if self.config.readout == "target":
            return self.head(h[data.target_mask])
        return self.head(global_pool(h, data.batch, self.config.readout, data.num_graphs))
