"""The convolution registry: every conv an encoder can be built from, by name.

A plain dictionary, not a decorator registry: adding a conv means adding one entry here,
and a newcomer finds every conv, and how it is fed, in this one file. Each entry says
which adjacency form the conv reads (:class:`~gnnlib.nn.adjacency.Adjacency` converts
once per forward), whether it takes edge features, and whether it updates them.

The convs are PyG's own classes where PyG has one, so their state dicts, docs and
update rules are PyG's (``gcn``, ``gin`` and ``sage`` are PyG's GCNConv, GINConv and
SAGEConv summing with gnnlib's sparse product, :mod:`gnnlib.nn.csr_convs`);
:class:`~gnnlib.nn.pure.PureConv`,
:class:`~gnnlib.nn.gatedgcn.GatedGCNConv` and :class:`~gnnlib.nn.sage_gcn.SAGEGCNConv`
(``sage`` with ``aggr='gcn'``) are ours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
from torch import Tensor
from torch_geometric.nn import GATConv, GATv2Conv, GINConv, GINEConv, SAGEConv

from gnnlib.nn.adjacency import Adjacency
from gnnlib.nn.csr_convs import CSRGCNConv, CSRGINConv, CSRSAGEConv
from gnnlib.nn.gatedgcn import GatedGCNConv
from gnnlib.nn.mlp import MLP
from gnnlib.nn.pure import PureConv
from gnnlib.nn.sage_gcn import SAGEGCNConv

#: How a conv reads the graph: ``'gcn'`` the GCN-normalised CSR, ``'csr'`` the plain
#: (unweighted) CSR product, ``'weighted'`` the CSR with edge weights as values,
#: ``'edges'`` the edge list (with edge features when the conv takes them).
FORMS = ("gcn", "csr", "weighted", "edges")


@dataclass(frozen=True)
class ConvSpec:
    """How to build and feed one kind of convolution.

    ``build(in_channels, out_channels, is_output, **options)`` returns the module;
    ``is_output`` tells a multi-head conv to average its heads instead of concatenating.
    """

    name: str
    build: Callable[..., torch.nn.Module]
    form: str
    edge_features: bool = False
    needs_edge_features: bool = False
    updates_edges: bool = False
    keeps_width: bool = False


def _gcn(
    in_channels: int,
    out_channels: int,
    is_output: bool,
    add_self_loops: bool = True,
    improved: bool = False,
    **options: Any,
) -> CSRGCNConv:
    conv = CSRGCNConv(in_channels, out_channels, normalize=False, **options)
    # Normalisation happens once per forward in Adjacency.gcn_csr, shared by all layers,
    # instead of in every layer; apply_conv reads these settings back.
    conv.normalization = (add_self_loops, 2.0 if improved else 1.0)
    return conv


def _sage(in_channels: int, out_channels: int, is_output: bool, **options: Any) -> SAGEConv:
    # aggr='gcn' is DGL's name for GraphSAGE-GCN, which PyG's SAGEConv has no aggr for.
    if options.get("aggr") == "gcn":
        del options["aggr"]
        return SAGEGCNConv(in_channels, out_channels, **options)
    return CSRSAGEConv(in_channels, out_channels, **options)


def _gin_mlp(in_channels: int, out_channels: int, mlp_norm: str) -> MLP:
    return MLP([in_channels, out_channels, out_channels], norm=mlp_norm)


def _gin(
    in_channels: int, out_channels: int, is_output: bool, mlp_norm: str = "batch", **options: Any
) -> GINConv:
    return CSRGINConv(_gin_mlp(in_channels, out_channels, mlp_norm), **options)


def _gine(
    in_channels: int,
    out_channels: int,
    is_output: bool,
    edge_dim: int | None = None,
    mlp_norm: str = "batch",
    **options: Any,
) -> GINEConv:
    return GINEConv(_gin_mlp(in_channels, out_channels, mlp_norm), edge_dim=edge_dim, **options)


def _attention(
    cls: type,
    in_channels: int,
    out_channels: int,
    is_output: bool,
    heads: int = 1,
    output_heads: int = 1,
    **options: Any,
) -> torch.nn.Module:
    # The output layer averages its heads; GAT uses 1 (8 on PubMed).
    if is_output:
        return cls(in_channels, out_channels, heads=output_heads, concat=False, **options)
    if out_channels % heads:
        raise ValueError(
            f"{cls.__name__}: hidden width {out_channels} must be divisible by heads={heads} "
            "(heads are concatenated)"
        )
    return cls(in_channels, out_channels // heads, heads=heads, **options)


def _gatedgcn(in_channels: int, out_channels: int, is_output: bool, **options: Any):
    return GatedGCNConv(in_channels, out_channels, **options)


def _pure(aggr: str, in_channels: int, out_channels: int, is_output: bool, **options: Any):
    return PureConv(in_channels, out_channels, aggr=aggr, **options)


CONVS: dict[str, ConvSpec] = {
    "gcn": ConvSpec("gcn", _gcn, "gcn"),
    "sage": ConvSpec("sage", _sage, "csr"),
    "gin": ConvSpec("gin", _gin, "csr"),
    "gine": ConvSpec("gine", _gine, "edges", edge_features=True, needs_edge_features=True),
    "gat": ConvSpec("gat", partial(_attention, GATConv), "edges", edge_features=True),
    "gatv2": ConvSpec("gatv2", partial(_attention, GATv2Conv), "edges", edge_features=True),
    "gatedgcn": ConvSpec(
        "gatedgcn",
        _gatedgcn,
        "edges",
        edge_features=True,
        needs_edge_features=True,
        updates_edges=True,
        keeps_width=True,
    ),
    "puregcn": ConvSpec("puregcn", partial(_pure, "gcn"), "weighted", keeps_width=True),
    "puresum": ConvSpec("puresum", partial(_pure, "sum"), "weighted", keeps_width=True),
    "puremean": ConvSpec("puremean", partial(_pure, "mean"), "weighted", keeps_width=True),
    "puremax": ConvSpec("puremax", partial(_pure, "max"), "weighted", keeps_width=True),
}


def conv_spec(name: str) -> ConvSpec:
    """The registry entry for ``name``, with an error listing the known convs."""
    try:
        return CONVS[name]
    except KeyError:
        raise ValueError(f"unknown conv {name!r}; expected one of {sorted(CONVS)}") from None


def build_conv(
    name: str, in_channels: int, out_channels: int, is_output: bool = False, **options: Any
) -> torch.nn.Module:
    """Build conv ``name``; ``options`` pass through to its class (e.g. ``heads`` for GAT,
    ``edge_dim`` for GINE/GAT, ``aggr`` for SAGE, where ``'gcn'`` builds
    :class:`~gnnlib.nn.sage_gcn.SAGEGCNConv`). An option the class does not take is
    an error naming the conv and the option."""
    spec = conv_spec(name)
    try:
        return spec.build(in_channels, out_channels, is_output, **options)
    except TypeError as error:
        raise ValueError(f"conv {name!r} rejected options {sorted(options)}: {error}") from None


def apply_conv(
    spec: ConvSpec,
    conv: torch.nn.Module,
    x: Tensor,
    adj: Adjacency,
    edge_attr: Tensor | None = None,
) -> Tensor | tuple[Tensor, Tensor]:
    """Run ``conv`` on the adjacency form its spec asks for.

    Returns the new node states, or ``(nodes, edges)`` for a conv that updates edges.
    """
    if spec.form == "gcn":
        return conv(x, adj.gcn_csr(*conv.normalization))
    if spec.form == "csr":
        return conv(x, adj.csr(weighted=False))
    if spec.form == "weighted":
        return conv(x, adj)
    if spec.edge_features and edge_attr is not None:
        return conv(x, adj.edge_index, edge_attr)
    if spec.needs_edge_features:
        raise ValueError(f"conv {spec.name!r} needs edge features: pass edge_attr")
    return conv(x, adj.edge_index)
