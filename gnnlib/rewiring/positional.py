"""Positional encodings of the DRew experiments: LapPE and RWSE, computed on the
original graph (never on the hop shells) by PyG's transforms, and their encoders.

PyG's ``AddLaplacianEigenvectorPE`` and ``AddRandomWalkPE`` run on numpy/scipy and
dense or ``torch.sparse`` tensors: neither needs ``torch_sparse``.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.transforms import AddLaplacianEigenvectorPE, AddRandomWalkPE, BaseTransform

from gnnlib.nn.mlp import MLP


class _DenseLaplacianPE(AddLaplacianEigenvectorPE):
    # PyG switches to ARPACK (scipy's eigsh) above 100 nodes, which is about 10x slower
    # than a dense eigendecomposition on molecules of 100-1000 nodes (Peptides: ~150).
    SPARSE_THRESHOLD = 1000


class LaplacianPE(BaseTransform):
    """The ``k`` eigenvectors of the symmetric normalised Laplacian after the trivial one,
    as ``data.laplacian_pe`` ``[N, k]``; graphs with ``k + 1`` nodes or fewer get zero
    columns (PyG's transform refuses them), and ``data.laplacian_pe_mask`` ``[N, k]``
    says which columns are real eigenvectors."""

    def __init__(self, k: int) -> None:
        self.k = k

    def forward(self, data: Data) -> Data:
        n = data.num_nodes
        available = max(0, min(self.k, n - 2))
        pe = torch.zeros(n, self.k)
        if available:
            computed = _DenseLaplacianPE(available, attr_name="pe", is_undirected=True)(
                Data(edge_index=data.edge_index, num_nodes=n)
            ).pe
            pe[:, :available] = computed.float()
        data.laplacian_pe = pe
        data.laplacian_pe_mask = (torch.arange(self.k) < available).expand(n, -1).clone()
        return data

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(k={self.k})"


class RandomWalkPE(BaseTransform):
    """Random-walk return probabilities of ``1 .. walk_length`` steps as
    ``data.random_walk_pe`` ``[N, walk_length]`` (PyG's ``AddRandomWalkPE``)."""

    def __init__(self, walk_length: int) -> None:
        self.transform = AddRandomWalkPE(walk_length, attr_name="random_walk_pe")

    def forward(self, data: Data) -> Data:
        return self.transform(data)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(walk_length={self.transform.walk_length})"


class LapPEEncoder(torch.nn.Module):
    r"""GraphGPS's DeepSet LapPE encoder, on eigenvectors only:
    :math:`\mathbf{p}_i = \sum_{f} \phi(u_f(i))` over the real eigenvectors :math:`u_f`,
    with :math:`\phi` a two-layer MLP ``1 -> pe_dim -> pe_dim``. Eigenvector signs are
    arbitrary, so training flips the sign of each eigenvector column of a batch at
    random (as GraphGPS does). Reads ``laplacian_pe`` and ``laplacian_pe_mask`` -> ``[N, pe_dim]``."""

    def __init__(self, pe_dim: int) -> None:
        super().__init__()
        self.phi = MLP([1, pe_dim, pe_dim])

    def reset_parameters(self) -> None:
        self.phi.reset_parameters()

    def forward(self, data: Data) -> Tensor:
        pe = data.laplacian_pe
        if self.training:
            sign = torch.randint(0, 2, (1, pe.size(1)), device=pe.device) * 2 - 1
            pe = pe * sign
        encoded = self.phi(pe.unsqueeze(-1)) * data.laplacian_pe_mask.unsqueeze(-1)
        return encoded.sum(1)


class RWSEEncoder(torch.nn.Module):
    """A linear map of the random-walk structural encoding: ``[N, walk_length] -> [N,
    pe_dim]`` (GraphGPS's ``linear`` RWSE encoder)."""

    def __init__(self, walk_length: int, pe_dim: int) -> None:
        super().__init__()
        self.lin = torch.nn.Linear(walk_length, pe_dim)

    def reset_parameters(self) -> None:
        self.lin.reset_parameters()

    def forward(self, data: Data) -> Tensor:
        return self.lin(data.random_walk_pe)
