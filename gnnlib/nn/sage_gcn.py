"""GraphSAGE with the GCN aggregator ("GraphSAGE-GCN"), as DGL's ``SAGEConv(..., 'gcn')``."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.nn import SAGEConv

from gnnlib.nn.adjacency import sparse_matmul


class SAGEGCNConv(SAGEConv):
    r"""GraphSAGE whose aggregator averages the node's own state with its neighbours'
    under one weight (Hamilton et al., 2017, "GraphSAGE-GCN"):

    .. math::
        \mathbf{x}'_i = \mathbf{W} \, \frac{\mathbf{x}_i + \sum_{j \in \mathcal{N}(i)}
        \mathbf{x}_j}{|\mathcal{N}(i)| + 1} + \mathbf{b}

    The node's own state is *always* in the mean, whatever edges the adjacency holds:
    with neighbour sampling, :math:`\mathcal{N}(i)` is the sampled set, and the node is
    not left out when its self-loop was not drawn. This is DGL's ``gcn`` aggregator, the
    SAGE teacher of GLNN's and KRD's official code. On a graph that already has
    self-loops (theirs do), the node counts twice: once as its own neighbour, once as
    itself. PyG's ``SAGEConv(root_weight=False)`` on a self-looped graph differs in
    training: a sampled neighbourhood holds the node only when its loop is drawn.

    Args:
        in_channels, out_channels: input and output widths (bipartite ``(int, int)``
            input is not supported: source and target states are averaged together).
        **kwargs: ``bias``, ``normalize`` of :class:`~torch_geometric.nn.SAGEConv`;
            ``aggr``, ``root_weight`` and ``project`` are fixed by the aggregator.

    Edge weights (values of a sparse input) weight the sum, while the count stays the
    number of edges, as DGL divides by in-degree; duplicate edges count once each.

    :math:`\mathbf{W}` starts as DGL's does, Glorot-uniform with the ReLU gain
    :math:`\sqrt 2`, and :math:`\mathbf{b}` at zero, as the official GLNN and KRD
    teachers start. PyG's default (uniform within :math:`1/\sqrt{\text{in}}`) is about a
    third of that scale on Amazon Photo's 745 features, and teachers trained from it
    reach other figures (``docs/distill.md``, "The teacher's initialisation").

    Shapes:
        input ``x`` ``[N, F]`` or a pair ``(x_source [N, F], x_target [M, F])`` with a
        ``[M, N]`` adjacency (rows are targets; layer-wise inference passes target
        chunks this way); output ``[N or M, out_channels]``.
    """

    def __init__(self, in_channels: int, out_channels: int, **kwargs) -> None:
        fixed = sorted({"aggr", "root_weight", "project"} & set(kwargs))
        if fixed:
            raise ValueError(
                f"SAGEGCNConv fixes {fixed}: the gcn aggregator sums neighbours, averages "
                "them with the node itself under one weight, and projects nothing first"
            )
        if not isinstance(in_channels, int):
            raise TypeError(
                f"SAGEGCNConv needs one input width (source and target states are averaged "
                f"together), got in_channels={in_channels!r}"
            )
        super().__init__(in_channels, out_channels, aggr="sum", root_weight=False, **kwargs)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        gain = torch.nn.init.calculate_gain("relu")
        torch.nn.init.xavier_uniform_(self.lin_l.weight, gain=gain)
        if self.lin_l.bias is not None:
            torch.nn.init.zeros_(self.lin_l.bias)

    def forward(self, x: Tensor | tuple[Tensor, Tensor], edge_index, size=None) -> Tensor:
        source, target = (x, x) if isinstance(x, Tensor) else x
        if target is None:
            raise ValueError("SAGEGCNConv needs the target nodes' own states")
        if edge_index.layout == torch.sparse_csr:
            total = sparse_matmul(edge_index, source)
        else:
            total = self.propagate(edge_index, x=(source, target), size=size)
        count = _in_degree(edge_index, target.size(0)).unsqueeze(-1)
        # In place: neither product needs its output for the backward pass, and fresh
        # [N, F] temporaries cost as much as the sparse product on sampled subgraphs.
        out = self.lin_l(total.add_(target).div_(count + 1))
        return F.normalize(out, p=2.0, dim=-1) if self.normalize else out


def _in_degree(edge_index: Tensor, num_targets: int) -> Tensor:
    """Edges into each target, duplicates counted (DGL's ``in_degrees``)."""
    if edge_index.layout == torch.sparse_csr:
        return edge_index.crow_indices().diff()
    return torch.bincount(edge_index[1], minlength=num_targets)
