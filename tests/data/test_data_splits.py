"""Seeded splits: reproducible, seed-dependent, exact in size, disjoint."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.transforms import LargestConnectedComponents
from torch_geometric.utils import erdos_renyi_graph

from gnnlib.data import (
    dataset_info,
    drop_planetoid_padding,
    largest_connected_component,
    load,
    ogb_split,
    planetoid_public_split,
    random_link_split,
    random_node_split,
    stored_node_split,
    stratified_split,
)


@pytest.fixture(autouse=True)
def _offline(monkeypatch):
    monkeypatch.setenv("GNNLIB_OFFLINE", "1")


def _labels() -> torch.Tensor:
    # Classes of 60, 55 and 80 nodes, plus 5 unlabelled (-1) nodes, interleaved.
    y = torch.tensor([0] * 60 + [1] * 55 + [2] * 80 + [-1] * 5)
    return y[torch.randperm(y.numel(), generator=torch.Generator().manual_seed(123))]


def test_random_node_split_counts_and_disjointness():
    y = _labels()
    train, val, test = random_node_split(y, 20, 30, seed=0)
    for label in (0, 1, 2):
        assert int((train & (y == label)).sum()) == 20
        assert int((val & (y == label)).sum()) == 30
    assert not (train & val).any() and not (train & test).any() and not (val & test).any()
    assert torch.equal(train | val | test, y >= 0)  # test is the labelled rest


def test_random_node_split_is_reproducible_and_seed_dependent():
    y = _labels()
    state = torch.get_rng_state()
    first = random_node_split(y, seed=7)
    assert torch.equal(torch.get_rng_state(), state), "the global RNG was used"
    again = random_node_split(y, seed=7)
    other = random_node_split(y, seed=8)
    assert all(torch.equal(a, b) for a, b in zip(first, again))
    assert not torch.equal(first[0], other[0])


def test_random_node_split_draws_as_the_official_numpy_code():
    # Shchur et al.'s get_train_val_test_split, which GLNN's code takes over: one
    # RandomState(seed); every class's training nodes in label order, then every class's
    # validation nodes among its other nodes; the labelled rest is test.
    y = _labels()
    train, val, test = random_node_split(y, 20, 30, seed=3)
    random_state = np.random.RandomState(3)
    members = [np.flatnonzero(y.numpy() == label) for label in (0, 1, 2)]
    drawn_train = [random_state.choice(nodes, 20, replace=False) for nodes in members]
    chosen = np.concatenate(drawn_train)
    drawn_val = [
        random_state.choice(nodes[~np.isin(nodes, chosen)], 30, replace=False) for nodes in members
    ]
    assert set(train.nonzero().view(-1).tolist()) == set(chosen.tolist())
    assert set(val.nonzero().view(-1).tolist()) == set(np.concatenate(drawn_val).tolist())
    assert torch.equal(test, (y >= 0) & ~train & ~val)


def test_random_node_split_num_test():
    y = _labels()
    train, val, test = random_node_split(y, 10, 10, num_test=50, seed=1)
    assert int(test.sum()) == 50
    assert not (test & (train | val)).any() and not test[y < 0].any()
    with pytest.raises(ValueError, match="num_test=1000, but only 135 labelled nodes remain"):
        random_node_split(y, 10, 10, num_test=1000, seed=1)


def test_random_node_split_names_a_class_that_is_too_small():
    with pytest.raises(ValueError, match=r"Class 1 has 55 nodes; 60 are needed"):
        random_node_split(_labels(), 30, 30, seed=0)
    with pytest.raises(ValueError, match="1-D"):
        random_node_split(torch.zeros(4, 2, dtype=torch.long))


def test_stratified_split_keeps_class_proportions():
    y = _labels() + 1  # classes 0 (5 items), 1 (60), 2 (55), 3 (80)
    state = torch.get_rng_state()
    split = stratified_split(y, (0.8, 0.1), seed=0)
    assert torch.equal(torch.get_rng_state(), state), "the global RNG was used"
    assert torch.equal(torch.cat(list(split.values())).sort().values, torch.arange(y.numel()))
    for label, size in ((0, 5), (1, 60), (2, 55), (3, 80)):
        counts = [int((y[split[part]] == label).sum()) for part in ("train", "valid", "test")]
        assert counts[0] == round(0.8 * size) and counts[1] == round(0.1 * size)
        assert sum(counts) == size
    again = stratified_split(y, (0.8, 0.1), seed=0)
    other = stratified_split(y, (0.8, 0.1), seed=1)
    assert all(torch.equal(split[part], again[part]) for part in split)
    assert not torch.equal(split["test"], other["test"])
    with pytest.raises(ValueError, match="sum of at most 1"):
        stratified_split(y, (0.8, 0.3))


def _graph(seed: int = 0, num_nodes: int = 60) -> torch.Tensor:
    torch.manual_seed(seed)  # only to build the fixture graph
    edge_index = erdos_renyi_graph(num_nodes, 0.15)  # both directions
    loops = torch.arange(3).repeat(2, 1)
    return torch.cat([edge_index, loops], dim=1)


def _keys(edges: torch.Tensor, num_nodes: int) -> list[int]:
    low, high = edges.min(dim=1).values, edges.max(dim=1).values
    return (low * num_nodes + high).tolist()


def test_random_link_split_sizes_disjointness_and_negatives():
    num_nodes = 60
    edge_index = _graph(num_nodes=num_nodes)
    split = random_link_split(
        edge_index, num_nodes, 0.1, 0.2, seed=0, num_val_neg_per_pos=2, num_test_neg_per_pos=3
    )
    graph = set(_keys(edge_index.t(), num_nodes)) - {i * num_nodes + i for i in range(3)}
    num_edges = len(graph)
    train, valid, test = (set(_keys(split[p]["edge"], num_nodes)) for p in split)
    assert len(valid) == split["valid"]["edge"].size(0) == int(0.1 * num_edges)
    assert len(test) == split["test"]["edge"].size(0) == int(0.2 * num_edges)
    assert train | valid | test == graph  # each undirected edge once, self-loops dropped
    assert len(train) + len(valid) + len(test) == num_edges
    negatives = torch.cat([split["valid"]["edge_neg"], split["test"]["edge_neg"]])
    assert split["valid"]["edge_neg"].shape == (2 * len(valid), 2)
    assert split["test"]["edge_neg"].shape == (3 * len(test), 2)
    neg_keys = _keys(negatives, num_nodes)
    assert len(set(neg_keys)) == len(neg_keys)  # distinct
    assert not set(neg_keys) & graph  # not edges of the full graph
    assert (negatives[:, 0] != negatives[:, 1]).all()
    assert all(t.dtype == torch.long for part in split.values() for t in part.values())


def test_random_link_split_is_reproducible_and_seed_dependent():
    edge_index = _graph()
    state = torch.get_rng_state()
    first = random_link_split(edge_index, 60, 0.1, 0.2, seed=3)
    assert torch.equal(torch.get_rng_state(), state), "the global RNG was used"
    again = random_link_split(edge_index, 60, 0.1, 0.2, seed=3)
    other = random_link_split(edge_index, 60, 0.1, 0.2, seed=4)
    for part in ("train", "valid", "test"):
        for key, tensor in first[part].items():
            assert torch.equal(tensor, again[part][key])
    assert not torch.equal(first["test"]["edge"], other["test"]["edge"])
    assert not torch.equal(first["test"]["edge_neg"], other["test"]["edge_neg"])


def test_random_link_split_rejects_impossible_requests():
    complete = torch.combinations(torch.arange(5)).t()
    with pytest.raises(ValueError, match="only 0 non-edges"):
        random_link_split(complete, 5, 0.2, 0.2, seed=0)
    with pytest.raises(ValueError, match="sum below 1"):
        random_link_split(complete, 5, 0.5, 0.5, seed=0)
    with pytest.raises(ValueError, match=r"shape \[2, E\]"):
        random_link_split(complete.t(), 5, 0.1, 0.1, seed=0)


def test_largest_connected_component_maps_nodes():
    # Components {0, 2, 5} (via 0-2, 2-5) and {1, 3} and isolated 4.
    edge_index = torch.tensor([[0, 2, 2, 5, 1, 3], [2, 0, 5, 2, 3, 1]])
    data = Data(
        x=torch.arange(6.0).view(-1, 1),
        y=torch.arange(6),
        edge_index=edge_index,
        train_mask=torch.tensor([True, False, False, False, False, True]),
    )
    lcc = largest_connected_component(data)
    assert lcc.num_nodes == 3
    assert lcc.n_id.tolist() == [0, 2, 5]
    assert lcc.y.tolist() == [0, 2, 5] and lcc.x.view(-1).tolist() == [0.0, 2.0, 5.0]
    assert lcc.train_mask.tolist() == [True, False, True]
    assert sorted(map(tuple, lcc.edge_index.t().tolist())) == [(0, 1), (1, 0), (1, 2), (2, 1)]


def test_largest_connected_component_of_cora_matches_pyg(require_data):
    for relpath in dataset_info("Cora").files:
        require_data(relpath)
    data = load("Cora")[0]
    lcc = largest_connected_component(data)
    reference = LargestConnectedComponents()(data.clone())
    assert lcc.num_nodes == reference.num_nodes == 2485
    assert lcc.num_edges == reference.num_edges
    assert torch.equal(lcc.y, data.y[lcc.n_id])
    train, val, _ = random_node_split(lcc.y, seed=0)
    assert int(train.sum()) == 140 and int(val.sum()) == 210
    assert planetoid_public_split(data)[0].sum() == 140


def test_planetoid_public_split_rejects_bad_masks():
    masks = {key: torch.zeros(4, dtype=torch.bool) for key in ("train_mask", "val_mask")}
    with pytest.raises(ValueError, match=r"data.test_mask must be a bool tensor of shape \(4,\)"):
        planetoid_public_split(Data(num_nodes=4, **masks))
    masks["train_mask"][0] = masks["val_mask"][0] = True
    data = Data(num_nodes=4, test_mask=torch.zeros(4, dtype=torch.bool), **masks)
    with pytest.raises(ValueError, match="overlap on 1 nodes"):
        planetoid_public_split(data)


def test_ogb_split_rejects_datasets_without_an_official_split():
    with pytest.raises(TypeError, match="get_edge_split\\(\\) or get_idx_split\\(\\)"):
        ogb_split([Data()])


def test_stored_node_split_picks_a_column_only_where_there_are_several():
    n = 6
    one = Data(num_nodes=n, train_mask=torch.arange(n) < 2, val_mask=torch.arange(n) == 2)
    one.test_mask = torch.arange(n) > 2
    masks = stored_node_split(one, "one")
    assert masks["train"].tolist() == [True, True, False, False, False, False]
    with pytest.raises(ValueError, match="single split .*no split index 1"):
        stored_node_split(one, "one", 1)
    columns = torch.stack([torch.arange(n) == k for k in range(3)], 1)  # [N, 3]
    many = Data(num_nodes=n, train_mask=columns, val_mask=~columns, test_mask=columns.roll(1, 0))
    assert stored_node_split(many, "many", 2)["train"].nonzero().view(-1).tolist() == [2]
    assert stored_node_split(many, "many", 2)["valid"].sum() == n - 1
    with pytest.raises(ValueError, match=r"stores 3 splits .*index 0\.\.2"):
        stored_node_split(many, "many")
    with pytest.raises(ValueError, match=r"split index 3 is out of range.*\(0\.\.2\)"):
        stored_node_split(many, "many", 3)
    with pytest.raises(ValueError, match="stores no test_mask"):
        stored_node_split(Data(num_nodes=n, train_mask=one.train_mask, val_mask=one.val_mask), "x")


def test_planetoid_padding_is_dropped_from_citeseer_only(require_data):
    require_data("Planetoid/CiteSeer")
    require_data("Planetoid/Cora")
    citeseer = load("CiteSeer")
    graph = drop_planetoid_padding(citeseer)
    padded = citeseer[0]
    # The 15 ids CiteSeer's test index skips are exactly its all-zero feature rows.
    assert graph.num_nodes == padded.num_nodes - 15 == 3312
    real = padded.x.sum(1) > 0
    assert int((~real).sum()) == 15
    assert torch.equal(graph.x, padded.x[real]) and torch.equal(graph.y, padded.y[real])
    touching = (~real[padded.edge_index]).any(0)
    assert graph.num_edges == int((~touching).sum()) == padded.num_edges - 32
    # The public split never held them.
    assert int(graph.test_mask.sum()) == int(padded.test_mask.sum()) == 1000
    cora = load("Cora")
    assert torch.equal(drop_planetoid_padding(cora).edge_index, cora[0].edge_index)
