"""Graph-augmented features for a GA-MLP student (GLNN's ``feature_aug_k``)."""

from __future__ import annotations

from torch import Tensor

from gnnlib.nn.adjacency import Adjacency, sparse_matmul


def propagate_features(x: Tensor, edge_index: Tensor, hops: int) -> Tensor:
    r""":math:`\hat{\mathbf{A}}^{k} \mathbf{X}` with the GCN-normalised
    :math:`\hat{\mathbf{A}} = \hat{\mathbf{D}}^{-1/2} (\mathbf{A} + \mathbf{I})
    \hat{\mathbf{D}}^{-1/2}` and :math:`k` = ``hops`` (``0`` returns ``x``).

    The student then still runs without message passing, but each node's input mixes
    its ``hops``-hop neighbourhood, so deploying it needs those neighbours' features:
    a middle ground between an MLP and a GNN. Computed once, before training.
    """
    if hops < 0:
        raise ValueError(f"hops must be >= 0, got {hops}")
    if hops == 0:
        return x
    matrix = Adjacency(edge_index, num_nodes=x.size(0)).gcn_csr()
    for _ in range(hops):
        x = sparse_matmul(matrix, x)
    return x
