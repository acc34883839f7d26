"""An input-checking evaluator in the style of OGB's ``Evaluator``, and standard metrics.

Example::

    evaluator = Evaluator("hits@50")
    evaluator.eval({"y_pred_pos": pos, "y_pred_neg": neg})  # {'hits@50': 0.61}

:class:`Evaluator` checks its input (keys, types, dimensions, dtypes, NaN) and raises
a ``ValueError`` that says what was given and what was expected, then delegates to the
one definition of each metric in :mod:`gnnlib.eval.metrics`.
:data:`DATASET_METRICS` / :func:`metric_for_dataset` give each dataset's standard metric.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import Tensor

from gnnlib.eval import metrics

__all__ = ["DATASET_METRICS", "Evaluator", "metric_for_dataset"]


@dataclass(frozen=True)
class _Field:
    """One entry of an evaluator's input dict and what it must look like."""

    key: str
    shape: str  # human-readable, e.g. "(num_edges,)"
    ndims: tuple[int, ...]
    dtypes: tuple[str, ...]  # allowed among "float", "int", "bool"
    nan_allowed: bool
    meaning: str


def _pred(shape: str, ndims: tuple[int, ...], meaning: str, key: str = "y_pred") -> _Field:
    return _Field(key, shape, ndims, ("float", "int"), False, meaning)


_POS = _pred("(num_pos,)", (1,), "scores of the positive edges", "y_pred_pos")
_TASKS = "(N,) or (N, num_tasks)"
_SCORES = _pred(_TASKS, (1, 2), "real-valued scores (logits or probabilities)")
_BINARY_TARGETS = _Field(
    "y_true",
    _TASKS,
    (1, 2),
    ("float", "int", "bool"),
    True,
    "targets in {0, 1}; NaN marks an unlabelled entry (ignored)",
)
_REGRESSION = (
    _pred(_TASKS, (1, 2), "predicted values"),
    _Field(
        "y_true",
        _TASKS,
        (1, 2),
        ("float", "int"),
        True,
        "true values, same shape as y_pred; NaN marks an unlabelled entry (ignored)",
    ),
)

# metric name -> (input fields, the metric in gnnlib.eval.metrics)
_SINGLE_VALUE_METRICS: dict[str, tuple[tuple[_Field, ...], Callable[..., float]]] = {
    "acc": (
        (
            _pred(
                "(N, num_classes) or (N,) or (N, 1)",
                (1, 2),
                "float logits (argmax is taken) or integer predicted labels",
            ),
            _Field("y_true", "(N,) or (N, 1)", (1, 2), ("int",), False, "integer true labels"),
        ),
        metrics.accuracy,
    ),
    "rocauc": ((_SCORES, _BINARY_TARGETS), metrics.roc_auc),
    "ap": ((_SCORES, _BINARY_TARGETS), metrics.average_precision),
    "mae": (_REGRESSION, metrics.mae),
    "rmse": (_REGRESSION, metrics.rmse),
    "r2": (_REGRESSION, metrics.r2),
    "kendall_tau": (
        (
            _pred("(N,)", (1,), "predicted values"),
            _Field("y_true", "(N,)", (1,), ("float", "int"), False, "true values"),
        ),
        metrics.kendall_tau,
    ),
}
_RANKING_FIELDS = {
    "hits": (
        _POS,
        _pred(
            "(num_neg,)",
            (1,),
            "scores of the negative edges, shared by all positives",
            "y_pred_neg",
        ),
    ),
    "mrr": (
        _POS,
        _pred(
            "(num_pos, num_neg_per_pos)",
            (2,),
            "row i holds the scores of the negatives that y_pred_pos[i] is ranked against",
            "y_pred_neg",
        ),
    ),
}
METRICS = ("hits@K", "hits", "mrr", *_SINGLE_VALUE_METRICS)


class Evaluator:
    r"""Check an input dict and compute one metric (or one family of Hits@K).

    Supported ``metric`` names and their ``eval`` input keys:

    - ``'hits@K'`` (e.g. ``'hits@50'``), or ``'hits'`` with ``k=[20, 50, 100]``:
      OGB Hits@K with shared negatives; ``y_pred_pos [P]``, ``y_pred_neg [Q]``.
    - ``'mrr'`` (optionally ``k=[1, 3, 10]``, the default): OGB MRR and per-positive
      Hits@K; ``y_pred_pos [P]``, ``y_pred_neg [P, Q]``.
    - ``'acc'``, ``'rocauc'``, ``'ap'``, ``'mae'``, ``'rmse'``, ``'r2'``,
      ``'kendall_tau'``: ``y_pred`` and ``y_true``.

    ``expected_input_format`` describes the input of this evaluator in words;
    ``eval(input_dict)`` returns ``{metric name: float}``.
    """

    def __init__(self, metric: str, **params: Any) -> None:
        self.metric = metric
        self._ks: tuple[int, ...] = ()
        if metric.startswith("hits@"):
            if params:
                raise ValueError(f"Evaluator({metric!r}) takes no parameters, got {sorted(params)}")
            self._kind = "hits"
            self._ks = (_parse_k(metric[len("hits@") :], metric),)
        elif metric in ("hits", "mrr"):
            unknown = sorted(set(params) - {"k"})
            if unknown:
                raise ValueError(f"Evaluator({metric!r}) accepts only k=..., got {unknown}")
            if metric == "hits" and "k" not in params:
                raise ValueError("Evaluator('hits') needs k=<int or list of ints>, e.g. k=[20, 50]")
            self._kind = metric
            self._ks = _parse_ks(params.get("k", (1, 3, 10)))
        elif metric in _SINGLE_VALUE_METRICS:
            if params:
                raise ValueError(f"Evaluator({metric!r}) takes no parameters, got {sorted(params)}")
            self._kind = metric
        else:
            raise ValueError(f"unknown metric {metric!r}; supported: {', '.join(METRICS)}")

    @property
    def metric_names(self) -> tuple[str, ...]:
        """The keys of the dict that :meth:`eval` returns."""
        hits = tuple(f"hits@{k}" for k in self._ks)
        if self._kind == "mrr":
            return ("mrr", *hits)
        return hits if self._kind == "hits" else (self._kind,)

    @property
    def _fields(self) -> tuple[_Field, ...]:
        if self._kind in _RANKING_FIELDS:
            return _RANKING_FIELDS[self._kind]
        return _SINGLE_VALUE_METRICS[self._kind][0]

    @property
    def expected_input_format(self) -> str:
        """A description of the dict that :meth:`eval` expects."""
        lines = [f"==== Expected input format of Evaluator({self.metric!r})"]
        lines.append("{" + ", ".join(f"'{f.key}': {f.key}" for f in self._fields) + "}")
        for f in self._fields:
            nan = "NaN allowed" if f.nan_allowed else "no NaN"
            lines.append(
                f"- {f.key}: torch.Tensor or numpy.ndarray of shape {f.shape}, "
                f"dtype {' or '.join(f.dtypes)}, {nan}: {f.meaning}"
            )
        return "\n".join(lines)

    @property
    def expected_output_format(self) -> str:
        """A description of the dict that :meth:`eval` returns."""
        return "{" + ", ".join(f"'{name}': float" for name in self.metric_names) + "}"

    def eval(self, input_dict: Mapping[str, Any]) -> dict[str, float]:
        """Validate ``input_dict`` (see :attr:`expected_input_format`) and compute the metric."""
        tensors = self._check(input_dict)
        try:
            if self._kind == "hits":
                pos, neg = tensors
                return {f"hits@{k}": metrics.hits_at_k(pos, neg, k) for k in self._ks}
            if self._kind == "mrr":
                return metrics.ranking_metrics(*tensors, ks=self._ks)
            return {self._kind: _SINGLE_VALUE_METRICS[self._kind][1](*tensors)}
        except ValueError as err:  # e.g. mismatched shapes: add what was expected
            raise self._error(str(err)) from err

    def _check(self, input_dict: Mapping[str, Any]) -> list[Tensor]:
        if not isinstance(input_dict, Mapping):
            raise self._error(f"input must be a dict, got {type(input_dict).__name__}")
        missing = [f.key for f in self._fields if f.key not in input_dict]
        if missing:
            raise self._error(
                f"missing key(s) {missing}; given keys: {sorted(map(str, input_dict))}"
            )
        tensors = []
        for f in self._fields:
            value = input_dict[f.key]
            if not isinstance(value, (Tensor, np.ndarray)):
                raise self._error(
                    f"{f.key} must be a torch.Tensor or numpy.ndarray, got {type(value).__name__}"
                )
            if _dtype_kind(value) not in f.dtypes:
                raise self._error(
                    f"{f.key} must have dtype {' or '.join(f.dtypes)}, got {value.dtype}"
                )
            x = metrics.to_tensor(value, f.key)
            if x.dim() not in f.ndims:
                raise self._error(
                    f"{f.key} must have shape {f.shape}, got shape {tuple(x.shape)} "
                    f"({x.dim()}-dimensional)"
                )
            if x.numel() == 0:
                raise self._error(f"{f.key} is empty (shape {tuple(x.shape)})")
            if not f.nan_allowed and x.is_floating_point() and bool(torch.isnan(x).any()):
                raise self._error(f"{f.key} contains {int(torch.isnan(x).sum())} NaN value(s)")
            tensors.append(x)
        return tensors

    def _error(self, problem: str) -> ValueError:
        return ValueError(f"Evaluator({self.metric!r}): {problem}\n{self.expected_input_format}")

    def __repr__(self) -> str:
        return f"Evaluator({self.metric!r}) -> {list(self.metric_names)}"


def _parse_k(text: str, metric: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"in {metric!r}, K must be a positive integer (e.g. 'hits@50')")
    return int(text)


def _parse_ks(k: int | Sequence[int]) -> tuple[int, ...]:
    ks = (k,) if isinstance(k, int) else tuple(k)
    if not ks or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in ks):
        raise ValueError(f"k must be a positive int or a non-empty list of them, got {k!r}")
    return ks


def _dtype_kind(x: Tensor | np.ndarray) -> str | None:
    """'float', 'int' or 'bool'; None for anything else (complex, strings, objects)."""
    if isinstance(x, Tensor):
        if x.is_complex():
            return None
        if x.dtype == torch.bool:
            return "bool"
        return "float" if x.is_floating_point() else "int"
    return {"b": "bool", "i": "int", "u": "int", "f": "float"}.get(x.dtype.kind)


# The standard metric of each dataset, per task ('link', 'node', 'graph'), as the papers
# report it. The value is a metric name accepted by Evaluator.
DATASET_METRICS: dict[str, dict[str, str]] = {
    # Planetoid: link prediction as in NCN/NCNC; node classification accuracy.
    "Cora": {"link": "hits@100", "node": "acc"},
    "CiteSeer": {"link": "hits@100", "node": "acc"},
    "PubMed": {"link": "hits@100", "node": "acc"},
    # OGB link prediction (the OGB leaderboards' metrics).
    "ogbl-collab": {"link": "hits@50"},
    "ogbl-ddi": {"link": "hits@20"},
    "ogbl-ppa": {"link": "hits@100"},
    "ogbl-citation2": {"link": "mrr"},
    # Node classification (GLNN's Amazon sets keep the paper's names).
    "ogbn-arxiv": {"node": "acc"},
    "ogbn-products": {"node": "acc"},
    "A-Computer": {"node": "acc"},
    "A-Photo": {"node": "acc"},
    # OGB molecular property prediction.
    "ogbg-molbace": {"graph": "rocauc"},
    "ogbg-molbbbp": {"graph": "rocauc"},
    "ogbg-molhiv": {"graph": "rocauc"},
    "ogbg-molesol": {"graph": "rmse"},
    "ogbg-molfreesolv": {"graph": "rmse"},
    # LRGB (DRew) and DRew's synthetic RingTransfer.
    "Peptides-func": {"graph": "ap"},
    "Peptides-struct": {"graph": "mae"},
    "RingTransfer": {"graph": "acc"},
    # TU graph classification.
    "MUTAG": {"graph": "acc"},
    "PROTEINS": {"graph": "acc"},
    "NCI1": {"graph": "acc"},
    "ENZYMES": {"graph": "acc"},
    "DD": {"graph": "acc"},
    "IMDB-BINARY": {"graph": "acc"},
    "IMDB-MULTI": {"graph": "acc"},
    "REDDIT-BINARY": {"graph": "acc"},
    "COLLAB": {"graph": "acc"},
    # Graph metanetworks (GMN): predicting a CNN's CIFAR-10 test accuracy from its weights.
    "cifar10-varying-cnns": {"graph": "r2"},
    "cifar10-diverse-archs": {"graph": "r2"},
    "cifar10-diverse-archs-10pct": {"graph": "r2"},
    "cifar10-varying-cnns-ood-wider": {"graph": "r2"},
    "small-cnn-zoo": {"graph": "kendall_tau"},
}


def metric_for_dataset(name: str, task: str | None = None) -> str:
    """The standard metric of dataset ``name`` (a key of :data:`DATASET_METRICS`).

    ``task`` ('link', 'node' or 'graph') is needed only where a dataset serves several,
    e.g. ``metric_for_dataset('Cora', 'link') == 'hits@100'`` but ``'acc'`` for 'node'.
    """
    if name not in DATASET_METRICS:
        close = [k for k in DATASET_METRICS if k.lower() == name.lower()]
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"no standard metric known for dataset {name!r}{hint} "
            f"Known datasets: {', '.join(DATASET_METRICS)}"
        )
    by_task = DATASET_METRICS[name]
    if task is None:
        if len(by_task) > 1:
            raise ValueError(f"{name} has several tasks {sorted(by_task)}: pass task=...")
        return next(iter(by_task.values()))
    if task not in by_task:
        raise ValueError(f"{name} has no {task!r} task; its tasks: {sorted(by_task)}")
    return by_task[task]
