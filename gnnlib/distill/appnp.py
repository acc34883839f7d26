"""APPNP (Gasteiger et al., ICLR 2019): an MLP, then personalised-PageRank propagation."""

from __future__ import annotations

import torch
from torch import Tensor

from gnnlib.nn import MLP
from gnnlib.nn.adjacency import AdjacencyInput, as_adjacency, select_csr_entries, sparse_matmul


class APPNP(torch.nn.Module):
    r"""An MLP followed by :math:`K` steps of personalised-PageRank propagation.

    .. math::
        \mathbf{H}^{(0)} = \mathrm{MLP}(\mathbf{X}), \qquad
        \mathbf{H}^{(k+1)} = (1 - \alpha)\, \hat{\mathbf{A}} \mathbf{H}^{(k)}
            + \alpha \mathbf{H}^{(0)}

    with :math:`\hat{\mathbf{A}} = \hat{\mathbf{D}}^{-1/2} (\mathbf{A} + \mathbf{I})
    \hat{\mathbf{D}}^{-1/2}`; the output is :math:`\mathbf{H}^{(K)}`. In training each
    step drops every edge of :math:`\hat{\mathbf{A}}` with probability ``edge_dropout``
    and rescales the rest by :math:`1 / (1 - p)`, as DGL's ``APPNPConv`` (used by GLNN).
    The core has no APPNP conv; it lives here, with the teachers that need it.

    Args:
        in_channels, hidden_channels, out_channels: MLP widths.
        num_layers: MLP layers.
        dropout: dropout after each hidden MLP layer.
        norm: ``'none'``, ``'batch'`` or ``'layer'`` in the MLP.
        hops: :math:`K`.
        alpha: teleport probability :math:`\alpha`.
        edge_dropout: edge dropout probability in training.

    Shapes: ``x`` ``[N, in_channels]``, ``adj`` as for :class:`~gnnlib.nn.Encoder` ->
    ``[N, out_channels]``.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        out_channels: int,
        num_layers: int = 2,
        dropout: float = 0.5,
        norm: str = "none",
        hops: int = 10,
        alpha: float = 0.1,
        edge_dropout: float = 0.5,
    ) -> None:
        super().__init__()
        if not 0.0 <= alpha <= 1.0 or not 0.0 <= edge_dropout < 1.0 or hops < 0:
            raise ValueError(
                f"need 0 <= alpha <= 1, 0 <= edge_dropout < 1, hops >= 0; got alpha={alpha}, "
                f"edge_dropout={edge_dropout}, hops={hops}"
            )
        widths = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
        self.mlp = MLP(widths, norm=norm, dropout=dropout)
        self.hops = hops
        self.alpha = alpha
        self.edge_dropout = edge_dropout

    def reset_parameters(self) -> None:
        self.mlp.reset_parameters()

    def forward(self, x: Tensor, adj: AdjacencyInput) -> Tensor:
        propagation = as_adjacency(adj, num_nodes=x.size(0)).gcn_csr()
        h0 = h = self.mlp(x)
        for _ in range(self.hops):
            matrix = propagation
            if self.training and self.edge_dropout > 0:
                keep = (
                    torch.rand(propagation.values().numel(), device=x.device) >= self.edge_dropout
                )
                matrix = select_csr_entries(propagation, keep, 1.0 / (1.0 - self.edge_dropout))
            h = (1 - self.alpha) * sparse_matmul(matrix, h) + self.alpha * h0
        return h
