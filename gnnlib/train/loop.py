"""The epoch loop every method shares: resume, train, evaluate, stop early, checkpoint.

A method supplies its own ``train_epoch`` (one pass over its training data, returning the
mean loss) and ``evaluate`` (metrics per split); this loop owns everything around them,
once, so no method carries a second copy of resuming, early stopping or checkpointing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

from gnnlib.train.checkpoint import Checkpointer
from gnnlib.train.early_stopping import EarlyStopping
from gnnlib.train.logging import get_logger
from gnnlib.train.progress_bar import ProgressLog, progress

logger = get_logger(__name__)

Metrics = dict[str, dict[str, float]]


class History:
    """Per-epoch loss, metrics and seconds, checkpointed with the run so that selections
    made from it after a resumption (e.g. NCN's best epoch per K) see every epoch, and a
    resumed run's record counts the time of the epochs run before the interruption."""

    def __init__(self) -> None:
        self.epochs: list[dict[str, Any]] = []

    def append(self, epoch: int, loss: float, metrics: Metrics, time_s: float) -> None:
        self.epochs.append({"epoch": epoch, "loss": loss, "metrics": metrics, "time_s": time_s})

    def time_s(self) -> float | None:
        """Seconds of training and evaluation over every epoch held; ``None`` when an
        epoch came from a checkpoint written before epochs were timed."""
        if any("time_s" not in entry for entry in self.epochs):
            return None
        return sum((entry["time_s"] for entry in self.epochs), 0.0)

    def best(self, split: str, metric: str, mode: str = "max") -> dict[str, Any]:
        """The entry of the first epoch with the best ``metrics[split][metric]``."""
        if not self.epochs:
            raise ValueError("the history is empty: no epoch has run")
        sign = 1.0 if mode == "max" else -1.0
        return max(self.epochs, key=lambda entry: sign * entry["metrics"][split][metric])

    def state_dict(self) -> dict[str, Any]:
        return {"epochs": self.epochs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.epochs = list(state["epochs"])


@dataclass
class FitResult:
    """What :func:`fit` did: the best epoch by the monitored metric, the epochs run in
    total (over all resumptions), the history of every epoch, and ``earlier_time_s``, the
    seconds of the epochs that processes before a resumption ran (0 for a run that did
    not resume; ``None`` when their checkpoint predates epoch timing)."""

    best_epoch: int
    best_value: float
    epochs_run: int
    resumed_from: int | None
    history: History = field(default_factory=History)
    earlier_time_s: float | None = 0.0


def fit(
    *,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    train_epoch: Callable[[], float],
    evaluate: Callable[[], Metrics],
    epochs: int,
    stopper: EarlyStopping,
    monitor_split: str = "valid",
    scheduler: Any = None,
    checkpointer: Checkpointer | None = None,
    desc: str | None = None,
) -> FitResult:
    """Train ``model`` for up to ``epochs`` epochs (counted from 0), keeping the best state.

    Each epoch runs ``train_epoch()``, then ``evaluate()``, feeds
    ``metrics[monitor_split][stopper.metric]`` to the early stopper (which keeps the best
    weights), steps the scheduler (``ReduceLROnPlateau`` gets the monitored value), and
    writes a checkpoint. With a ``checkpointer`` holding a checkpoint, the run resumes
    after its epoch with the same model, optimizer, scheduler, stopper and RNG state, so
    a killed run ends exactly as an uninterrupted one. On return the model holds the
    best epoch's weights. Where the progress bar is hidden, an epoch's loss and monitored
    metric are logged instead (:class:`~gnnlib.train.progress_bar.ProgressLog`).
    """
    history = History()
    states = {"model": model, "optimizer": optimizer, "stopper": stopper, "history": history}
    if scheduler is not None:
        states["scheduler"] = scheduler
    last = checkpointer.load_latest(**states) if checkpointer is not None else None
    first = 0 if last is None else last + 1
    earlier_time_s = history.time_s()
    epoch = first - 1
    bar = progress(range(first, epochs), desc=desc)
    log = ProgressLog(bar)
    for epoch in bar:
        if stopper.should_stop:  # the run stopped right before it was interrupted
            break
        epoch_start = time.perf_counter()
        loss = train_epoch()
        metrics = evaluate()
        if monitor_split not in metrics or stopper.metric not in metrics[monitor_split]:
            raise KeyError(
                f"evaluate() returned no {monitor_split!r}/{stopper.metric!r} metric to "
                f"monitor; it returned { ({s: sorted(m) for s, m in metrics.items()}) }"
            )
        value = metrics[monitor_split][stopper.metric]
        stopper.step(value, epoch, model)
        if scheduler is not None:
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(value)
            else:
                scheduler.step()
        history.append(epoch, loss, metrics, time.perf_counter() - epoch_start)
        bar.set_postfix(loss=f"{loss:.4f}", **{stopper.metric: f"{value:.4f}"})
        if log.due(last=epoch == epochs - 1 or stopper.should_stop):
            _log_epoch(
                desc, epoch, epochs, loss, f"{monitor_split} {stopper.metric}", value, stopper
            )
        if checkpointer is not None:
            checkpointer.save(epoch, force=epoch == epochs - 1, **states)
        if stopper.should_stop:
            break
    stopper.restore_best(model)
    return FitResult(
        best_epoch=stopper.best_epoch,
        best_value=stopper.best_value,
        epochs_run=epoch + 1,
        resumed_from=last,
        history=history,
        earlier_time_s=earlier_time_s,
    )


def _log_epoch(
    desc: str | None,
    epoch: int,
    epochs: int,
    loss: float,
    monitored: str,
    value: float,
    stopper: EarlyStopping,
) -> None:
    best = (
        "no finite value yet"
        if stopper.best_epoch is None
        else f"best {stopper.best_value:.4f} at epoch {stopper.best_epoch}"
    )
    logger.info(
        "%sepoch %d (%d/%d): loss %.4f, %s %.4f, %s",
        f"{desc}: " if desc else "",
        epoch,
        epoch + 1,
        epochs,
        loss,
        monitored,
        value,
        best,
    )
