import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader

from gnnlib.data.resident import ResidentGraphLoader
from gnnlib.rewiring import add_hop_shells
from gnnlib.rewiring.positional import LaplacianPE
from gnnlib.train import seed_everything


def molecules(count: int, seed: int = 0) -> list[Data]:
    """Small graphs of varied size with integer node/edge features, a graph-level label
    row, a Laplacian PE and hop shells 2..4 (some empty on the smallest graphs)."""
    generator = torch.Generator().manual_seed(seed)
    graphs = []
    for _ in range(count):
        n = int(torch.randint(1, 12, (1,), generator=generator))
        path = torch.stack([torch.arange(n - 1), torch.arange(1, n)])
        chords = torch.randint(0, n, (2, n // 3), generator=generator)
        edge_index = torch.cat([path, chords], 1)
        edge_index = torch.cat([edge_index, edge_index.flip(0)], 1)
        graph = Data(
            x=torch.randint(0, 9, (n, 3), generator=generator),
            edge_index=edge_index,
            edge_attr=torch.randint(0, 4, (edge_index.size(1), 2), generator=generator),
            y=torch.rand(1, 5, generator=generator),
            num_nodes=n,  # as OGB's smiles2graph graphs carry it
        )
        graphs.append(LaplacianPE(4)(graph))
    return add_hop_shells(graphs, 4)


def assert_same_batch(ours, theirs) -> None:
    assert sorted(set(ours.keys()) - {"ptr", "batch"}) == sorted(
        set(theirs.keys()) - {"ptr", "batch"}
    )
    for key in theirs.keys():  # noqa: SIM118 (iterating a Data yields (key, value) pairs)
        if isinstance(theirs[key], torch.Tensor):
            assert torch.equal(ours[key], theirs[key]), key
        else:
            assert ours[key] == theirs[key], key
    assert ours.num_graphs == theirs.num_graphs
    assert ours.num_nodes == theirs.num_nodes


@pytest.mark.parametrize("shuffle", [False, True])
def test_same_batches_as_pyg_dataloader(shuffle):
    graphs = molecules(45)
    seed_everything(3)
    theirs = [b for _ in range(2) for b in DataLoader(graphs, batch_size=8, shuffle=shuffle)]
    seed_everything(3)
    loader = ResidentGraphLoader(graphs, batch_size=8, shuffle=shuffle)
    ours = [b for _ in range(2) for b in loader]
    assert len(loader) == 6 and len(ours) == len(theirs) == 12
    for a, b in zip(ours, theirs):
        assert_same_batch(a, b)
    if shuffle:  # two epochs, two orders
        assert not torch.equal(ours[0].y, ours[6].y)


def test_index_view_of_a_dataset_and_empty_shells():
    # graphs of one node have empty edge and shell sets: their batches must still line up
    graphs = [g for g in molecules(60, seed=1)]
    assert any(g.edge_index.size(1) == 0 for g in graphs)
    loader = ResidentGraphLoader(graphs[10:40], batch_size=7)
    for a, b in zip(loader, DataLoader(graphs[10:40], batch_size=7)):
        assert_same_batch(a, b)


def test_bad_input_is_named():
    graphs = molecules(4)
    with pytest.raises(ValueError, match="batch_size"):
        ResidentGraphLoader(graphs, batch_size=0)
    with pytest.raises(ValueError, match="at least one graph"):
        ResidentGraphLoader([], batch_size=2)
    odd = graphs[:3] + [
        Data(x=torch.zeros(2, 3, dtype=torch.long), edge_index=torch.zeros(2, 0, dtype=torch.long))
    ]
    with pytest.raises(ValueError, match="graph 3 has attributes"):
        ResidentGraphLoader(odd, batch_size=2)
    named = [Data(x=torch.zeros(2, 1), name="a"), Data(x=torch.zeros(3, 1), name="b")]
    with pytest.raises(TypeError, match="'name' is a str"):
        ResidentGraphLoader(named, batch_size=2)
