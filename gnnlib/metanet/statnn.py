"""StatNN: an MLP on per-tensor weight statistics (Unterthiner et al., 2020)."""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data

from gnnlib.nn import MLP

#: Statistics per parameter tensor: mean, variance and the 0/25/50/75/100% quantiles.
NUM_STATISTICS = 7
#: Standardised statistics are clipped to this many training standard deviations.
CLIP = 5.0


def weight_statistics(graph: Data, max_tensors: int = 16) -> Tensor:
    """``[max_tensors + 1, 7]`` statistics of one parameter graph's weights, flattened.

    Row ``t`` summarises parameter tensor ``t`` in the network's own order (tensors
    past ``max_tensors - 1`` share the last row; absent ones are zeros), and the final
    row summarises all weights, so that networks of different depths get one length.
    """
    if "edge_param" not in graph:
        raise ValueError("weight_statistics expects a graph from parameter_graph")
    is_param = graph.edge_param >= 0
    values, tensor = graph.edge_value[is_param], graph.edge_param[is_param]
    rows = torch.zeros(max_tensors + 1, NUM_STATISTICS)
    groups = [tensor.clamp(max=max_tensors - 1) == t for t in range(max_tensors)]
    for t, mask in enumerate([*groups, torch.ones_like(tensor, dtype=torch.bool)]):
        if mask.any():
            rows[t] = _summary(values[mask])
    return rows.flatten()


def _summary(values: Tensor) -> Tensor:
    quantiles = torch.quantile(values, torch.tensor([0.0, 0.25, 0.5, 0.75, 1.0]))
    return torch.cat([values.mean().view(1), values.var(unbiased=False).view(1), quantiles])


class StatNN(torch.nn.Module):
    r"""MLP on standardised weight statistics:
    :math:`\hat y = \mathrm{MLP}((s(\theta) - \mu) / \sigma)` with :math:`s` from
    :func:`weight_statistics` and :math:`\mu, \sigma` the mean and standard deviation
    of the training networks' statistics (the statistics differ in scale by orders of
    magnitude), clipped to :data:`CLIP` standard deviations.

    Args:
        train_stats: ``[N, in_channels]`` statistics of the training networks.
        hidden: hidden width of the MLP.
        num_layers: number of linear layers.
        out_channels: output width.

    Shapes: ``stats`` ``[B, in_channels]`` -> ``[B, out_channels]``.
    """

    def __init__(
        self, train_stats: Tensor, hidden: int = 64, num_layers: int = 3, out_channels: int = 1
    ) -> None:
        super().__init__()
        in_channels = train_stats.size(1)
        std = train_stats.std(0) if len(train_stats) > 1 else torch.ones(in_channels)
        self.register_buffer("mean", train_stats.mean(0))
        self.register_buffer("std", torch.where(std > 0, std, torch.ones_like(std)))
        self.mlp = MLP([in_channels] + [hidden] * (num_layers - 1) + [out_channels])

    def reset_parameters(self) -> None:
        self.mlp.reset_parameters()

    def forward(self, stats: Tensor) -> Tensor:
        # A statistic nearly constant over the training networks (e.g. of a tensor most
        # of them lack) would explode on a test network; clipping bounds its effect.
        standardised = (stats - self.mean) / self.std
        return self.mlp(standardised.clamp(-CLIP, CLIP))
