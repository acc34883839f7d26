"""Teacher pieces: neighbour sampling, layer-wise inference, APPNP, feature augmentation;
the student's file."""

import pytest
import torch

from gnnlib.distill import (
    APPNP,
    StudentConfig,
    layerwise_inference,
    load_student,
    propagate_features,
    propagate_rows,
    propagation_matrix,
    sample_blocks,
    sampled_forward,
    save_student,
)
from gnnlib.io import UnreadableFileError, atomic_torch_save
from gnnlib.nn import Encoder, to_csr
from gnnlib.nn.adjacency import csr_entry_rows


def _graph(num_nodes=40, num_edges=200, seed=0):
    generator = torch.Generator().manual_seed(seed)
    edges = torch.randint(0, num_nodes, (2, num_edges), generator=generator)
    edges = torch.cat([edges, edges.flip(0)], 1)
    return torch.randn(num_nodes, 6, generator=generator), edges


@pytest.mark.parametrize(
    "options, self_loops",
    [({}, False), ({"aggr": "gcn"}, True)],
    ids=["sage-mean", "sage-gcn-self-loops"],
)
def test_full_fanout_blocks_give_the_full_graph_outputs(options, self_loops):
    from gnnlib.distill.teachers import TeacherConfig, teacher_adjacency

    torch.manual_seed(0)
    x, edges = _graph()
    config = TeacherConfig(conv_options=options, self_loops=self_loops)
    model = config.build_model(6, 3).eval()
    adj_t = teacher_adjacency(config, edges, 40)
    full = model(x, adj_t)
    # Seeds that neighbour each other (and, with self-loops, themselves): a seed is then
    # also a first-hop node, and its in-edges must still count once per layer.
    seeds = torch.tensor([5, int(edges[0, edges[1] == 5][0]), 17])
    for fanouts in ([-1, -1], [1000, 1000]):
        n_id, blocks = sample_blocks(adj_t, seeds, fanouts)
        assert torch.equal(n_id[:3], seeds)
        torch.testing.assert_close(sampled_forward(model, x[n_id], blocks), full[seeds])


def test_blocks_bound_each_layers_in_degree_and_chain_their_nodes():
    x, edges = _graph(num_edges=400)
    edges = edges.unique(dim=1)  # no repeated edge, so no neighbour may be drawn twice
    adj_t = to_csr(edges, x.size(0))[0]
    seeds = torch.arange(10)
    n_id, blocks = sample_blocks(adj_t, seeds, [3, 2])
    first, second = blocks
    # The last layer maps the seeds' sampled neighbours to the seeds; the first layer
    # reaches every node the last one reads, seeds included, with a draw of its own.
    assert second.size(0) == 10 and first.size(0) == second.size(1)
    assert first.size(1) == n_id.numel() and torch.equal(n_id[:10], seeds)
    assert int(second.crow_indices().diff().max()) <= 2
    assert int(first.crow_indices().diff().max()) <= 3
    keys = set((edges[0] * 100 + edges[1]).tolist())
    for block in blocks:
        rows = csr_entry_rows(block.crow_indices())
        # Every sampled edge exists in the graph, and no target draws a neighbour twice.
        source, target = n_id[block.col_indices()], n_id[rows]
        assert set((source * 100 + target).tolist()) <= keys
        assert (source * 100 + target).unique().numel() == source.numel()


def test_sampled_forward_trains_through_the_blocks():
    x, edges = _graph()
    adj_t = to_csr(edges, x.size(0))[0]
    model = Encoder(6, 16, 2, 3, conv="sage", dropout=0.5, norm="batch").train()
    n_id, blocks = sample_blocks(adj_t, torch.tensor([1, 2, 3, 4]), [2, 2])
    out = sampled_forward(model, x[n_id], blocks)
    assert out.shape == (4, 3)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    with pytest.raises(ValueError, match="2 blocks for an encoder of 3 layers"):
        sampled_forward(Encoder(6, 16, 3, 3, conv="sage"), x[n_id], blocks)
    with pytest.raises(ValueError, match="sage encoders"):
        sampled_forward(Encoder(6, 16, 2, 3, conv="gcn"), x[n_id], blocks)


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


@pytest.mark.parametrize("hops", [0, 1, 2, 3])
def test_propagated_rows_of_a_few_nodes_are_those_of_the_whole_graph(hops):
    x, edges = _graph()
    matrix = propagation_matrix(edges, 40)
    neighbour = int(edges[0, edges[1] == 3][0])
    nodes = torch.tensor([3, neighbour, 3, 39])  # neighbours of each other, and a repeat
    torch.testing.assert_close(
        propagate_rows(matrix, x, nodes, hops), propagate_features(x, edges, hops)[nodes]
    )


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
    n_id, blocks = sample_blocks(adj_t, torch.tensor([7]), [1])
    neighbour = x[n_id[blocks[0].col_indices()[0]]]
    torch.testing.assert_close(
        sampled_forward(model, x[n_id], blocks)[0], lin((x[7] + neighbour) / 2)
    )


def test_student_file_gives_back_the_trained_student(tmp_path):
    torch.manual_seed(0)
    config = StudentConfig(hidden=16, layers=3, norm="batch", dropout=0.5)
    student = config.build(6, 3)
    # Move the weights and the batch norms' running statistics off their initial values.
    optimizer = torch.optim.Adam(student.parameters(), lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        student(torch.randn(32, 6)).logsumexp(-1).mean().backward()
        optimizer.step()
    student.eval()
    path = save_student(student, config, tmp_path / "seed0" / "student.pt")
    loaded = load_student(path)
    assert not loaded.training  # dropout off, running statistics used
    x = torch.randn(5, 6)
    with torch.no_grad():
        assert torch.equal(loaded(x), student(x))
    assert loaded.channels == [6, 16, 16, 3]


def test_student_file_refuses_what_it_cannot_load_faithfully(tmp_path):
    config = StudentConfig(hidden=8)
    student = config.build(6, 3)
    with pytest.raises(FileNotFoundError, match="seed<k>/student.pt"):
        load_student(tmp_path / "missing.pt")
    (tmp_path / "cut.pt").write_bytes(b"PK")
    with pytest.raises(UnreadableFileError, match=r"could not read student .*cut.pt"):
        load_student(tmp_path / "cut.pt")
    atomic_torch_save(student.state_dict(), tmp_path / "weights.pt")
    with pytest.raises(ValueError, match="not a student file"):
        load_student(tmp_path / "weights.pt")
    # A GA-MLP student reads propagated features of the same width as the raw ones.
    save_student(student, config, tmp_path / "ga.pt", feature_hops=2)
    with pytest.raises(ValueError, match="propagated over 2 hops.*feature_hops=2"):
        load_student(tmp_path / "ga.pt")
    assert load_student(tmp_path / "ga.pt", feature_hops=2).channels == [6, 8, 3]
