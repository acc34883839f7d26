"""A messy graph, its neighbour sets computed the slow, obvious way, and target pairs
that hit every corner case."""

import pytest
import torch

from gnnlib.linkpred import symmetric_csr

NUM_NODES = 40  # nodes 35..39 are isolated


def _messy_edges(seed):
    """Directed edges with duplicates, self-loops, a hub (node 0, degree ~30) and
    isolated nodes."""
    gen = torch.Generator().manual_seed(seed)
    random_edges = torch.randint(0, 35, (2, 90), generator=gen)
    hub = torch.stack([torch.zeros(30, dtype=torch.long), torch.arange(1, 31)])
    loops = torch.tensor([[3, 7, 7], [3, 7, 7]])
    both_ways = random_edges[:, :10].flip(0)
    return torch.cat([random_edges, random_edges[:, :15], hub, loops, both_ways], 1)


def _neighbour_sets(edge_index, num_nodes, self_loops):
    sets = {node: set() for node in range(num_nodes)}
    for u, v in edge_index.t().tolist():
        if u != v or self_loops:
            sets[u].add(v)
            sets[v].add(u)
    return sets


def _pairs(edge_index, num_random, seed):
    """(i, i) of a hub, a leaf, an isolated node and self-looped nodes; pairs that are
    edges (both orders); hub-leaf and isolated-hub pairs; then random pairs."""
    u, v = edge_index[:, 0].tolist()
    special = torch.tensor(
        [[0, 0], [31, 31], [36, 36], [3, 3], [u, v], [v, u], [0, 5], [5, 0], [36, 0], [7, 2]]
    ).t()
    gen = torch.Generator().manual_seed(seed)
    return torch.cat([special, torch.randint(0, NUM_NODES, (2, num_random), generator=gen)], 1)


class Graph:
    def __init__(self, self_loops, seed=0):
        self.edge_index = _messy_edges(seed)
        self.num_nodes = NUM_NODES
        self.self_loops = self_loops
        self.adj = symmetric_csr(self.edge_index, NUM_NODES, self_loops=self_loops)
        self.neighbours = _neighbour_sets(self.edge_index, NUM_NODES, self_loops)
        # N²(v): the ends of every walk v - m - k (the pattern of A²).
        nb = self.neighbours
        self.two_hop_neighbours = {v: set().union(*(nb[m] for m in nb[v])) for v in nb}
        self.tar = _pairs(self.edge_index, 60, seed + 1)

    def degree(self, node):
        return len(self.neighbours[node])


@pytest.fixture(params=[False, True], ids=["no-self-loops", "self-loops"])
def graph(request):
    return Graph(self_loops=request.param)


@pytest.fixture
def rows_as_sets():
    """Sparse CSR ``[B, N]`` -> list of the column sets of its non-zero entries."""

    def convert(csr):
        return [set(torch.nonzero(row).flatten().tolist()) for row in csr.to_dense()]

    return convert
