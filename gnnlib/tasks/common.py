"""What the supervised tasks share: the optimisation config and the result record."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import torch

from gnnlib.config import check_range, to_dict
from gnnlib.eval.records import ResultRecord, peak_memory_mb
from gnnlib.nn import Encoder
from gnnlib.train.loop import FitResult, Metrics


@dataclass
class EncoderConfig:
    """The :class:`~gnnlib.nn.Encoder` of a task, field for field."""

    conv: str = "gcn"
    hidden: int = 64
    layers: int = 2
    dropout: float = 0.5
    norm: str = "none"
    act: str = "relu"
    residual: bool = False
    jk: str = "last"
    conv_options: dict[str, Any] = field(default_factory=dict)

    def build(
        self, in_channels: int, out_channels: int | None = None, act_last: bool = False
    ) -> Encoder:
        return Encoder(
            in_channels,
            self.hidden,
            self.layers,
            out_channels,
            conv=self.conv,
            norm=self.norm,
            act=self.act,
            dropout=self.dropout,
            residual=self.residual,
            jk=self.jk,
            act_last=act_last,
            conv_options=self.conv_options,
        )


@dataclass
class TrainConfig:
    """Optimisation and model selection (``patience: null`` trains every epoch)."""

    epochs: int = 200
    lr: float = 0.01
    weight_decay: float = 5e-4
    patience: int | None = None
    checkpoint_every: int = 1

    def __post_init__(self) -> None:
        check_training_ranges(self)


def check_training_ranges(config: Any) -> None:
    """Check the optimisation fields every training config has (``epochs``,
    ``patience``, ``checkpoint_every``, ``lr``, ``weight_decay``), from its
    ``__post_init__``: :class:`TrainConfig` and the distillation teacher and student."""
    for name in ("epochs", "patience", "checkpoint_every"):
        check_range(config, name, 1)
    check_range(config, "lr", 0)
    check_range(config, "weight_decay", 0)


def result_record(
    config: Any,
    dataset: str,
    seed: int,
    metrics: Metrics,
    result: FitResult,
    started: float,
    device: torch.device,
    split_seed: int | None,
    setting: str | None = None,
) -> ResultRecord:
    """The record of one finished run; ``started`` is its ``time.perf_counter()`` start.
    A resumed run's wall time adds the epochs of the processes before it (not their
    setup); it is ``None`` when those epochs were not timed.
    ``setting`` names the evaluation protocol where a task has several (see
    :class:`~gnnlib.eval.records.ResultRecord`)."""
    return ResultRecord(
        method=config.method,
        dataset=dataset,
        setting=setting,
        config=to_dict(config),
        seed=seed,
        split_seed=split_seed,
        metrics=metrics,
        best_epoch=result.best_epoch,
        epochs_run=result.epochs_run,
        wall_time_s=None
        if result.earlier_time_s is None
        else time.perf_counter() - started + result.earlier_time_s,
        peak_memory_mb=peak_memory_mb(device),
    )
