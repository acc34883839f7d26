"""PyG's GCN convolution, summing over a sparse CSR adjacency with gnnlib's product."""

from __future__ import annotations

from torch import Tensor
from torch_geometric.nn import GCNConv
from torch_geometric.typing import Adj
from torch_geometric.utils import is_torch_sparse_tensor

from gnnlib.nn.adjacency import sparse_matmul


class CSRGCNConv(GCNConv):
    r"""PyG's :class:`~torch_geometric.nn.GCNConv` (Kipf & Welling, 2017), unchanged in
    parameters, state dict and update rule,

    .. math::
        \mathbf{X}' = \hat{\mathbf{D}}^{-1/2} \hat{\mathbf{A}} \hat{\mathbf{D}}^{-1/2}
        \mathbf{X} \mathbf{W} + \mathbf{b},

    whose aggregation over a ``torch.sparse_csr`` adjacency goes through
    :func:`~gnnlib.nn.adjacency.sparse_matmul`: torch's reducing kernel on the CPU, and a
    backward that converts the adjacency's transpose once per adjacency instead of at
    every call. An adjacency that serves several layers (every GCN encoder, every hop
    of a DRew stack) is transposed once per forward instead of once per layer. Other
    inputs (``edge_index``, ``SparseTensor``) take PyG's path.
    """

    def message_and_aggregate(self, adj_t: Adj, x: Tensor) -> Tensor:
        if is_torch_sparse_tensor(adj_t):
            return sparse_matmul(adj_t, x)
        return super().message_and_aggregate(adj_t, x)
