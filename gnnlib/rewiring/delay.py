r"""Where DRew rewires and delays: which hops layer ``t`` reads, and from which layer.

DRew (Gutteridge et al., ICML 2023) updates node :math:`i` at layer :math:`t`
(counted from 0) as

.. math::
    \mathbf{h}_i^{(t+1)} = \mathbf{h}_i^{(t)} + \sigma\Big(\sum_{k=1}^{\min(t+1, K)}
        \mathrm{AGG}_{k,t}\big(\{\!\{\mathbf{h}_j^{(t - \tau_\nu(k))} :
        d(j, i) = k\}\!\}\big)\Big),
    \qquad \tau_\nu(k) = \max(0, k - \nu),

so the graph is rewired gradually (:func:`hops_at_layer`: one more hop per layer) and a
hop-:math:`k` message carries a state :math:`\tau_\nu(k)` layers old
(:func:`delayed_state`). :math:`\nu = \infty` (``nu=None``) means no delay; :math:`\nu = 1`
means information reaches a node no faster than along the graph, one hop per layer.
"""

from __future__ import annotations

import math

from torch import Tensor


def hops_at_layer(layer: int, max_hops: int, every_hop: bool = False) -> range:
    """The hops layer ``layer`` (from 0) aggregates: ``1 .. min(layer + 1, max_hops)``.

    ``every_hop=True`` gives ``1 .. max_hops`` at every layer: the SP-MPNN baseline
    (Abboud et al., 2022), which reads all shells from the first layer on.
    """
    if layer < 0 or max_hops < 1:
        raise ValueError(f"need layer >= 0 and max_hops >= 1, got {layer} and {max_hops}")
    return range(1, (max_hops if every_hop else min(layer + 1, max_hops)) + 1)


def check_nu(nu: float | None) -> float:
    """``nu`` as a number: ``None`` or ``math.inf`` is no delay, else an integer >= 1."""
    if nu is None or nu == math.inf:
        return math.inf
    if nu != int(nu) or nu < 1:
        raise ValueError(f"nu must be an integer >= 1, or None / math.inf for no delay; got {nu}")
    return nu


def delayed_state(states: list[Tensor], layer: int, hop: int, nu: float | None) -> Tensor:
    r"""The node states a hop-``hop`` message of layer ``layer`` reads:
    :math:`\mathbf{H}^{(t - \max(0, k - \nu))}`.

    ``states[s]`` is :math:`\mathbf{H}^{(s)}`, the input of layer ``s``, for
    ``s = 0 .. layer``. A delay reaching before the input (only possible for
    ``every_hop`` stacks, where ``k`` may exceed ``t + 1``) reads the input
    :math:`\mathbf{H}^{(0)}`.
    """
    if len(states) != layer + 1:
        raise ValueError(
            f"layer {layer} needs the states of layers 0..{layer}, got {len(states)} of them"
        )
    delay = int(max(0.0, hop - check_nu(nu)))  # 0 for nu = inf
    return states[max(0, layer - delay)]
