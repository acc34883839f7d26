"""Result records round-trip, validate their keys, and aggregate with population std."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from gnnlib.eval import records
from gnnlib.eval.records import (
    ResultRecord,
    aggregate,
    collect_versions,
    group_records,
    peak_memory_mb,
    save_aggregate,
)


def _record(seed: int, test: float, method: str = "ncn", dataset: str = "Cora", **kw):
    return ResultRecord(
        method=method,
        dataset=dataset,
        config={"lr": 0.01, "epochs": 100},
        seed=seed,
        metrics={"valid": {"hits@100": test + 0.01}, "test": {"hits@100": test}},
        **kw,
    )


def test_automatic_fields_are_filled():
    r = _record(0, 0.9)
    assert r.versions["torch"] is not None and r.versions["python"]
    assert set(collect_versions()) == {"python", "torch", "torch_geometric", "ogb", "gnnlib"}
    assert r.created_at.endswith("+00:00")
    assert isinstance(r.command, list)
    assert r.git_commit is None or len(r.git_commit) == 40
    assert r.git_dirty in (None, True, False)


def test_records_note_the_thread_count_they_ran_with():
    # On CPU one seed can give another result under another thread count.
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert _record(0, 0.9).threads == 1
        torch.set_num_threads(2)
        assert _record(0, 0.9).threads == 2
    finally:
        torch.set_num_threads(threads)


def test_round_trip_through_json(tmp_path):
    r = _record(
        3,
        np.float32(0.5),
        split_seed=7,
        best_epoch=42,
        epochs_run=100,
        wall_time_s=12.5,
        peak_memory_mb=300.0,
    )
    path = r.save(tmp_path / "runs")
    assert path.name == "ncn__Cora__seed3.json"
    loaded = ResultRecord.load(path)
    assert loaded == r
    assert isinstance(loaded.metrics["test"]["hits@100"], float)  # numpy scalar normalised
    assert ResultRecord.from_dict(r.to_dict()) == r


def test_tensor_metric_values_are_stored_as_floats(tmp_path):
    r = ResultRecord("gcn", "Cora", {}, 0, {"test": {"acc": torch.tensor(0.8)}})
    assert r.metrics == {"test": {"acc": pytest.approx(0.8)}}
    json.loads(r.save(tmp_path).read_text())


def test_missing_key_error_names_the_key_and_the_file(tmp_path):
    data = _record(0, 0.9).to_dict()
    del data["metrics"]
    path = tmp_path / "ncn__Cora__seed0.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match=r"seed0\.json: .*missing required key\(s\) \['metrics'\]"):
        ResultRecord.load(path)


def test_unknown_key_and_bad_values_are_errors(tmp_path):
    data = _record(0, 0.9).to_dict() | {"acuracy": 1}
    with pytest.raises(ValueError, match=r"unknown key\(s\) \['acuracy'\]"):
        ResultRecord.from_dict(data)
    with pytest.raises(ValueError, match="must map split -> metric -> value"):
        ResultRecord("ncn", "Cora", {}, 0, {"test": 0.9})
    with pytest.raises(ValueError, match="must be a number"):
        ResultRecord("ncn", "Cora", {}, 0, {"test": {"acc": "high"}})
    with pytest.raises(ValueError, match="without '/'"):
        ResultRecord("ncn", "a/b", {}, 0, {})
    path = tmp_path / "x__y__seed0.json"
    path.write_text("[1, 2]")
    with pytest.raises(ValueError, match="must be a JSON object, got list"):
        ResultRecord.load(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        ResultRecord.load(path)


def test_aggregate_uses_population_std():
    values = [0.80, 0.85, 0.90]
    summary = aggregate([_record(s, v) for s, v in zip((2, 0, 1), values)])
    test = summary["metrics"]["test"]["hits@100"]
    assert summary["seeds"] == [0, 1, 2] and summary["n"] == 3
    assert test["values"] == [0.85, 0.90, 0.80]  # in seed order
    assert test["mean"] == pytest.approx(0.85)
    assert test["std"] == pytest.approx(np.sqrt(((0.05**2) * 2) / 3))  # ddof=0
    assert test["std"] == pytest.approx(np.std(values))
    assert test["n"] == 3 and test["seeds"] == [0, 1, 2]


def test_aggregate_counts_only_seeds_reporting_a_metric():
    records = [_record(0, 0.5), _record(1, 0.7)]
    records[1].metrics["test"]["mrr"] = 0.3
    summary = aggregate(records)
    assert summary["metrics"]["test"]["mrr"] == {
        "mean": 0.3,
        "std": 0.0,
        "n": 1,
        "seeds": [1],
        "values": [0.3],
    }


def test_aggregate_refuses_mixed_groups_and_repeated_seeds():
    mixed = [_record(0, 0.5), _record(1, 0.6, dataset="CiteSeer")]
    with pytest.raises(ValueError, match="group_records"):
        aggregate(mixed)
    groups = group_records(mixed)
    assert list(groups) == [("ncn", "CiteSeer", None), ("ncn", "Cora", None)]
    assert aggregate(groups[("ncn", "Cora", None)])["n"] == 1
    with pytest.raises(ValueError, match=r"seed\(s\) \[0\]"):
        aggregate([_record(0, 0.5), _record(0, 0.6)])
    with pytest.raises(ValueError, match="at least one"):
        aggregate([])


def test_save_aggregate(tmp_path):
    summary = aggregate([_record(0, 0.5), _record(1, 0.7)])
    path = save_aggregate(summary, tmp_path)
    assert path.name == "ncn__Cora__aggregate.json"
    assert json.loads(path.read_text()) == summary


def test_settings_are_kept_apart(tmp_path):
    # Distillation's two protocols share method, dataset and seeds: never one average.
    tran = [_record(s, 0.8, method="glnn", setting="transductive") for s in (0, 1)]
    prod = [_record(s, 0.7, method="glnn", setting="production") for s in (0, 1)]
    groups = group_records(tran + prod)
    assert list(groups) == [("glnn", "Cora", "production"), ("glnn", "Cora", "transductive")]
    with pytest.raises(ValueError, match="group_records"):
        aggregate(tran + prod)
    summary = aggregate(prod)
    assert summary["setting"] == "production"
    assert summary["metrics"]["test"]["hits@100"]["mean"] == pytest.approx(0.7)
    assert save_aggregate(summary, tmp_path).name == "glnn__Cora__production__aggregate.json"
    assert prod[0].save(tmp_path).name == "glnn__Cora__production__seed0.json"
    assert ResultRecord.load(tmp_path / "glnn__Cora__production__seed0.json") == prod[0]
    with pytest.raises(ValueError, match="setting"):
        _record(0, 0.5, setting="trans__ductive")


def test_records_without_a_setting_field_load_as_none(tmp_path):
    data = _record(0, 0.5).to_dict()
    del data["setting"]  # written before settings existed
    assert ResultRecord.from_dict(data).setting is None


def test_peak_memory():
    assert peak_memory_mb("cpu") > 10  # this Python process with torch loaded
    assert peak_memory_mb(torch.device("meta")) is None


def test_dataclass_config_is_stored_as_dict(tmp_path):
    import dataclasses

    @dataclasses.dataclass
    class Config:
        lr: float = 0.01
        hidden: int = 256

    r = ResultRecord("ncn", "Cora", Config(), 0, {"test": {"hits@100": 0.9}})
    assert r.config == {"lr": 0.01, "hidden": 256}
    assert ResultRecord.load(r.save(tmp_path)).config == {"lr": 0.01, "hidden": 256}
    with pytest.raises(TypeError, match="config must be a dict"):
        ResultRecord("ncn", "Cora", [1], 0, {})


def test_stored_record_without_provenance_gets_none_not_current_environment():
    data = {
        "method": "ncn",
        "dataset": "Cora",
        "config": {},
        "seed": 0,
        "metrics": {"test": {"hits@100": 0.9}},
    }
    r = ResultRecord.from_dict(data)
    assert r.versions is None and r.git_commit is None and r.created_at is None
    assert r.command is None and r.git_dirty is None and r.threads is None


def test_recorded_command_carries_no_machine_folders():
    checkout = Path(records.__file__).resolve().parents[2]
    module = str(checkout / "gnnlib" / "cli.py")  # what `python -m gnnlib.cli` puts in argv[0]
    assert records._command_line([module, "run", "x.yaml"]) == ["gnnlib/cli.py", "run", "x.yaml"]
    assert records._command_line(["/opt/env/bin/gnnlib", "run"]) == ["gnnlib", "run"]
    assert records._command_line([".venv/bin/gnnlib", "run"]) == [".venv/bin/gnnlib", "run"]
