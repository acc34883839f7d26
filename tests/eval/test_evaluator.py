"""Evaluator: right values, and errors that say what was expected and what was given."""

import numpy as np
import pytest
import torch

from gnnlib.eval import DATASET_METRICS, Evaluator, metric_for_dataset
from gnnlib.eval.metrics import accuracy, hits_at_k, ranking_metrics


def test_hits_single_and_several_k():
    pos, neg = torch.randn(50), torch.randn(200)
    assert Evaluator("hits@20").eval({"y_pred_pos": pos, "y_pred_neg": neg}) == {
        "hits@20": hits_at_k(pos, neg, 20)
    }
    ev = Evaluator("hits", k=[20, 50, 100])
    assert ev.metric_names == ("hits@20", "hits@50", "hits@100")
    out = ev.eval({"y_pred_pos": pos.numpy(), "y_pred_neg": neg.numpy()})
    assert out == {f"hits@{k}": hits_at_k(pos, neg, k) for k in (20, 50, 100)}


def test_mrr_returns_mrr_and_hits():
    pos, neg = torch.randn(30), torch.randn(30, 10)
    out = Evaluator("mrr").eval({"y_pred_pos": pos, "y_pred_neg": neg})
    assert out == ranking_metrics(pos, neg, ks=(1, 3, 10))
    assert set(Evaluator("mrr", k=[5]).eval({"y_pred_pos": pos, "y_pred_neg": neg})) == {
        "mrr",
        "hits@5",
    }


@pytest.mark.parametrize(
    ("metric", "y_pred", "y_true"),
    [
        ("acc", torch.randn(10, 3), torch.randint(0, 3, (10, 1))),
        ("rocauc", torch.randn(10, 2), torch.tensor([[0, 1]] * 5 + [[1, 0]] * 5).float()),
        ("ap", np.random.rand(10), np.array([0, 1] * 5)),
        ("mae", torch.randn(10), torch.randn(10)),
        ("rmse", torch.randn(10, 2), torch.randn(10, 2)),
        ("r2", torch.randn(10), torch.randn(10)),
        ("kendall_tau", torch.randn(10), torch.randn(10)),
    ],
)
def test_single_value_metrics(metric, y_pred, y_true):
    out = Evaluator(metric).eval({"y_pred": y_pred, "y_true": y_true})
    assert list(out) == [metric] and isinstance(out[metric], float)


def test_acc_matches_metric():
    logits, y = torch.randn(20, 4), torch.randint(0, 4, (20,))
    assert Evaluator("acc").eval({"y_pred": logits, "y_true": y})["acc"] == accuracy(logits, y)


def test_missing_key_names_it_and_the_format():
    ev = Evaluator("hits@50")
    with pytest.raises(ValueError) as err:
        ev.eval({"y_pred_pos": torch.randn(3)})
    msg = str(err.value)
    assert "missing key(s) ['y_pred_neg']" in msg
    assert "given keys: ['y_pred_pos']" in msg
    assert "Expected input format" in msg and "(num_neg,)" in msg


def test_wrong_shape_says_expected_and_given():
    with pytest.raises(ValueError) as err:
        Evaluator("mrr").eval({"y_pred_pos": torch.randn(3), "y_pred_neg": torch.randn(3)})
    msg = str(err.value)
    assert "y_pred_neg must have shape (num_pos, num_neg_per_pos)" in msg
    assert "got shape (3,) (1-dimensional)" in msg


def test_inconsistent_shapes_are_reported_with_the_format():
    with pytest.raises(ValueError) as err:
        Evaluator("mae").eval({"y_pred": torch.randn(5), "y_true": torch.randn(4)})
    msg = str(err.value)
    assert "(5,) and (4,)" in msg and "Expected input format" in msg
    with pytest.raises(ValueError, match="one row per positive"):
        Evaluator("mrr").eval({"y_pred_pos": torch.randn(3), "y_pred_neg": torch.randn(4, 2)})


def test_wrong_type_and_dtype():
    with pytest.raises(
        ValueError, match="y_pred must be a torch.Tensor or numpy.ndarray, got list"
    ):
        Evaluator("mae").eval({"y_pred": [1.0, 2.0], "y_true": torch.randn(2)})
    with pytest.raises(ValueError, match="y_true must have dtype int, got torch.float32"):
        Evaluator("acc").eval({"y_pred": torch.randn(4, 2), "y_true": torch.zeros(4)})
    with pytest.raises(ValueError, match="dtype float or int, got <U1"):
        Evaluator("r2").eval({"y_pred": np.array(["a", "b"]), "y_true": np.ones(2)})
    with pytest.raises(ValueError, match="input must be a dict, got tuple"):
        Evaluator("r2").eval((torch.ones(2), torch.ones(2)))


def test_nan_only_where_allowed():
    with pytest.raises(ValueError, match="y_pred contains 1 NaN"):
        Evaluator("rocauc").eval(
            {"y_pred": torch.tensor([0.1, float("nan")]), "y_true": torch.tensor([0, 1])}
        )
    # NaN targets mean "unlabelled" for OGB-style multi-task metrics.
    out = Evaluator("rocauc").eval(
        {"y_pred": torch.tensor([0.1, 0.9, 0.5]), "y_true": torch.tensor([0.0, 1.0, float("nan")])}
    )
    assert out == {"rocauc": 1.0}
    with pytest.raises(ValueError, match="y_true contains 1 NaN"):
        Evaluator("kendall_tau").eval(
            {"y_pred": torch.randn(3), "y_true": torch.tensor([0.0, 1.0, float("nan")])}
        )


def test_bad_metric_names_and_parameters():
    with pytest.raises(ValueError, match="unknown metric 'f1'; supported: hits@K"):
        Evaluator("f1")
    with pytest.raises(ValueError, match="positive integer"):
        Evaluator("hits@x")
    with pytest.raises(ValueError, match="needs k="):
        Evaluator("hits")
    with pytest.raises(ValueError, match="takes no parameters"):
        Evaluator("acc", k=3)
    with pytest.raises(ValueError, match="positive int"):
        Evaluator("hits", k=[0])


def test_expected_formats_describe_each_key():
    ev = Evaluator("rocauc")
    assert "y_true" in ev.expected_input_format and "NaN allowed" in ev.expected_input_format
    assert ev.expected_output_format == "{'rocauc': float}"


def test_metric_for_dataset():
    assert metric_for_dataset("Cora", "link") == "hits@100"
    assert metric_for_dataset("Cora", "node") == "acc"
    assert metric_for_dataset("ogbl-collab") == "hits@50"
    assert metric_for_dataset("ogbl-ddi") == "hits@20"
    assert metric_for_dataset("ogbl-ppa") == "hits@100"
    assert metric_for_dataset("ogbl-citation2") == "mrr"
    assert metric_for_dataset("ogbg-molhiv") == "rocauc"
    assert metric_for_dataset("ogbg-molesol") == "rmse"
    assert metric_for_dataset("Peptides-func") == "ap"
    assert metric_for_dataset("Peptides-struct") == "mae"
    assert metric_for_dataset("MUTAG") == "acc"
    with pytest.raises(ValueError, match="several tasks"):
        metric_for_dataset("Cora")
    with pytest.raises(ValueError, match="did you mean 'Cora'"):
        metric_for_dataset("cora", "link")


def test_every_standard_metric_builds_an_evaluator():
    for by_task in DATASET_METRICS.values():
        for metric in by_task.values():
            evaluator = Evaluator(metric)
            assert evaluator.metric_names and evaluator.expected_input_format
