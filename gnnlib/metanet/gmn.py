"""Graph metanetwork (GMN): a message-passing network over parameter graphs."""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data

from gnnlib.metanet.schema import ACTIVATIONS, EdgeType, NodeType
from gnnlib.nn import MLP, GatedGCNConv, global_pool

#: Layer indices and kernel/flatten positions at or past these share one embedding.
MAX_LAYERS = 64
#: Input (output) neurons at or past this position share one position embedding.
MAX_IO_POSITIONS = 64
MAX_POSITIONS = 32


def edge_value_scale(graphs: list[Data]) -> Tensor:
    """``1 / std`` of the edge values of each edge type over ``graphs`` (1 for types
    absent or constant): raw weights are small (about 0.1) and differently spread per
    type, so a GMN reads them rescaled by type. A per-type scale treats every edge of a
    type alike, so it keeps the neuron-permutation symmetries."""
    values = torch.cat([g.edge_value for g in graphs])
    types = torch.cat([g.edge_type for g in graphs])
    scale = torch.ones(len(EdgeType))
    for edge_type in types.unique().tolist():
        std = values[types == edge_type].std() if int((types == edge_type).sum()) > 1 else 0.0
        if std > 0:
            scale[edge_type] = 1.0 / std
    return scale


class GMNLayer(torch.nn.Module):
    r"""One GMN block: a :class:`~gnnlib.nn.GatedGCNConv` run over every edge in both
    directions, so that a neuron hears both its inputs and its outputs, then residual,
    layer-normalised updates of node and edge states.

    .. math::
        (\mathbf{h}, \hat{\mathbf{e}}^{\rightarrow}) &= \mathrm{GatedGCN}(\mathbf{x},
            \{i \to j\} \cup \{j \to i\}, [\mathbf{e} + \mathbf{d}_\rightarrow;
            \mathbf{e} + \mathbf{d}_\leftarrow]) \\
        \mathbf{x}' &= \mathbf{x} + \mathrm{ReLU}(\mathrm{LN}(\mathbf{h})) \\
        \mathbf{e}'_{ij} &= \mathbf{e}_{ij} + \mathrm{ReLU}(\mathrm{LN}(W
            [\hat{\mathbf{e}}_{i \to j} \,\|\, \hat{\mathbf{e}}_{j \to i}]))

    with learned direction vectors :math:`\mathbf{d}`. Every operation is per node or
    per edge, and aggregations are sums, so the layer is equivariant to permutations of
    the nodes (the neuron symmetries of the input network).

    Shapes: ``x`` ``[N, hidden]``, ``edge_index`` ``[2, E]``, ``edge_attr``
    ``[E, hidden]`` -> ``([N, hidden], [E, hidden])``.
    """

    def __init__(self, hidden: int, dropout: float = 0.0) -> None:
        super().__init__()
        self.conv = GatedGCNConv(hidden, hidden)
        self.direction = torch.nn.Embedding(2, hidden)
        self.edge_lin = torch.nn.Linear(2 * hidden, hidden)
        self.node_norm = torch.nn.LayerNorm(hidden)
        self.edge_norm = torch.nn.LayerNorm(hidden)
        self.dropout = dropout

    def reset_parameters(self) -> None:
        for module in (self.conv, self.direction, self.edge_lin, self.node_norm, self.edge_norm):
            module.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_attr: Tensor) -> tuple[Tensor, Tensor]:
        num_edges = edge_index.size(1)
        both = torch.cat([edge_index, edge_index.flip(0)], dim=1)
        states = torch.cat(
            [edge_attr + self.direction.weight[0], edge_attr + self.direction.weight[1]]
        )
        h, e_hat = self.conv(x, both, states)
        e_new = self.edge_lin(torch.cat([e_hat[:num_edges], e_hat[num_edges:]], dim=1))
        h = torch.nn.functional.dropout(torch.relu(self.node_norm(h)), self.dropout, self.training)
        e_new = torch.nn.functional.dropout(
            torch.relu(self.edge_norm(e_new)), self.dropout, self.training
        )
        return x + h, edge_attr + e_new


class GlobalState(torch.nn.Module):
    r"""A graph-level state beside the node and edge states, as in the graph networks of
    Battaglia et al. (2018): each block reads the mean node and edge states of its
    graph,

    .. math::
        \mathbf{u}' = \mathbf{u} + \mathrm{MLP}\Big(\Big[\mathbf{u} \,\Big\|\,
            \frac{1}{|V|}\sum_i \mathbf{x}_i \,\Big\|\,
            \frac{1}{|E|}\sum_{ij} \mathbf{e}_{ij}\Big]\Big),

    and the next block's nodes start from :math:`\mathbf{x}_i + W\mathbf{u}'`. A
    readout of the last :math:`\mathbf{u}` sees pooled states of every depth, not of the
    last block only. Means and a per-graph broadcast keep the neuron-permutation
    symmetries.

    Shapes: ``u`` ``[B, hidden]``, ``x`` ``[N, hidden]``, ``e`` ``[E, hidden]`` with
    their ``[N]`` and ``[E]`` graph indices -> ``([B, hidden], [N, hidden])``: the new
    global state and the nodes with it added.
    """

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.update = MLP([3 * hidden, hidden, hidden], norm="layer")
        self.to_nodes = torch.nn.Linear(hidden, hidden)

    def reset_parameters(self) -> None:
        self.update.reset_parameters()
        self.to_nodes.reset_parameters()

    def forward(
        self, u: Tensor, x: Tensor, batch: Tensor, e: Tensor, edge_batch: Tensor
    ) -> tuple[Tensor, Tensor]:
        num_graphs = u.size(0)
        pooled = torch.cat(
            [
                u,
                global_pool(x, batch, "mean", num_graphs),
                global_pool(e, edge_batch, "mean", num_graphs),
            ],
            dim=1,
        )
        u = u + self.update(pooled)
        return u, x + self.to_nodes(u)[batch]


def io_position(graph: Data) -> Tensor:
    """``[N]`` index of each node's position embedding: 0 for a node whose order is free
    (hidden, bias, norm, head), ``1 + rank`` for an input neuron and ``1 +
    MAX_IO_POSITIONS + rank`` for an output neuron (``rank``: ``node_rank``, capped), so
    that a metanetwork tells input and output neurons apart by position, as the network's
    function does, while staying invariant to permutations of hidden neurons."""
    rank = 1 + graph.node_rank.clamp(max=MAX_IO_POSITIONS - 1)
    is_input = graph.node_type == int(NodeType.INPUT)
    is_output = graph.node_type == int(NodeType.OUTPUT)
    return torch.where(is_input, rank, torch.where(is_output, rank + MAX_IO_POSITIONS, 0))


class NeuronEmbedding(torch.nn.Module):
    r"""A node's initial state from what the parameter graph says of it:
    :math:`\mathrm{emb}(\mathrm{type}) + \mathrm{emb}(\mathrm{layer}) +
    \mathrm{emb}(\mathrm{activation}) + \mathrm{emb}(\mathrm{io\ position})`
    (:func:`io_position`). Shared by the GMN and the neural-graph model."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.kind = torch.nn.Embedding(len(NodeType), hidden)  # not .type: a Module method
        self.layer = torch.nn.Embedding(MAX_LAYERS, hidden)
        self.act = torch.nn.Embedding(len(ACTIVATIONS), hidden)
        self.io = torch.nn.Embedding(1 + 2 * MAX_IO_POSITIONS, hidden)

    def forward(self, graph: Data) -> Tensor:
        return (
            self.kind(graph.node_type)
            + self.layer(graph.node_layer.clamp(max=MAX_LAYERS - 1))
            + self.act(graph.node_act)
            + self.io(io_position(graph))
        )


def graph_index(graph: Data) -> tuple[Tensor, int]:
    """``([N], B)``: the graph of each node and the number of graphs; a single graph
    (no ``batch``) is graph 0 of 1, so that one pooling code serves both."""
    batch = getattr(graph, "batch", None)
    if batch is None:
        batch = graph.node_type.new_zeros(graph.num_nodes)
    return batch, getattr(graph, "num_graphs", 1)


def neuron_means(x: Tensor, graph: Data, batch: Tensor, num_graphs: int) -> Tensor:
    r"""``[B, 2 hidden]``: per graph, the mean state of all nodes and of the output
    neurons, :math:`[\frac{1}{|V_G|}\sum_{i \in V_G} \mathbf{x}_i \,\|\,
    \frac{1}{|O_G|}\sum_{o \in O_G} \mathbf{x}_o]`. The output neurons are the ones a
    network's accuracy is read from, and a mean over them keeps one head for networks
    with different numbers of outputs."""
    is_output = graph.node_type == int(NodeType.OUTPUT)
    return torch.cat(
        [
            global_pool(x, batch, "mean", num_graphs),
            global_pool(x[is_output], batch[is_output], "mean", num_graphs),
        ],
        dim=1,
    )


class GMN(torch.nn.Module):
    r"""Graph metanetwork of Lim et al. (ICLR 2024) on graphs from
    :func:`~gnnlib.metanet.parameter_graph`.

    Nodes are embedded from (type, layer, activation, and for input and output neurons
    their position, :func:`io_position`), edges from (value, type, layer, kernel
    position); ``num_layers`` :class:`GMNLayer` update both; two invariant
    readouts follow:

    .. math::
        \hat y_G = \mathrm{MLP}\Big(\frac{1}{|E_G|}\sum_{(i,j) \in E_G}
            \mathbf{e}^{(L)}_{ij}\Big), \qquad
        \hat w_{ij} = \mathrm{MLP}_e(\mathbf{e}^{(L)}_{ij})

    (graph-level prediction, e.g. the network's accuracy; and a new value per edge,
    e.g. an edited parameter, written back with
    :func:`~gnnlib.metanet.load_parameter_graph`). With ``global_state``, a
    :class:`GlobalState` follows every block and the graph-level readout reads
    :math:`\mathbf{u}^{(L)}` instead of the mean edge state. With ``readout_neurons``,
    it reads the node means of :func:`neuron_means` too, as
    :class:`~gnnlib.metanet.NeuralGraphGNN` does:
    :math:`\hat y_G = \mathrm{MLP}([\bar{\mathbf{x}}_G \,\|\, \bar{\mathbf{x}}_{O_G}
    \,\|\, \bar{\mathbf{e}}_G])` (or :math:`\mathbf{u}^{(L)}` last).

    Args:
        hidden: width of node and edge states.
        num_layers: number of message-passing blocks.
        out_channels: width of the graph-level output.
        dropout: dropout on the state updates.
        value_scale: ``[len(EdgeType)]`` factors for the edge values by type (see
            :func:`edge_value_scale`; default all 1). Saved with the model.
        global_state: keep a graph-level state (:class:`GlobalState`) and read it out.
        readout_neurons: the graph-level readout reads the mean node and output-neuron
            states as well.

    Shapes: a ``Batch`` of ``B`` graphs with ``E`` edges -> ``([B, out_channels], [E])``.
    """

    def __init__(
        self,
        hidden: int = 64,
        num_layers: int = 4,
        out_channels: int = 1,
        dropout: float = 0.0,
        value_scale: Tensor | None = None,
        global_state: bool = False,
        readout_neurons: bool = False,
    ) -> None:
        super().__init__()
        self.register_buffer(
            "value_scale", torch.ones(len(EdgeType)) if value_scale is None else value_scale
        )
        self.neurons = NeuronEmbedding(hidden)
        self.edge_value = torch.nn.Linear(1, hidden)
        self.edge_type = torch.nn.Embedding(len(EdgeType), hidden)
        self.edge_layer = torch.nn.Embedding(MAX_LAYERS, hidden)
        self.edge_pos = torch.nn.ModuleList(
            torch.nn.Embedding(MAX_POSITIONS, hidden) for _ in range(2)
        )
        self.layers = torch.nn.ModuleList(GMNLayer(hidden, dropout) for _ in range(num_layers))
        self.globals = (
            torch.nn.ModuleList(GlobalState(hidden) for _ in range(num_layers))
            if global_state
            else None
        )
        self.readout_neurons = readout_neurons
        self.graph_head = MLP([(3 if readout_neurons else 1) * hidden, hidden, out_channels])
        self.edge_head = MLP([hidden, hidden, 1])

    def reset_parameters(self) -> None:
        for module in self.modules():
            if module is not self and hasattr(module, "reset_parameters"):
                module.reset_parameters()

    def forward(self, graph: Data) -> tuple[Tensor, Tensor]:
        for key in ("node_type", "node_rank", "edge_value", "edge_type", "edge_pos"):
            if key not in graph:
                raise ValueError(f"GMN expects graphs from parameter_graph; {key!r} is missing")
        x = self.neurons(graph)
        pos = graph.edge_pos.clamp(max=MAX_POSITIONS - 1)
        e = (
            self.edge_value((graph.edge_value * self.value_scale[graph.edge_type]).unsqueeze(-1))
            + self.edge_type(graph.edge_type)
            + self.edge_layer(graph.edge_layer.clamp(max=MAX_LAYERS - 1))
            + self.edge_pos[0](pos[:, 0])
            + self.edge_pos[1](pos[:, 1])
        )
        batch, num_graphs = graph_index(graph)
        edge_batch = batch[graph.edge_index[0]]
        u = x.new_zeros(num_graphs, x.size(1))
        for depth, layer in enumerate(self.layers):
            x, e = layer(x, graph.edge_index, e)
            if self.globals is not None:
                u, x = self.globals[depth](u, x, batch, e, edge_batch)
        pooled = u if self.globals is not None else global_pool(e, edge_batch, "mean", num_graphs)
        if self.readout_neurons:
            pooled = torch.cat([neuron_means(x, graph, batch, num_graphs), pooled], dim=1)
        return self.graph_head(pooled), self.edge_head(e).squeeze(-1)
