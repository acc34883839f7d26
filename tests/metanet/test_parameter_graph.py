import copy
import itertools

import pytest
import torch
from torch_geometric.data import Batch

from gnnlib.metanet import (
    EdgeType,
    NodeType,
    UnsupportedOperationError,
    load_parameter_graph,
    parameter_graph,
)


def test_round_trip_reproduces_outputs_exactly(family, network, inputs):
    net = network(family)
    graph = parameter_graph(net, inputs(family, 2))
    other = copy.deepcopy(net)
    for param in other.parameters():
        param.data.normal_()
    load_parameter_graph(other, graph)
    x = inputs(family)
    assert torch.equal(other(x), net(x))
    # every parameter entry is exactly one edge
    assert int((graph.edge_param >= 0).sum()) == sum(p.numel() for p in net.parameters())


def test_edited_edge_values_land_in_the_right_parameters(network, inputs):
    net = network("cnn")
    graph = parameter_graph(net, inputs("cnn", 2))
    edited = load_parameter_graph(copy.deepcopy(net), graph, values=2 * graph.edge_value)
    for (name, before), after in zip(net.named_parameters(), edited.parameters(), strict=True):
        assert torch.equal(after, 2 * before), name


def test_tracing_leaves_the_network_untouched(network, inputs):
    net = network("resnet").train()
    stats = net.stem[1].running_mean.clone()
    parameter_graph(net, inputs("resnet", 2))
    assert net.training and torch.equal(net.stem[1].running_mean, stats)


def test_mlp_counts_match_closed_form(network, inputs):
    widths = [64, 12, 12, 10]
    graph = parameter_graph(network("mlp"), inputs("mlp", 2))
    layers = len(widths) - 1
    assert graph.num_nodes == sum(widths) + layers  # neurons + one bias node per layer
    assert graph.num_edges == sum(a * b + b for a, b in itertools.pairwise(widths))
    types = graph.node_type.tolist()
    assert types.count(NodeType.INPUT) == 64 and types.count(NodeType.OUTPUT) == 10
    assert types.count(NodeType.BIAS) == layers
    assert graph.edge_pos.abs().sum() == 0


def test_cnn_counts_match_closed_form(network, inputs):
    w, depth, k = 6, 3, 3
    graph = parameter_graph(network("cnn"), inputs("cnn", 2))
    assert graph.num_nodes == 1 + depth * w + 10 + (depth + 1)
    conv_edges = k * k * w + (depth - 1) * k * k * w * w
    assert int((graph.edge_type == EdgeType.CONV).sum()) == conv_edges
    assert graph.num_edges == conv_edges + depth * w + 10 * w + 10
    # parallel edges per kernel entry, told apart by their kernel position
    conv = graph.edge_type == EdgeType.CONV
    keys = torch.cat([graph.edge_index[:, conv].T, graph.edge_pos[conv]], 1)
    assert torch.unique(keys, dim=0).size(0) == conv_edges
    assert set(graph.edge_pos[conv].flatten().tolist()) == {0, 1, 2}


def test_resnet_has_norm_nodes_and_residual_edges(network, inputs):
    w, blocks = 6, 2
    graph = parameter_graph(network("resnet"), inputs("resnet", 2))
    types = graph.node_type.tolist()
    assert types.count(NodeType.NORM) == w * (1 + 2 * blocks)
    assert int((graph.edge_type == EdgeType.RESIDUAL).sum()) == w * blocks
    assert int((graph.edge_type == EdgeType.NORM_WEIGHT).sum()) == w * (1 + 2 * blocks)
    residual = graph.edge_value[graph.edge_type == EdgeType.RESIDUAL]
    assert torch.equal(residual, torch.ones_like(residual))


def test_attention_has_heads_and_query_key_pairs(network, inputs):
    graph = parameter_graph(network("vit"), inputs("vit", 2))
    width, heads, depth = 8, 2, 2
    assert graph.node_type.tolist().count(NodeType.HEAD) == heads * depth
    assert int((graph.edge_type == EdgeType.ATTN_HEAD).sum()) == 2 * width * depth
    assert int((graph.edge_type == EdgeType.ATTN_QK).sum()) == width * depth
    # the positional embedding: one edge per entry, placed by its token
    embedding = graph.edge_type == EdgeType.EMBEDDING
    assert int(embedding.sum()) == 16 * width
    assert graph.edge_pos[embedding, 0].max() == 15


class Gated(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)

    def forward(self, x):
        h = self.lin(x)
        return h * torch.sigmoid(h)


def test_unsupported_operation_names_the_op_and_where_it_is():
    with pytest.raises(UnsupportedOperationError, match=r"mul of 2 traced tensors.*fx node 'mul'"):
        parameter_graph(Gated(), torch.randn(2, 4))
    net = torch.nn.Sequential(torch.nn.Linear(4, 4), torch.nn.PReLU())
    with pytest.raises(UnsupportedOperationError, match=r"module PReLU.*module path '1'"):
        parameter_graph(net, torch.randn(2, 4))


def test_load_rejects_a_different_architecture(network, inputs):
    graph = parameter_graph(network("mlp"), inputs("mlp", 2))
    with pytest.raises(ValueError, match="does not match"):
        load_parameter_graph(network("cnn"), graph)


def test_load_rejects_a_batch(network, inputs):
    graph = parameter_graph(network("mlp"), inputs("mlp", 2))
    with pytest.raises(TypeError, match="not a batch"):
        load_parameter_graph(network("mlp"), Batch.from_data_list([graph]))


def test_conv1d_groupnorm_layernorm_and_flatten_round_trip():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Conv1d(2, 4, 3, groups=2),
        torch.nn.GroupNorm(2, 4),
        torch.nn.GELU(),
        torch.nn.MaxPool1d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(16, 3),
        torch.nn.LayerNorm(3),
    ).eval()
    x = torch.randn(5, 2, 10)
    graph = parameter_graph(net, x[:2])
    # grouped conv: each output channel sees only its group's input channel
    conv = graph.edge_type == EdgeType.CONV
    assert int(conv.sum()) == 4 * 1 * 3
    # the linear layer after flatten: 16 features = 4 channels x 4 positions
    linear = graph.edge_type == EdgeType.LINEAR
    assert set(graph.edge_pos[linear, 0].tolist()) == {0, 1, 2, 3}
    other = copy.deepcopy(net)
    for param in other.parameters():
        param.data.normal_()
    assert torch.equal(load_parameter_graph(other, graph)(x), net(x))
