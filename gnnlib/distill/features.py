"""Graph-augmented features for a GA-MLP student (GLNN's ``feature_aug_k``)."""

from __future__ import annotations

import torch
from torch import Tensor

from gnnlib.nn.adjacency import Adjacency, csr_row_entries, sparse_matmul


def propagation_matrix(edge_index: Tensor, num_nodes: int) -> Tensor:
    r""":math:`\hat{\mathbf{A}} = \hat{\mathbf{D}}^{-1/2} (\mathbf{A} + \mathbf{I})
    \hat{\mathbf{D}}^{-1/2}` as ``torch.sparse_csr`` ``[N, N]``, rows are targets: the
    matrix a GA-MLP student's features are propagated with."""
    return Adjacency(edge_index, num_nodes=num_nodes).gcn_csr()


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
    matrix = propagation_matrix(edge_index, x.size(0))
    for _ in range(hops):
        x = sparse_matmul(matrix, x)
    return x


def propagate_rows(matrix: Tensor, x: Tensor, nodes: Tensor, hops: int) -> Tensor:
    r"""Rows ``nodes`` of :math:`\hat{\mathbf{A}}^{k} \mathbf{X}`, reading only the
    ``hops``-hop neighbourhood of ``nodes``: what a deployed GA-MLP student computes for
    new nodes, instead of propagating over the whole graph per request.

    Args:
        matrix: :func:`propagation_matrix` of the graph the new nodes are in.
        x: ``[N, F]`` features.
        nodes: ``[B]`` the rows wanted.
        hops: :math:`k \ge 0`.
    """
    if hops < 0:
        raise ValueError(f"hops must be >= 0, got {hops}")
    if hops == 0:
        return x[nodes]
    entry, segment = csr_row_entries(matrix.crow_indices(), nodes)
    # Each neighbour's (k-1)-hop row once, however many of `nodes` it neighbours.
    neighbours, inverse = torch.unique(matrix.col_indices()[entry], return_inverse=True)
    inner = propagate_rows(matrix, x, neighbours, hops - 1)
    weighted = matrix.values()[entry].unsqueeze(1) * inner[inverse]
    out = torch.zeros(nodes.numel(), x.size(1), dtype=weighted.dtype, device=x.device)
    return out.index_add_(0, segment, weighted)
