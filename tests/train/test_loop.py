"""The shared epoch loop's bookkeeping across a resumption."""

import time
from dataclasses import dataclass

import torch

from gnnlib.tasks.common import result_record
from gnnlib.train import Checkpointer, EarlyStopping
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
