"""The student: a graph-free MLP, its optimisation settings, and its file for deployment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gnnlib.config import ConfigError, check_range, from_dict, to_dict
from gnnlib.io import atomic_torch_save, read_torch_file
from gnnlib.nn import MLP
from gnnlib.tasks.common import check_training_ranges

#: What a distillation run writes next to its checkpoints, per seed: the trained student.
STUDENT_FILE = "student.pt"
_FORMAT = "gnnlib.distill.student/1"


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

    def __post_init__(self) -> None:
        check_training_ranges(self)
        for name in ("hidden", "layers", "batch_size"):
            check_range(self, name, 1)
        check_range(self, "dropout", 0, 1, high_open=True)

    def build(self, in_channels: int, num_classes: int) -> MLP:
        widths = [in_channels] + [self.hidden] * (self.layers - 1) + [num_classes]
        return MLP(widths, norm=self.norm, dropout=self.dropout)


def save_student(
    student: MLP, config: StudentConfig, path: str | os.PathLike, feature_hops: int = 0
) -> Path:
    """Write ``student`` (built by ``config``) to ``path`` atomically, on the CPU, with
    what :func:`load_student` needs to rebuild it: no teacher, graph or gnnlib config.
    ``feature_hops``: the hops of the GA-MLP features it was trained on (0: raw)."""
    return atomic_torch_save(
        {
            "format": _FORMAT,
            "student": to_dict(config),
            "in_channels": student.in_channels,
            "num_classes": student.out_channels,
            "feature_hops": feature_hops,
            "state_dict": {k: v.detach().cpu() for k, v in student.state_dict().items()},
        },
        path,
    )


def load_student(path: str | os.PathLike, feature_hops: int = 0) -> MLP:
    """The trained student of a distillation run, in eval mode, on the CPU.

    ``path``: a ``student.pt`` as ``gnnlib run`` writes it for every seed
    (``<out>/seed<k>/student.pt``: the weights of the best validation epoch, those the
    seed's record scores). The student reads a node's feature row alone:
    ``load_student(path)(x_new).argmax(-1)``. A GA-MLP student reads
    :func:`~gnnlib.distill.features.propagate_features` of its neighbourhood instead,
    and loading one needs its ``feature_hops`` given, so that it is never fed raw
    features by mistake (its input has the same width).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no student file at {path}; a distillation run writes one per seed as "
            f"<out>/seed<k>/{STUDENT_FILE}"
        )
    saved = read_torch_file(path, "student", "Run the seed again to write it anew.", "cpu")
    if not isinstance(saved, dict) or saved.get("format") != _FORMAT:
        found = saved.get("format") if isinstance(saved, dict) else type(saved).__name__
        raise ValueError(
            f"{path} is not a student file of format {_FORMAT!r} (found {found!r}); expected "
            f"the {STUDENT_FILE} a distillation run writes"
        )
    if saved["feature_hops"] != feature_hops:
        raise ValueError(
            f"{path} holds a student trained on features propagated over "
            f"{saved['feature_hops']} hops, but feature_hops={feature_hops} was given: feed "
            f"it propagate_features(x, edge_index, {saved['feature_hops']}) and pass "
            f"feature_hops={saved['feature_hops']}"
        )
    try:
        config = from_dict(StudentConfig, saved["student"])
    except ConfigError as error:
        raise ValueError(f"{path}: its student settings do not load: {error}") from None
    student = config.build(saved["in_channels"], saved["num_classes"])
    student.load_state_dict(saved["state_dict"])
    return student.eval()
