"""GraphSAGE-GCN (DGL's ``gcn`` aggregator): the update rule, on every input form."""

import pytest
import torch

from gnnlib.nn import Encoder, SAGEGCNConv, build_conv, to_csr


def _graph(num_nodes=12, num_edges=40, seed=0):
    generator = torch.Generator().manual_seed(seed)
    edges = torch.randint(0, num_nodes, (2, num_edges), generator=generator)
    # A duplicate edge, a self-loop, and node num_nodes - 1 left without in-neighbours.
    edges = torch.cat([edges, edges[:, :3], torch.tensor([[4], [4]])], 1)
    edges = edges[:, edges[1] != num_nodes - 1]
    return torch.randn(num_nodes, 5, generator=generator), edges


def _by_hand(conv, x, edges):
    dense = torch.zeros(x.size(0), x.size(0))
    dense.index_put_((edges[1], edges[0]), torch.ones(edges.size(1)), accumulate=True)
    mean = (dense @ x + x) / (dense.sum(1, keepdim=True) + 1)
    return mean @ conv.lin_l.weight.T + conv.lin_l.bias


def test_update_rule_on_edge_index_and_csr():
    x, edges = _graph()
    conv = build_conv("sage", 5, 3, aggr="gcn")
    assert isinstance(conv, SAGEGCNConv)
    torch.nn.init.normal_(conv.lin_l.bias)  # it starts at zero; the rule must add it
    expected = _by_hand(conv, x, edges)
    torch.testing.assert_close(conv(x, edges), expected)
    torch.testing.assert_close(conv(x, to_csr(edges, x.size(0))[0]), expected)
    # A node without in-neighbours keeps its own (transformed) state.
    torch.testing.assert_close(expected[-1], conv.lin_l(x[-1]))


def test_own_state_counts_even_when_absent_from_the_edges():
    # Node 0 with neighbours 1 and 2 only: its own state is a third of the mean.
    x = torch.tensor([[3.0], [0.0], [6.0]])
    conv = SAGEGCNConv(1, 1, bias=False)
    conv.lin_l.weight.data.fill_(1.0)
    out = conv(x, torch.tensor([[1, 2], [0, 0]]))
    assert out[0].item() == pytest.approx(3.0)


def test_target_chunks_give_the_full_rows():
    x, edges = _graph()
    conv = SAGEGCNConv(5, 4)
    full = conv(x, edges)
    adj_t = to_csr(edges, x.size(0))[0]
    # Rows 3..6 as layer-wise inference slices them: duplicate edges stay separate entries.
    crow, col, value = adj_t.crow_indices(), adj_t.col_indices(), adj_t.values()
    first, last = int(crow[3]), int(crow[7])
    rows = torch.sparse_csr_tensor(
        crow[3:8] - first, col[first:last], value[first:last], (4, x.size(0))
    )
    torch.testing.assert_close(conv((x, x[3:7]), rows), full[3:7])


def test_encoder_builds_it_from_conv_options():
    x, edges = _graph()
    encoder = Encoder(5, 8, 2, 3, conv="sage", conv_options={"aggr": "gcn"}).eval()
    assert all(isinstance(conv, SAGEGCNConv) for conv in encoder.convs)
    torch.testing.assert_close(encoder(x, edges), encoder(x, to_csr(edges, x.size(0))[0]))


@pytest.mark.parametrize("option", ["root_weight", "project"])
def test_fixed_options_are_refused(option):
    with pytest.raises(ValueError, match=option):
        build_conv("sage", 5, 3, aggr="gcn", **{option: True})


def test_edge_weights_weight_the_sum_and_not_the_count():
    # Node 0 <- node 0 (weight 2) and node 1 (weight 1): DGL's (2·1 + 4 + 1) / (2 + 1).
    adj = torch.sparse_csr_tensor(
        torch.tensor([0, 2, 2]), torch.tensor([0, 1]), torch.tensor([2.0, 1.0]), (2, 2)
    )
    conv = SAGEGCNConv(1, 1, bias=False)
    conv.lin_l.weight.data.fill_(1.0)
    out = conv(torch.tensor([[1.0], [4.0]]), adj)
    assert out[0].item() == pytest.approx(7 / 3)


def test_gradients_match_the_update_rule():
    x, edges = _graph()
    conv = SAGEGCNConv(5, 3)
    for adj in (edges, to_csr(edges, x.size(0))[0]):
        inputs = x.clone().requires_grad_()
        conv.zero_grad()
        conv(inputs, adj).square().sum().backward()
        grads = (inputs.grad, conv.lin_l.weight.grad.clone())
        expected_inputs = x.clone().requires_grad_()
        conv.zero_grad()
        _by_hand(conv, expected_inputs, edges).square().sum().backward()
        torch.testing.assert_close(grads[0], expected_inputs.grad)
        torch.testing.assert_close(grads[1], conv.lin_l.weight.grad)


def test_starts_from_dgls_initialisation():
    # DGL's SAGEConv: Glorot-uniform weight with the ReLU gain, zero bias. The official
    # teachers start there; PyG's default would start about three times smaller here.
    torch.manual_seed(0)
    conv = SAGEGCNConv(745, 128)
    bound = 2**0.5 * (6 / (745 + 128)) ** 0.5
    weight = conv.lin_l.weight
    assert weight.abs().max() <= bound
    assert weight.abs().max() > 0.99 * bound
    # A uniform on [-b, b] has standard deviation b / sqrt(3).
    assert weight.std().item() == pytest.approx(bound / 3**0.5, rel=0.02)
    assert torch.equal(conv.lin_l.bias, torch.zeros(128))
    conv.lin_l.weight.data.zero_()
    conv.reset_parameters()
    assert weight.abs().max() > 0.99 * bound
