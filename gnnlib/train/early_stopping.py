"""Early stopping on a validation metric, with the best model's weights kept aside."""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from typing import Any

import torch

__all__ = ["EarlyStopping"]

_MODES = ("max", "min")


class EarlyStopping:
    """Track the best value of a validation metric and decide when to stop training.

    An epoch *improves* when its value beats the best so far by more than
    ``min_delta`` (``value > best + min_delta`` for ``mode='max'``,
    ``value < best - min_delta`` for ``mode='min'``); the first finite value always
    improves. Training should stop once ``patience`` epochs in a row have not improved.

    A NaN value counts as *not improved* (it never becomes the best, and it uses up
    patience) rather than raising: a diverged epoch then ends the run through the normal
    patience path, with the best weights from before the divergence still available.

    When :meth:`step` is given the model, the best epoch's ``state_dict`` is deep-copied
    to CPU, so later training cannot alter it and it costs no accelerator memory.
    :meth:`state_dict` includes that copy, so a checkpointed run resumes with it.

    Args:
        metric: Name of the tracked metric (e.g. ``'val_acc'``); recorded in the state
            so that resuming with a different metric is caught.
        mode: ``'max'`` if larger is better (accuracy, AUC, Hits@K), ``'min'`` if smaller
            is better (loss, MAE).
        patience: Number (``>= 1``) of consecutive epochs without improvement after
            which :attr:`should_stop` becomes true; ``None`` never stops (the best epoch
            and weights are still tracked).
        min_delta: Smallest change that counts as an improvement (``>= 0``).
        ties: count a value equal to the best (``min_delta`` 0) as an improvement, so
            the latest of equally good epochs is kept (GLNN's and KRD's official
            ``score_val >= best_score_val``).

    Example::

        stopper = EarlyStopping("val_acc", "max", patience=50)
        for epoch in range(epochs):
            ...
            stopper.step(val_acc, epoch, model)
            if stopper.should_stop:
                break
        stopper.restore_best(model)
    """

    def __init__(
        self,
        metric: str,
        mode: str,
        patience: int | None,
        min_delta: float = 0.0,
        ties: bool = False,
    ) -> None:
        if mode not in _MODES:
            raise ValueError(
                f"mode must be 'max' (larger {metric!r} is better) or 'min' "
                f"(smaller is better), got {mode!r}"
            )
        if patience is not None and (
            isinstance(patience, bool) or not isinstance(patience, int) or patience < 1
        ):
            raise ValueError(f"patience must be a positive int or None, got {patience!r}")
        if not min_delta >= 0:  # also rejects NaN
            raise ValueError(f"min_delta must be >= 0, got {min_delta!r}")
        self.metric = metric
        self.mode = mode
        self.patience = patience
        self.min_delta = float(min_delta)
        self.ties = ties
        self.best_value: float | None = None
        self.best_epoch: int | None = None
        self.bad_epochs = 0
        self._best_state: dict[str, Any] | None = None

    @property
    def should_stop(self) -> bool:
        """Whether ``patience`` consecutive epochs have passed without improvement."""
        return self.patience is not None and self.bad_epochs >= self.patience

    def step(
        self, value: float | torch.Tensor, epoch: int, model: torch.nn.Module | None = None
    ) -> bool:
        """Record the metric ``value`` of ``epoch``; return whether it improved on the best.

        If it improved and ``model`` is given, a CPU copy of ``model.state_dict()`` is
        kept as the best weights.
        """
        value = float(value)
        if math.isnan(value) or not self._improves(value):
            self.bad_epochs += 1
            return False
        self.best_value = value
        self.best_epoch = epoch
        self.bad_epochs = 0
        if model is not None:
            self._best_state = _cpu_copy(model.state_dict())
        return True

    def _improves(self, value: float) -> bool:
        if self.best_value is None:
            return True
        if self.ties and value == self.best_value:
            return True
        if self.mode == "max":
            return value > self.best_value + self.min_delta
        return value < self.best_value - self.min_delta

    def restore_best(self, model: torch.nn.Module) -> None:
        """Load the best epoch's weights into ``model`` (in place)."""
        if self._best_state is None:
            raise RuntimeError(
                f"no best weights to restore for {self.metric!r}: step() has not yet been "
                "called with a model on an improving epoch (pass step(value, epoch, model))"
            )
        model.load_state_dict(self._best_state)

    def state_dict(self) -> dict[str, Any]:
        """The tracking state, including the best weights, for checkpointing."""
        return {
            "metric": self.metric,
            "mode": self.mode,
            "best_value": self.best_value,
            "best_epoch": self.best_epoch,
            "bad_epochs": self.bad_epochs,
            "best_state": self._best_state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict`.

        ``patience`` and ``min_delta`` stay as constructed (a resumed run may change
        them); ``metric`` and ``mode`` must match, since a best value of a different
        metric or direction would silently compare wrongly.
        """
        if (state["metric"], state["mode"]) != (self.metric, self.mode):
            raise ValueError(
                f"early-stopping state tracks {state['metric']!r} ({state['mode']}), but this "
                f"EarlyStopping tracks {self.metric!r} ({self.mode}); construct it with the "
                "same metric and mode as the run being resumed"
            )
        self.best_value = state["best_value"]
        self.best_epoch = state["best_epoch"]
        self.bad_epochs = state["bad_epochs"]
        self._best_state = state["best_state"]


def _cpu_copy(state: dict[str, Any]) -> dict[str, Any]:
    # to(copy=True) forces a copy even for tensors already on CPU, which would
    # otherwise alias the live parameters and change as training continues.
    copied = OrderedDict(
        (
            key,
            value.detach().to("cpu", copy=True)
            if isinstance(value, torch.Tensor)
            else copy.deepcopy(value),
        )
        for key, value in state.items()
    )
    # Modules read their state-dict version from _metadata when loading (e.g. BatchNorm).
    if hasattr(state, "_metadata"):
        copied._metadata = copy.deepcopy(state._metadata)
    return copied
