"""PyG's GCN, GIN and GraphSAGE convolutions, summing over a sparse CSR adjacency with
gnnlib's product."""

from __future__ import annotations

from torch import Tensor
from torch_geometric.nn import GCNConv, GINConv, SAGEConv
from torch_geometric.typing import Adj, OptPairTensor
from torch_geometric.utils import is_torch_sparse_tensor

from gnnlib.nn.adjacency import sparse_matmul


class CSRSumAggregation:
    """Mixin for a PyG conv whose fused aggregation is ``spmm(adj_t, x, reduce=self.aggr)``:
    a sum over a ``torch.sparse_csr`` adjacency goes through
    :func:`~gnnlib.nn.adjacency.sparse_matmul` instead (torch's reducing kernel on the CPU,
    and a backward that converts the adjacency's transpose once per adjacency instead of
    at every call: an adjacency serves every layer of an encoder and every hop of a DRew
    stack). Other reductions (``mean`` has torch's own reducing kernel) and other inputs
    (``edge_index``, ``SparseTensor``) take PyG's path. Parameters, state dicts and
    update rules are PyG's."""

    def message_and_aggregate(self, adj_t: Adj, x: Tensor | OptPairTensor) -> Tensor:
        if is_torch_sparse_tensor(adj_t) and self.aggr in ("add", "sum"):
            return sparse_matmul(adj_t, x[0] if isinstance(x, tuple) else x)
        return super().message_and_aggregate(adj_t, x)


class CSRGCNConv(CSRSumAggregation, GCNConv):
    r"""PyG's :class:`~torch_geometric.nn.GCNConv` (Kipf & Welling, 2017),

    .. math::
        \mathbf{X}' = \hat{\mathbf{D}}^{-1/2} \hat{\mathbf{A}} \hat{\mathbf{D}}^{-1/2}
        \mathbf{X} \mathbf{W} + \mathbf{b},

    summing over a CSR adjacency with gnnlib's product (:class:`CSRSumAggregation`)."""


class CSRGINConv(CSRSumAggregation, GINConv):
    r"""PyG's :class:`~torch_geometric.nn.GINConv` (Xu et al., 2019),

    .. math::
        \mathbf{x}^{\prime}_i = h_{\mathbf{\Theta}} \left( (1 + \epsilon) \cdot
        \mathbf{x}_i + \sum_{j \in \mathcal{N}(i)} \mathbf{x}_j \right),

    summing over a CSR adjacency with gnnlib's product (:class:`CSRSumAggregation`)."""


class CSRSAGEConv(CSRSumAggregation, SAGEConv):
    r"""PyG's :class:`~torch_geometric.nn.SAGEConv` (Hamilton et al., 2017),

    .. math::
        \mathbf{x}^{\prime}_i = \mathbf{W}_1 \mathbf{x}_i + \mathbf{W}_2 \cdot
        \mathrm{aggr}_{j \in \mathcal{N}(i)} \mathbf{x}_j,

    summing (``aggr='sum'``) over a CSR adjacency with gnnlib's product
    (:class:`CSRSumAggregation`); its default ``aggr='mean'`` is PyG's."""
