"""The message-passing core: one way to build the encoders every method needs."""

from gnnlib.nn.adjacency import Adjacency, as_adjacency, to_csr
from gnnlib.nn.conv import CONVS, ConvSpec, apply_conv, build_conv, conv_spec
from gnnlib.nn.csr_convs import CSRGCNConv, CSRGINConv, CSRSAGEConv
from gnnlib.nn.dropout import feature_dropout
from gnnlib.nn.encoder import Encoder
from gnnlib.nn.gatedgcn import GatedGCNConv
from gnnlib.nn.mlp import MLP
from gnnlib.nn.norm import make_activation, make_norm
from gnnlib.nn.pool import global_pool
from gnnlib.nn.pure import PureConv
from gnnlib.nn.sage_gcn import SAGEGCNConv

__all__ = [
    "CONVS",
    "MLP",
    "Adjacency",
    "CSRGCNConv",
    "CSRGINConv",
    "CSRSAGEConv",
    "ConvSpec",
    "Encoder",
    "GatedGCNConv",
    "PureConv",
    "SAGEGCNConv",
    "apply_conv",
    "as_adjacency",
    "build_conv",
    "conv_spec",
    "feature_dropout",
    "global_pool",
    "make_activation",
    "make_norm",
    "to_csr",
]
