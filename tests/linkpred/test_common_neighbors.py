import pytest
import torch

from gnnlib.linkpred import (
    common_neighbors,
    drop_entries,
    neighbor_overlap,
    pool,
    remove_target_links,
    row_indices,
    subsample_rows,
    symmetric_csr,
    two_hop_neighbors,
)


def test_symmetric_csr_is_the_deduplicated_undirected_graph(graph):
    adj = graph.adj
    assert adj.layout == torch.sparse_csr and adj.shape == (graph.num_nodes, graph.num_nodes)
    expected = torch.zeros(graph.num_nodes, graph.num_nodes)
    for node, neighbours in graph.neighbours.items():
        expected[node, list(neighbours)] = 1.0
    assert torch.equal(adj.to_dense(), expected)
    crow, col = adj.crow_indices(), adj.col_indices()
    for r in range(graph.num_nodes):
        row = col[crow[r] : crow[r + 1]]
        assert torch.all(row[1:] > row[:-1])  # sorted, no duplicates
    assert bool((adj.values() == 1).all())


def test_common_neighbors_and_differences_equal_python_sets(graph, rows_as_sets):
    cn = rows_as_sets(common_neighbors(graph.adj, graph.tar))
    overlap = neighbor_overlap(graph.adj, graph.tar)
    common, source_only, target_only = (rows_as_sets(s) for s in overlap)
    nb = graph.neighbours
    for b, (i, j) in enumerate(graph.tar.t().tolist()):
        assert cn[b] == nb[i] & nb[j], (i, j)
        assert common[b] == nb[i] & nb[j], (i, j)
        assert source_only[b] == nb[i] - nb[j], (i, j)
        assert target_only[b] == nb[j] - nb[i], (i, j)
    # The pair (i, i) has all of N(i) in common; a pair that is an edge has its
    # endpoints in the one-sided differences, not among the common neighbours.
    assert cn[0] == nb[0] and len(nb[0]) >= 30
    assert not rows_as_sets(overlap.source_only)[0]
    u, v = graph.tar[:, 4].tolist()
    if not graph.self_loops:
        assert v in source_only[4] and u in target_only[4] and not {u, v} & cn[4]
    for sets in (common_neighbors(graph.adj, graph.tar), *overlap):
        assert sets.shape == (graph.tar.size(1), graph.num_nodes)
        assert bool((sets.values() == 1).all())


def test_small_and_large_batches_agree(graph, rows_as_sets):
    # A large batch searches the whole adjacency, a single pair its own longer row.
    degree = graph.adj.crow_indices().diff()
    assert int(torch.maximum(degree[graph.tar[0]], degree[graph.tar[1]]).sum()) > graph.adj._nnz()
    batch = rows_as_sets(common_neighbors(graph.adj, graph.tar))
    for b in range(graph.tar.size(1)):
        assert rows_as_sets(common_neighbors(graph.adj, graph.tar[:, b : b + 1])) == [batch[b]]


def test_two_hop_neighbors_are_the_pattern_of_the_squared_adjacency(graph, rows_as_sets):
    two_hop = two_hop_neighbors(graph.adj)
    expected = graph.two_hop_neighbours
    assert rows_as_sets(two_hop) == [expected[v] for v in range(graph.num_nodes)]
    # v itself is two hops away through any neighbour; isolated nodes reach nothing.
    assert 0 in expected[0] and not expected[36]
    crow, col = two_hop.crow_indices(), two_hop.col_indices()
    for r in range(graph.num_nodes):
        assert torch.all(col[crow[r] + 1 : crow[r + 1]] > col[crow[r] : crow[r + 1] - 1])
    assert bool((two_hop.values() == 1).all())


def test_overlap_of_two_adjacencies_reads_row_j_from_the_second(graph, rows_as_sets):
    two_hop, nb, nb2 = two_hop_neighbors(graph.adj), graph.neighbours, graph.two_hop_neighbours
    one_then_two = rows_as_sets(common_neighbors(graph.adj, graph.tar, two_hop))
    two_then_one = rows_as_sets(common_neighbors(two_hop, graph.tar, graph.adj))
    for b, (i, j) in enumerate(graph.tar.t().tolist()):
        assert one_then_two[b] == nb[i] & nb2[j], (i, j)
        assert two_then_one[b] == nb2[i] & nb[j], (i, j)
    # The batch above searched the gathered rows; three copies of it hold more entries
    # than both adjacencies together, so they search the stacked adjacency itself.
    tripled = common_neighbors(graph.adj, graph.tar.repeat(1, 3), two_hop)
    assert rows_as_sets(tripled) == one_then_two * 3
    with pytest.raises(ValueError, match="adj_target has 39 nodes but adj has 40"):
        common_neighbors(graph.adj, graph.tar, symmetric_csr(graph.edge_index % 39, 39))


def test_any_edge_index_gives_the_same_adjacency_as_its_undirected_form(graph):
    flipped = symmetric_csr(graph.edge_index.flip(0), graph.num_nodes, graph.self_loops)
    assert torch.equal(flipped.to_dense(), graph.adj.to_dense())
    int32 = symmetric_csr(graph.edge_index.int(), graph.num_nodes, graph.self_loops)
    assert torch.equal(int32.to_dense(), graph.adj.to_dense())


def test_empty_batches_and_empty_graphs():
    adj = symmetric_csr(torch.empty(2, 0, dtype=torch.long), 5)
    tar = torch.tensor([[0, 1], [1, 1]])
    assert common_neighbors(adj, tar)._nnz() == 0
    assert all(s._nnz() == 0 for s in neighbor_overlap(adj, tar))
    full = symmetric_csr(torch.tensor([[0, 1], [1, 2]]), 5)
    none = torch.empty(2, 0, dtype=torch.long)
    assert common_neighbors(full, none).shape == (0, 5)
    assert pool(common_neighbors(full, none), torch.randn(5, 3)).shape == (0, 3)
    assert torch.equal(remove_target_links(full, none).to_dense(), full.to_dense())


def test_pool_sums_node_states_over_each_set_with_gradients(graph):
    x = torch.randn(graph.num_nodes, 4, dtype=torch.float64, requires_grad=True)
    sets = common_neighbors(graph.adj, graph.tar)
    out = pool(sets, x)
    for b, (i, j) in enumerate(graph.tar.t().tolist()):
        members = sorted(graph.neighbours[i] & graph.neighbours[j])
        assert torch.allclose(out[b], x[members].sum(0) if members else torch.zeros(4).double())
    out.sum().backward()
    counts = torch.bincount(sets.col_indices(), minlength=graph.num_nodes).double()
    assert torch.allclose(x.grad, counts.unsqueeze(1).expand(-1, 4))


def test_remove_target_links_removes_exactly_the_batch_edges_in_both_directions(graph):
    dense = graph.adj.to_dense()
    u, v = graph.tar[:, 4].tolist()
    # Edges in either orientation, a repeated pair, a non-edge and a self-loop pair.
    tar = torch.tensor([[u, 0, 2, 0, 36, 3], [v, 5, 0, 5, 37, 3]])
    removed = remove_target_links(graph.adj, tar)
    expected = dense.clone()
    for i, j in tar.t().tolist():
        expected[i, j] = expected[j, i] = 0.0
    assert torch.equal(removed.to_dense(), expected)
    assert removed._nnz() == int((expected != 0).sum()) < graph.adj._nnz()
    assert dense[u, v] == 1 and removed.to_dense()[v, u] == 0
    # Untouched rows keep their stored order; values of kept entries are kept.
    weighted = drop_entries(graph.adj, 0.5, torch.Generator().manual_seed(0))
    kept = remove_target_links(weighted, tar).to_dense()
    assert torch.equal(kept, torch.where(expected.bool(), weighted.to_dense(), 0.0))


def test_subsampling_keeps_short_rows_and_caps_long_ones(graph, rows_as_sets):
    sets = neighbor_overlap(graph.adj, graph.tar).source_only
    counts = sets.crow_indices().diff()
    cap = 3
    assert bool((counts > cap).any()) and bool((counts <= cap).any())
    full = rows_as_sets(sets)
    for replacement in (True, False):
        sampled = subsample_rows(sets, cap, replacement, torch.Generator().manual_seed(0))
        sampled_sets = rows_as_sets(sampled)
        dense, dense_full = sampled.to_dense(), sets.to_dense()
        for b, n in enumerate(counts.tolist()):
            if n <= cap:
                assert torch.equal(dense[b], dense_full[b])
            else:
                assert sampled_sets[b] <= full[b] and 1 <= len(sampled_sets[b]) <= cap
                # Every draw weighs n / d: the row total is exactly n.
                assert torch.isclose(dense[b].sum(), torch.tensor(float(n)))
                if not replacement:
                    assert len(sampled_sets[b]) == cap


@pytest.mark.parametrize("replacement", [True, False])
def test_subsampling_is_unbiased_and_reproducible(replacement):
    # 4000 independent copies of one row of 10 entries with distinct values, capped at
    # 3, and one short row: every entry's mean weight must be its value.
    copies, values = 4000, torch.arange(1.0, 11.0)
    crow = torch.cat([torch.arange(copies + 1) * 10, torch.tensor([copies * 10 + 2])])
    col = torch.cat([torch.arange(10).repeat(copies), torch.tensor([2, 5])])
    sets = torch.sparse_csr_tensor(
        crow, col, torch.cat([values.repeat(copies), torch.ones(2)]), (copies + 1, 12)
    )
    sampled = subsample_rows(sets, 3, replacement, torch.Generator().manual_seed(0)).to_dense()
    assert torch.allclose(sampled[:copies].mean(0)[:10], values, rtol=0.1)
    assert torch.equal(sampled[copies], sets.to_dense()[copies])
    first = subsample_rows(sets, 3, replacement, torch.Generator().manual_seed(5))
    again = subsample_rows(sets, 3, replacement, torch.Generator().manual_seed(5))
    assert torch.equal(first.to_dense(), again.to_dense())
    torch.manual_seed(7)
    global_rng = subsample_rows(sets, 3, replacement).to_dense()
    torch.manual_seed(7)
    assert torch.equal(subsample_rows(sets, 3, replacement).to_dense(), global_rng)


def test_sampling_with_replacement_draws_what_the_official_code_draws():
    # Official sparsesample_reweight: rand(long_rows, d) * n, floored, repeats merged
    # with weight multiplicity * n / d.
    crow = torch.tensor([0, 7, 9, 19])
    sets = torch.sparse_csr_tensor(
        crow,
        torch.cat([torch.arange(7), torch.arange(2), torch.arange(10)]),
        torch.ones(19),
        (3, 10),
    )
    torch.manual_seed(3)
    ours = subsample_rows(sets, 4).to_dense()
    torch.manual_seed(3)
    draws = (torch.rand(2, 4) * torch.tensor([[7.0], [10.0]])).long()
    expected = sets.to_dense()
    expected[[0, 2]] = 0.0
    for row, n, picks in ((0, 7, draws[0]), (2, 10, draws[1])):
        for pick in picks.tolist():
            expected[row, pick] += n / 4
    assert torch.allclose(ours, expected)


def test_drop_entries_drops_independently_and_rescales(graph):
    assert drop_entries(graph.adj, 0.0) is graph.adj
    dropped = drop_entries(graph.adj, 0.25, torch.Generator().manual_seed(0))
    dense, original = dropped.to_dense(), graph.adj.to_dense()
    assert bool(((dense == 0) | (original == 1)).all())
    assert torch.allclose(dense[dense != 0], torch.tensor(1 / 0.75))
    again = drop_entries(graph.adj, 0.25, torch.Generator().manual_seed(0))
    assert torch.equal(again.to_dense(), dense)
    big = symmetric_csr(torch.randint(0, 300, (2, 6000)), 300)
    kept = drop_entries(big, 0.25, torch.Generator().manual_seed(1))._nnz() / big._nnz()
    assert abs(kept - 0.75) < 0.02


def test_row_indices_name_the_pair_of_each_member(graph):
    sets = common_neighbors(graph.adj, graph.tar)
    rows = row_indices(sets)
    assert torch.equal(torch.stack([rows, sets.col_indices()]), sets.to_sparse_coo().indices())


def test_inputs_are_checked_with_messages_that_say_what_was_expected(graph):
    with pytest.raises(ValueError, match=r"shape \[2, B\].*transpose"):
        common_neighbors(graph.adj, graph.tar.t())
    with pytest.raises(ValueError, match="outside"):
        common_neighbors(graph.adj, torch.tensor([[0], [graph.num_nodes]]))
    with pytest.raises(ValueError, match="integer"):
        common_neighbors(graph.adj, graph.tar.float())
    with pytest.raises(ValueError, match="torch.sparse_csr"):
        common_neighbors(graph.adj.to_dense(), graph.tar)
    with pytest.raises(ValueError, match="square"):
        neighbor_overlap(torch.eye(3, 4).to_sparse_csr(), graph.tar[:, :1] % 3)
    with pytest.raises(ValueError, match=r"\[2, E\]"):
        symmetric_csr(torch.zeros(3, 4, dtype=torch.long), 5)
    with pytest.raises(ValueError, match="outside"):
        symmetric_csr(torch.tensor([[0], [5]]), 5)
    with pytest.raises(ValueError, match="at least 1"):
        subsample_rows(common_neighbors(graph.adj, graph.tar), 0)
    with pytest.raises(ValueError, match=r"\[N=40, F\]"):
        pool(common_neighbors(graph.adj, graph.tar), torch.randn(39, 2))
