"""The encoder every method builds: a stack of convs from the registry."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from gnnlib.nn.adjacency import AdjacencyInput, as_adjacency
from gnnlib.nn.conv import apply_conv, build_conv, conv_spec
from gnnlib.nn.norm import make_activation, make_norm

JUMPING_KNOWLEDGE = ("last", "sum", "max", "cat", "weighted")


class Encoder(torch.nn.Module):
    r"""A GNN: ``num_layers`` convs of one kind with norm, activation, dropout,
    residuals and jumping knowledge.

    Layer :math:`l` computes

    .. math::
        \mathbf{H}^{(l+1)} = \mathrm{dropout}\big(\sigma(\mathrm{norm}(
            \mathrm{conv}^{(l)}(\mathbf{H}^{(l)}, A)))\big)
            \; [+\, \mathbf{H}^{(l)} \text{ if residual and widths match}]

    and the output is :math:`\mathbf{H}^{(L)}` (``jk='last'``) or a combination of all
    layers: their sum, element-wise max, concatenation, or
    :math:`\sum_l \mathrm{softmax}(\mathbf{w})_l \mathbf{H}^{(l)}` with learned
    :math:`\mathbf{w}` (``'weighted'``).

    With ``jk='last'`` and ``out_channels`` set, the last conv maps to ``out_channels``
    and is left plain (no norm, activation or dropout; a multi-head attention conv
    averages its heads), as in PyG's ``BasicGNN``; ``act_last=True`` keeps them (for
    stacks read by a separate head). With another ``jk`` every layer is a hidden layer
    and a final linear map gives ``out_channels``.

    Width-keeping convs (parameter-free ``pure*``, ``gatedgcn``) get a linear input
    projection to ``hidden_channels`` when ``in_channels`` differs; ``gatedgcn``'s edge
    features are projected from ``edge_dim`` to ``hidden_channels`` likewise. Edge states
    of a conv that updates them (``gatedgcn``) get the same norm, activation, dropout and
    residual as node states.

    Args:
        in_channels: input node feature width.
        hidden_channels: width of every hidden layer.
        num_layers: number of convs.
        out_channels: output width; ``None`` keeps ``hidden_channels``.
        conv: a name from :data:`gnnlib.nn.conv.CONVS`.
        norm: ``'none'``, ``'batch'`` or ``'layer'``.
        act: activation name.
        dropout: dropout after each hidden layer.
        residual: add each layer's input to its output when widths match.
        jk: one of ``'last'``, ``'sum'``, ``'max'``, ``'cat'``, ``'weighted'``.
        act_last: apply norm/activation/dropout to the last layer too.
        edge_dim: width of ``edge_attr``, for convs that read edge features.
        conv_options: passed to every conv's constructor (``heads``, ``aggr``, ...).

    Shapes:
        ``x`` ``[N, in_channels]``; ``adj`` an ``edge_index`` ``[2, E]``, a PyG
        ``EdgeIndex``, a ``torch.sparse_csr`` ``[N, N]`` in transposed layout (rows are
        targets), or an :class:`~gnnlib.nn.adjacency.Adjacency`; ``edge_attr``
        ``[E, edge_dim]``; ``edge_weight`` ``[E]`` -> ``[N, out_channels]``.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        num_layers: int,
        out_channels: int | None = None,
        conv: str = "gcn",
        norm: str = "none",
        act: str = "relu",
        dropout: float = 0.0,
        residual: bool = False,
        jk: str = "last",
        act_last: bool = False,
        edge_dim: int | None = None,
        conv_options: dict[str, Any] | None = None,
    ) -> None:
        super().__init__()
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1, got {num_layers}")
        if hidden_channels < 1:
            raise ValueError(f"hidden_channels must be at least 1, got {hidden_channels}")
        if jk not in JUMPING_KNOWLEDGE:
            raise ValueError(f"unknown jk {jk!r}; expected one of {JUMPING_KNOWLEDGE}")
        self.spec = conv_spec(conv)
        options = dict(conv_options or {})
        if self.spec.edge_features and edge_dim is not None and not self.spec.updates_edges:
            options.setdefault("edge_dim", edge_dim)
        self.jk = jk
        self.dropout = dropout
        self.residual = residual
        self.num_layers = num_layers
        self.out_channels = out_channels or hidden_channels
        output_from_conv = jk == "last" and out_channels is not None
        self.plain_last = output_from_conv and not act_last

        self.input_proj: torch.nn.Module | None = None
        if self.spec.keeps_width and in_channels != hidden_channels:
            self.input_proj = torch.nn.Linear(in_channels, hidden_channels)
            in_channels = hidden_channels
        self.edge_proj: torch.nn.Module | None = None
        if self.spec.updates_edges:
            if edge_dim is None:
                raise ValueError(f"conv {conv!r} updates edge states: pass edge_dim")
            if edge_dim != hidden_channels:
                self.edge_proj = torch.nn.Linear(edge_dim, hidden_channels)

        self.convs = torch.nn.ModuleList()
        self.norms = torch.nn.ModuleList()
        self.edge_norms = torch.nn.ModuleList()
        widths = [in_channels] + [hidden_channels] * num_layers
        if output_from_conv:
            widths[-1] = out_channels
        if self.spec.keeps_width and widths[-1] != widths[-2]:
            raise ValueError(
                f"conv {conv!r} keeps the feature width, so out_channels ({out_channels}) "
                f"must equal hidden_channels ({hidden_channels}); use jk='sum' or another "
                "jk to get a final linear map"
            )
        for layer in range(num_layers):
            is_output = output_from_conv and layer == num_layers - 1
            self.convs.append(
                build_conv(conv, widths[layer], widths[layer + 1], is_output=is_output, **options)
            )
            # A plain last layer has no norm: no parameters that never get a gradient.
            layer_norm = "none" if self.plain_last and layer == num_layers - 1 else norm
            self.norms.append(make_norm(layer_norm, widths[layer + 1]))
            if self.spec.updates_edges and layer < num_layers - 1:
                self.edge_norms.append(make_norm(norm, widths[layer + 1]))
        self.act = make_activation(act)

        self.jk_weights: torch.nn.Parameter | None = None
        self.jk_lin: torch.nn.Module | None = None
        if jk == "weighted":
            self.jk_weights = torch.nn.Parameter(torch.zeros(num_layers))
        if jk != "last" and out_channels is not None:
            jk_width = hidden_channels * num_layers if jk == "cat" else hidden_channels
            self.jk_lin = torch.nn.Linear(jk_width, out_channels)
        elif jk == "cat":
            self.out_channels = hidden_channels * num_layers

    def reset_parameters(self) -> None:
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()
        if self.jk_weights is not None:
            torch.nn.init.zeros_(self.jk_weights)

    def forward(
        self,
        x: Tensor,
        adj: AdjacencyInput,
        edge_attr: Tensor | None = None,
        edge_weight: Tensor | None = None,
    ) -> Tensor:
        adjacency = as_adjacency(adj, num_nodes=x.size(0), edge_weight=edge_weight)
        if self.input_proj is not None:
            x = self.input_proj(x)
        if self.edge_proj is not None and edge_attr is not None:
            edge_attr = self.edge_proj(edge_attr)

        layer_outputs = []
        for layer, conv in enumerate(self.convs):
            out = apply_conv(self.spec, conv, x, adjacency, edge_attr)
            is_last = layer == self.num_layers - 1
            new_edges = None
            if self.spec.updates_edges:
                out, new_edges = out
                # The last layer's edge states are read by nothing.
                new_edges = None if is_last else self._post(new_edges, self.edge_norms[layer])
            out = self.finish_layer(out, layer)
            if self.residual and out.shape == x.shape:
                out = out + x
                if new_edges is not None and new_edges.shape == edge_attr.shape:
                    new_edges = new_edges + edge_attr
            x = out
            if new_edges is not None:
                edge_attr = new_edges
            layer_outputs.append(x)
        return self._jumping_knowledge(layer_outputs)

    def finish_layer(self, out: Tensor, layer: int) -> Tensor:
        """Norm, activation and dropout on conv ``layer``'s node output (nothing after a
        plain last layer). For callers that run the convs themselves, layer by layer on
        other adjacencies (sampled SAGE blocks, layer-wise inference)."""
        if self.plain_last and layer == self.num_layers - 1:
            return out
        return self._post(out, self.norms[layer])

    def _post(self, h: Tensor, norm: torch.nn.Module) -> Tensor:
        h = self.act(norm(h))
        return torch.nn.functional.dropout(h, self.dropout, self.training)

    def _jumping_knowledge(self, layer_outputs: list[Tensor]) -> Tensor:
        if self.jk == "last":
            return layer_outputs[-1]
        if self.jk == "cat":
            combined = torch.cat(layer_outputs, dim=-1)
        else:
            stacked = torch.stack(layer_outputs)
            if self.jk == "sum":
                combined = stacked.sum(0)
            elif self.jk == "max":
                combined = stacked.max(0)[0]
            else:
                weights = torch.softmax(self.jk_weights, 0).view(-1, 1, 1)
                combined = (weights * stacked).sum(0)
        return combined if self.jk_lin is None else self.jk_lin(combined)

    def __repr__(self) -> str:
        return (
            f"{self.__class__.__name__}(conv={self.spec.name!r}, layers={self.num_layers}, "
            f"out={self.out_channels}, jk={self.jk!r})"
        )
