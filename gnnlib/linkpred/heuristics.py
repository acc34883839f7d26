r"""Common-neighbour heuristics: score functions ``(adj, tar) -> [B]``.

.. math::
    \mathrm{CN}(i, j) = |\mathcal{N}(i) \cap \mathcal{N}(j)|, \quad
    \mathrm{AA}(i, j) = \sum_{k \in \mathcal{N}(i) \cap \mathcal{N}(j)}
        \frac{1}{\log d_k}, \quad
    \mathrm{RA}(i, j) = \sum_{k \in \mathcal{N}(i) \cap \mathcal{N}(j)} \frac{1}{d_k}

with :math:`d_k` the number of entries stored in row ``k`` of ``adj`` (a self-loop
counts once). These are the formulas of the SEAL baselines (facebookresearch/SEAL_OGB
``utils.py``: ``CN``, ``AA``) and of BUDDY's (melifluos/subgraph-sketching
``src/heuristics.py``: ``CN``, ``AA``, ``RA``), which compute
``A[src].multiply(A_[dst]).sum(1)`` with ``A_`` the adjacency scaled column-wise by
``1 / log(deg)`` or ``1 / deg``, the infinite weights set to 0. On a 0/1 adjacency
their ``deg = A.sum(axis=0)`` is our :math:`d_k`.

The infinite weights: a common neighbour of two distinct nodes has degree at least 2,
so :math:`1/\log d_k` is finite. Only a pair ``(i, i)`` (whose common neighbours are
all of :math:`\mathcal{N}(i)`, including leaves with :math:`d_k = 1`) or a node whose
only entry is its self-loop reaches :math:`1/\log 1`; like the baselines, such a
neighbour contributes 0. :math:`d_k = 0` never occurs for a member of a set.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gnnlib.linkpred.common_neighbors import common_neighbors, pool


def common_neighbor_count(adj: Tensor, tar: Tensor) -> Tensor:
    """CN: the number of common neighbours of each pair.

    Shapes: ``adj`` ``torch.sparse_csr`` ``[N, N]``, ``tar`` ``[2, B]`` -> ``[B]`` float32.
    """
    return _weighted_common_neighbors(adj, tar, lambda degree: torch.ones_like(degree))


def adamic_adar(adj: Tensor, tar: Tensor) -> Tensor:
    """AA (Adamic and Adar, 2003): common neighbours weighted by ``1 / log(degree)``,
    0 for degree 1 (see the module docstring).

    Shapes: ``adj`` ``torch.sparse_csr`` ``[N, N]``, ``tar`` ``[2, B]`` -> ``[B]`` float32.
    """
    return _weighted_common_neighbors(adj, tar, lambda degree: _finite(1.0 / degree.log()))


def resource_allocation(adj: Tensor, tar: Tensor) -> Tensor:
    """RA (Zhou, Lü and Zhang, 2009): common neighbours weighted by ``1 / degree``.

    Shapes: ``adj`` ``torch.sparse_csr`` ``[N, N]``, ``tar`` ``[2, B]`` -> ``[B]`` float32.
    """
    return _weighted_common_neighbors(adj, tar, lambda degree: _finite(1.0 / degree))


def _weighted_common_neighbors(adj: Tensor, tar: Tensor, node_weight) -> Tensor:
    cn = common_neighbors(adj, tar)
    degree = adj.crow_indices().diff().float()
    return pool(cn, node_weight(degree).unsqueeze(1)).squeeze(1)


def _finite(weight: Tensor) -> Tensor:
    return torch.where(torch.isinf(weight), 0.0, weight)
