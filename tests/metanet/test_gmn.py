import copy

import pytest
import torch
from torch_geometric.data import Batch

from gnnlib.metanet import (
    GMN,
    NodeType,
    ParameterDeepSets,
    StatNN,
    load_parameter_graph,
    parameter_graph,
)
from gnnlib.metanet.statnn import weight_statistics
from gnnlib.metanet.symmetries import permute_neurons

GMN_VARIANTS = {
    "plain": {},
    "global": {"global_state": True},
    "neuron_readout": {"readout_neurons": True},
}


@pytest.mark.parametrize("variant", list(GMN_VARIANTS))
def test_neuron_permutations_are_symmetries_of_net_and_gmn(family, network, inputs, variant):
    net = network(family)
    other = permute_neurons(net).eval()
    x = inputs(family)
    assert not torch.equal(next(iter(other.parameters())), next(iter(net.parameters()))), (
        "the permutation should change the weights"
    )
    torch.testing.assert_close(other(x), net(x), atol=1e-5, rtol=1e-5)

    torch.manual_seed(0)
    gmn = GMN(hidden=16, num_layers=2, **GMN_VARIANTS[variant]).eval()
    graph, graph_other = parameter_graph(net, x[:2]), parameter_graph(other, x[:2])
    assert torch.equal(graph.edge_index, graph_other.edge_index)  # same graph, moved values
    with torch.no_grad():
        y, edges = gmn(Batch.from_data_list([graph]))
        y_other, edges_other = gmn(Batch.from_data_list([graph_other]))
    torch.testing.assert_close(y_other, y, atol=1e-5, rtol=0)
    # Edge outputs written back as parameters: permuting the net's predicted parameters
    # gives the permuted net's predicted parameters.
    predicted = load_parameter_graph(copy.deepcopy(net), graph, edges)
    predicted_other = load_parameter_graph(copy.deepcopy(other), graph_other, edges_other)
    expected = permute_neurons(predicted)
    for (name, a), b in zip(expected.named_parameters(), predicted_other.parameters(), strict=True):
        torch.testing.assert_close(b, a, atol=1e-5, rtol=0, msg=name)


def test_baselines_run_on_a_batch_of_mixed_architectures(network, inputs):
    graphs = [parameter_graph(network(f), inputs(f, 2)) for f in ("mlp", "cnn", "resnet", "vit")]
    batch = Batch.from_data_list(graphs)
    assert GMN(hidden=8, num_layers=1)(batch)[0].shape == (4, 1)
    assert GMN(hidden=8, num_layers=1, global_state=True)(batch)[0].shape == (4, 1)
    assert ParameterDeepSets(hidden=8)(batch).shape == (4, 1)
    stats = torch.stack([weight_statistics(g) for g in graphs])
    assert StatNN(stats, hidden=8)(stats).shape == (4, 1)


def test_gmn_names_a_missing_field(network, inputs):
    graph = parameter_graph(network("mlp"), inputs("mlp", 2))
    del graph.node_type
    with pytest.raises(ValueError, match="node_type"):
        GMN(hidden=8, num_layers=1)(graph)


def test_input_and_output_order_is_a_feature_the_gmn_sees():
    """Input and output neurons are not symmetries of a network: the graph numbers them
    in channel order, and the GMN's output changes when two input pixels swap."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    graph = parameter_graph(net, torch.randn(2, 4))
    for node_type, count in ((NodeType.INPUT, 4), (NodeType.OUTPUT, 3)):
        assert graph.node_rank[graph.node_type == node_type].tolist() == list(range(count))
    hidden = (graph.node_type != NodeType.INPUT) & (graph.node_type != NodeType.OUTPUT)
    assert graph.node_rank[hidden].eq(0).all()

    swapped = copy.deepcopy(net)
    with torch.no_grad():
        swapped[0].weight[:, [0, 1]] = net[0].weight[:, [1, 0]]
    gmn = GMN(hidden=16, num_layers=2).eval()
    with torch.no_grad():
        y = gmn(Batch.from_data_list([graph]))[0]
        y_swapped = gmn(Batch.from_data_list([parameter_graph(swapped, torch.randn(2, 4))]))[0]
    assert not torch.allclose(y, y_swapped, atol=1e-6)


@pytest.mark.parametrize("variant", ["global", "neuron_readout"])
def test_graph_level_pooling_keeps_the_graphs_of_a_batch_apart(network, inputs, variant):
    """Each graph's global state and node means pool its own nodes and edges only: a
    graph's output is the same alone and batched beside others."""
    torch.manual_seed(0)
    gmn = GMN(hidden=8, num_layers=2, **GMN_VARIANTS[variant]).eval()
    graphs = [parameter_graph(network(f), inputs(f, 2)) for f in ("mlp", "cnn", "vit")]
    with torch.no_grad():
        together = gmn(Batch.from_data_list(graphs))[0]
        alone = torch.cat([gmn(graph)[0] for graph in graphs])
    torch.testing.assert_close(together, alone, atol=1e-5, rtol=0)


def test_the_neuron_readout_reaches_the_head_without_the_edge_mean():
    """With ``readout_neurons`` the head reads [node mean, output-neuron mean, edge
    mean]: with the edge-mean block of its first layer zeroed, the output still moves
    with the input network, through the node terms alone."""
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    gmn = GMN(hidden=8, num_layers=1, readout_neurons=True).eval()
    first = gmn.graph_head.lins[0]
    assert first.in_features == 3 * 8
    with torch.no_grad():
        first.weight[:, 16:].zero_()
    shifted = copy.deepcopy(net)
    with torch.no_grad():
        shifted[2].bias.add_(1.0)
        y = gmn(parameter_graph(net, torch.randn(2, 4)))[0]
        y_shifted = gmn(parameter_graph(shifted, torch.randn(2, 4)))[0]
    assert not torch.allclose(y, y_shifted, atol=1e-6)
