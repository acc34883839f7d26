"""The vocabulary of a parameter graph: node types, edge types and activation ids.

Integer codes, so that a GMN embeds them with ``torch.nn.Embedding``. New layer types
append new codes at the end: codes already stored in zoo files keep their meaning.
"""

from __future__ import annotations

from enum import IntEnum


class NodeType(IntEnum):
    """What a node of a parameter graph stands for."""

    INPUT = 0  #: a feature (channel) of the network's input
    HIDDEN = 1  #: a hidden neuron, or one channel of a convolution's output
    OUTPUT = 2  #: a feature of the network's output
    BIAS = 3  #: the constant-1 source of one layer's bias edges
    NORM = 4  #: the output neuron of a normalisation layer's affine map (gamma, beta)
    HEAD = 5  #: one attention head, tying together the query/value neurons of that head


class EdgeType(IntEnum):
    """What an edge of a parameter graph stands for."""

    LINEAR = 0  #: a ``Linear`` weight
    CONV = 1  #: a convolution weight (one edge per kernel position)
    BIAS = 2  #: a bias, from the layer's bias node
    NORM_WEIGHT = 3  #: a normalisation layer's gamma
    NORM_BIAS = 4  #: a normalisation layer's beta, from its bias node
    RESIDUAL = 5  #: a skip connection (weight-free, value 1)
    ATTN_QUERY = 6  #: query projection weight
    ATTN_KEY = 7  #: key projection weight
    ATTN_VALUE = 8  #: value projection weight
    ATTN_OUT = 9  #: output projection weight
    ATTN_HEAD = 10  #: query or value neuron -> its head (weight-free, value 1)
    ATTN_QK = 11  #: query neuron -> the key neuron it is multiplied with (weight-free)
    EMBEDDING = 12  #: an added parameter tensor such as a positional embedding


#: Activation ids stored on the neurons an activation is applied to (0: none seen).
ACTIVATIONS = {
    "none": 0,
    "relu": 1,
    "gelu": 2,
    "tanh": 3,
    "sigmoid": 4,
    "silu": 5,
    "elu": 6,
    "leaky_relu": 7,
    "softplus": 8,
}
