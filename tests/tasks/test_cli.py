"""End-to-end runs of the ``gnnlib`` command on real data (Cora, MUTAG)."""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gnnlib.cli import main

ROOT = Path(__file__).resolve().parents[2]
GCN_CORA = ROOT / "experiments/node/gcn_cora.yaml"


def _gnnlib(*args, env=None, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "gnnlib.cli", *map(str, args)],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def _record(out: Path, seed: int = 0) -> dict:
    return json.loads((out / f"gcn__Cora__seed{seed}.json").read_text())


def test_run_prints_a_table_and_writes_records(require_data, tmp_path, capsys):
    require_data("Planetoid/Cora")
    code = main(
        [
            "run",
            str(GCN_CORA),
            "--seeds",
            "2",
            "--device",
            "cpu",
            "--out",
            str(tmp_path),
            "--set",
            "train.epochs=30",
        ]
    )
    assert code == 0
    table = capsys.readouterr().out
    assert "gcn" in table and "Cora" in table and "81.50" in table  # paper number beside ours
    for seed in (0, 1):
        record = _record(tmp_path, seed)
        assert record["epochs_run"] == 30 and 0 <= record["best_epoch"] < 30
        assert 0.5 < record["metrics"]["test"]["acc"] <= 1
    assert (tmp_path / "gcn__Cora__aggregate.json").exists()


def test_bad_config_and_missing_data_are_clear_errors(require_data, tmp_path, capsys, monkeypatch):
    require_data("Planetoid/Cora")
    assert main(["run", str(GCN_CORA), "--set", "model.hiden=32", "--out", str(tmp_path)]) == 2
    assert "model.hiden: unknown key (did you mean 'hidden'?)" in capsys.readouterr().err
    monkeypatch.setenv("GNNLIB_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("GNNLIB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GNNLIB_OFFLINE", "1")
    assert main(["run", str(GCN_CORA), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Cora" in err and "ind.cora.x" in err and str(tmp_path / "empty") in err


def test_nothing_to_run_or_nowhere_to_write_is_a_clear_error(tmp_path, capsys):
    """Before any data loads: these used to run no seed and then fail to read the
    missing folder, or fail with NotADirectoryError while writing a checkpoint."""
    assert main(["run", str(GCN_CORA), "--set", "seeds=[]", "--out", str(tmp_path / "a")]) == 2
    assert "'seeds' is empty, so there is nothing to run" in capsys.readouterr().err
    (tmp_path / "file").touch()
    assert main(["run", str(GCN_CORA), "--out", str(tmp_path / "file")]) == 2
    assert "is a file; results go into a folder" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["run", str(GCN_CORA), "--seeds", "0"])
    assert "--seeds: expected a count >= 1, got 0" in capsys.readouterr().err
    assert not (tmp_path / "a").exists()


def test_a_respelled_dataset_name_is_warned_about(require_data, tmp_path):
    """``cora`` loads Cora, but its records are ``gcn__cora__*``: apart from Cora's, and
    without Cora's paper numbers."""
    require_data("Planetoid/Cora")
    warnings = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())
    logger = logging.getLogger("gnnlib.run")
    logger.addHandler(handler)
    try:
        for name in ("Cora", "cora"):
            args = ["run", GCN_CORA, "--seeds", "1", "--set", f"data.name={name}"]
            assert main([*map(str, args), "--set", "train.epochs=1", "--out", str(tmp_path)]) == 0
            (tmp_path / f"gcn__{name}__seed0.json").unlink()
    finally:
        logger.removeHandler(handler)
    respelled = [w for w in warnings if "catalogue's" in w]
    assert respelled == [
        (
            "data.name 'cora' is the catalogue's 'Cora'; records and paper numbers go by "
            "the name as written, so these results will not join those of 'Cora' runs"
        )
    ]


def test_damaged_checkpoint_is_a_clear_error_not_a_traceback(require_data, tmp_path, capsys):
    require_data("Planetoid/Cora")
    damaged = tmp_path / "seed0" / "checkpoints" / "epoch-000003.pt"
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"PK\x03\x04")
    assert main(["run", str(GCN_CORA), "--seeds", "1", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "error: could not read checkpoint" in err and "Delete it to resume" in err


def test_killed_run_resumes_to_the_uninterrupted_result(require_data, tmp_path):
    require_data("Planetoid/Cora")
    args = [GCN_CORA, "--seeds", "1", "--device", "cpu", "--set", "train.epochs=400"]
    whole = _gnnlib("run", *args, "--out", tmp_path / "whole")
    assert whole.wait(timeout=300) == 0, whole.stderr.read()

    killed_out = tmp_path / "killed"
    victim = _gnnlib("run", *args, "--out", killed_out)
    checkpoints = killed_out / "seed0" / "checkpoints"
    deadline = time.monotonic() + 120
    while not any(checkpoints.glob("epoch-*.pt")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)  # let it get some epochs further, then kill it mid-run
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert not (killed_out / "gcn__Cora__seed0.json").exists(), "the run ended before the kill"
    assert any(checkpoints.glob("epoch-*.pt"))

    resumed = _gnnlib("run", *args, "--out", killed_out)
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    expected, got = _record(tmp_path / "whole"), _record(killed_out)
    assert got["metrics"] == expected["metrics"]
    assert got["best_epoch"] == expected["best_epoch"]
    assert got["epochs_run"] == expected["epochs_run"] == 400


def test_datasets_lists_what_is_here(require_data, capsys):
    require_data("Planetoid/Cora")
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "Cora" in out and "ogbl-ddi" in out and "PubMed" in out


def test_reused_records_accept_new_default_fields_and_refuse_changed_values(
    require_data, tmp_path, capsys
):
    require_data("Planetoid/Cora")
    args = ["run", str(GCN_CORA), "--seeds", "1", "--out", str(tmp_path), "--set", "train.epochs=2"]
    assert main(args) == 0
    record_path = tmp_path / "gcn__Cora__seed0.json"
    record = json.loads(record_path.read_text())
    del record["config"]["train"]["patience"]  # as if written before the field existed
    record_path.write_text(json.dumps(record))
    assert main(args) == 0
    assert "already finished" in capsys.readouterr().err
    assert main([*args, "--set", "train.lr=0.5"]) == 2
    assert "written by a different config" in capsys.readouterr().err


def test_records_named_with_a_setting_are_reused_and_aggregated(require_data, tmp_path, capsys):
    """Distillation records carry their setting in the file name
    (``mlp__Cora__transductive__seed0.json``): a rerun reuses them, the aggregate covers
    them, and a record of another experiment beside them is refused, not skipped."""
    require_data("Planetoid/Cora")
    mlp = ROOT / "experiments/distill/mlp_cora_tran.yaml"
    args = ["run", str(mlp), "--out", str(tmp_path), "--set", "student.epochs=2"]
    assert main([*args, "--set", "seeds=[0]"]) == 0
    assert main([*args, "--set", "seeds=[0]"]) == 0
    assert "already finished" in capsys.readouterr().err
    summary = json.loads((tmp_path / "mlp__Cora__transductive__aggregate.json").read_text())
    assert summary["seeds"] == [0]
    assert main(["run", str(GCN_CORA), "--out", str(tmp_path), "--set", "train.epochs=2"]) == 2
    assert "mlp__Cora__transductive__seed0.json was written by an incompatible config" in (
        capsys.readouterr().err
    )
    assert not (tmp_path / "gcn__Cora__seed0.json").exists()


def test_seeds_run_one_per_process_add_up_in_the_aggregate(require_data, tmp_path, capsys):
    require_data("Planetoid/Cora")
    args = ["run", str(GCN_CORA), "--out", str(tmp_path), "--set", "train.epochs=2"]
    for seed in (1, 0):  # as two processes, one seed each
        assert main([*args, "--set", f"seeds=[{seed}]"]) == 0
    summary = json.loads((tmp_path / "gcn__Cora__aggregate.json").read_text())
    assert summary["seeds"] == [0, 1]
    accuracies = [_record(tmp_path, seed)["metrics"]["test"]["acc"] for seed in (0, 1)]
    assert summary["metrics"]["test"]["acc"]["values"] == accuracies
    capsys.readouterr()
    # another experiment's seed is refused before it runs: the folder never mixes two
    assert main([*args, "--set", "seeds=[2]", "--set", "train.lr=0.5"]) == 2
    assert "written by a different config" in capsys.readouterr().err
    assert not (tmp_path / "gcn__Cora__seed2.json").exists()


def test_a_seed_finished_beside_a_running_process_joins_its_aggregate(
    require_data, tmp_path, monkeypatch
):
    """Two processes, one seed each, started together: the one finishing last must
    aggregate both, although the other's record did not exist when it started."""
    require_data("Planetoid/Cora")
    from gnnlib.tasks import registry

    args = ["run", str(GCN_CORA), "--out", str(tmp_path), "--set", "train.epochs=2"]
    assert main([*args, "--set", "seeds=[1]"]) == 0
    beside = tmp_path / "beside"
    beside.mkdir()
    (tmp_path / "gcn__Cora__seed1.json").rename(beside / "gcn__Cora__seed1.json")
    schema, run_one = registry.TASKS["node_classification"]

    def run_while_the_other_process_finishes(config, seed, device, run_dir):
        (beside / "gcn__Cora__seed1.json").rename(tmp_path / "gcn__Cora__seed1.json")
        return run_one(config, seed, device, run_dir)

    monkeypatch.setitem(
        registry.TASKS, "node_classification", (schema, run_while_the_other_process_finishes)
    )
    assert main([*args, "--set", "seeds=[0]"]) == 0
    summary = json.loads((tmp_path / "gcn__Cora__aggregate.json").read_text())
    assert summary["seeds"] == [0, 1]
