"""DRew: dynamically rewired message passing with delay (Gutteridge et al., ICML 2023).

* :mod:`~gnnlib.rewiring.hop_shells`: the ``k``-hop shells (pre_transform) and their
  per-batch adjacencies;
* :mod:`~gnnlib.rewiring.delay`: which hops layer ``t`` reads and from which layer
  (:func:`delayed_state` is the one place the delay is applied);
* :mod:`~gnnlib.rewiring.drew_conv` (any core conv, DRew-GCN),
  :mod:`~gnnlib.rewiring.drew_gin`, :mod:`~gnnlib.rewiring.drew_gatedgcn`: the layers;
* :mod:`~gnnlib.rewiring.model`: DRew / SP-MPNN / MPNN / MixHop graph models;
* :mod:`~gnnlib.rewiring.param_budget`: the width for a parameter budget;
* :mod:`~gnnlib.rewiring.ring_transfer`, :mod:`~gnnlib.rewiring.data`: datasets;
* :mod:`~gnnlib.rewiring.train`: the ``drew`` task (config + ``run``).
"""

from gnnlib.rewiring.delay import delayed_state, hops_at_layer
from gnnlib.rewiring.drew_conv import DRewConv
from gnnlib.rewiring.drew_gatedgcn import DRewGatedGCNConv
from gnnlib.rewiring.drew_gin import DRewGINConv
from gnnlib.rewiring.hop_shells import (
    HopGraph,
    HopShells,
    add_hop_shells,
    hop_edge_index,
    hop_shells,
)
from gnnlib.rewiring.mixhop import MixHopConv
from gnnlib.rewiring.model import DRewModel, DRewModelConfig
from gnnlib.rewiring.param_budget import count_parameters, hidden_for_budget
from gnnlib.rewiring.ring_transfer import ring_transfer, ring_transfer_graph

__all__ = [
    "DRewConv",
    "DRewGINConv",
    "DRewGatedGCNConv",
    "DRewModel",
    "DRewModelConfig",
    "HopGraph",
    "HopShells",
    "MixHopConv",
    "add_hop_shells",
    "count_parameters",
    "delayed_state",
    "hidden_for_budget",
    "hop_edge_index",
    "hop_shells",
    "hops_at_layer",
    "ring_transfer",
    "ring_transfer_graph",
]
