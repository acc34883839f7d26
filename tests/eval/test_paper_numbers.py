"""Paper numbers: well-formed, and named as our evaluators and datasets name things."""

from gnnlib.eval.evaluator import metric_for_dataset
from gnnlib.eval.paper_numbers import PAPER_NUMBERS, PERCENT, RAW


def test_entries_are_well_formed():
    for (method, dataset, setting, metric), number in PAPER_NUMBERS.items():
        assert method == method.lower(), method
        assert number.scale in (PERCENT, RAW)
        assert 0 <= number.mean <= number.scale, (method, dataset, metric)
        assert setting in (None, "transductive", "production")
        assert number.std is None or number.std >= 0
        assert number.source


def test_link_prediction_metrics_are_each_dataset_standard_metric():
    for method, dataset, _, metric in PAPER_NUMBERS:
        if method in ("ncn", "ncnc", "cn", "buddy"):
            assert metric == metric_for_dataset(dataset, "link")


def test_spot_checks():
    assert PAPER_NUMBERS[("ncnc", "ogbl-citation2", None, "mrr")][:3] == (89.12, 0.40, PERCENT)
    assert PAPER_NUMBERS[("cn", "ogbl-ppa", None, "hits@100")].std is None
    assert PAPER_NUMBERS[("gcn", "PubMed", None, "acc")][:3] == (79.0, None, PERCENT)
    assert PAPER_NUMBERS[("glnn", "A-Photo", "production", "acc_ind")][:2] == (91.18, 0.81)
    assert PAPER_NUMBERS[("drew-gcn-lappe", "Peptides-struct", None, "mae")][:3] == (
        0.2536,
        0.0015,
        RAW,
    )
    assert PAPER_NUMBERS[("gmn", "cifar10-diverse-archs-10pct", None, "r2")][:2] == (0.918, 0.002)
