import math

import numpy as np
import scipy.sparse as ssp
import torch

from gnnlib.linkpred import adamic_adar, common_neighbor_count, resource_allocation


def test_heuristics_equal_their_formulas_on_python_sets(graph):
    cn = common_neighbor_count(graph.adj, graph.tar)
    aa = adamic_adar(graph.adj, graph.tar)
    ra = resource_allocation(graph.adj, graph.tar)
    for b, (i, j) in enumerate(graph.tar.t().tolist()):
        common = graph.neighbours[i] & graph.neighbours[j]
        degrees = [graph.degree(k) for k in common]
        assert cn[b] == len(common)
        # A neighbour of degree 1 (only in pairs (i, i)) contributes 0 to AA.
        expected_aa = sum(1 / math.log(d) for d in degrees if d > 1)
        assert math.isclose(aa[b], expected_aa, rel_tol=1e-5, abs_tol=1e-6)
        assert math.isclose(ra[b], sum(1 / d for d in degrees), rel_tol=1e-5)
    assert cn.dtype == aa.dtype == ra.dtype == torch.float32
    assert cn.shape == (graph.tar.size(1),)


def test_heuristics_equal_the_seal_and_buddy_scipy_baselines(graph):
    # SEAL_OGB utils.py (CN, AA) and subgraph-sketching src/heuristics.py (RA):
    # A[src].multiply(A_[dst]).sum(1), A_ = A scaled column-wise, inf weights set to 0.
    A = ssp.csr_matrix(graph.adj.to_dense().numpy())
    src, dst = graph.tar.numpy()
    with np.errstate(divide="ignore"):
        log_weight = 1 / np.log(A.sum(axis=0))
        inv_weight = 1 / A.sum(axis=0)
    log_weight[np.isinf(log_weight)] = 0
    inv_weight[np.isinf(inv_weight)] = 0
    baselines = {
        common_neighbor_count: A,
        adamic_adar: A.multiply(log_weight).tocsr(),
        resource_allocation: A.multiply(inv_weight).tocsr(),
    }
    for score, weighted in baselines.items():
        expected = np.asarray(A[src].multiply(weighted[dst]).sum(1)).flatten()
        assert np.allclose(score(graph.adj, graph.tar).numpy(), expected, rtol=1e-5, atol=1e-6)
