"""Graph metanetworks (Lim et al., ICLR 2024): neural networks as parameter graphs
(:func:`parameter_graph`, and back with :func:`load_parameter_graph`), the GMN that
learns on them, and the weight-space baselines StatNN, DeepSets and the neural-graph GNN
of Kofinas et al. (on :func:`neural_graph`, collapsed from a parameter graph)."""

from gnnlib.metanet.deepsets import ParameterDeepSets
from gnnlib.metanet.gmn import GMN, GMNLayer, edge_value_scale
from gnnlib.metanet.neural_graph import (
    NeuralGraphGNN,
    kernel_shape,
    neural_graph,
    neural_graph_values,
)
from gnnlib.metanet.parameter_graph import (
    UnsupportedOperationError,
    load_parameter_graph,
    parameter_graph,
)
from gnnlib.metanet.schema import ACTIVATIONS, EdgeType, NodeType
from gnnlib.metanet.statnn import StatNN, weight_statistics

__all__ = [
    "ACTIVATIONS",
    "GMN",
    "EdgeType",
    "GMNLayer",
    "NeuralGraphGNN",
    "NodeType",
    "ParameterDeepSets",
    "StatNN",
    "UnsupportedOperationError",
    "edge_value_scale",
    "kernel_shape",
    "load_parameter_graph",
    "neural_graph",
    "neural_graph_values",
    "parameter_graph",
    "weight_statistics",
]
