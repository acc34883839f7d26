"""Each metric equals its reference implementation (OGB, scikit-learn, scipy) or a hand count."""

import math

import numpy as np
import pytest
import torch

from gnnlib.eval.metrics import (
    accuracy,
    average_precision,
    hits_at_k,
    kendall_tau,
    mae,
    mrr,
    r2,
    ranking_metrics,
    rmse,
    roc_auc,
)

SEEDS = range(5)


def _ogb_link(name: str):
    from ogb.linkproppred import Evaluator

    return Evaluator(name)


# ------------------------------------------------------------------------- Hits@K


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ties", [False, True])
def test_hits_at_k_equals_ogb(seed, ties):
    gen = torch.Generator().manual_seed(seed)
    if ties:  # few distinct integer scores: many positives tie with the K-th negative
        pos = torch.randint(0, 8, (300,), generator=gen).float()
        neg = torch.randint(0, 8, (500,), generator=gen).float()
    else:
        pos = torch.randn(300, generator=gen)
        neg = torch.randn(500, generator=gen)
    evaluator = _ogb_link("ogbl-collab")
    for k in (1, 3, 10, 20, 50, 100, 499, 500, 501, 1000):
        evaluator.K = k  # OGB reads K from this attribute
        expected = evaluator.eval({"y_pred_pos": pos, "y_pred_neg": neg})[f"hits@{k}"]
        assert hits_at_k(pos, neg, k) == expected
        # numpy inputs give the same value (OGB's numpy branch)
        expected_np = evaluator.eval({"y_pred_pos": pos.numpy(), "y_pred_neg": neg.numpy()})
        assert hits_at_k(pos.numpy(), neg.numpy(), k) == expected_np[f"hits@{k}"]


def test_hits_at_k_hand_example():
    pos = torch.tensor([0.9, 0.5, 0.3])
    neg = torch.tensor([0.8, 0.5, 0.1])
    assert hits_at_k(pos, neg, 1) == pytest.approx(1 / 3)  # only 0.9 beats 0.8
    assert hits_at_k(pos, neg, 2) == pytest.approx(1 / 3)  # 0.5 ties the 2nd: a miss
    assert hits_at_k(pos, neg, 3) == 1.0
    assert hits_at_k(pos, neg, 4) == 1.0  # fewer negatives than K


def test_hits_at_k_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"neg_scores must have shape \[Q\]"):
        hits_at_k(torch.ones(3), torch.ones(3, 2), 1)
    with pytest.raises(ValueError, match="positive integer"):
        hits_at_k(torch.ones(3), torch.ones(3), 0)


# -------------------------------------------------------------------------- MRR


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ties", [False, True])
def test_mrr_and_hits_equal_ogb(seed, ties):
    gen = torch.Generator().manual_seed(seed)
    if ties:
        pos = torch.randint(0, 5, (200,), generator=gen).float()
        neg = torch.randint(0, 5, (200, 30), generator=gen).float()
    else:
        pos = torch.randn(200, generator=gen)
        neg = torch.randn(200, 30, generator=gen)
    out = _ogb_link("ogbl-citation2").eval({"y_pred_pos": pos, "y_pred_neg": neg})
    ours = ranking_metrics(pos, neg, ks=(1, 3, 10))
    assert ours["mrr"] == pytest.approx(out["mrr_list"].mean().item(), rel=1e-6)
    for k in (1, 3, 10):
        assert ours[f"hits@{k}"] == pytest.approx(out[f"hits@{k}_list"].mean().item(), rel=1e-6)
    assert mrr(pos.numpy(), neg.numpy()) == ours["mrr"]


def test_mrr_hand_example_with_ties():
    pos = torch.tensor([1.0, 0.5])
    neg = torch.tensor([[0.0, 0.0], [0.5, 2.0]])
    # positive 0 ranks first; positive 1: one negative above, one tied -> rank 2.5
    assert mrr(pos, neg) == pytest.approx((1 + 1 / 2.5) / 2)


def test_mrr_rejects_one_dimensional_negatives():
    with pytest.raises(ValueError, match=r"\[P, Q\]"):
        mrr(torch.ones(3), torch.ones(3))
    with pytest.raises(ValueError, match="one row per positive"):
        mrr(torch.ones(3), torch.ones(4, 2))


# --------------------------------------------------------------- classification


def test_accuracy_logits_and_labels():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([0, 1, 1, 1])
    assert accuracy(logits, y) == 0.75
    assert accuracy(logits.argmax(1), y[:, None]) == 0.75  # OGB-style [N, 1] labels
    assert accuracy(np.array([0, 1, 0]), np.array([0, 1, 1])) == pytest.approx(2 / 3)


def test_accuracy_rejects_single_logit_column_and_mismatch():
    with pytest.raises(ValueError, match="C >= 2"):
        accuracy(torch.randn(4, 1), torch.zeros(4, dtype=torch.long))
    with pytest.raises(ValueError, match="rows"):
        accuracy(torch.zeros(3, dtype=torch.long), torch.zeros(4, dtype=torch.long))


def _multilabel(seed: int, n: int = 120, tasks: int = 12, nan_fraction: float = 0.2):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=(n, tasks)).astype(np.float64)
    y[rng.random((n, tasks)) < nan_fraction] = np.nan
    y[:, 0] = np.where(np.isnan(y[:, 0]), np.nan, 1.0)  # a task without negatives: skipped
    scores = rng.integers(0, 6, size=(n, tasks)).astype(np.float64)  # ties
    scores[:, 1:4] = rng.normal(size=(n, 3))
    return y, scores


@pytest.mark.parametrize("seed", SEEDS)
def test_roc_auc_equals_ogb_graphproppred(seed):
    from ogb.graphproppred import Evaluator

    y, scores = _multilabel(seed)
    expected = Evaluator("ogbg-moltox21").eval({"y_true": y, "y_pred": scores})["rocauc"]
    assert roc_auc(torch.from_numpy(scores), torch.from_numpy(y)) == pytest.approx(expected)
    single = Evaluator("ogbg-molhiv").eval({"y_true": y[:, 1:2], "y_pred": scores[:, 1:2]})
    assert roc_auc(scores[:, 1], y[:, 1]) == pytest.approx(single["rocauc"])


@pytest.mark.parametrize("seed", SEEDS)
def test_average_precision_equals_ogb_and_sklearn(seed):
    from ogb.graphproppred import Evaluator

    y, scores = _multilabel(seed, tasks=128)
    expected = Evaluator("ogbg-molpcba").eval({"y_true": y, "y_pred": scores})["ap"]
    assert average_precision(scores, y) == pytest.approx(expected)


@pytest.mark.parametrize("seed", SEEDS)
def test_binary_metrics_equal_sklearn(seed):
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=200)
    for scores in (rng.normal(size=200), rng.integers(0, 4, size=200).astype(float)):
        assert average_precision(scores, y) == pytest.approx(
            metrics.average_precision_score(y, scores), abs=1e-12
        )
        assert roc_auc(scores, y) == pytest.approx(metrics.roc_auc_score(y, scores), abs=1e-12)


def test_average_precision_hand_example():
    # Sorted by score: 0.9 (pos), 0.8 (neg), 0.7 (pos), 0.6 & 0.6 (tied: one pos, one neg)
    scores = torch.tensor([0.9, 0.8, 0.7, 0.6, 0.6])
    y = torch.tensor([1, 0, 1, 1, 0])
    # thresholds: P=1 R=1/3; P=1/2 R=1/3; P=2/3 R=2/3; P=3/5 R=1 (the tie enters at once)
    expected = (1 / 3) * 1 + 0 * (1 / 2) + (1 / 3) * (2 / 3) + (1 / 3) * (3 / 5)
    assert average_precision(scores, y) == pytest.approx(expected)


def test_roc_auc_hand_example_with_tie():
    # pairs (pos, neg): (0.9,0.1) win, (0.9,0.5) win, (0.5,0.1) win, (0.5,0.5) tie -> 3.5/4
    assert roc_auc(torch.tensor([0.9, 0.5, 0.5, 0.1]), torch.tensor([1, 1, 0, 0])) == 0.875


def test_binary_metrics_need_both_classes_and_binary_targets():
    with pytest.raises(ValueError, match="both a positive and a negative"):
        roc_auc(torch.rand(5), torch.ones(5))
    with pytest.raises(ValueError, match="0, 1 or NaN"):
        average_precision(torch.rand(3), torch.tensor([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match="same shape"):
        roc_auc(torch.rand(4, 2), torch.ones(4))
    with pytest.raises(ValueError, match="NaN"):
        roc_auc(torch.tensor([0.1, float("nan")]), torch.tensor([0, 1]))


# ------------------------------------------------------------------- regression


def test_regression_metrics_hand_computed():
    pred = torch.tensor([2.5, 0.0, 2.0, 8.0])
    y = torch.tensor([3.0, -0.5, 2.0, 7.0])
    assert mae(pred, y) == pytest.approx((0.5 + 0.5 + 0 + 1) / 4)
    assert rmse(pred, y) == pytest.approx(math.sqrt((0.25 + 0.25 + 0 + 1) / 4))
    # mean(y) = 2.875; SS_tot = 0.015625 + 11.390625 + 0.765625 + 17.015625 = 29.1875
    assert r2(pred, y) == pytest.approx(1 - 1.5 / 29.1875)


def test_regression_metrics_per_task_ignore_nan():
    pred = torch.tensor([[1.0, 0.0], [2.0, 0.0], [3.0, 5.0]])
    y = torch.tensor([[1.0, 1.0], [3.0, float("nan")], [3.0, 1.0]])
    assert mae(pred, y) == pytest.approx((1 / 3 + 5 / 2) / 2)
    assert rmse(pred, y) == pytest.approx((math.sqrt(1 / 3) + math.sqrt(17 / 2)) / 2)


def test_r2_constant_target_follows_sklearn():
    assert r2(torch.ones(3), torch.ones(3)) == 1.0
    assert r2(torch.tensor([1.0, 2.0, 3.0]), torch.ones(3)) == 0.0


@pytest.mark.parametrize("seed", SEEDS)
def test_regression_metrics_equal_references(seed):
    metrics = pytest.importorskip("sklearn.metrics")
    from ogb.graphproppred import Evaluator

    rng = np.random.default_rng(seed)
    y, pred = rng.normal(size=(50, 3)), rng.normal(size=(50, 3))
    assert r2(pred, y) == pytest.approx(metrics.r2_score(y, pred))
    assert mae(pred, y) == pytest.approx(metrics.mean_absolute_error(y, pred))
    ogb = Evaluator("ogbg-molesol").eval({"y_true": y[:, :1], "y_pred": pred[:, :1]})
    assert rmse(pred[:, 0], y[:, 0]) == pytest.approx(ogb["rmse"])


@pytest.mark.parametrize("seed", SEEDS)
def test_kendall_tau_equals_scipy_with_ties(seed):
    from scipy.stats import kendalltau

    rng = np.random.default_rng(seed)
    x = rng.integers(0, 5, size=40).astype(np.float32)
    y = rng.integers(0, 4, size=40)
    assert kendall_tau(torch.from_numpy(x), y) == pytest.approx(kendalltau(x, y).statistic)


def test_kendall_tau_hand_example():
    # pairs of [1,2,3] vs [1,3,2]: 2 concordant, 1 discordant, no ties -> 1/3
    assert kendall_tau(np.array([1, 2, 3]), np.array([1, 3, 2])) == pytest.approx(1 / 3)
