"""The node encoder of NCN/NCNC, layer for layer as the official code builds it."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from gnnlib.linkpred.common_neighbors import drop_entries
from gnnlib.nn import Adjacency, apply_conv, build_conv, conv_spec, feature_dropout


class NCNEncoder(torch.nn.Module):
    r"""Message passing that produces the node states NCN's predictors read.

    Input stage: featureless graphs (``num_embeddings`` set, e.g. ogbl-ddi) look up an
    orthogonally initialised embedding followed by dropout ``dropout``; featured graphs
    apply dropout ``input_dropout`` and, for parameter-free convs or ``num_layers=0``,
    a linear map to ``hidden_channels`` followed by dropout ``dropout``. With no layers
    the encoder is that input stage alone (the official ``--model none --mplayers 0``,
    used by NCNC on ogbl-citation2 over an NCN's saved node states).

    Layers: for parameter-free convs (``puregcn``, ``puresum``, ...) every layer is the
    bare propagation and the last one is followed by dropout ``tail_dropout``; for
    learned convs each layer but the last is followed by
    :math:`\mathrm{ReLU}(\mathrm{dropout}(\mathrm{LN}(\cdot)))`. With ``residual`` a layer's
    input is added to its output when widths match, and with ``jk`` the output is
    :math:`\sum_l w_l \mathbf{H}^{(l)}` with raw learned weights :math:`w \sim
    \mathcal{N}(0, 1)` at initialisation (no softmax), as in the official code.
    ``edge_dropout`` drops adjacency entries during training and rescales the rest by
    :math:`1/(1-p)` (the official ``DropAdj``, :func:`~gnnlib.linkpred.common_neighbors.drop_entries`).

    Shapes: ``x`` ``[N, F]`` (float features) or ``[N]`` (node ids for the embedding);
    ``adj`` a symmetric ``torch.sparse_csr`` ``[N, N]``; output ``[N, hidden_channels]``.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        num_layers: int,
        conv: str = "puregcn",
        dropout: float = 0.0,
        input_dropout: float = 0.0,
        tail_dropout: float = 0.0,
        edge_dropout: float = 0.0,
        ln: bool = False,
        residual: bool = False,
        jk: bool = False,
        num_embeddings: int | None = None,
    ) -> None:
        super().__init__()
        self.spec = conv_spec(conv)
        pure = conv.startswith("pure")
        self.embedding = None
        self.input_lin = None
        if num_embeddings is not None:
            self.embedding = torch.nn.Embedding(num_embeddings, hidden_channels)
            torch.nn.init.orthogonal_(self.embedding.weight)
            in_channels = hidden_channels
        elif pure or num_layers == 0:
            self.input_lin = torch.nn.Linear(in_channels, hidden_channels)
            in_channels = hidden_channels
        self.dropout = dropout
        self.input_dropout = input_dropout
        self.convs = torch.nn.ModuleList()
        self.posts = torch.nn.ModuleList()
        for layer in range(num_layers):
            last = layer == num_layers - 1
            self.convs.append(build_conv(conv, in_channels, hidden_channels))
            in_channels = hidden_channels
            if pure:
                self.posts.append(torch.nn.Dropout(tail_dropout) if last else torch.nn.Identity())
            elif last and num_layers > 1:  # a single learned layer keeps its post, as officially
                self.posts.append(torch.nn.Identity())
            else:
                norm = torch.nn.LayerNorm(hidden_channels) if ln else torch.nn.Identity()
                self.posts.append(
                    torch.nn.Sequential(norm, torch.nn.Dropout(dropout), torch.nn.ReLU())
                )
        if jk and num_layers == 0:
            raise ValueError("jk needs at least one layer; got num_layers=0")
        self.residual = residual
        self.edge_dropout = edge_dropout
        self.jk_weights = torch.nn.Parameter(torch.randn(num_layers)) if jk else None

    def reset_parameters(self) -> None:
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()
        if self.embedding is not None:
            torch.nn.init.orthogonal_(self.embedding.weight)
        if self.jk_weights is not None:
            torch.nn.init.normal_(self.jk_weights)

    @property
    def reads_sparse_features(self) -> bool:
        """Whether ``x`` may be a ``torch.sparse_csr`` feature matrix: the first layer is
        then a sparse product, about 10x faster for bag-of-words features (Cora,
        CiteSeer) than the dense one, with the same result."""
        return self.input_lin is not None

    def forward(self, x: Tensor, adj: Tensor) -> Tensor:
        if self.embedding is not None:
            x = F.dropout(self.embedding(x), self.dropout, self.training)
        else:
            x = feature_dropout(x, self.input_dropout, self.training)
            if self.input_lin is not None:
                x = F.dropout(self.input_lin(x), self.dropout, self.training)
        adjacency = Adjacency(drop_entries(adj, self.edge_dropout) if self.training else adj)
        layer_outputs = []
        for conv, post in zip(self.convs, self.posts):
            out = post(apply_conv(self.spec, conv, x, adjacency))
            x = out + x if self.residual and out.shape == x.shape else out
            layer_outputs.append(x)
        if self.jk_weights is None:
            return x
        return (self.jk_weights.view(-1, 1, 1) * torch.stack(layer_outputs)).sum(0)
