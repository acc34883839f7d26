"""MixHop (Abu-El-Haija et al., ICML 2019): powers of the normalised adjacency, mixed."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from gnnlib.nn.adjacency import Adjacency, sparse_matmul


class MixHopConv(torch.nn.Module):
    r"""One MixHop layer:

    .. math::
        \mathbf{X}' = \big\Vert_{p \in P} \hat{A}^{p} \mathbf{X} W_p,
        \qquad \hat{A} = \hat{D}^{-1/2}(A + I)\hat{D}^{-1/2}

    The multi-hop baseline of the DRew paper: it reaches ``max(P)`` hops per layer
    through walks (powers of :math:`\hat{A}`), where DRew reads shortest-path shells.

    Args:
        in_channels: input width.
        out_channels: output width, split evenly over the powers.
        powers: the powers :math:`P` (``(0, 1, 2)`` as in MixHop).

    Shapes: ``x`` ``[N, in]``, ``adjacency`` an
    :class:`~gnnlib.nn.adjacency.Adjacency` -> ``[N, out]``.
    """

    def __init__(
        self, in_channels: int, out_channels: int, powers: Sequence[int] = (0, 1, 2)
    ) -> None:
        super().__init__()
        if out_channels % len(powers):
            raise ValueError(
                f"MixHopConv: out_channels={out_channels} must be divisible by the number of "
                f"powers ({len(powers)}): their outputs are concatenated"
            )
        self.powers = sorted(powers)
        width = out_channels // len(powers)
        self.lins = torch.nn.ModuleList(torch.nn.Linear(in_channels, width) for _ in powers)

    def reset_parameters(self) -> None:
        for lin in self.lins:
            lin.reset_parameters()

    def forward(self, x: Tensor, adjacency: Adjacency) -> Tensor:
        propagate = adjacency.gcn_csr()
        outputs, power, h = [], 0, x
        for p, lin in zip(self.powers, self.lins):
            while power < p:
                h, power = sparse_matmul(propagate, h), power + 1
            outputs.append(lin(h))
        return torch.cat(outputs, dim=-1)
