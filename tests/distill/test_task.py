"""The ``distillation`` task: shipped configs load; tiny end-to-end runs on Cora."""

from pathlib import Path

import pytest
import torch

from gnnlib.config import ConfigError, from_dict, read_yaml
from gnnlib.distill import task as distillation
from gnnlib.distill import teachers
from gnnlib.tasks.registry import TASKS

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted((ROOT / "experiments/distill").glob("*.yaml"))


def _config(name: str, *overrides: tuple[str, object]) -> distillation.DistillationConfig:
    raw = read_yaml(ROOT / "experiments/distill" / name)
    assert raw.pop("task") == "distillation"
    for key, value in overrides:
        node = raw
        *parents, last = key.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[last] = value
    return from_dict(distillation.DistillationConfig, raw)


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.name)
def test_shipped_configs_load(path):
    raw = read_yaml(path)
    schema, _ = TASKS[raw.pop("task")]
    config = from_dict(schema, raw)
    assert config.seeds == list(range(10))
    if config.model == "glnn":
        assert config.loss.lam == 0.0  # GLNN's official pure soft-label distillation
    if config.model == "mlp":
        assert config.loss.lam == 1.0


def test_inconsistent_configs_are_rejected():
    with pytest.raises(ConfigError, match="lam: 1"):
        _config("mlp_cora_tran.yaml", ("loss.lam", 0.0))
    with pytest.raises(ConfigError, match="fan_out"):
        _config("glnn_cora_tran.yaml", ("teacher.conv", "gcn"))


def test_tiny_runs_share_one_cached_teacher(require_data, tmp_path, monkeypatch):
    require_data("Planetoid/Cora")
    calls = []
    train = teachers.train_teacher

    def counting_train(*args, **kwargs):
        calls.append(1)
        return train(*args, **kwargs)

    monkeypatch.setattr(teachers, "train_teacher", counting_train)
    short = [
        ("teacher_cache", str(tmp_path / "cache")),
        ("teacher.epochs", 3),
        ("student.epochs", 3),
        ("krd.warmup_epochs", 1),
    ]
    cpu = torch.device("cpu")
    records = {}
    for name in ("sage_cora_prod.yaml", "glnn_cora_prod.yaml", "krd_cora_prod.yaml"):
        config = _config(name, *short)
        records[config.model] = distillation.run(config, 0, cpu, tmp_path / name)
    assert len(calls) == 1  # trained once, then read back from the cache
    assert len(list((tmp_path / "cache").rglob("seed0.pt"))) == 1
    for record in records.values():
        test = record.metrics["test"]
        assert set(test) == {"acc_prod", "acc_tran", "acc_ind"}
        assert 0 < test["acc_ind"] <= 1
        assert test["acc_prod"] == pytest.approx(0.8 * test["acc_tran"] + 0.2 * test["acc_ind"])
    mlp = distillation.run(_config("mlp_cora_tran.yaml", *short), 0, cpu, tmp_path / "mlp")
    assert set(mlp.metrics["test"]) == {"acc"} and mlp.epochs_run == 3
