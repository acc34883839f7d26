"""DRew layers: the delay rule, equality with the base conv, locality under nu = 1."""

import math

import pytest
import torch
from torch_geometric.data import Batch

from gnnlib.nn import Adjacency, apply_conv, build_conv, conv_spec
from gnnlib.rewiring import (
    DRewConv,
    DRewModel,
    DRewModelConfig,
    HopGraph,
    HopShells,
    delayed_state,
    hops_at_layer,
    ring_transfer_graph,
)
from gnnlib.rewiring.model import drew_layer


def test_hops_and_delays_follow_the_paper():
    assert list(hops_at_layer(0, 5)) == [1]
    assert list(hops_at_layer(3, 5)) == [1, 2, 3, 4]
    assert list(hops_at_layer(9, 5)) == [1, 2, 3, 4, 5]
    assert list(hops_at_layer(0, 3, every_hop=True)) == [1, 2, 3]
    states = [torch.full((1,), float(s)) for s in range(4)]  # H^(0) .. H^(3), layer t = 3
    read = {k: int(delayed_state(states, 3, k, nu=1)) for k in range(1, 5)}
    assert read == {1: 3, 2: 2, 3: 1, 4: 0}  # t - (k - 1)
    assert {k: int(delayed_state(states, 3, k, nu=2)) for k in range(1, 5)} == {
        1: 3,
        2: 3,
        3: 2,
        4: 1,
    }
    for nu in (None, math.inf):
        assert all(int(delayed_state(states, 3, k, nu)) == 3 for k in range(1, 5))
    for bad in (-1, 0, 1.5):
        with pytest.raises(ValueError, match="nu"):
            delayed_state(states, 3, 1, bad)


@pytest.mark.parametrize("conv", ["gcn", "sage", "gin", "gat"])
def test_one_layer_without_delay_is_the_base_conv(conv):
    torch.manual_seed(0)
    graph = HopShells(3)(ring_transfer_graph(9, 2, 5))
    x = torch.randn(9, 8)
    layer = DRewConv(conv, 8, layer=0, max_hops=3, nu=None, norm="none", act="identity")
    base = build_conv(conv, 8, 8)
    base.load_state_dict(layer.convs[0].state_dict())
    expected = apply_conv(conv_spec(conv), base, x, Adjacency(graph.edge_index, 9))
    got = layer([x], HopGraph(graph, 9))
    torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("conv", ["gcn", "gin", "gatedgcn"])
def test_nu_one_sees_no_farther_than_t_plus_one_hops(conv):
    """With nu = 1, after layer t (t + 1 layers) a node depends only on nodes within t + 1
    hops: perturbing a node farther away leaves it unchanged, a nearer one changes it."""
    torch.manual_seed(0)
    n = 24
    graph = HopShells(6)(ring_transfer_graph(n, 1, 4))
    graph.x = torch.randn(n, 4)
    config = DRewModelConfig(conv=conv, layers=6, hidden=16, nu=1, norm="none", readout="sum")
    model = DRewModel(config, 4, 3, categorical=False).eval()
    hops = HopGraph(Batch.from_data_list([graph]), n)
    x0 = model.node_input(graph.x)

    def states_after(x):
        states = [x]
        for layer in model.body.layers:
            states.append(states[-1] + torch.relu(layer(states, hops, None)))
        return states

    reference = states_after(x0)
    for t in range(6):
        far, near = t + 2, t + 1  # ring distances from node 0
        perturbed = x0.clone()
        perturbed[far] += 1.0
        assert torch.equal(states_after(perturbed)[t + 1][0], reference[t + 1][0]), (conv, t)
        perturbed = x0.clone()
        perturbed[near] += 1.0
        assert not torch.allclose(states_after(perturbed)[t + 1][0], reference[t + 1][0])


def test_nu_infinity_sees_farther_than_nu_one():
    # layer t reads hop t + 1 from the current states: after two layers node 0 depends
    # on a node 3 hops away (1 hop in layer 0 then 2 in layer 1), unlike with nu = 1
    torch.manual_seed(0)
    graph = HopShells(2)(ring_transfer_graph(12, 1, 4))
    layers = [
        drew_layer(DRewModelConfig(layers=2, nu=None, norm="none"), 8, t, None) for t in range(2)
    ]
    hops = HopGraph(graph, 12)
    x = torch.randn(12, 8)

    def output(x):
        states = [x]
        for layer in layers:
            states.append(states[-1] + torch.relu(layer(states, hops, None)))
        return states[-1][0]

    perturbed = x.clone()
    perturbed[3] += 1.0
    assert not torch.allclose(output(perturbed), output(x))


def test_wrapper_refuses_convs_that_need_edge_states():
    with pytest.raises(ValueError, match="DRewGatedGCNConv"):
        DRewConv("gatedgcn", 8, 0, 2)


def _hop_terms(layer: DRewConv, x, hops) -> list:
    """Each hop's term of a GCN DRewConv without norm or delay, computed by hand."""
    terms = []
    for index, hop in enumerate(layer.hops):
        h = apply_conv(conv_spec("gcn"), layer.convs[index], x, hops.adjacency(hop)).relu()
        terms.append(torch.nn.functional.normalize(h, dim=-1) if layer.l2norm else h)
    return terms


def test_hop_terms_are_l2_normalised_and_learned_weights_start_equal():
    """The official GraphGym layer per (hop, layer): norm, dropout, activation, L2 norm;
    agg_weights: n * softmax(a) with a = 1 at the start, so equal weights of 1."""
    torch.manual_seed(0)
    graph = HopShells(3)(ring_transfer_graph(9, 2, 5))
    x = torch.randn(9, 8)
    hops = HopGraph(graph, 9)
    states = [x, x, x]  # layer 2 reads H^(0..2); without delay only the last
    equal = DRewConv("gcn", 8, layer=2, max_hops=3, norm="none", l2norm=True)
    terms = _hop_terms(equal, x, hops)
    for term in terms:
        norms = term.norm(dim=-1)
        torch.testing.assert_close(norms[norms > 0], torch.ones_like(norms[norms > 0]))
    torch.testing.assert_close(equal(states, hops), sum(terms))

    learned = DRewConv(
        "gcn", 8, layer=2, max_hops=3, norm="none", l2norm=True, hop_weights="learned"
    )
    learned.convs.load_state_dict(equal.convs.state_dict())
    torch.testing.assert_close(learned(states, hops), equal(states, hops))
    with torch.no_grad():
        learned.hop_logits.copy_(torch.tensor([0.0, 1.0, 2.0]))
    alpha = 3 * torch.softmax(torch.tensor([0.0, 1.0, 2.0]), 0)
    torch.testing.assert_close(learned(states, hops), sum(a * t for a, t in zip(alpha, terms)))
    learned.convex = True
    torch.testing.assert_close(learned(states, hops), sum(a / 3 * t for a, t in zip(alpha, terms)))
    learned(states, hops).sum().backward()
    assert learned.hop_logits.grad is not None and learned.hop_logits.grad.abs().sum() > 0


def test_dropout_acts_inside_each_hop_of_drew_gcn_only():
    config = DRewModelConfig(kind="drew", conv="gcn", layers=2, hidden=8, dropout=0.5)
    model = DRewModel(config, 3, 2, categorical=False)
    assert model.body.dropout == 0.0
    assert all(layer.dropout == 0.5 for layer in model.body.layers)
    gin = DRewModel(DRewModelConfig(conv="gin", layers=2, hidden=8, dropout=0.5), 3, 2, False)
    assert gin.body.dropout == 0.5
    with pytest.raises(ValueError, match="hop_weights"):
        DRewModel(
            DRewModelConfig(conv="gin", layers=2, hidden=8, hop_weights="learned"), 3, 2, False
        )
    with pytest.raises(ValueError, match="hop_weights"):
        DRewConv("gcn", 8, layer=0, max_hops=1, hop_weights="softmax")
