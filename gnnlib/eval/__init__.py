"""Evaluation: metrics, OGB-style evaluators, result records, reports and plots.

One definition of every metric lives in :mod:`gnnlib.eval.metrics`; the
:class:`Evaluator` checks inputs and dispatches to it; :class:`ResultRecord` stores a
run per seed; :func:`aggregate` and :func:`render_report` summarise records, beside
the published numbers of :data:`PAPER_NUMBERS`.
"""

from gnnlib.eval.evaluator import DATASET_METRICS, Evaluator, metric_for_dataset
from gnnlib.eval.metrics import (
    accuracy,
    average_precision,
    hits_at_k,
    kendall_tau,
    mae,
    mrr,
    r2,
    ranking_metrics,
    rmse,
    roc_auc,
)
from gnnlib.eval.paper_numbers import PAPER_NUMBERS, PaperNumber
from gnnlib.eval.plots import plot_metric_vs
from gnnlib.eval.records import (
    ResultRecord,
    aggregate,
    collect_versions,
    git_commit,
    git_dirty,
    group_records,
    peak_memory_mb,
    save_aggregate,
)
from gnnlib.eval.report import load_records, render_report

__all__ = [
    "DATASET_METRICS",
    "PAPER_NUMBERS",
    "Evaluator",
    "PaperNumber",
    "ResultRecord",
    "accuracy",
    "aggregate",
    "average_precision",
    "collect_versions",
    "git_commit",
    "git_dirty",
    "group_records",
    "hits_at_k",
    "kendall_tau",
    "load_records",
    "mae",
    "metric_for_dataset",
    "mrr",
    "peak_memory_mb",
    "plot_metric_vs",
    "r2",
    "ranking_metrics",
    "render_report",
    "rmse",
    "roc_auc",
    "save_aggregate",
]
