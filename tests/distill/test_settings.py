"""The production setting: held-out test nodes and their edges never reach training;
the metric (accuracy, or ROC-AUC for binary tasks) that scores every split."""

import pytest
import torch
from torch_geometric.data import Data

from gnnlib.distill import make_setting, setting_metrics
from gnnlib.distill.settings import score
from gnnlib.distill.teachers import TeacherConfig, train_teacher
from gnnlib.eval.metrics import roc_auc


def _toy_graph(num_nodes=60, seed=0):
    generator = torch.Generator().manual_seed(seed)
    edges = torch.randint(0, num_nodes, (2, 300), generator=generator)
    edges = torch.cat([edges, edges.flip(0)], 1)
    y = torch.arange(num_nodes) % 3
    x = torch.nn.functional.one_hot(y, 3).float() + 0.1 * torch.randn(
        num_nodes, 3, generator=generator
    )
    masks = {
        "train": torch.arange(num_nodes) < 12,
        "valid": (torch.arange(num_nodes) >= 12) & (torch.arange(num_nodes) < 24),
        "test": torch.arange(num_nodes) >= 24,
    }
    return Data(x=x, y=y, edge_index=edges, num_nodes=num_nodes), masks


def test_held_out_nodes_and_their_edges_are_not_in_the_observed_graph():
    data, masks = _toy_graph()
    split = make_setting(data, masks, "production", 0.2, seed=3)
    held_out = split.inductive_test
    assert held_out.numel() == int(36 * 0.2) and bool(masks["test"][held_out].all())
    observed = split.observed
    assert observed.num_nodes == data.num_nodes - held_out.numel()
    assert not bool(torch.isin(split.observed_nodes, held_out).any())
    assert torch.equal(observed.x, data.x[split.observed_nodes])
    assert torch.equal(observed.y, data.y[split.observed_nodes])
    # Every observed edge is an edge of the full graph between two observed nodes, and
    # every full-graph edge between observed nodes is kept.
    source, target = split.observed_nodes[observed.edge_index]
    assert not bool(torch.isin(source, held_out).any() | torch.isin(target, held_out).any())
    full_keys = set((data.edge_index[0] * 1000 + data.edge_index[1]).tolist())
    kept = set((source * 1000 + target).tolist())
    inside = ~torch.isin(data.edge_index, held_out).any(0)
    assert kept <= full_keys
    assert kept == set((data.edge_index[0][inside] * 1000 + data.edge_index[1][inside]).tolist())
    assert int(observed.test_mask.sum()) == int(masks["test"].sum()) - held_out.numel()


def test_a_teacher_trained_in_production_never_reads_held_out_nodes():
    data, masks = _toy_graph()
    split = make_setting(data, masks, "production", 0.2, seed=1)
    # Poison the held-out nodes: any read of their features during training would
    # make the loss, the weights and then every prediction NaN.
    split.full.x[split.inductive_test] = float("nan")
    config = TeacherConfig(conv="sage", hidden=8, fan_out=[3, 3], epochs=5, patience=None)
    outputs = train_teacher(config, split, torch.device("cpu"), checkpoint_dir=_tmp())
    assert torch.isfinite(outputs.logits[split.observed_nodes]).all()
    assert all(torch.isfinite(v).all() for v in outputs.state_dict.values())


def _tmp():
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp()) / "checkpoints"


def test_transductive_setting_keeps_everything_and_production_metrics_combine():
    data, masks = _toy_graph()
    split = make_setting(data, masks, "transductive")
    assert split.observed.num_nodes == data.num_nodes and split.inductive_test.numel() == 0
    perfect = torch.nn.functional.one_hot(data.y, 3).float()
    assert setting_metrics(split, perfect)["test"] == {"acc": 1.0}

    split = make_setting(data, masks, "production", 0.2, seed=0)
    observed_logits = torch.nn.functional.one_hot(split.observed.y, 3).float()
    wrong = torch.nn.functional.one_hot((data.y[split.inductive_test] + 1) % 3, 3).float()
    test = setting_metrics(split, observed_logits, wrong)["test"]
    assert test["acc_tran"] == 1.0 and test["acc_ind"] == 0.0
    assert abs(test["acc_prod"] - 0.8) < 1e-12


def test_rocauc_scores_the_class_one_log_odds():
    # Log-odds s = z1 - z0 = [0.1, 0.4, 0.35, 0.8] for labels [0, 0, 1, 1]: of the four
    # (positive, negative) pairs only (0.35, 0.4) is misordered, so AUC = 3/4. z1 alone
    # ([5.1, -2.6, 2.35, 0.8]) would order them otherwise (AUC 1/2).
    z0 = torch.tensor([5.0, -3.0, 2.0, 0.0])
    logits = torch.stack([z0, z0 + torch.tensor([0.1, 0.4, 0.35, 0.8])], 1)
    y = torch.tensor([0, 0, 1, 1])
    assert score("rocauc", logits, y) == pytest.approx(0.75)
    assert score("rocauc", logits, y) == pytest.approx(roc_auc(logits.softmax(1)[:, 1], y))
    assert score("acc", logits, y) == 0.5
    with pytest.raises(ValueError, match=r"binary tasks: expected logits of shape \[N, 2\]"):
        score("rocauc", torch.zeros(4, 3), y)
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        score("f1", logits, y)


def test_production_rocauc_combines_like_accuracy():
    data, masks = _toy_graph()
    data.y = data.y % 2
    split = make_setting(data, masks, "production", 0.2, seed=0, metric="rocauc")
    observed_logits = torch.nn.functional.one_hot(split.observed.y, 2).float()
    inverted = torch.nn.functional.one_hot(1 - data.y[split.inductive_test], 2).float()
    metrics = setting_metrics(split, observed_logits, inverted)
    assert metrics["valid"] == {"rocauc": 1.0}
    assert metrics["test"] == pytest.approx(
        {"rocauc_prod": 0.8, "rocauc_tran": 1.0, "rocauc_ind": 0.0}
    )


def test_make_setting_wants_one_split_of_stored_masks():
    data, masks = _toy_graph()
    stored = {name: torch.stack([mask, mask], 1) for name, mask in masks.items()}
    with pytest.raises(ValueError, match=r"mask 'train' must be bool of shape \[60\].*one column"):
        make_setting(data, stored, "production")
