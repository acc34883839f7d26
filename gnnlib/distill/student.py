"""The student: a graph-free MLP, and its optimisation settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from gnnlib.nn import MLP


@dataclass
class StudentConfig:
    """Student MLP (``layers`` linear layers of width ``hidden``) and its optimisation.

    Defaults are GLNN's for the small sets: 2 x 128, no norm, Adam, at most 200 epochs
    with early stopping after 50 without a better validation accuracy; ``lr``,
    ``weight_decay`` and ``dropout`` are per dataset (official ``train.conf.yaml``).
    ``batch_size``: nodes per step of the GLNN loss (512 in the official code; KRD
    trains full-batch and ignores it).
    """

    hidden: int = 128
    layers: int = 2
    dropout: float = 0.0
    norm: Literal["none", "batch", "layer"] = "none"
    lr: float = 0.01
    weight_decay: float = 0.0005
    epochs: int = 200
    patience: int | None = 50
    batch_size: int = 512
    checkpoint_every: int = 10

    def build(self, in_channels: int, num_classes: int) -> MLP:
        if self.layers < 1:
            raise ValueError(f"student layers must be >= 1, got {self.layers}")
        widths = [in_channels] + [self.hidden] * (self.layers - 1) + [num_classes]
        return MLP(widths, norm=self.norm, dropout=self.dropout)
