r"""Neural graphs (Kofinas et al., "Graph Neural Networks for Learning Equivariant
Representations of Neural Networks", ICLR 2024), collapsed from parameter graphs, and
the GNN over them: the peer weight-space baseline of the GMN.

A neural graph has a node per neuron and an edge per (input neuron, output neuron)
pair; the edge carries the *whole* weight slice between the two as a vector, and a
neuron carries its bias as a node feature. :func:`neural_graph` derives it from a
:func:`~gnnlib.metanet.parameter_graph` (no second tracer), so it covers every
architecture the parameter graph covers:

* edges of type ``BIAS`` and ``NORM_BIAS`` (a layer's bias, a normalisation layer's
  :math:`\beta`) become the feature ``node_bias`` of the neuron they point to, and the
  bias nodes they came from are dropped once they have no edge left;
* every other edge is grouped by (source, target, edge type); a group becomes one edge
  whose vector ``edge_attr`` holds each member's value at its position
  :math:`(p_0, p_1)`, slot :math:`p_0 K_1 + p_1` of a :math:`K_0 \times K_1` grid. For a
  convolution that is the flattened kernel, zero-padded on the right and bottom to the
  largest kernel of the data; a ``Linear`` weight, a norm layer's :math:`\gamma`, an
  attention projection weight and the weight-free residual, head and query-key edges
  (value 1) are single entries at slot 0; a ``Linear`` after ``Flatten`` of a feature
  map gets its per-pixel weights of one channel pair as one vector, and a positional
  embedding gets its per-token values of one channel as one edge from its bias node
  (which stays, being the constant input of those weights).

Normalisation layers keep their layer of norm neurons: :math:`\gamma_i` is the
single-entry edge :math:`x_i \to y_i`, :math:`\beta_i` the bias of :math:`y_i`.
Attention keeps its structure: the query, key, value and head nodes stay neurons, each
projection weight is a single-entry edge, the projection biases are biases of the
query/key/value and output neurons, and the head and query-key edges stay single-entry
edges of value 1. Edges of different types are never merged, so a pair joined by both
a weight and a residual edge keeps two edges.

This is the difference from the GMN's graph, which keeps one edge per parameter entry
(nine parallel edges for a 3x3 kernel, told apart by an embedded kernel position) and
bias nodes with an edge per bias. Each half of the difference can be switched off, to
measure what it does: ``group_kernels=False`` keeps one edge per entry (a vector with
the entry's value in its slot and zeros elsewhere), ``bias_features=False`` keeps the
bias nodes and their edges (value in slot 0). With both off the neural graph has the
parameter graph's nodes and edges, one for one, and only the edge encoding differs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch import Tensor
from torch_geometric.data import Batch, Data

from gnnlib.metanet.gmn import (
    MAX_LAYERS,
    GMNLayer,
    NeuronEmbedding,
    graph_index,
    neuron_means,
)
from gnnlib.metanet.schema import EdgeType, NodeType
from gnnlib.nn import MLP, global_pool

__all__ = [
    "NeuralGraphGNN",
    "kernel_shape",
    "neural_graph",
    "neural_graph_values",
]

#: Parameter-graph edge types that become node features of the neuron they point to.
NODE_FEATURE_TYPES = (EdgeType.BIAS, EdgeType.NORM_BIAS)
#: What :func:`neural_graph` reads; every other attribute (a target ``y``, the run
#: index, ``param_names``) is copied to the neural graph unchanged.
PARAMETER_GRAPH_FIELDS = (
    "node_type",
    "node_layer",
    "node_act",
    "node_rank",
    "edge_index",
    "edge_value",
    "edge_type",
    "edge_layer",
    "edge_pos",
    "edge_param",
    "edge_flat",
)


def kernel_shape(graphs: Iterable[Data]) -> tuple[int, int]:
    """The smallest grid :math:`(K_0, K_1)` holding every edge position of ``graphs``
    (parameter graphs): one more than the largest ``edge_pos`` in each coordinate. Take
    it over every graph a model will see, so that one padding serves them all."""
    positions = [graph.edge_pos for graph in graphs]
    if not positions:
        raise ValueError("kernel_shape needs at least one parameter graph, got none")
    largest = torch.cat(positions).amax(0)
    return int(largest[0]) + 1, int(largest[1]) + 1


def neural_graph(
    graph: Data,
    kernel_shape: tuple[int, int],
    group_kernels: bool = True,
    bias_features: bool = True,
) -> Data:
    """The neural graph of one parameter graph (see the module docstring for the rule).

    Args:
        graph: a graph from :func:`~gnnlib.metanet.parameter_graph` (not a batch).
        kernel_shape: the grid :math:`(K_0, K_1)` every edge vector is padded to, from
            :func:`kernel_shape`; an edge position outside it is an error.
        group_kernels: one edge per (source, target, type) holding the whole weight
            slice; ``False`` keeps one edge per parameter entry.
        bias_features: biases and betas become node features; ``False`` keeps them as
            edges from their bias nodes.

    Returns:
        ``Data`` with, for ``N`` neurons and ``E`` collapsed edges: ``node_type``,
        ``node_layer``, ``node_act``, ``node_rank`` ``[N]`` (as in the parameter graph,
        for the neurons kept); ``node_bias``
        ``[N]`` and ``node_bias_type`` ``[N]`` (the bias or beta and its ``EdgeType``;
        0 and -1 where the neuron has none); ``edge_index`` ``[2, E]``; ``edge_attr``
        ``[E, K_0 K_1]`` (the weight slices); ``edge_type``, ``edge_layer`` ``[E]``; and,
        for each edge ``k`` of the parameter graph, where its value went:
        ``entry_edge[k]`` and ``entry_slot[k]`` (collapsed edge and slot, -1 if it
        became a node feature) or ``entry_node[k]`` (-1 if it went to an edge). Every
        other attribute of ``graph`` is copied.
    """
    if isinstance(graph, Batch):
        raise TypeError("neural_graph takes one parameter graph, not a batch; convert each graph")
    missing = [key for key in PARAMETER_GRAPH_FIELDS if key not in graph]
    if missing:
        raise ValueError(
            f"neural_graph expects a graph made by parameter_graph; it lacks {missing}"
        )
    rows, cols = _checked_shape(kernel_shape)
    pos = graph.edge_pos
    outside = (pos[:, 0] >= rows) | (pos[:, 1] >= cols)
    if bool(outside.any()):
        first = int(outside.nonzero()[0])
        raise ValueError(
            f"edge {first} ({EdgeType(int(graph.edge_type[first])).name}) sits at kernel "
            f"position {tuple(pos[first].tolist())}, outside kernel_shape {(rows, cols)}; "
            "take kernel_shape(graphs) over every graph the model will see"
        )
    source, target = graph.edge_index
    edge_type, value = graph.edge_type, graph.edge_value
    feature_types = [int(t) for t in NODE_FEATURE_TYPES] if bias_features else []
    to_node = torch.isin(edge_type, torch.tensor(feature_types, dtype=torch.long))
    biased = target[to_node]
    if biased.unique().numel() < biased.numel():
        twice = int(biased[torch.bincount(biased).gather(0, biased) > 1][0])
        raise ValueError(
            f"node {twice} receives more than one bias or beta edge; a neuron has one bias"
        )

    # One edge per (source, target, type); its members fill slots of one vector.
    to_edge = ~to_node
    slot = pos[to_edge, 0] * cols + pos[to_edge, 1]
    keys = [source[to_edge], target[to_edge], edge_type[to_edge]]
    if not group_kernels:
        keys.append(slot)
    pairs, group = torch.unique(torch.stack(keys, 1), dim=0, return_inverse=True)
    cell = group * (rows * cols) + slot
    cells, counts = cell.unique(return_counts=True)
    if bool((counts > 1).any()):
        src, dst, kind = pairs[int(cells[counts > 1][0]) // (rows * cols), :3].tolist()
        raise ValueError(
            f"two {EdgeType(kind).name} edges join nodes {src} -> {dst} at the same kernel "
            "position, so one edge vector cannot hold both"
        )
    edge_attr = torch.zeros(len(pairs), rows * cols, dtype=value.dtype)
    edge_attr.view(-1)[cell] = value[to_edge]
    # Every member of a group comes from one operation, hence one layer.
    edge_layer = torch.zeros(len(pairs), dtype=torch.long).scatter_(
        0, group, graph.edge_layer[to_edge]
    )

    # A bias node is dropped once its edges all became node features.
    in_edge = torch.zeros(graph.num_nodes, dtype=torch.bool)
    in_edge[pairs[:, :2].reshape(-1)] = True
    keep = (graph.node_type != int(NodeType.BIAS)) | in_edge
    new_id = torch.cumsum(keep, 0) - 1
    node_type = graph.node_type[keep]
    num_nodes = int(keep.sum())
    node_bias = torch.zeros(num_nodes, dtype=value.dtype)
    node_bias[new_id[biased]] = value[to_node]
    node_bias_type = torch.full((num_nodes,), -1, dtype=torch.long)
    node_bias_type[new_id[biased]] = edge_type[to_node]

    num_entries = edge_type.numel()
    entry_edge = torch.full((num_entries,), -1, dtype=torch.long)
    entry_edge[to_edge] = group
    entry_slot = torch.full((num_entries,), -1, dtype=torch.long)
    entry_slot[to_edge] = slot
    entry_node = torch.full((num_entries,), -1, dtype=torch.long)
    entry_node[to_node] = new_id[biased]
    result = Data(
        num_nodes=num_nodes,
        node_type=node_type,
        node_layer=graph.node_layer[keep],
        node_act=graph.node_act[keep],
        node_rank=graph.node_rank[keep],
        node_bias=node_bias,
        node_bias_type=node_bias_type,
        edge_index=new_id[pairs[:, :2].t()],
        edge_attr=edge_attr,
        edge_type=pairs[:, 2],
        edge_layer=edge_layer,
        entry_edge=entry_edge,
        entry_slot=entry_slot,
        entry_node=entry_node,
    )
    for key, attribute in graph:
        if key not in PARAMETER_GRAPH_FIELDS and key != "num_nodes":
            result[key] = attribute
    return result


def neural_graph_values(graph: Data) -> Tensor:
    """The parameter graph's edge values ``[E]`` read back from a neural graph (its edge
    vectors and node biases), for :func:`~gnnlib.metanet.load_parameter_graph`: the
    inverse of :func:`neural_graph`, so module -> neural graph -> module is exact."""
    if isinstance(graph, Batch):
        raise TypeError("neural_graph_values takes one neural graph, not a batch")
    missing = [k for k in ("entry_edge", "entry_slot", "entry_node") if k not in graph]
    if missing:
        raise ValueError(f"graph lacks {missing}: pass a graph made by neural_graph")
    from_edge = graph.edge_attr[graph.entry_edge.clamp(min=0), graph.entry_slot.clamp(min=0)]
    from_node = graph.node_bias[graph.entry_node.clamp(min=0)]
    return torch.where(graph.entry_node >= 0, from_node, from_edge)


def _checked_shape(shape: tuple[int, int]) -> tuple[int, int]:
    if len(shape) != 2 or not all(isinstance(k, int) and k >= 1 for k in shape):
        raise ValueError(f"kernel_shape must be two positive ints (K0, K1), got {shape!r}")
    return shape[0], shape[1]


class NeuralGraphGNN(torch.nn.Module):
    r"""The neural-graph GNN (Kofinas et al.'s NG-GNN) on graphs from :func:`neural_graph`.

    Neurons are embedded from their type, layer, activation, bias and, for the input and
    output neurons, whose order the network's function fixes, their position; edges
    from their weight vector, type and layer:

    .. math::
        \mathbf{x}^{(0)}_i &= \mathrm{emb}(\mathrm{type}_i) + \mathrm{emb}(\mathrm{layer}_i)
            + \mathrm{emb}(\mathrm{act}_i) + \mathrm{emb}(\mathrm{io}_i)
            + \mathrm{emb}(t_{b_i}) + \mathbf{w}_b\, s_{t_{b_i}} b_i \\
        \mathbf{e}^{(0)}_{ij} &= W_k\, s_{t_{ij}} \mathbf{k}_{ij}
            + \mathrm{emb}(t_{ij}) + \mathrm{emb}(\mathrm{layer}_{ij}) \\
        (\mathbf{x}^{(l+1)}, \mathbf{e}^{(l+1)}) &= \mathrm{GMNLayer}(\mathbf{x}^{(l)},
            \mathbf{e}^{(l)}) \\
        \hat y_G &= \mathrm{MLP}\Big(\Big[\frac{1}{|V_G|}\sum_{i \in V_G}
            \mathbf{x}^{(L)}_i \,\Big\|\, \frac{1}{|O_G|}\sum_{o \in O_G}
            \mathbf{x}^{(L)}_o \,\Big\|\, \frac{1}{|E_G|}\sum_{(i,j) \in E_G}
            \mathbf{e}^{(L)}_{ij}\Big]\Big)

    with :math:`\mathbf{k}_{ij}` the padded weight slice of edge :math:`i \to j` and
    :math:`t_{ij}` its type, :math:`b_i` the neuron's bias of type :math:`t_{b_i}`,
    :math:`s_t` the per-type value scale (as in :class:`~gnnlib.metanet.GMN`), and
    :math:`O_G` the output neurons. The readout pools the edge states too: a GatedGCN
    passes an edge's state to its target only through a gate normalised over the
    target's incoming edges (with one incoming edge, not at all), so the neuron states
    alone would barely see the weights (on a small MLP at initialisation, tripling one
    neuron's input weights moved a neuron-only readout about 50 times less than the
    GMN's output, median of 10 seeds), where the paper's PNA feeds the edge features
    into every message. Each
    :class:`~gnnlib.metanet.GMNLayer` is the core's
    :class:`~gnnlib.nn.GatedGCNConv` over every edge in both directions,
    :math:`\hat{\mathbf{e}}_{ij} = D\mathbf{x}_j + E\mathbf{x}_i + C\mathbf{e}_{ij}`,
    :math:`\mathbf{x}'_j = A\mathbf{x}_j + \sum_i \sigma(\hat{\mathbf{e}}_{ij}) \odot
    B\mathbf{x}_i / \sum_i \sigma(\hat{\mathbf{e}}_{ij})`, with residual, layer-normalised
    updates of both states (the edge update plays the part of the paper's edge MLP).
    The layer is the GMN's, so the two models differ in the graph they read (which
    :func:`neural_graph`'s switches can make the GMN's), the edge and bias encoders,
    and the neuron terms of the readout (which the GMN's ``readout_neurons`` adds).
    Hidden neurons share their layer's embeddings and every operation is per node, per
    edge or a mean, so the output is invariant to permutations of hidden neurons.

    Differences from the official code: the core's GatedGCN instead of PNA with FiLM
    edge modulation; messages in both edge directions; edge vectors read by a linear map
    instead of random Fourier features; the readout averages the output neurons instead
    of concatenating them, so networks with different numbers of outputs share a head,
    and adds the mean edge state (above).

    Args:
        kernel_shape: the grid the graphs' edge vectors were padded to
            (:func:`kernel_shape`); the edge encoder reads :math:`K_0 K_1` entries.
        hidden: width of node and edge states.
        num_layers: number of message-passing blocks.
        out_channels: width of the output.
        dropout: dropout on the state updates.
        value_scale: ``[len(EdgeType)]`` factors for weights and biases by type, from
            :func:`~gnnlib.metanet.edge_value_scale` on the parameter graphs (default
            all 1). Saved with the model.

    Shapes: a ``Batch`` of ``B`` neural graphs -> ``[B, out_channels]``.
    """

    def __init__(
        self,
        kernel_shape: tuple[int, int],
        hidden: int = 64,
        num_layers: int = 4,
        out_channels: int = 1,
        dropout: float = 0.0,
        value_scale: Tensor | None = None,
    ) -> None:
        super().__init__()
        self.kernel_shape = _checked_shape(tuple(kernel_shape))
        self.register_buffer(
            "value_scale", torch.ones(len(EdgeType)) if value_scale is None else value_scale
        )
        self.neurons = NeuronEmbedding(hidden)
        self.bias_value = torch.nn.Linear(1, hidden)
        self.bias_type = torch.nn.Embedding(len(EdgeType) + 1, hidden)  # 0: no bias
        self.kernel = torch.nn.Linear(math.prod(self.kernel_shape), hidden)
        self.edge_type = torch.nn.Embedding(len(EdgeType), hidden)
        self.edge_layer = torch.nn.Embedding(MAX_LAYERS, hidden)
        self.layers = torch.nn.ModuleList(GMNLayer(hidden, dropout) for _ in range(num_layers))
        self.head = MLP([3 * hidden, hidden, out_channels])
        self._reset_kernel()

    def reset_parameters(self) -> None:
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()
        self._reset_kernel()

    def _reset_kernel(self) -> None:
        # PyTorch scales a linear map's weights by 1/sqrt(fan-in), as if all K0*K1 slots
        # were filled; most edges fill one (a Linear weight, a gamma). Each slot is
        # initialised as a one-input map instead, the scale at which the GMN reads a value.
        torch.nn.init.uniform_(self.kernel.weight, -1.0, 1.0)

    def forward(self, graph: Data) -> Tensor:
        if "edge_attr" not in graph or "node_bias" not in graph:
            raise ValueError(
                "NeuralGraphGNN expects graphs from neural_graph (edge_attr, node_bias); "
                f"convert parameter graphs with neural_graph(graph, {self.kernel_shape})"
            )
        width = math.prod(self.kernel_shape)
        if graph.edge_attr.size(1) != width:
            raise ValueError(
                f"edge vectors have {graph.edge_attr.size(1)} entries, but this model reads "
                f"{width} (kernel_shape {self.kernel_shape}); convert the graphs with "
                "that kernel_shape"
            )
        bias_scale = self.value_scale[graph.node_bias_type.clamp(min=0)]
        x = (
            self.neurons(graph)
            + self.bias_type(graph.node_bias_type + 1)
            + self.bias_value((graph.node_bias * bias_scale).unsqueeze(-1))
        )
        e = (
            self.kernel(graph.edge_attr * self.value_scale[graph.edge_type].unsqueeze(-1))
            + self.edge_type(graph.edge_type)
            + self.edge_layer(graph.edge_layer.clamp(max=MAX_LAYERS - 1))
        )
        for layer in self.layers:
            x, e = layer(x, graph.edge_index, e)
        batch, num_graphs = graph_index(graph)
        edges = global_pool(e, batch[graph.edge_index[0]], "mean", num_graphs)
        return self.head(torch.cat([neuron_means(x, graph, batch, num_graphs), edges], 1))
