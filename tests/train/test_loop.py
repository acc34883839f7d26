"""The shared epoch loop: its bookkeeping across a resumption, and its epoch log lines."""

import math
import time
from dataclasses import dataclass

import torch

from gnnlib.tasks.common import result_record
from gnnlib.train import Checkpointer, EarlyStopping, progress_bar
from gnnlib.train.loop import fit

EPOCH_SLEEP = 0.05


@dataclass
class Config:
    method: str = "toy"


def _fit(directory, epochs):
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def train_epoch() -> float:
        time.sleep(EPOCH_SLEEP)
        return 0.0

    return fit(
        model=model,
        optimizer=optimizer,
        train_epoch=train_epoch,
        evaluate=lambda: {"valid": {"acc": 0.5}},
        epochs=epochs,
        stopper=EarlyStopping("acc", "max", patience=100),
        checkpointer=Checkpointer(directory, every=1),
    )


def test_a_resumed_run_counts_the_time_of_the_epochs_before_it(tmp_path):
    first = _fit(tmp_path, epochs=3)
    assert first.earlier_time_s == 0.0
    assert all(entry["time_s"] >= EPOCH_SLEEP for entry in first.history.epochs)

    started = time.perf_counter()
    resumed = _fit(tmp_path, epochs=5)  # a new process would see only the checkpoint
    assert resumed.resumed_from == 2 and resumed.epochs_run == 5
    assert resumed.earlier_time_s == first.history.time_s() >= 3 * EPOCH_SLEEP
    assert [e["time_s"] for e in resumed.history.epochs[:3]] == [
        e["time_s"] for e in first.history.epochs
    ]
    record = result_record(
        Config(), "toy", 0, {"valid": {"acc": 0.5}}, resumed, started, torch.device("cpu"), 0
    )
    # this process ran epochs 3 and 4; the record adds the three epochs before them
    assert record.wall_time_s >= resumed.earlier_time_s + 2 * EPOCH_SLEEP


def test_epochs_from_an_untimed_checkpoint_leave_the_wall_time_unknown(tmp_path):
    _fit(tmp_path, epochs=2)
    checkpointer = Checkpointer(tmp_path)
    path = checkpointer.latest()
    checkpoint = torch.load(path, weights_only=True)
    for entry in checkpoint["states"]["history"]["epochs"]:
        del entry["time_s"]  # as written before epochs were timed
    torch.save(checkpoint, path)
    resumed = _fit(tmp_path, epochs=3)
    assert resumed.earlier_time_s is None
    record = result_record(
        Config(), "toy", 0, {"valid": {"acc": 0.5}}, resumed, 0.0, torch.device("cpu"), 0
    )
    assert record.wall_time_s is None


def _fit_quietly(monkeypatch, values, interval_s):
    """``fit`` over one epoch per entry of ``values`` (the monitored metric), with the
    progress bar hidden as in a redirected run."""
    monkeypatch.setenv("GNNLIB_PROGRESS", "0")
    monkeypatch.setattr(progress_bar, "LOG_INTERVAL_S", interval_s)
    model = torch.nn.Linear(2, 1)
    epochs = iter(values)
    return fit(
        model=model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        train_epoch=lambda: 0.25,
        evaluate=lambda: {"valid": {"acc": next(epochs)}},
        epochs=len(values),
        stopper=EarlyStopping("acc", "max", patience=100),
        desc="toy seed 0",
    )


def test_a_run_without_a_progress_bar_logs_its_epochs(monkeypatch, capsys):
    _fit_quietly(monkeypatch, [0.5, 0.75, 0.625], interval_s=0.0)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3
    assert lines[1].endswith(
        "toy seed 0: epoch 1 (2/3): loss 0.2500, valid acc 0.7500, best 0.7500 at epoch 1"
    )
    assert lines[2].endswith("epoch 2 (3/3): loss 0.2500, valid acc 0.6250, best 0.7500 at epoch 1")


def test_fast_epochs_log_at_most_once_per_interval_and_at_the_end(monkeypatch, capsys):
    _fit_quietly(monkeypatch, [0.5] * 5, interval_s=3600.0)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and "epoch 4 (5/5)" in lines[0]


def test_an_epoch_line_before_any_finite_metric(monkeypatch, capsys):
    _fit_quietly(monkeypatch, [math.nan, 0.5], interval_s=0.0)
    first, second = capsys.readouterr().err.splitlines()
    assert first.endswith("valid acc nan, no finite value yet")
    assert second.endswith("valid acc 0.5000, best 0.5000 at epoch 1")
