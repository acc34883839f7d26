import pytest
import torch
from torch_geometric.nn.conv.gcn_conv import gcn_norm

from gnnlib.nn import Adjacency, to_csr
from gnnlib.nn.adjacency import sparse_matmul, transposed_csr


def _messy_graph(num_nodes=40, num_edges=300, seed=0):
    """Random directed graph with self-loops, duplicate edges and isolated nodes."""
    gen = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, num_nodes - 5, (2, num_edges), generator=gen)  # last 5 isolated
    edge_index = torch.cat([edge_index, edge_index[:, :20], torch.tensor([[3, 3], [3, 3]])], 1)
    return edge_index, num_nodes


def _dense_transposed(edge_index, num_nodes, weight=None):
    dense = torch.zeros(num_nodes, num_nodes)
    weight = torch.ones(edge_index.size(1)) if weight is None else weight
    dense.index_put_((edge_index[1], edge_index[0]), weight, accumulate=True)
    return dense


def test_csr_is_transposed_adjacency_with_duplicates_summed():
    edge_index, n = _messy_graph()
    weight = torch.rand(edge_index.size(1))
    adj = Adjacency(edge_index, n, edge_weight=weight)
    assert torch.allclose(adj.csr().to_dense(), _dense_transposed(edge_index, n, weight))
    assert torch.allclose(adj.csr(weighted=False).to_dense(), _dense_transposed(edge_index, n))


def test_gcn_normalisation_equals_pyg_gcn_norm_on_edge_index():
    edge_index, n = _messy_graph(seed=1)
    weight = torch.rand(edge_index.size(1))
    for fill in (1.0, 2.0):
        ref_index, ref_weight = gcn_norm(edge_index, weight, n, improved=fill == 2.0)
        expected = _dense_transposed(ref_index, n, ref_weight)
        ours = Adjacency(edge_index, n, edge_weight=weight).gcn_csr(True, fill).to_dense()
        assert torch.allclose(ours, expected, atol=1e-6)
    ref_index, ref_weight = gcn_norm(edge_index, weight, n, add_self_loops=False)
    ours = Adjacency(edge_index, n, edge_weight=weight).gcn_csr(add_self_loops=False).to_dense()
    assert torch.allclose(ours, _dense_transposed(ref_index, n, ref_weight), atol=1e-6)


def test_round_trip_from_csr_keeps_entry_order_for_edge_features():
    edge_index, n = _messy_graph(seed=2)
    edge_attr = torch.arange(edge_index.size(1)).float().unsqueeze(1)
    csr, attr_in_csr_order = to_csr(edge_index, n, edge_attr=edge_attr)
    adj = Adjacency(csr)
    # Each CSR entry's feature is the feature of the same (source, target) pair.
    original = {}
    for k, (s, t) in enumerate(edge_index.t().tolist()):
        original.setdefault((s, t), set()).add(k)
    for k, (s, t) in enumerate(adj.edge_index.t().tolist()):
        assert int(attr_in_csr_order[k]) in original[(s, t)]
    assert adj.num_nodes == n and adj.edge_weight is None


def test_invalid_inputs_say_what_was_expected():
    with pytest.raises(ValueError, match=r"\[2, E\]"):
        Adjacency(torch.zeros(3, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="int64"):
        Adjacency(torch.zeros(2, 4))
    with pytest.raises(ValueError, match="num_nodes=3"):
        Adjacency(torch.tensor([[0, 5], [1, 2]]), num_nodes=3)
    with pytest.raises(ValueError, match="square"):
        Adjacency(torch.zeros(3, 4).to_sparse_csr())
    with pytest.raises(ValueError, match="shape \\[E\\]"):
        Adjacency(torch.tensor([[0, 1], [1, 2]]), edge_weight=torch.ones(3))


def test_sparse_matmul_equals_the_dense_product_and_its_gradients():
    edge_index, n = _messy_graph()
    # Distinct edges: torch cannot return a value gradient per repeated CSR entry (with
    # either product).
    edge_index = torch.unique(edge_index, dim=1)
    weight = torch.rand(edge_index.size(1), requires_grad=True)
    x = torch.randn(n, 6, requires_grad=True)
    adj, _ = to_csr(edge_index, n, edge_weight=weight)
    out = sparse_matmul(adj, x)
    grad_x, grad_weight = torch.autograd.grad(out.square().sum(), (x, weight))

    dense = _dense_transposed(edge_index, n, weight)
    expected = dense @ x
    expected_grad_x, expected_grad_weight = torch.autograd.grad(
        expected.square().sum(), (x, weight)
    )
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(grad_x, expected_grad_x)
    torch.testing.assert_close(grad_weight, expected_grad_weight)
    # A COO input takes the plain product, with the same result.
    torch.testing.assert_close(sparse_matmul(adj.detach().to_sparse_coo(), x), expected)


def test_sparse_matmul_sums_repeated_entries():
    edge_index, n = _messy_graph()  # repeated edges are repeated CSR entries
    x = torch.randn(n, 3, requires_grad=True)
    out = sparse_matmul(to_csr(edge_index, n)[0], x)
    expected = _dense_transposed(edge_index, n) @ x
    torch.testing.assert_close(out, expected)
    grads = [torch.autograd.grad(y.square().sum(), x)[0] for y in (out, expected)]
    torch.testing.assert_close(*grads)


def test_sparse_matmul_reuses_one_transpose_of_a_fixed_adjacency():
    # A rectangular, unsymmetric CSR whose values take no gradient: the gradient in x is
    # A^T G, with A^T converted once and kept on the adjacency for every later backward.
    dense = torch.tensor([[0.0, 2.0, 0.0, 1.0], [3.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    adj = dense.to_sparse_csr()
    for _ in range(2):
        x = torch.randn(4, 5, requires_grad=True)
        grad_out = torch.randn(3, 5)
        out = sparse_matmul(adj, x)
        (grad_x,) = torch.autograd.grad(out, x, grad_out)
        torch.testing.assert_close(out, dense @ x)
        torch.testing.assert_close(grad_x, dense.t() @ grad_out)
    assert transposed_csr(adj) is transposed_csr(adj)
    torch.testing.assert_close(transposed_csr(adj).to_dense(), dense.t())
    x64 = torch.randn(4, 2, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda x: sparse_matmul(adj.double(), x), (x64,))
    # An adjacency without entries gives zeros, and a zero gradient.
    x = torch.randn(4, 2, requires_grad=True)
    out = sparse_matmul(torch.zeros(3, 4).to_sparse_csr(), x)
    assert not out.any()
    assert not torch.autograd.grad(out.sum(), x)[0].any()
