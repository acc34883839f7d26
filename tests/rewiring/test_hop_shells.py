"""Hop shells against networkx shortest-path distances; batching keeps hops apart."""

import networkx as nx
import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader

from gnnlib.rewiring import HopShells, add_hop_shells, hop_edge_index, hop_shells


def _random_graph(seed: int, num_nodes: int, num_edges: int, directed: bool) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    edge_index = torch.randint(0, num_nodes, (2, num_edges), generator=generator)
    # self-loops and duplicates are kept on purpose: shells must ignore them
    edge_index = torch.cat([edge_index, torch.tensor([[0, 0], [0, 0]])], dim=1)
    if not directed:
        edge_index = torch.cat([edge_index, edge_index.flip(0)], dim=1)
    return edge_index


def _networkx_shells(edge_index, num_nodes, max_hops, directed):
    graph = nx.DiGraph() if directed else nx.Graph()
    graph.add_nodes_from(range(num_nodes))
    graph.add_edges_from(edge_index.t().tolist())
    shells = {k: set() for k in range(1, max_hops + 1)}
    for source, lengths in nx.all_pairs_shortest_path_length(graph, cutoff=max_hops):
        for target, distance in lengths.items():
            if distance >= 1:
                shells[distance].add((source, target))
    return shells


@pytest.mark.parametrize("directed", [False, True])
@pytest.mark.parametrize("seed", range(6))
def test_shells_are_the_networkx_distances(seed, directed):
    # sparse random graphs of this size fall apart into several components
    num_nodes, num_edges, max_hops = 40, 30 + 5 * seed, 6
    edge_index = _random_graph(seed, num_nodes, num_edges, directed)
    expected = _networkx_shells(edge_index, num_nodes, max_hops, directed)
    shells = hop_shells(edge_index, num_nodes, max_hops)
    assert len(shells) == max_hops
    for k, pairs in enumerate(shells, start=1):
        got = [tuple(pair) for pair in pairs.t().tolist()]
        assert len(got) == len(set(got)), f"hop {k} has duplicate pairs"
        assert set(got) == expected[k], f"hop {k} differs from networkx"


def test_isolated_nodes_and_empty_graphs():
    shells = hop_shells(torch.empty(2, 0, dtype=torch.long), 5, 3)
    assert [s.shape for s in shells] == [(2, 0)] * 3
    # two components: 0-1-2 and 3-4; nothing crosses between them
    edge_index = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
    shells = hop_shells(edge_index, 6, 3)
    assert sorted(map(tuple, shells[1].t().tolist())) == [(0, 2), (2, 0)]
    assert shells[2].numel() == 0


def test_batching_offsets_every_hop_and_keeps_edge_features():
    graphs = []
    for seed, n in enumerate((7, 11, 5)):
        edge_index = _random_graph(seed, n, 2 * n, directed=False)
        edge_attr = torch.arange(edge_index.size(1)).float().unsqueeze(1)
        graphs.append(HopShells(4)(Data(edge_index=edge_index, edge_attr=edge_attr, num_nodes=n)))
    batch = next(iter(DataLoader(graphs, batch_size=3)))
    offsets = batch.ptr[:-1]
    assert torch.equal(hop_edge_index(batch, 1), batch.edge_index)
    assert torch.equal(batch.edge_attr, torch.cat([g.edge_attr for g in graphs]))
    for k in (2, 3, 4):
        expected = torch.cat([g[f"hop{k}_edge_index"] + o for g, o in zip(graphs, offsets)], 1)
        assert torch.equal(hop_edge_index(batch, k), expected)
    with pytest.raises(KeyError, match="HopShells"):
        hop_edge_index(batch, 5)


@pytest.mark.parametrize("directed", [False, True])
def test_chunked_shells_equal_per_graph_shells(directed):
    graphs = [
        Data(edge_index=_random_graph(seed, n, 2 * n, directed), num_nodes=n)
        for seed, n in enumerate((9, 1, 14, 6, 20))
    ]
    chunked = add_hop_shells([g.clone() for g in graphs], 5, chunk_size=2)
    for got, graph in zip(chunked, graphs):
        expected = HopShells(5)(graph.clone())
        for k in range(2, 6):
            assert torch.equal(got[f"hop{k}_edge_index"], expected[f"hop{k}_edge_index"])
