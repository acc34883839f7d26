"""The NCN training protocol: split, target link removal, per-K selection, determinism."""

import warnings

import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.utils import to_undirected, train_test_split_edges

from gnnlib.data import load
from gnnlib.linkpred.split import ncn_planetoid_split
from gnnlib.linkpred.train import (
    LinkDataConfig,
    LinkPredictionConfig,
    best_per_metric,
    build_model,
    prepare,
    run,
    train_epoch,
)
from gnnlib.train.loop import FitResult, History


def _keys(pairs, num_nodes):
    low, high = pairs.min(1).values, pairs.max(1).values
    return set((low * num_nodes + high).tolist())


def test_official_planetoid_split_is_70_10_20_with_two_validation_negatives_per_positive(
    require_data,
):
    require_data("Planetoid/Cora")
    data = prepare(LinkDataConfig("Cora"), seed=0)
    split, n = data.split, data.num_nodes
    sizes = {part: split[part]["edge"].size(0) for part in split}
    total = sum(sizes.values())
    assert total == 5278  # Cora's undirected edges
    assert sizes["test"] == int(0.2 * total) and sizes["valid"] == int(0.2 * total) // 2
    assert split["valid"]["edge_neg"].size(0) == int(0.2 * total)  # 2 per positive
    assert split["test"]["edge_neg"].size(0) == sizes["test"]
    positives = [_keys(split[p]["edge"], n) for p in ("train", "valid", "test")]
    assert sum(map(len, positives)) == total  # disjoint
    all_edges = set().union(*positives)
    for part in ("valid", "test"):
        assert not _keys(split[part]["edge_neg"], n) & all_edges
    # The message-passing graph holds training edges only.
    assert data.adj._nnz() == 2 * sizes["train"]
    # The official code's own draws for run 0 on Cora, and new ones for run 1.
    edge_index = load("Cora")[0].edge_index
    _assert_same_split(split, _official_randomsplit(edge_index, n, 0))
    other = ncn_planetoid_split(edge_index, n, 1)
    assert not torch.equal(other["test"]["edge"], split["test"]["edge"])  # redrawn per seed


def _official_randomsplit(edge_index, num_nodes, seed):
    """The official ``randomsplit`` (NCN's ``ogbdataset.py``) on PyG's own
    ``train_test_split_edges``, after the official ``set_seed(run)``."""
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # train_test_split_edges is deprecated in PyG
        data = train_test_split_edges(Data(edge_index=edge_index, num_nodes=num_nodes), 0.2, 0.2)
    num_val = int(data.val_pos_edge_index.size(1) * 0.1 / 0.2)
    val = data.val_pos_edge_index[:, torch.randperm(data.val_pos_edge_index.size(1))]

    def once(pairs):
        pairs = to_undirected(pairs, num_nodes=num_nodes)
        return pairs[:, pairs[0] < pairs[1]].t()

    return {
        "train": {"edge": once(torch.cat([data.train_pos_edge_index, val[:, :-num_val]], 1))},
        "valid": {"edge": once(val[:, -num_val:]), "edge_neg": once(data.val_neg_edge_index)},
        "test": {
            "edge": once(data.test_pos_edge_index),
            "edge_neg": once(data.test_neg_edge_index),
        },
    }


def _assert_same_split(ours, official):
    assert ours.keys() == official.keys()
    for part in official:
        assert ours[part].keys() == official[part].keys()
        for key in official[part]:
            assert torch.equal(ours[part][key], official[part][key]), (part, key)


def test_planetoid_split_draws_what_the_official_code_draws_for_each_run():
    # Both directions of each edge, ordered by target as Planetoid stores them: the draws
    # depend on that order.
    num_nodes = 60
    edges = torch.randint(0, num_nodes, (2, 200), generator=torch.Generator().manual_seed(0))
    edge_index = to_undirected(edges, num_nodes=num_nodes).flip(0)
    for seed in (0, 1, 7):
        ours = ncn_planetoid_split(edge_index, num_nodes, seed)
        _assert_same_split(ours, _official_randomsplit(edge_index, num_nodes, seed))
    with pytest.raises(ValueError, match="expects an undirected edge_index"):
        ncn_planetoid_split(edges, num_nodes, 0)


def test_each_batch_is_scored_without_its_own_edges(require_data):
    require_data("Planetoid/Cora")
    config = LinkPredictionConfig("ncn", LinkDataConfig("Cora"))
    config.encoder.hidden = 16
    data = prepare(config.data, seed=0)
    model, optimizer = build_model(config, data, torch.device("cpu"))
    seen = []
    original = model.predictor.forward

    def spy(h, adj, tar):
        seen.append((adj, tar))
        return original(h, adj, tar)

    model.predictor.forward = spy
    train_pos = data.split["train"]["edge"].t()
    train_epoch(
        model, optimizer, data.x, data.adj, train_pos, data.train_edge_index, 1024, max_batches=2
    )
    positives = seen[0::2]
    assert len(positives) == 2
    for adj, tar in positives:
        dense = adj.to_dense()
        assert dense[tar[0], tar[1]].sum() == 0 and dense[tar[1], tar[0]].sum() == 0
        assert adj._nnz() == data.adj._nnz() - 2 * tar.size(1)


def test_each_k_reports_test_hits_at_its_own_best_validation_epoch():
    history = History()
    history.append(
        0,
        1.0,
        {"valid": {"hits@20": 0.5, "hits@50": 0.9}, "test": {"hits@20": 0.1, "hits@50": 0.2}},
        time_s=1.0,
    )
    history.append(
        1,
        0.9,
        {"valid": {"hits@20": 0.7, "hits@50": 0.9}, "test": {"hits@20": 0.3, "hits@50": 0.4}},
        time_s=1.0,
    )
    result = FitResult(
        best_epoch=1, best_value=0.7, epochs_run=2, resumed_from=None, history=history
    )
    metrics = best_per_metric(result)
    assert metrics["test"] == {"hits@20": 0.3, "hits@50": 0.2}  # 50: first best epoch wins
    assert metrics["valid"] == {"hits@20": 0.7, "hits@50": 0.9}


def test_a_seed_repeats_exactly(require_data, tmp_path):
    require_data("Planetoid/Cora")
    config = LinkPredictionConfig("ncn", LinkDataConfig("Cora"))
    config.encoder.hidden, config.train.epochs, config.train.batch_size = 32, 2, 1024
    first = run(config, 3, torch.device("cpu"), tmp_path / "a")
    second = run(config, 3, torch.device("cpu"), tmp_path / "b")
    assert first.metrics == second.metrics


def test_a_run_can_start_from_an_earlier_runs_best_model(require_data, tmp_path):
    require_data("Planetoid/Cora")
    import pytest

    config = LinkPredictionConfig("ncn", LinkDataConfig("Cora"))
    config.encoder.hidden, config.train.epochs, config.train.batch_size = 16, 1, 2048
    run(config, 0, torch.device("cpu"), tmp_path / "ncn" / "seed0")
    assert (tmp_path / "ncn" / "seed0" / "best_model.pt").is_file()
    config.predictor.kind = "ncnc"  # NCN weights load into NCNC; its extras stay fresh
    config.train.init_from = str(tmp_path / "ncn" / "seed{seed}" / "best_model.pt")
    record = run(config, 0, torch.device("cpu"), tmp_path / "ncnc" / "seed0")
    assert record.metrics["test"]["hits@100"] >= 0
    config.train.init_from = str(tmp_path / "missing" / "best_model.pt")
    with pytest.raises(FileNotFoundError, match="run its config first"):
        run(config, 0, torch.device("cpu"), tmp_path / "other")
