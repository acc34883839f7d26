"""Result records: one JSON file per (method, dataset, setting, seed), and their aggregates.

A run writes one :class:`ResultRecord` per seed with everything needed to judge and
reproduce the number: config, seeds, metrics per split, best epoch, epochs actually
run, wall time, peak memory, library versions, git commit (and whether the checkout
had uncommitted changes), the command line and torch's intra-op thread count (on CPU
the same seed can give other low bits, and so another result, under another count).
Reports are built from records only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import platform
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from gnnlib.io import atomic_write_text

__all__ = [
    "ResultRecord",
    "aggregate",
    "collect_versions",
    "git_commit",
    "git_dirty",
    "group_records",
    "peak_memory_mb",
    "record_files",
    "save_aggregate",
]

# Distribution names (as pip knows them) of the libraries a result depends on.
_VERSIONED = {
    "torch": "torch",
    "torch_geometric": "torch-geometric",
    "ogb": "ogb",
    "gnnlib": "gnnlib",
}
_GIT_TIMEOUT_S = 10
# ResultRecord fields filled from the environment when a record is created.
_PROVENANCE = ("versions", "git_commit", "git_dirty", "created_at", "command", "threads")
# Per-seed record files as ResultRecord.filename names them; aggregates do not match.
_RECORD_NAME = re.compile(r".+__.+__seed-?\d+\.json")


def collect_versions() -> dict[str, str | None]:
    """Versions of python, torch, torch_geometric, ogb and gnnlib (None if not installed)."""
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name, distribution in _VERSIONED.items():
        try:
            versions[name] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _command_line(argv: Sequence[str] | None = None) -> list[str]:
    """``argv`` (default ``sys.argv``) with the program named portably.

    ``python -m gnnlib.cli`` puts the module's absolute path in ``argv[0]``; a record
    must not carry this machine's folders, so a program inside the checkout is named
    relative to it and one elsewhere by its file name. Arguments are kept as typed.
    """
    argv = list(sys.argv if argv is None else argv)
    if argv and os.path.isabs(argv[0]):
        program = Path(argv[0])
        checkout = Path(__file__).resolve().parents[2]
        argv[0] = (
            program.relative_to(checkout).as_posix()
            if program.is_relative_to(checkout)
            else program.name
        )
    return argv


def _git(*args: str) -> str | None:
    """Output of ``git <args>`` run in gnnlib's source folder, or None outside a checkout."""
    # The folder of the imported gnnlib, not the working directory: the commit must
    # identify the code that produced the result, wherever the command was run from.
    source = Path(__file__).resolve().parents[1]
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=source,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):  # no git, not a checkout, no commit yet
        return None
    return done.stdout.strip()


def git_commit() -> str | None:
    """``git rev-parse HEAD`` of the gnnlib checkout, or None (installed copy, no commit)."""
    return _git("rev-parse", "HEAD") or None


def git_dirty() -> bool | None:
    """Whether the gnnlib checkout has uncommitted or untracked changes; None outside one.

    Result records themselves (``experiments/results``, ``runs``) are outputs, not code:
    a run writing them must not mark the next seed's record dirty.
    """
    status = _git("status", "--porcelain", "--", ".", ":!experiments/results", ":!runs")
    return None if status is None else bool(status)


def peak_memory_mb(device: str | torch.device = "cpu") -> float | None:
    """Peak memory of this run in MiB on ``device``.

    - CUDA: ``torch.cuda.max_memory_allocated(device)``, the peak of tensors allocated
      by PyTorch (call ``torch.cuda.reset_peak_memory_stats`` at the start of a run).
    - CPU: the peak resident set size of this process (``getrusage`` ``ru_maxrss``;
      KiB on Linux, bytes on macOS), which includes Python, libraries and data loading.
    - None where it cannot be measured (other devices; no ``resource`` module on Windows).
    """
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    if device.type != "cpu":
        return None
    try:
        import resource  # POSIX only
    except ImportError:
        return None
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return max_rss / 2**20 if sys.platform == "darwin" else max_rss / 2**10


def _now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclasses.dataclass
class ResultRecord:
    """The outcome of one training run (one method, one dataset, one seed).

    ``setting`` names an evaluation protocol that gives the same (method, dataset) a
    different number, such as distillation's ``transductive`` and ``production``; records
    of different settings are never averaged together. ``None`` (most tasks) means the
    task has one protocol.

    ``config`` is a dict (a config dataclass is converted with ``dataclasses.asdict``).
    ``metrics`` maps split -> metric -> value, e.g.
    ``{'valid': {'hits@100': 0.71}, 'test': {'hits@100': 0.69}}``; values are raw
    metric values (fractions, not percent). ``versions``, ``git_commit``,
    ``git_dirty``, ``created_at``, ``command`` and ``threads``
    (``torch.get_num_threads()``) are filled in automatically when not given.
    """

    method: str
    dataset: str
    config: dict[str, Any]
    seed: int
    metrics: dict[str, dict[str, float]]
    setting: str | None = None
    split_seed: int | None = None
    best_epoch: int | None = None
    epochs_run: int | None = None
    wall_time_s: float | None = None
    peak_memory_mb: float | None = None
    versions: dict[str, str | None] | None = dataclasses.field(default_factory=collect_versions)
    git_commit: str | None = dataclasses.field(default_factory=git_commit)
    git_dirty: bool | None = dataclasses.field(default_factory=git_dirty)
    created_at: str | None = dataclasses.field(default_factory=_now_iso)
    command: list[str] | None = dataclasses.field(default_factory=_command_line)
    threads: int | None = dataclasses.field(default_factory=torch.get_num_threads)

    def __post_init__(self) -> None:
        for name in ("method", "dataset", "setting"):
            value = getattr(self, name)
            if name == "setting" and value is None:
                continue
            # They become part of a file name: '__' separates its fields.
            if (
                not isinstance(value, str)
                or not value
                or "__" in value
                or any(sep in value for sep in ("/", "\\", os.sep))
            ):
                raise ValueError(
                    f"{name} must be a non-empty string without '/', '\\' or '__', got {value!r}"
                )
        # A typed config dataclass (gnnlib.config) is stored as its plain dict.
        if dataclasses.is_dataclass(self.config) and not isinstance(self.config, type):
            self.config = dataclasses.asdict(self.config)
        if not isinstance(self.config, Mapping):
            raise TypeError(
                f"config must be a dict or a dataclass, got {type(self.config).__name__}"
            )
        if not isinstance(self.seed, int) or isinstance(self.seed, bool):
            raise TypeError(f"seed must be an int, got {self.seed!r}")
        if not isinstance(self.metrics, Mapping) or not all(
            isinstance(split, Mapping) for split in self.metrics.values()
        ):
            raise ValueError(
                "metrics must map split -> metric -> value, e.g. {'test': {'acc': 0.81}}, "
                f"got {self.metrics!r}"
            )
        # Normalise numpy / tensor scalars to float so the record serialises to JSON.
        self.metrics = {
            str(split): {
                str(name): _to_float(v, f"metrics[{split!r}][{name!r}]")
                for name, v in values.items()
            }
            for split, values in self.metrics.items()
        }

    @property
    def key(self) -> tuple[str, str, str | None]:
        """``(method, dataset, setting)``: records with one key are seeds of one run."""
        return (self.method, self.dataset, self.setting)

    @property
    def filename(self) -> str:
        """``<method>__<dataset>[__<setting>]__seed<seed>.json``."""
        return f"{_stem(self.key)}__seed{self.seed}.json"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ResultRecord:
        """Build a record from :meth:`to_dict` output; missing or unknown keys are errors."""
        if not isinstance(data, Mapping):
            raise TypeError(f"a result record must be a JSON object, got {type(data).__name__}")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        required = [
            name
            for name, f in fields.items()
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        ]
        missing = [name for name in required if name not in data]
        if missing:
            raise ValueError(
                f"result record is missing required key(s) {missing}; required: {required}"
            )
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ValueError(f"result record has unknown key(s) {unknown}; known: {list(fields)}")
        # Provenance absent from a stored record is unknown (None): filling it from the
        # current environment, as the constructor does for a new record, would be false.
        unknown_provenance = {name: None for name in _PROVENANCE if name not in data}
        return cls(**unknown_provenance, **data)

    def save(self, directory: str | os.PathLike) -> Path:
        """Write the record atomically to ``<directory>/<filename>``."""
        path = Path(directory) / self.filename
        atomic_write_text(path, json.dumps(self.to_dict(), indent=2, default=_json_default) + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike) -> ResultRecord:
        """Read a record written by :meth:`save`; errors name the file and the problem."""
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not valid JSON ({err})") from err
        try:
            return cls.from_dict(data)
        except (ValueError, TypeError) as err:
            raise ValueError(f"{path}: {err}") from err


def _to_float(value: Any, where: str) -> float:
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value.item())
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"{where} must be a number, got {value!r}")


def _json_default(value: Any) -> Any:
    """Serialise the non-JSON values that configs commonly hold (paths, numpy scalars)."""
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, (Path, torch.device, torch.dtype)):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"cannot store a {type(value).__name__} in a result record: {value!r}")


# ------------------------------------------------------------------------ aggregation


def _stem(key: tuple[str, str, str | None]) -> str:
    """The file-name stem of a record key: ``<method>__<dataset>[__<setting>]``."""
    return "__".join(part for part in key if part is not None)


def _sort_key(key: tuple[str, str, str | None]) -> tuple[str, str, str]:
    return (key[0], key[1], key[2] or "")


def group_records(
    records: Iterable[ResultRecord],
) -> dict[tuple[str, str, str | None], list[ResultRecord]]:
    """Records grouped by :attr:`ResultRecord.key` ``(method, dataset, setting)``, each
    group sorted by seed."""
    groups: dict[tuple[str, str, str | None], list[ResultRecord]] = {}
    for record in records:
        groups.setdefault(record.key, []).append(record)
    ordered = sorted(groups.items(), key=lambda item: _sort_key(item[0]))
    return {key: sorted(group, key=lambda r: r.seed) for key, group in ordered}


def aggregate(records: Sequence[ResultRecord]) -> dict[str, Any]:
    r"""Mean and standard deviation over seeds of every (split, metric) of one run.

    All records must share one (method, dataset, setting) -- use :func:`group_records` first
    for a mix -- and have distinct seeds. For each split and metric, over the
    :math:`n` seeds that report it:

    .. math::
        \mu = \frac1n \sum_s v_s, \qquad \sigma = \sqrt{\frac1n \sum_s (v_s - \mu)^2}

    i.e. the *population* standard deviation (``np.std``, ddof=0), as the NCN and
    OGB example code compute the "± std" they report.

    Returns:
        ``{'method', 'dataset', 'setting', 'n', 'seeds', 'metrics': {split: {metric:
        {'mean', 'std', 'n', 'seeds', 'values'}}}}``.
    """
    records = sorted(records, key=lambda r: r.seed)
    if not records:
        raise ValueError("aggregate() needs at least one record")
    keys = sorted({r.key for r in records}, key=_sort_key)
    if len(keys) > 1:
        raise ValueError(
            f"records mix (method, dataset, setting) keys {keys}; group them with "
            "group_records() and aggregate each group"
        )
    seeds = [r.seed for r in records]
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise ValueError(
            f"{keys[0]}: seed(s) {repeated} appear in several records; "
            "aggregate one run's records at a time"
        )
    per_metric: dict[str, dict[str, dict[str, list]]] = {}
    for r in records:
        for split, values in r.metrics.items():
            for name, value in values.items():
                entry = per_metric.setdefault(split, {}).setdefault(
                    name, {"seeds": [], "values": []}
                )
                entry["seeds"].append(r.seed)
                entry["values"].append(value)
    summary = {
        split: {
            name: _mean_std(entry["seeds"], entry["values"]) for name, entry in sorted(m.items())
        }
        for split, m in per_metric.items()
    }
    method, dataset, setting = keys[0]
    return {
        "method": method,
        "dataset": dataset,
        "setting": setting,
        "n": len(records),
        "seeds": seeds,
        "metrics": summary,
    }


def _mean_std(seeds: list[int], values: list[float]) -> dict[str, Any]:
    array = np.asarray(values, dtype=np.float64)
    return {
        "mean": float(array.mean()),
        "std": float(array.std(ddof=0)),
        "n": len(values),
        "seeds": seeds,
        "values": values,
    }


def record_files(directory: str | os.PathLike, recursive: bool = False) -> list[Path]:
    """The per-seed record files in ``directory`` (and its subfolders when
    ``recursive``), sorted: ``<method>__<dataset>[__<setting>]__seed<seed>.json`` as
    :attr:`ResultRecord.filename` names them, whatever the method, dataset or setting."""
    root = Path(directory)
    paths = root.rglob("*.json") if recursive else root.glob("*.json")
    return sorted(p for p in paths if _RECORD_NAME.fullmatch(p.name))


def save_aggregate(summary: Mapping[str, Any], directory: str | os.PathLike) -> Path:
    """Write an :func:`aggregate` result atomically to
    ``<directory>/<method>__<dataset>[__<setting>]__aggregate.json``."""
    key = (summary["method"], summary["dataset"], summary.get("setting"))
    path = Path(directory) / f"{_stem(key)}__aggregate.json"
    text = json.dumps(summary, indent=2)
    atomic_write_text(path, text + "\n")
    return path
