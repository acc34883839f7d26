r"""Link predictors of the NCN paper: GAE, GAE+CN, NCN, NCN-diff, NCN2 and NCNC.

Each scores a batch of node pairs from node states ``x`` ``[N, F]`` produced by an
encoder, the graph's adjacency (``torch.sparse_csr`` ``[N, N]``, see
:mod:`gnnlib.linkpred.common_neighbors`) and the pairs ``tar`` ``[2, B]``, and returns one
logit per pair, ``[B]`` (the official classes return ``[B, 1]`` with
``out_channels=1``; the official training squeezes it anyway).

The layers follow the official ``model.py`` (GraphPKU/NeuralCommonNeighbor) layer for
layer, in the official order (``Linear``, optional ``LayerNorm``, ``Dropout``,
``ReLU``) and construction order, so that one seed gives NCN and NCNC the official
initialisation. Module names say what each part is; the official names are
``pair_mlp`` = ``xijlin``, ``cn_mlp`` = ``xcnlin``, ``out_mlp`` = ``lin``,
``node_mlp`` = ``xlin``, ``pt_mlp`` = ``ptlin``. :class:`gnnlib.nn.MLP` is not used
because ``xcnlin`` has its layer norm on the second layer only.

Left out, because they never change a score: the arguments ``num_layers`` (unused by
these classes), ``out_channels`` (always 1), ``filled1`` (accepted and ignored by
``adjoverlap``) and ``cndropprobs`` (always empty in training), and the modules the
official classes build but never call (``xcnlin``, ``beta`` and ``xlin`` of ``cn0``,
``xlin`` of ``scn1``). Those modules draw from the RNG when built, so one seed gives
GAE and GAE+CN a different (equally distributed) initialisation than the official code.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import torch
from torch import Tensor, nn

from gnnlib.linkpred.common_neighbors import (
    check_pairs,
    common_neighbors,
    drop_entries,
    neighbor_overlap,
    pool,
    row_indices,
    subsample_rows,
    two_hop_neighbors,
    with_values,
)


def _hidden_layer(in_channels: int, out_channels: int, dropout: float, layer_norm: bool):
    layers = [nn.Linear(in_channels, out_channels)]
    if layer_norm:
        layers.append(nn.LayerNorm(out_channels))
    return [*layers, nn.Dropout(dropout), nn.ReLU()]


def _pair_mlp(in_channels, hidden_channels, dropout, layer_norm, tail_act) -> nn.Sequential:
    """Official ``xijlin``."""
    layers = _hidden_layer(in_channels, hidden_channels, dropout, layer_norm)
    if not tail_act:
        layers.append(nn.Linear(hidden_channels, hidden_channels))
    return nn.Sequential(*layers)


def _cn_mlp(in_channels, hidden_channels, dropout, layer_norm, tail_act) -> nn.Sequential:
    """Official ``xcnlin``: no layer norm after its first layer."""
    layers = _hidden_layer(in_channels, hidden_channels, dropout, False)
    layers += _hidden_layer(hidden_channels, hidden_channels, dropout, layer_norm)
    if not tail_act:
        layers.append(nn.Linear(hidden_channels, hidden_channels))
    return nn.Sequential(*layers)


def _out_mlp(hidden_channels, dropout, layer_norm, two_layer_lin) -> nn.Sequential:
    """Official ``lin``, ending in one logit."""
    layers = _hidden_layer(hidden_channels, hidden_channels, dropout, layer_norm)
    if two_layer_lin:
        layers += _hidden_layer(hidden_channels, hidden_channels, dropout, layer_norm)
    return nn.Sequential(*layers, nn.Linear(hidden_channels, 1))


def _reset_submodules(module: nn.Module) -> None:
    for child in module.modules():
        if child is not module and hasattr(child, "reset_parameters"):
            child.reset_parameters()


def _check_states(x: Tensor, adj: Tensor | None) -> None:
    if not isinstance(x, Tensor) or x.dim() != 2:
        shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"expected node states x of shape [N, F], got {shape}")
    if adj is not None and (adj.dim() != 2 or adj.size(0) != x.size(0)):
        raise ValueError(
            f"adjacency of shape {tuple(adj.shape)} does not match x with N={x.size(0)} "
            "nodes: expected [N, N]"
        )


class GAEPredictor(nn.Module):
    r"""GAE link predictor (official ``cn0``, ``CN0LinkPredictor``): an MLP over the
    Hadamard product of the two node states.

    .. math::
        s(i, j) = \mathrm{MLP}_{\mathrm{out}}\big(\mathrm{MLP}_{ij}(\mathbf{x}_i \odot
        \mathbf{x}_j)\big)

    Note: the official script passes ``tailact``/``twolayerlin`` only to the NCN-type
    predictors, so its GAE always runs with ``tail_act=False, two_layer_lin=False``
    whatever the command line says.

    Args:
        in_channels: node state width ``F``.
        hidden_channels: hidden width.
        dropout: dropout after every hidden layer (``--predp``).
        layer_norm: layer norm in the MLPs (``--lnnn``).
        tail_act: end :math:`\mathrm{MLP}_{ij}` with its activation instead of a linear
            layer (``--tailact``).
        two_layer_lin: two hidden layers in :math:`\mathrm{MLP}_{\mathrm{out}}`
            (``--twolayerlin``).

    Shapes:
        ``x`` ``[N, F]``, ``adj`` ignored (may be ``None``), ``tar`` ``[2, B]`` ->
        logits ``[B]``.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        dropout: float = 0.0,
        layer_norm: bool = False,
        tail_act: bool = False,
        two_layer_lin: bool = False,
    ) -> None:
        super().__init__()
        self.pair_mlp = _pair_mlp(in_channels, hidden_channels, dropout, layer_norm, tail_act)
        self.out_mlp = _out_mlp(hidden_channels, dropout, layer_norm, two_layer_lin)

    def reset_parameters(self) -> None:
        _reset_submodules(self)

    def forward(self, x: Tensor, adj: Tensor | None, tar: Tensor) -> Tensor:
        _check_states(x, adj)
        tar = check_pairs(tar, x.size(0))
        return self.out_mlp(self.pair_mlp(x[tar[0]] * x[tar[1]])).squeeze(-1)


class _CommonNeighborScorer(nn.Module):
    r"""What GAE+CN, NCN and NCNC share:
    :math:`\mathrm{MLP}_{\mathrm{out}}(\mathrm{MLP}_{cn}(\mathbf{z}) \cdot \beta +
    \mathrm{MLP}_{ij}(\mathbf{x}_i \odot \mathbf{x}_j))` for a common-neighbour feature
    :math:`\mathbf{z}` of width ``cn_channels``."""

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        *,
        cn_channels: int,
        dropout: float,
        edge_dropout: float,
        layer_norm: bool,
        cn_max: int | None,
        tail_act: bool,
        two_layer_lin: bool,
        beta: float,
        use_xlin: bool = False,
    ) -> None:
        super().__init__()
        if not 0.0 <= edge_dropout < 1.0:
            raise ValueError(f"edge_dropout must be in [0, 1), got {edge_dropout}")
        if cn_max is not None and cn_max < 1:
            raise ValueError(f"cn_max must be None (no sampling) or >= 1, got {cn_max}")
        if use_xlin and in_channels != hidden_channels:
            raise ValueError(
                "use_xlin maps node states with hidden_channels -> hidden_channels layers, "
                f"so in_channels ({in_channels}) must equal hidden_channels "
                f"({hidden_channels})"
            )
        self.initial_beta = beta
        self.beta = nn.Parameter(torch.full((1,), float(beta)))
        self.node_mlp = (
            nn.Sequential(
                *_hidden_layer(hidden_channels, hidden_channels, dropout, False),
                *_hidden_layer(hidden_channels, hidden_channels, dropout, layer_norm),
            )
            if use_xlin
            else None
        )
        self.cn_mlp = _cn_mlp(cn_channels, hidden_channels, dropout, layer_norm, tail_act)
        self.pair_mlp = _pair_mlp(in_channels, hidden_channels, dropout, layer_norm, tail_act)
        self.out_mlp = _out_mlp(hidden_channels, dropout, layer_norm, two_layer_lin)
        self.edge_dropout = edge_dropout
        self.cn_max = cn_max

    def reset_parameters(self) -> None:
        _reset_submodules(self)
        with torch.no_grad():
            self.beta.fill_(self.initial_beta)

    def _prepare(self, x: Tensor, adj: Tensor, tar: Tensor) -> tuple[Tensor, Tensor]:
        _check_states(x, adj)
        tar = check_pairs(tar, x.size(0))
        if self.training:
            adj = drop_entries(adj, self.edge_dropout)
        return adj, tar

    def _transform_nodes(self, x: Tensor) -> Tensor:
        # Official: x + xlin(x), with xlin = 0 unless use_xlin.
        return x if self.node_mlp is None else x + self.node_mlp(x)

    def _cap(self, sets: Tensor, max_entries: int | None) -> Tensor:
        return sets if max_entries is None else subsample_rows(sets, max_entries)

    def _score(self, cn_feature: Tensor, xij: Tensor, extra: Tensor | float = 0.0) -> Tensor:
        pair = self.pair_mlp(xij)
        return self.out_mlp(self.cn_mlp(cn_feature) * self.beta + extra + pair).squeeze(-1)


class CNPredictor(_CommonNeighborScorer):
    r"""GAE + CN (official ``scn1``, ``SCNLinkPredictor``, the paper's "GAE+CN"): the
    GAE score with the common-neighbour count as an extra input.

    .. math::
        s(i, j) = \mathrm{MLP}_{\mathrm{out}}\Big(\mathrm{MLP}_{cn}\big(
        |\mathcal{N}(i) \cap \mathcal{N}(j)|\big) \cdot \beta +
        \mathrm{MLP}_{ij}(\mathbf{x}_i \odot \mathbf{x}_j)\Big)

    with :math:`\beta` learned (initialised to ``beta``). With ``cn_max`` the count is
    the reweighted count of a subsample (unbiased).

    Args:
        in_channels: node state width ``F``.
        hidden_channels: hidden width.
        dropout: dropout after every hidden layer (``--predp``).
        edge_dropout: training-time probability of dropping each adjacency entry
            before the common neighbours are found (``edrop``, ``--preedp``).
        layer_norm: layer norm in the MLPs (``--lnnn``).
        cn_max: subsample common-neighbour sets to at most this many members
            (``cndeg``, ``--cndeg``); ``None`` keeps all (official ``-1``).
        tail_act: end :math:`\mathrm{MLP}_{cn}` and :math:`\mathrm{MLP}_{ij}` with their
            activation instead of a linear layer (``--tailact``).
        two_layer_lin: two hidden layers in :math:`\mathrm{MLP}_{\mathrm{out}}`
            (``--twolayerlin``).
        beta: initial :math:`\beta` (``--beta``).

    Shapes:
        ``x`` ``[N, F]``, ``adj`` ``torch.sparse_csr`` ``[N, N]``, ``tar`` ``[2, B]`` ->
        logits ``[B]``.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        dropout: float = 0.0,
        edge_dropout: float = 0.0,
        layer_norm: bool = False,
        cn_max: int | None = None,
        tail_act: bool = False,
        two_layer_lin: bool = False,
        beta: float = 1.0,
    ) -> None:
        super().__init__(
            in_channels,
            hidden_channels,
            cn_channels=1,
            dropout=dropout,
            edge_dropout=edge_dropout,
            layer_norm=layer_norm,
            cn_max=cn_max,
            tail_act=tail_act,
            two_layer_lin=two_layer_lin,
            beta=beta,
        )

    def forward(self, x: Tensor, adj: Tensor, tar: Tensor) -> Tensor:
        adj, tar = self._prepare(x, adj, tar)
        cn = self._cap(common_neighbors(adj, tar), self.cn_max)
        count = pool(cn, x.new_ones(x.size(0), 1))
        return self._score(count, x[tar[0]] * x[tar[1]])


class NCNPredictor(_CommonNeighborScorer):
    r"""Neural Common Neighbor (official ``cn1``, ``CNLinkPredictor``).

    .. math::
        s(i, j) = \mathrm{MLP}_{\mathrm{out}}\Big(\mathrm{MLP}_{cn}\big(
        \textstyle\sum_{k \in \mathcal{N}(i) \cap \mathcal{N}(j)} \mathbf{h}_k\big)
        \cdot \beta + \mathrm{MLP}_{ij}(\mathbf{x}_i \odot \mathbf{x}_j)\Big),
        \qquad \mathbf{h} = \mathbf{x} + \mathrm{MLP}_{x}(\mathbf{x})

    with :math:`\beta` learned (initialised to ``beta``), :math:`\mathrm{MLP}_{x}` present
    only with ``use_xlin`` (else :math:`\mathbf{h} = \mathbf{x}`), and the Hadamard term
    taken from :math:`\mathbf{x}`, not :math:`\mathbf{h}`, as in the official code.
    In training, each adjacency entry is first dropped with probability
    ``edge_dropout``; with ``cn_max`` the sum runs over a reweighted subsample.

    Args:
        in_channels: node state width ``F``.
        hidden_channels: hidden width.
        dropout: dropout after every hidden layer (``--predp``).
        edge_dropout: training-time adjacency entry dropout (``edrop``, ``--preedp``).
        layer_norm: layer norm in the MLPs (``--lnnn``).
        cn_max: subsample common-neighbour sets to at most this many members
            (``cndeg``); ``None`` keeps all (official ``-1``).
        use_xlin: add :math:`\mathrm{MLP}_{x}` (``--use_xlin``); needs
            ``in_channels == hidden_channels``.
        tail_act: end :math:`\mathrm{MLP}_{cn}` and :math:`\mathrm{MLP}_{ij}` with their
            activation instead of a linear layer (``--tailact``).
        two_layer_lin: two hidden layers in :math:`\mathrm{MLP}_{\mathrm{out}}`
            (``--twolayerlin``).
        beta: initial :math:`\beta` (``--beta``).

    Shapes:
        ``x`` ``[N, F]``, ``adj`` ``torch.sparse_csr`` ``[N, N]``, ``tar`` ``[2, B]`` ->
        logits ``[B]``.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        dropout: float = 0.0,
        edge_dropout: float = 0.0,
        layer_norm: bool = False,
        cn_max: int | None = None,
        use_xlin: bool = False,
        tail_act: bool = False,
        two_layer_lin: bool = False,
        beta: float = 1.0,
    ) -> None:
        super().__init__(
            in_channels,
            hidden_channels,
            cn_channels=in_channels,
            dropout=dropout,
            edge_dropout=edge_dropout,
            layer_norm=layer_norm,
            cn_max=cn_max,
            use_xlin=use_xlin,
            tail_act=tail_act,
            two_layer_lin=two_layer_lin,
            beta=beta,
        )

    def forward(self, x: Tensor, adj: Tensor, tar: Tensor) -> Tensor:
        adj, tar = self._prepare(x, adj, tar)
        xij = x[tar[0]] * x[tar[1]]
        h = self._transform_nodes(x)
        cn = self._cap(common_neighbors(adj, tar), self.cn_max)
        return self._score(pool(cn, h), xij)


class _NCNWithExtraSets(NCNPredictor, ABC):
    r"""NCN plus a second MLP over node states pooled over further sets of each pair:
    what the paper's ablations NCN-diff and NCN2 share. A subclass names its sets in
    ``_sets``; the MLP (``extra_mlp``) is shaped as :math:`\mathrm{MLP}_{cn}`.

    Args:
        in_channels, hidden_channels, dropout, layer_norm, tail_act: as
            :class:`NCNPredictor`, and shape ``extra_mlp`` too.
        options: the other :class:`NCNPredictor` arguments.

    Shapes:
        ``x`` ``[N, F]``, ``adj`` ``torch.sparse_csr`` ``[N, N]``, ``tar`` ``[2, B]`` ->
        logits ``[B]``.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        dropout: float = 0.0,
        layer_norm: bool = False,
        tail_act: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(
            in_channels,
            hidden_channels,
            dropout=dropout,
            layer_norm=layer_norm,
            tail_act=tail_act,
            **options,
        )
        self.extra_mlp = _cn_mlp(in_channels, hidden_channels, dropout, layer_norm, tail_act)

    @abstractmethod
    def _sets(self, adj: Tensor, tar: Tensor) -> tuple[Tensor, tuple[Tensor, ...]]:
        """The common neighbours and the further sets whose pooled states are summed."""

    def forward(self, x: Tensor, adj: Tensor, tar: Tensor) -> Tensor:
        adj, tar = self._prepare(x, adj, tar)
        xij = x[tar[0]] * x[tar[1]]
        h = self._transform_nodes(x)
        common, extra = self._sets(adj, tar)
        extra_sum = sum(pool(sets, h) for sets in extra)
        return self._score(pool(common, h), xij, self.extra_mlp(extra_sum))


class NCNDiffPredictor(_NCNWithExtraSets):
    r"""NCN-diff, the paper's ablation that also pools the one-sided neighbourhoods
    (official ``cn1res``, ``CNResLinkPredictor``).

    .. math::
        s(i, j) = \mathrm{MLP}_{\mathrm{out}}\Big(\mathrm{MLP}_{cn}\big(
        \textstyle\sum_{k \in \mathcal{N}(i) \cap \mathcal{N}(j)} \mathbf{h}_k\big)
        \cdot \beta + \mathrm{MLP}_{\mathrm{diff}}\big(\textstyle\sum_{k \in
        \mathcal{N}(i) \setminus \mathcal{N}(j)} \mathbf{h}_k + \sum_{k \in
        \mathcal{N}(j) \setminus \mathcal{N}(i)} \mathbf{h}_k\big) +
        \mathrm{MLP}_{ij}(\mathbf{x}_i \odot \mathbf{x}_j)\Big)

    with :math:`\mathrm{MLP}_{\mathrm{diff}}` = ``extra_mlp`` (official
    ``xcnreslin``) and everything else as :class:`NCNPredictor`; ``cn_max``
    subsamples the common neighbours only, as the official ``cndeg`` does.

    The options mean what they mean for NCN. The official script does not: it builds
    ``cn1res`` with the same positional arguments as ``cn1``, but
    ``CNResLinkPredictor``'s sixth and seventh parameters are ``ln`` and ``tailact``,
    not ``edrop`` and ``ln``, and it is not among the predictors handed ``--use_xlin``,
    ``--tailact``, ``--twolayerlin`` or ``--beta``. An official ``cn1res`` run
    therefore has no edge dropout, layer norm iff ``--preedp > 0`` and ``tail_act``
    iff ``--lnnn``; set those options to repeat one.

    Args and shapes: as :class:`NCNPredictor`.
    """

    def _sets(self, adj: Tensor, tar: Tensor) -> tuple[Tensor, tuple[Tensor, ...]]:
        overlap = neighbor_overlap(adj, tar)
        return self._cap(overlap.common, self.cn_max), (overlap.source_only, overlap.target_only)


class NCN2Predictor(_NCNWithExtraSets):
    r"""NCN2, the paper's ablation that adds second-order overlaps (official ``cn1.5``,
    ``CNhalf2LinkPredictor``).

    .. math::
        s(i, j) = \mathrm{MLP}_{\mathrm{out}}\Big(\mathrm{MLP}_{cn}\big(
        \textstyle\sum_{k \in \mathcal{N}(i) \cap \mathcal{N}(j)} \mathbf{h}_k\big)
        \cdot \beta + \mathrm{MLP}_{2}\big(\textstyle\sum_{k \in \mathcal{N}(i)
        \cap \mathcal{N}^2(j)} \mathbf{h}_k + \sum_{k \in \mathcal{N}^2(i) \cap
        \mathcal{N}(j)} \mathbf{h}_k\big) + \mathrm{MLP}_{ij}(\mathbf{x}_i \odot
        \mathbf{x}_j)\Big)

    where :math:`\mathcal{N}^2(v)` is the pattern of row ``v`` of :math:`A^2` (see
    :func:`~gnnlib.linkpred.two_hop_neighbors`), computed per call from the adjacency
    the predictor sees (after target link removal and edge dropout), as the official
    code does. :math:`\mathrm{MLP}_{2}` = ``extra_mlp`` (official ``xcn12lin``);
    ``cn_max`` subsamples all three overlaps, as ``cndeg`` does there. Everything else
    is :class:`NCNPredictor`. The official script hands ``cn1.5`` its flags shifted
    exactly as it does ``cn1res`` (see :class:`NCNDiffPredictor`); the options here
    mean what they mean for NCN.

    Args and shapes: as :class:`NCNPredictor`.
    """

    def _sets(self, adj: Tensor, tar: Tensor) -> tuple[Tensor, tuple[Tensor, ...]]:
        two_hop = two_hop_neighbors(adj)
        common = common_neighbors(adj, tar)
        one_two = common_neighbors(adj, tar, two_hop)
        two_one = common_neighbors(two_hop, tar, adj)
        return self._cap(common, self.cn_max), (
            self._cap(one_two, self.cn_max),
            self._cap(two_one, self.cn_max),
        )


class NCNCPredictor(NCNPredictor):
    r"""Neural Common Neighbor with Completion (official ``incn1cn1``,
    ``IncompleteCN1Predictor``).

    NCN with the common-neighbour sum completed by nodes that are neighbours of one
    endpoint and only *probably* of the other, weighted by that probability:

    .. math::
        \mathbf{z}_{ij} = \sum_{k \in \mathcal{N}(i) \cap \mathcal{N}(j)} \mathbf{h}_k
        + \sum_{k \in \mathcal{N}(j) \setminus \mathcal{N}(i)} p_{ik}\, \mathbf{h}_k
        + \sum_{k \in \mathcal{N}(i) \setminus \mathcal{N}(j)} p_{jk}\, \mathbf{h}_k,
        \qquad s(i, j) = \mathrm{MLP}_{\mathrm{out}}\big(\mathrm{MLP}_{cn}(\mathbf{z}_{ij})
        \cdot \beta + \mathrm{MLP}_{ij}(\mathbf{x}_i \odot \mathbf{x}_j)\big)

    where :math:`p_{ik}` calibrates the logit :math:`\ell_{ik}` this same model gives the
    pair :math:`(i, k)` at depth ``depth - 1`` (at depth 0 it is NCN), computed without
    gradient:

    .. math::
        p_0 = \sigma\big(\mathrm{scale} \cdot (\ell_{ik} - \mathrm{offset})\big), \qquad
        p_{ik} = \alpha\, \frac{p_t\, p_0}{p_t\, p_0 + 1 - p_0}

    (official ``clampprob``). :math:`p_t` is the constant ``pt`` or, with
    ``learnable_pt``, :math:`\sigma(\mathrm{MLP}_{pt}(\mathbf{x}_i \odot \mathbf{x}_j))`
    per target pair. In training the candidate sets are subsampled to ``train_res_max``
    members, in evaluation to ``test_res_max`` (reweighted, see
    :func:`~gnnlib.linkpred.subsample_rows`); the subsample's weight multiplies
    :math:`p`.

    The inner scoring is exactly the official recursion: it runs in the module's
    current mode (dropout and edge dropout active in training), on the node states
    *after* :math:`\mathrm{MLP}_{x}` and on the adjacency *after* this level's edge
    dropout, so with ``use_xlin`` and ``edge_dropout`` the inner NCN transforms the
    states and drops entries a second time. ``alpha``, ``scale``, ``offset`` and ``pt``
    are buffers, saved with the state dict; a schedule such as the official
    ``--increasealpha`` sets ``predictor.alpha.fill_(value)``. The NCN weights are the
    same parameters, so an NCN state dict loads with ``strict=False`` (missing: the
    four buffers, and ``pt_mlp`` with ``learnable_pt``), as the official ``--loadmod``
    does.

    Deliberate differences from the official class:

    * ``train_res_max``/``test_res_max`` default to ``None`` (no subsampling). The
      official class defaults are 8 and 128, but the official script always passes its
      own ``--trndeg``/``--tstdeg`` defaults of -1 (no subsampling), which every README
      NCNC command but ogbl-citation2's (``--trndeg 96 --tstdeg 96``) keeps.
    * ``learnable_pt`` works: the official ``pt[potcn1[0]]`` has shape ``[K, 1]`` and
      broadcasts the ``[K]`` logits to ``[K, K]``; here :math:`p_t` is taken per pair.
      (No README command uses ``--learnpt``.) ``pt_mlp`` is built only when used, and
      its first layer reads ``in_channels`` (official: ``hidden_channels``, the same
      width in every official run).

    Args:
        in_channels, hidden_channels, dropout, edge_dropout, layer_norm, cn_max,
        use_xlin, tail_act, two_layer_lin, beta: as :class:`NCNPredictor`.
        alpha: :math:`\alpha` (``--alpha``).
        scale: ``--probscale``.
        offset: ``--proboffset``.
        pt: :math:`p_t` (``--pt``).
        learnable_pt: learn :math:`p_t` per pair (``--learnpt``).
        depth: completion depth (``--depth``): 1 is NCNC, 2 is NCNC2, 0 is plain NCN.
        train_res_max: subsample candidate sets in training (``--trndeg``).
        test_res_max: subsample candidate sets in evaluation (``--tstdeg``).
        split_size: score candidate pairs in chunks of this many (``--splitsize``):
            bounds memory, does not change results.

    Shapes:
        ``x`` ``[N, F]``, ``adj`` ``torch.sparse_csr`` ``[N, N]``, ``tar`` ``[2, B]`` ->
        logits ``[B]``.
    """

    def __init__(
        self,
        in_channels: int,
        hidden_channels: int,
        dropout: float = 0.0,
        edge_dropout: float = 0.0,
        layer_norm: bool = False,
        cn_max: int | None = None,
        use_xlin: bool = False,
        tail_act: bool = False,
        two_layer_lin: bool = False,
        beta: float = 1.0,
        alpha: float = 1.0,
        scale: float = 5.0,
        offset: float = 3.0,
        pt: float = 0.5,
        learnable_pt: bool = False,
        depth: int = 1,
        train_res_max: int | None = None,
        test_res_max: int | None = None,
        split_size: int | None = None,
    ) -> None:
        super().__init__(
            in_channels,
            hidden_channels,
            dropout=dropout,
            edge_dropout=edge_dropout,
            layer_norm=layer_norm,
            cn_max=cn_max,
            use_xlin=use_xlin,
            tail_act=tail_act,
            two_layer_lin=two_layer_lin,
            beta=beta,
        )
        if depth < 0:
            raise ValueError(f"depth must be >= 0, got {depth}")
        for name, value in (
            ("train_res_max", train_res_max),
            ("test_res_max", test_res_max),
            ("split_size", split_size),
        ):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be None or >= 1, got {value}")
        self.depth = depth
        self.train_res_max = train_res_max
        self.test_res_max = test_res_max
        self.split_size = split_size
        self.register_buffer("alpha", torch.tensor(float(alpha)))
        self.register_buffer("pt", torch.tensor(float(pt)))
        self.register_buffer("scale", torch.tensor(float(scale)))
        self.register_buffer("offset", torch.tensor(float(offset)))
        self.pt_mlp = (
            nn.Sequential(
                nn.Linear(in_channels, hidden_channels),
                nn.ReLU(),
                nn.Linear(hidden_channels, 1),
                nn.Sigmoid(),
            )
            if learnable_pt
            else None
        )

    def forward(self, x: Tensor, adj: Tensor, tar: Tensor, depth: int | None = None) -> Tensor:
        """Score ``tar``; ``depth`` overrides the completion depth for this call."""
        depth = self.depth if depth is None else depth
        if depth == 0:
            return super().forward(x, adj, tar)
        adj, tar = self._prepare(x, adj, tar)
        xij = x[tar[0]] * x[tar[1]]
        h = self._transform_nodes(x)
        overlap = neighbor_overlap(adj, tar)
        cn = self._cap(overlap.common, self.cn_max)
        res_max = self.train_res_max if self.training else self.test_res_max
        source_only = self._cap(overlap.source_only, res_max)
        target_only = self._cap(overlap.target_only, res_max)
        pt = None if self.pt_mlp is None else self.pt_mlp(xij).squeeze(-1)
        # A neighbour k of i only is a common neighbour if (j, k) is an edge, and
        # vice versa: the official ei1 = (tar[1], k) for k in N(i) \ N(j).
        source_only = self._complete(h, adj, source_only, tar[1], pt, depth)
        target_only = self._complete(h, adj, target_only, tar[0], pt, depth)
        z = pool(cn, h) + pool(target_only, h) + pool(source_only, h)
        return self._score(z, xij)

    def completion_probability(self, logits: Tensor, pt: Tensor) -> Tensor:
        r""":math:`\alpha\, p_t p_0 / (p_t p_0 + 1 - p_0)` with
        :math:`p_0 = \sigma(\mathrm{scale} \cdot (\ell - \mathrm{offset}))`."""
        p0 = torch.sigmoid(self.scale * (logits - self.offset))
        return self.alpha * pt * p0 / (pt * p0 + 1 - p0)

    def _complete(
        self,
        h: Tensor,
        adj: Tensor,
        candidates: Tensor,
        other: Tensor,
        pt: Tensor | None,
        depth: int,
    ) -> Tensor:
        """Weight each candidate ``k`` of pair ``b`` by the probability that
        ``(other[b], k)`` is an edge."""
        pair = row_indices(candidates)
        pairs = torch.stack([other[pair], candidates.col_indices().long()])
        chunks = pairs.split(self.split_size, dim=1) if self.split_size else (pairs,)
        with torch.no_grad():
            logits = torch.cat([self(h, adj, chunk, depth - 1) for chunk in chunks])
        probability = self.completion_probability(logits, self.pt if pt is None else pt[pair])
        return with_values(candidates, probability * candidates.values())


PREDICTORS: dict[str, type[nn.Module]] = {
    "gae": GAEPredictor,
    "gae_cn": CNPredictor,
    "ncn": NCNPredictor,
    "ncn_diff": NCNDiffPredictor,
    "ncn2": NCN2Predictor,
    "ncnc": NCNCPredictor,
}

# The options the official script (NeighborOverlap.py, main) hands each predictor; it
# takes one set of flags for every --predictor and drops what a predictor does not get.
_CN_OPTIONS = (
    "dropout",
    "edge_dropout",
    "layer_norm",
    "cn_max",
    "tail_act",
    "two_layer_lin",
    "beta",
)
_FORWARDED_OPTIONS = {
    "gae": ("dropout", "layer_norm"),
    "gae_cn": _CN_OPTIONS,
    "ncn": (*_CN_OPTIONS, "use_xlin"),
    "ncn_diff": (*_CN_OPTIONS, "use_xlin"),
    "ncn2": (*_CN_OPTIONS, "use_xlin"),
    "ncnc": (
        *_CN_OPTIONS,
        "use_xlin",
        "alpha",
        "scale",
        "offset",
        "pt",
        "learnable_pt",
        "depth",
        "train_res_max",
        "test_res_max",
        "split_size",
    ),
}


def build_predictor(kind: str, channels: int, **options) -> nn.Module:
    """A predictor as the official script builds one from its command line.

    ``kind`` is ``'gae'`` (official ``cn0``), ``'gae_cn'`` (``scn1``), ``'ncn'``
    (``cn1``), ``'ncn_diff'`` (``cn1res``) and ``'ncn2'`` (``cn1.5``; see
    :class:`NCNDiffPredictor` for how the official script hands both their options)
    or ``'ncnc'`` (``incn1cn1``); input and hidden width are both
    ``channels`` (``--hiddim``). ``options`` are :class:`NCNCPredictor`'s arguments,
    i.e. the official flags under our names: ``dropout`` (``--predp``),
    ``edge_dropout`` (``--preedp``), ``layer_norm`` (``--lnnn``), ``cn_max``
    (``--cndeg``), ``use_xlin``, ``tail_act``, ``two_layer_lin``, ``beta``, ``alpha``,
    ``scale`` (``--probscale``), ``offset`` (``--proboffset``), ``pt``,
    ``learnable_pt`` (``--learnpt``), ``depth``, ``train_res_max`` (``--trndeg``),
    ``test_res_max`` (``--tstdeg``), ``split_size`` (``--splitsize``). Like the
    official script, each kind receives only the options it is given there (GAE: only
    ``dropout`` and ``layer_norm``), so one set of options serves every kind, as one
    README command serves every ``--predictor``; an unknown option name is an error.
    """
    if kind not in PREDICTORS:
        raise ValueError(f"unknown predictor {kind!r}; expected one of {sorted(PREDICTORS)}")
    allowed = _FORWARDED_OPTIONS["ncnc"]
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise ValueError(f"unknown predictor option(s) {unknown}; allowed: {list(allowed)}")
    forwarded = {k: v for k, v in options.items() if k in _FORWARDED_OPTIONS[kind]}
    return PREDICTORS[kind](channels, channels, **forwarded)
