"""The markdown report: our mean ± population std beside the paper's number."""

import numpy as np
import pytest

from gnnlib.eval.records import ResultRecord, aggregate, save_aggregate
from gnnlib.eval.report import display_scale, render_report


def _save(directory, method, dataset, seed, metrics, **kw):
    record = ResultRecord(
        method=method,
        dataset=dataset,
        config={},
        seed=seed,
        metrics=metrics,
        git_commit="0123456789abcdef",
        git_dirty=True,
        threads=3,
        **kw,
    )
    record.save(directory)
    return record


def _row(report: str, *cells: str) -> str:
    prefix = "| " + " | ".join(cells) + " |"
    (line,) = [line for line in report.splitlines() if line.startswith(prefix)]
    return line


def test_report_three_seeds_beside_paper(tmp_path):
    hits = [0.88, 0.90, 0.89]
    records = [
        _save(
            tmp_path / "ncn" / f"s{s}",
            "ncn",
            "Cora",
            s,
            {"valid": {"hits@100": h + 0.02}, "test": {"hits@100": h}},
            epochs_run=100 - s,
        )
        for s, h in enumerate(hits)
    ]
    save_aggregate(aggregate(records), tmp_path)  # aggregates are not read back as records
    report = render_report(tmp_path)

    mean, std = np.mean(hits) * 100, np.std(hits) * 100  # population std, in percent
    line = _row(report, "ncn", "Cora", "test", "hits@100")
    assert f"{mean:.2f} ± {std:.2f}" in line  # 89.00 ± 0.82
    assert "89.00 ± 0.82" in line
    assert "| 3 |" in line
    assert "89.05 ± 0.96" in line  # NCN paper, Cora Hits@100
    assert line.rstrip().endswith(f"| {mean - 89.05:+.2f} |")  # -0.05
    # validation rows are shown without a paper number
    assert _row(report, "ncn", "Cora", "valid", "hits@100").endswith("| — | — |")
    assert "Neural Common Neighbor" in report
    # the runs section lists every seed with its epochs and commit
    runs = report.split("# Runs")[1]
    assert "| ncn | Cora | 2 | — | 98 |" in runs
    assert "0123456789-dirty" in runs
    assert "| 3 | 0123456789-dirty |" in runs  # the run's thread count
    assert "ncn/s1/ncn__Cora__seed1.json" in runs


def test_raw_scale_metrics_and_missing_paper_numbers(tmp_path):
    for s, ap in enumerate([0.70, 0.72]):
        _save(tmp_path, "drew-gcn-lappe", "Peptides-func", s, {"test": {"ap": ap}})
    _save(tmp_path, "mymodel", "Cora", 0, {"test": {"acc": 0.5, "mae": 0.25}})
    report = render_report(tmp_path)
    line = _row(report, "drew-gcn-lappe", "Peptides-func", "test", "ap")
    assert "0.7100 ± 0.0100" in line and "0.7150 ± 0.0044" in line
    assert line.endswith("| -0.0050 |")
    assert _row(report, "mymodel", "Cora", "test", "acc").endswith("| 50.00 ± 0.00 | 1 | — | — |")
    assert "| 0.2500 ± 0.0000 |" in _row(report, "mymodel", "Cora", "test", "mae")


def test_paper_without_std(tmp_path):
    _save(tmp_path, "gcn", "Cora", 0, {"test": {"acc": 0.815}})
    line = _row(render_report(tmp_path), "gcn", "Cora", "test", "acc")
    assert line.endswith("| 81.50 ± 0.00 | 1 | 81.50 | +0.00 |")


def test_empty_or_missing_directory_is_a_clear_error(tmp_path):
    (tmp_path / "other.json").write_text("{}")
    with pytest.raises(ValueError, match="no result records found under"):
        render_report(tmp_path)
    with pytest.raises(ValueError, match="does not exist"):
        render_report(tmp_path / "nope")


def test_broken_record_names_its_file(tmp_path):
    (tmp_path / "ncn__Cora__seed0.json").write_text('{"method": "ncn"}')
    with pytest.raises(ValueError, match=r"ncn__Cora__seed0\.json: .*missing required"):
        render_report(tmp_path)


def test_two_runs_of_one_seed_are_refused_naming_both_files(tmp_path):
    # e.g. the same seeds run again with another training loop, in a sibling folder
    _save(tmp_path / "joint", "glnn", "Cora", 0, {"test": {"acc": 0.80}}, setting="production")
    _save(tmp_path / "joint", "glnn", "Cora", 1, {"test": {"acc": 0.81}}, setting="production")
    _save(tmp_path / "other", "glnn", "Cora", 1, {"test": {"acc": 0.79}}, setting="production")
    with pytest.raises(ValueError, match="seed 1 has two records") as error:
        render_report(tmp_path)
    assert "joint/glnn__Cora__production__seed1.json" in str(error.value)
    assert "other/glnn__Cora__production__seed1.json" in str(error.value)
    # one run's folder reports; the same seed in another setting is no second record
    _save(tmp_path / "joint", "glnn", "Cora", 1, {"test": {"acc": 0.7}}, setting="transductive")
    report = render_report(tmp_path / "joint")
    assert "| glnn | Cora | production | 1 |" in report
    assert "| glnn | Cora | transductive | 1 |" in report


def test_display_scale_rule():
    assert display_scale("anything", "Cora", "hits@20") == 100
    assert display_scale("anything", "X", "mrr") == 100
    assert display_scale("glnn", "Tolokers", "rocauc_prod") == 100
    assert display_scale("anything", "X", "ap") == 1
    assert display_scale("gmn", "cifar10-varying-cnns", "r2") == 1


def test_settings_get_their_own_rows(tmp_path):
    for s in (0, 1):
        _save(tmp_path / "tran", "glnn", "Cora", s, {"test": {"acc": 0.80}}, setting="transductive")
        _save(
            tmp_path / "prod", "glnn", "Cora", s, {"test": {"acc_prod": 0.78}}, setting="production"
        )
    report = render_report(tmp_path)
    assert "| method | dataset | setting | split |" in report
    assert "| 80.00 ± 0.00 | 2 |" in _row(report, "glnn", "Cora", "transductive", "test", "acc")
    assert "| 78.00 ± 0.00 | 2 |" in _row(report, "glnn", "Cora", "production", "test", "acc_prod")
    runs = report.split("# Runs")[1]
    assert "| glnn | Cora | production | 0 |" in runs
    # without any setting the column is not shown
    _save(tmp_path / "other", "gcn", "Cora", 0, {"test": {"acc": 0.815}})
    assert "| setting |" not in render_report(tmp_path / "other")


def test_paper_numbers_are_shown_only_beside_their_own_protocol(tmp_path):
    # GLNN's transductive figure beside a transductive GLNN run; Kipf & Welling's
    # public-split GCN figure not beside a GCN teacher trained on GLNN's split
    _save(tmp_path, "glnn", "Cora", 0, {"test": {"acc": 0.80}}, setting="transductive")
    _save(tmp_path, "gcn", "Cora", 0, {"test": {"acc": 0.81}}, setting="transductive")
    report = render_report(tmp_path)
    assert "| 80.54 ± 1.35 |" in _row(report, "glnn", "Cora", "transductive", "test", "acc")
    assert _row(report, "gcn", "Cora", "transductive", "test", "acc").endswith("| — | — |")
