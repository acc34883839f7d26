"""Multi-layer perceptron."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import Tensor

from gnnlib.nn.norm import make_activation, make_norm


class MLP(torch.nn.Module):
    r"""A stack of linear layers.

    .. math::
        \mathbf{h}^{(l+1)} = \mathrm{dropout}(\sigma(\mathrm{norm}(W^{(l)} \mathbf{h}^{(l)}
        + \mathbf{b}^{(l)})))

    for every layer but the last, which is a plain linear map when ``plain_last``.

    Args:
        channels: widths ``[in, hidden..., out]`` (at least two entries).
        act: activation name (see :data:`gnnlib.nn.norm.ACTIVATIONS`).
        norm: ``'none'``, ``'batch'`` or ``'layer'``.
        dropout: dropout probability after each hidden activation.
        plain_last: no norm, activation or dropout after the last layer.
        bias: use biases.

    Shapes: ``[*, in] -> [*, out]``.
    """

    def __init__(
        self,
        channels: Sequence[int],
        act: str = "relu",
        norm: str = "none",
        dropout: float = 0.0,
        plain_last: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        channels = list(channels)
        if len(channels) < 2:
            raise ValueError(f"an MLP needs at least [in, out] channels, got {channels}")
        num_layers = len(channels) - 1
        self.lins = torch.nn.ModuleList(
            torch.nn.Linear(a, b, bias=bias) for a, b in itertools.pairwise(channels)
        )
        inner = num_layers - 1 if plain_last else num_layers
        self.norms = torch.nn.ModuleList(make_norm(norm, c) for c in channels[1 : inner + 1])
        self.acts = torch.nn.ModuleList(make_activation(act) for _ in range(inner))
        self.norm = norm
        self.dropout = dropout
        self.channels = channels

    @property
    def in_channels(self) -> int:
        return self.channels[0]

    @property
    def out_channels(self) -> int:
        return self.channels[-1]

    def reset_parameters(self) -> None:
        for module in [*self.lins, *self.norms]:
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        # An MLP student answers a handful of nodes in tens of microseconds, most of it
        # Python: the identity norm and an inactive dropout are skipped, not called.
        for i, lin in enumerate(self.lins):
            x = lin(x)
            if i < len(self.acts):
                if self.norm != "none":
                    x = self.norms[i](x)
                x = self.acts[i](x)
                if self.training and self.dropout > 0:
                    x = torch.nn.functional.dropout(x, self.dropout, training=True)
        return x

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.channels})"
