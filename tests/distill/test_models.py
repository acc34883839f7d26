"""Teacher pieces: neighbour sampling, layer-wise inference, APPNP, feature augmentation."""

import torch

from gnnlib.distill import APPNP, layerwise_inference, propagate_features, sample_subgraph
from gnnlib.nn import Encoder, to_csr


def _graph(num_nodes=40, num_edges=200, seed=0):
    generator = torch.Generator().manual_seed(seed)
    edges = torch.randint(0, num_nodes, (2, num_edges), generator=generator)
    edges = torch.cat([edges, edges.flip(0)], 1)
    return torch.randn(num_nodes, 6, generator=generator), edges


def test_sampling_with_large_fanout_recovers_the_full_computation():
    torch.manual_seed(0)
    x, edges = _graph()
    adj_t = to_csr(edges, x.size(0))[0]
    encoder = Encoder(6, 16, 2, 3, conv="sage").eval()
    full = encoder(x, adj_t)
    seeds = torch.tensor([5, 0, 17])
    n_id, local_edges = sample_subgraph(adj_t, seeds, [1000, 1000])
    assert torch.equal(n_id[:3], seeds)
    torch.testing.assert_close(encoder(x[n_id], local_edges)[:3], full[seeds])


def test_fanout_bounds_the_sampled_in_degree():
    x, edges = _graph(num_edges=400)
    adj_t = to_csr(edges, x.size(0))[0]
    seeds = torch.arange(10)
    n_id, local_edges = sample_subgraph(adj_t, seeds, [2])
    in_degree = torch.bincount(local_edges[1], minlength=n_id.numel())
    assert int(in_degree[:10].max()) <= 2 and int(in_degree[10:].sum()) == 0
    # Every sampled edge exists in the graph.
    global_edges = n_id[local_edges]
    keys = set((edges[0] * 100 + edges[1]).tolist())
    assert set((global_edges[0] * 100 + global_edges[1]).tolist()) <= keys


def test_layerwise_inference_equals_the_full_forward():
    x, edges = _graph()
    adj_t = to_csr(edges, x.size(0))[0]
    encoder = Encoder(6, 16, 3, 4, conv="sage", norm="batch").eval()
    torch.testing.assert_close(layerwise_inference(encoder, x, adj_t, 7), encoder(x, adj_t))


def test_appnp_with_full_teleport_is_its_mlp_and_propagation_matches_the_formula():
    x, edges = _graph()
    model = APPNP(6, 8, 3, alpha=1.0).eval()
    torch.testing.assert_close(model(x, edges), model.mlp(x))
    model = APPNP(6, 8, 3, hops=2, alpha=0.1).eval()
    from gnnlib.nn.adjacency import Adjacency

    a_hat = Adjacency(edges, num_nodes=40).gcn_csr().to_dense()
    h0 = model.mlp(x)
    h = 0.9 * a_hat @ h0 + 0.1 * h0
    h = 0.9 * a_hat @ h + 0.1 * h0
    torch.testing.assert_close(model(x, edges), h)


def test_feature_propagation_is_repeated_normalised_averaging():
    x, edges = _graph()
    assert propagate_features(x, edges, 0) is x
    from gnnlib.nn.adjacency import Adjacency

    a_hat = Adjacency(edges, num_nodes=40).gcn_csr().to_dense()
    torch.testing.assert_close(propagate_features(x, edges, 2), a_hat @ (a_hat @ x))


def test_gcn_aggregator_sage_teacher_averages_node_and_neighbours():
    from gnnlib.distill.teachers import TeacherConfig, teacher_adjacency

    x, edges = _graph()
    edges = edges[:, edges[0] != edges[1]].unique(dim=1)
    config = TeacherConfig(
        conv="sage", layers=1, fan_out=[3], conv_options={"aggr": "gcn"}, self_loops=True
    )
    model = config.build_model(6, 3).eval()
    adj_t = teacher_adjacency(config, edges, 40)
    dense = torch.zeros(40, 40)
    dense[edges[1], edges[0]] = 1.0
    # DGL's gcn aggregator on GLNN's self-looped graph: the node is its own neighbour
    # and joins the mean once more as itself.
    dense += 2 * torch.eye(40)
    mean = dense @ x / dense.sum(1, keepdim=True)
    lin = model.convs[0].lin_l
    torch.testing.assert_close(model(x, adj_t), lin(mean))
    # Sampled: a one-neighbour sample still averages the node with itself.
    n_id, local = sample_subgraph(adj_t, torch.tensor([7]), [1])
    neighbour = x[n_id[local[0, 0]]]
    torch.testing.assert_close(model(x[n_id], local)[0], lin((x[7] + neighbour) / 2))
