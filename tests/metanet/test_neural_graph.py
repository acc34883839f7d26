import copy

import pytest
import torch
from torch_geometric.data import Batch

from gnnlib.metanet import (
    EdgeType,
    NeuralGraphGNN,
    NodeType,
    kernel_shape,
    load_parameter_graph,
    neural_graph,
    neural_graph_values,
    parameter_graph,
)
from gnnlib.metanet.symmetries import permute_neurons


class ResidualCNN(torch.nn.Module):
    """conv(1->3) -> relu -> [conv(3->3) -> BatchNorm2d] + skip -> relu -> mean -> linear(3->2)."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = torch.nn.Conv2d(1, 3, 3, padding=1)
        self.conv = torch.nn.Conv2d(3, 3, 3, padding=1)
        self.norm = torch.nn.BatchNorm2d(3)
        self.head = torch.nn.Linear(3, 2)

    def forward(self, x):
        h = torch.relu(self.stem(x))
        h = torch.relu(h + self.norm(self.conv(h)))
        return self.head(h.mean(dim=(2, 3)))


def residual_cnn():
    torch.manual_seed(0)
    net = ResidualCNN().eval()
    with torch.no_grad():  # non-trivial gamma and beta, so that they are told apart
        net.norm.weight.uniform_(0.5, 1.5)
        net.norm.bias.uniform_(-0.5, 0.5)
    return net, parameter_graph(net, torch.zeros(2, 1, 8, 8))


def test_collapse_keeps_every_parameter_value_exactly_once():
    net, graph = residual_cnn()
    ng = neural_graph(graph, (4, 4))  # padded past the 3x3 kernels
    # Neurons: 1 input, 3 + 3 conv channels, 3 norm neurons, 2 outputs; the four bias
    # nodes are gone. Edges: one per channel pair of each conv, gamma, skip and linear.
    assert ng.num_nodes == 1 + 3 + 3 + 3 + 2
    assert not bool((ng.node_type == NodeType.BIAS).any())
    counts = {t: int((ng.edge_type == t).sum()) for t in EdgeType}
    assert counts[EdgeType.CONV] == 1 * 3 + 3 * 3
    assert counts[EdgeType.NORM_WEIGHT] == counts[EdgeType.RESIDUAL] == 3
    assert counts[EdgeType.LINEAR] == 3 * 2
    assert ng.num_edges == sum(counts.values())

    # An edge vector is its channel pair's kernel, zero-padded on the right and bottom.
    for o in range(3):
        for i in range(3):
            src, dst = 1 + i, 4 + o  # stem channel i (node 0 is the input), conv channel o
            edge = ((ng.edge_index[0] == src) & (ng.edge_index[1] == dst)).nonzero().item()
            padded = torch.zeros(4, 4)
            padded[:3, :3] = net.conv.weight[o, i]
            assert torch.equal(ng.edge_attr[edge], padded.flatten())
    # Biases and betas are node features of the neurons they shift.
    assert torch.equal(ng.node_bias[1:4], net.stem.bias.detach())
    assert torch.equal(ng.node_bias[7:10], net.norm.bias.detach())
    assert (ng.node_bias_type[7:10] == EdgeType.NORM_BIAS).all()

    # Reading every value back reassembles the parameters exactly.
    other = copy.deepcopy(net)
    for param in other.parameters():
        param.data.zero_()
    load_parameter_graph(other, graph, neural_graph_values(ng))
    for (name, before), after in zip(net.named_parameters(), other.parameters(), strict=True):
        assert torch.equal(after, before), name
    # ... each from its own slot: no two parameter-graph edges share one.
    to_edge = ng.entry_edge >= 0
    cells = ng.entry_edge[to_edge] * 16 + ng.entry_slot[to_edge]
    assert cells.unique().numel() == int(to_edge.sum())
    assert bool((to_edge ^ (ng.entry_node >= 0)).all())


def test_each_switch_undoes_one_half_of_the_collapse():
    net, graph = residual_cnn()
    counts = {t: int((graph.edge_type == t).sum()) for t in EdgeType}
    num_bias_nodes = int((graph.node_type == NodeType.BIAS).sum())

    # Kernels ungrouped: one edge per conv entry, its value alone in its slot.
    entries = neural_graph(graph, (4, 4), group_kernels=False)
    assert int((entries.edge_type == EdgeType.CONV).sum()) == counts[EdgeType.CONV] == 9 * 12
    assert entries.num_nodes == graph.num_nodes - num_bias_nodes
    assert bool(((entries.edge_attr != 0).sum(1) <= 1).all())
    ends = (entries.edge_index[0] == 1) & (entries.edge_index[1] == 4)
    conv = (ends & (entries.edge_type == EdgeType.CONV)).nonzero().flatten()
    padded = torch.zeros(4, 4)
    padded[:3, :3] = net.conv.weight[0, 0]
    assert torch.equal(entries.edge_attr[conv].sum(0), padded.flatten())

    # Biases kept as edges: the bias nodes stay, every neuron's bias feature is empty.
    bias_edges = neural_graph(graph, (4, 4), bias_features=False)
    assert bias_edges.num_nodes == graph.num_nodes
    assert int((bias_edges.edge_type == EdgeType.BIAS).sum()) == counts[EdgeType.BIAS]
    assert int((bias_edges.edge_type == EdgeType.NORM_BIAS).sum()) == counts[EdgeType.NORM_BIAS]
    assert not bool(bias_edges.node_bias.any()) and bool((bias_edges.node_bias_type == -1).all())

    # Both off: the parameter graph's nodes and edges, one for one.
    same = neural_graph(graph, (4, 4), group_kernels=False, bias_features=False)
    assert same.num_nodes == graph.num_nodes and same.num_edges == graph.num_edges
    assert torch.equal(same.edge_index[:, same.entry_edge], graph.edge_index)
    assert torch.equal(same.edge_attr.sum(1)[same.entry_edge], graph.edge_value)

    # Every form reads back into the same parameters.
    for ng in (entries, bias_edges, same):
        assert torch.equal(neural_graph_values(ng), graph.edge_value)


def test_collapse_round_trip_for_every_zoo_family(family, network, inputs):
    net = network(family)
    graph = parameter_graph(net, inputs(family, 2))
    ng = neural_graph(graph, kernel_shape([graph]))
    other = copy.deepcopy(net)
    for param in other.parameters():
        param.data.normal_()
    load_parameter_graph(other, graph, neural_graph_values(ng))
    x = inputs(family)
    assert torch.equal(other(x), net(x))


def permute_hidden_layer(net: torch.nn.Sequential, first: int, second: int, seed: int = 0):
    """A copy of ``net`` with the output neurons (channels) of layer ``first`` permuted and
    the inputs of layer ``second`` permuted to match: the same function."""
    net = copy.deepcopy(net)
    perm = torch.randperm(net[first].weight.shape[0], generator=torch.Generator().manual_seed(seed))
    with torch.no_grad():
        net[first].weight.copy_(net[first].weight[perm])
        net[first].bias.copy_(net[first].bias[perm])
        net[second].weight.copy_(net[second].weight[:, perm])
    return net


def predict(model, nets, x, shape):
    graphs = [neural_graph(parameter_graph(net, x[:2]), shape) for net in nets]
    with torch.no_grad():
        return model(Batch.from_data_list(graphs))


SMALL_NETWORKS = {
    "mlp": (
        lambda: torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3)),
        (4, 5),
    ),
    "cnn": (
        lambda: torch.nn.Sequential(
            torch.nn.Conv2d(2, 4, 3, padding=1),
            torch.nn.Tanh(),
            torch.nn.Conv2d(4, 3, 3, padding=1),
            torch.nn.AdaptiveAvgPool2d(1),
            torch.nn.Flatten(),
        ),
        (4, 2, 6, 6),
    ),
}


@pytest.mark.parametrize("kind", list(SMALL_NETWORKS))
def test_output_is_invariant_to_a_hidden_neuron_permutation(kind):
    build, input_shape = SMALL_NETWORKS[kind]
    torch.manual_seed(0)
    net, x = build().eval(), torch.randn(input_shape)
    other = permute_hidden_layer(net, 0, 2)
    torch.testing.assert_close(other(x), net(x), atol=1e-5, rtol=1e-5)
    assert not torch.equal(other[0].weight, net[0].weight)
    model = NeuralGraphGNN((3, 3), hidden=16, num_layers=2).eval()
    y, y_other = predict(model, [net, other], x, (3, 3))
    torch.testing.assert_close(y_other, y, atol=1e-5, rtol=0)
    # ... while a change that is no symmetry changes the output.
    changed = copy.deepcopy(net)
    with torch.no_grad():
        changed[0].weight.mul_(3.0)
    assert not torch.allclose(predict(model, [changed], x, (3, 3))[0], y, atol=1e-4)


@pytest.mark.parametrize(
    "switches",
    [{}, {"group_kernels": False, "bias_features": False}],
    ids=["neural_graph", "parameter_graph_edges"],
)
def test_output_is_invariant_through_norm_residual_and_attention(family, network, inputs, switches):
    net, x = network(family), inputs(family)
    other = permute_neurons(net).eval()
    graphs = [parameter_graph(n, x[:2]) for n in (net, other)]
    shape = kernel_shape(graphs)
    torch.manual_seed(0)
    model = NeuralGraphGNN(shape, hidden=16, num_layers=2).eval()
    ngs = [neural_graph(g, shape, **switches) for g in graphs]
    with torch.no_grad():
        y, y_other = model(Batch.from_data_list(ngs))
    torch.testing.assert_close(y_other, y, atol=1e-5, rtol=0)


def with_duplicate_edge(graph, index):
    graph = copy.copy(graph)
    for key in ("edge_value", "edge_type", "edge_layer", "edge_pos", "edge_param", "edge_flat"):
        graph[key] = torch.cat([graph[key], graph[key][index : index + 1]])
    graph.edge_index = torch.cat([graph.edge_index, graph.edge_index[:, index : index + 1]], 1)
    return graph


def test_bad_inputs_are_clear_errors(network, inputs):
    graph = parameter_graph(network("cnn"), inputs("cnn", 2))
    with pytest.raises(
        ValueError, match=r"kernel position \(0, 2\), outside kernel_shape \(2, 2\)"
    ):
        neural_graph(graph, (2, 2))
    with pytest.raises(ValueError, match="two positive ints"):
        neural_graph(graph, (3, 0))
    with pytest.raises(TypeError, match="not a batch"):
        neural_graph(Batch.from_data_list([graph]), (3, 3))
    broken = copy.copy(graph)
    del broken.edge_pos
    with pytest.raises(ValueError, match="lacks \\['edge_pos'\\]"):
        neural_graph(broken, (3, 3))
    with pytest.raises(ValueError, match="at least one"):
        kernel_shape([])
    first_conv = int((graph.edge_type == EdgeType.CONV).nonzero()[0])
    with pytest.raises(ValueError, match="two CONV edges join nodes 0 -> 1 at the same kernel"):
        neural_graph(with_duplicate_edge(graph, first_conv), (3, 3))
    first_bias = int((graph.edge_type == EdgeType.BIAS).nonzero()[0])
    with pytest.raises(ValueError, match="more than one bias"):
        neural_graph(with_duplicate_edge(graph, first_bias), (3, 3))
    model = NeuralGraphGNN((3, 3), hidden=8, num_layers=1)
    with pytest.raises(ValueError, match="expects graphs from neural_graph"):
        model(graph)
    with pytest.raises(ValueError, match="edge vectors have 12 entries, but this model reads 9"):
        model(neural_graph(graph, (4, 3)))
