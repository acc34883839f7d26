"""The ogbl-citation2 protocol (NeighborOverlapCitation2.py) on a small graph in its format:
per-positive negative targets ranked by MRR, per-batch negatives, and NCNC over an NCN's
saved node states."""

import pytest
import torch
from torch_geometric.data import Data

from gnnlib.eval.metrics import ranking_metrics
from gnnlib.linkpred import train as link_train
from gnnlib.linkpred.train import (
    LinkDataConfig,
    LinkPredictionConfig,
    official_split,
    split_metrics,
)

NUM_NODES = 60


class _Citation2Like:
    """A random directed graph with OGB's citation2 split layout."""

    def __init__(self) -> None:
        gen = torch.Generator().manual_seed(0)
        src = torch.randint(0, NUM_NODES, (400,), generator=gen)
        dst = torch.randint(0, NUM_NODES, (400,), generator=gen)
        keep = src != dst
        src, dst = src[keep], dst[keep]
        self.data = Data(
            x=torch.randn(NUM_NODES, 8, generator=gen),
            edge_index=torch.stack([src[:300], dst[:300]]),
            num_nodes=NUM_NODES,
        )
        self.split = {"train": {"source_node": src[:300], "target_node": dst[:300]}}
        for part, piece in (("valid", slice(300, 340)), ("test", slice(340, 380))):
            self.split[part] = {
                "source_node": src[piece],
                "target_node": dst[piece],
                "target_node_neg": torch.randint(0, NUM_NODES, (40, 20), generator=gen),
            }

    def __getitem__(self, index: int) -> Data:
        return self.data

    def get_edge_split(self):
        return self.split


@pytest.fixture
def citation2_like(monkeypatch):
    dataset = _Citation2Like()
    monkeypatch.setattr(link_train, "load", lambda name: dataset)
    return dataset


def test_official_split_puts_citation2_pairs_in_rows_with_their_own_negatives(citation2_like):
    split = official_split(citation2_like.get_edge_split())
    raw = citation2_like.split["valid"]
    assert torch.equal(split["valid"]["edge"][:, 0], raw["source_node"])
    assert torch.equal(split["valid"]["edge"][:, 1], raw["target_node"])
    assert split["valid"]["target_node_neg"] is raw["target_node_neg"]
    assert set(split["train"]) == {"edge"}


def test_each_positive_is_ranked_against_its_own_negative_targets():
    edges = {
        "edge": torch.tensor([[0, 5], [1, 6], [2, 7]]),
        "target_node_neg": torch.tensor([[1, 9], [8, 9], [3, 4]]),
    }
    score = lambda pairs: pairs[:, 1].float()  # the target id: ranks known in closed form

    metrics = split_metrics(score, edges, hits_k=[20])
    # Ranks: 5 beats 1 but not 9 (2nd); 6 below 8 and 9 (3rd); 7 beats 3 and 4 (1st).
    assert metrics == pytest.approx(
        ranking_metrics(torch.tensor([5.0, 6.0, 7.0]), torch.tensor([[1.0, 9], [8, 9], [3, 4]]))
    )
    assert metrics["mrr"] == pytest.approx((1 / 2 + 1 / 3 + 1) / 3)


def test_ncn_then_ncnc_over_its_saved_node_states(citation2_like, tmp_path):
    config = LinkPredictionConfig("ncn", LinkDataConfig("ogbl-citation2", split="official"))
    config.encoder.hidden, config.encoder.layers = 16, 2
    train = config.train
    train.epochs, train.batch_size, train.select = 2, 64, "mrr"
    train.target_link_removal, train.negatives, train.grad_clip = False, "per_batch", 1.0
    train.save_node_states = True
    record = link_train.run(config, 0, torch.device("cpu"), tmp_path / "ncn" / "seed0")
    assert set(record.metrics["test"]) == {"mrr", "hits@1", "hits@3", "hits@10"}
    assert 0 < record.metrics["test"]["mrr"] <= 1
    states = torch.load(tmp_path / "ncn" / "seed0" / "node_states.pt", weights_only=True)
    assert states.shape == (NUM_NODES, 16)

    config.method, config.predictor.kind = "ncnc", "ncnc"
    config.encoder.layers, train.save_node_states = 0, False
    config.data.features_from = str(tmp_path / "ncn" / "seed{seed}" / "node_states.pt")
    data = link_train.prepare(config.data, seed=0)
    assert torch.equal(data.x, states)
    record = link_train.run(config, 0, torch.device("cpu"), tmp_path / "ncnc" / "seed0")
    assert 0 < record.metrics["valid"]["mrr"] <= 1

    config.data.features_from = str(tmp_path / "missing.pt")
    with pytest.raises(FileNotFoundError, match="features_from"):
        link_train.prepare(config.data, seed=0)


def test_per_batch_negatives_keep_the_batch_sources(citation2_like):
    config = LinkPredictionConfig("ncn", LinkDataConfig("ogbl-citation2", split="official"))
    config.encoder.hidden = 8
    data = link_train.prepare(config.data, seed=0)
    model, optimizer = link_train.build_model(config, data, torch.device("cpu"))
    seen = []
    forward = model.predictor.forward

    def record_pairs(x, adj, tar):
        seen.append(tar)
        return forward(x, adj, tar)

    model.predictor.forward = record_pairs
    train_pos = data.split["train"]["edge"].t()
    link_train.train_epoch(
        model,
        optimizer,
        data.x,
        data.adj,
        train_pos,
        data.train_edge_index,
        100,
        target_link_removal=False,
        negatives_per="per_batch",
        grad_clip=1.0,
    )
    for pos, neg in zip(seen[0::2], seen[1::2]):
        assert torch.equal(pos[0], neg[0])
