"""DeepSets over parameters: every weight as one element of a set."""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data

from gnnlib.metanet.gmn import MAX_LAYERS
from gnnlib.metanet.schema import EdgeType
from gnnlib.nn import MLP, global_pool


class ParameterDeepSets(torch.nn.Module):
    r"""DeepSets (Zaheer et al., 2017) on the parameter edges of a parameter graph, the
    weight-space baseline of the GMN paper:

    .. math::
        \hat y = \rho\Big(\frac{1}{|\theta|}\sum_{w \in \theta}
            \phi([w, \mathrm{emb}(\mathrm{type}(w)), \mathrm{emb}(\mathrm{layer}(w))])\Big)

    It sees each weight with its type and layer but not which neurons it connects.
    ``value_scale`` rescales values by edge type as in :class:`~gnnlib.metanet.GMN`.

    Shapes: a ``Batch`` of ``B`` graphs -> ``[B, out_channels]``.
    """

    def __init__(
        self, hidden: int = 64, out_channels: int = 1, value_scale: Tensor | None = None
    ) -> None:
        super().__init__()
        self.register_buffer(
            "value_scale", torch.ones(len(EdgeType)) if value_scale is None else value_scale
        )
        self.value = torch.nn.Linear(1, hidden)
        self.edge_type = torch.nn.Embedding(len(EdgeType), hidden)
        self.edge_layer = torch.nn.Embedding(MAX_LAYERS, hidden)
        self.phi = MLP([hidden, hidden, hidden], plain_last=False)
        self.rho = MLP([hidden, hidden, out_channels])

    def reset_parameters(self) -> None:
        for module in (self.value, self.edge_type, self.edge_layer, self.phi, self.rho):
            module.reset_parameters()

    def forward(self, graph: Data) -> Tensor:
        is_param = graph.edge_param >= 0
        values = graph.edge_value * self.value_scale[graph.edge_type]
        element = (
            self.value(values[is_param].unsqueeze(-1))
            + self.edge_type(graph.edge_type[is_param])
            + self.edge_layer(graph.edge_layer[is_param].clamp(max=MAX_LAYERS - 1))
        )
        batch = getattr(graph, "batch", None)
        edge_batch = None if batch is None else batch[graph.edge_index[0, is_param]]
        pooled = global_pool(self.phi(element), edge_batch, "mean", getattr(graph, "num_graphs", 1))
        return self.rho(pooled)
