"""A markdown report of result records, with the papers' numbers beside ours.

The report has two sections:

1. **Results**: one row per (method, dataset, setting, split, metric): our mean ± population
   std over seeds, the number of seeds, the paper's number for the test split when
   :data:`~gnnlib.eval.paper_numbers.PAPER_NUMBERS` has one, and ours - paper.
2. **Runs**: one row per record (seed, epochs run, best epoch, wall time, peak memory,
   commit), so that a shortened or unusual run is visible as such.

The setting column appears only when some record names a setting (distillation's
transductive / production); the paper figure is looked up by (method, dataset, metric),
and settings are told apart by their metric names (GLNN's ``acc_prod``).

Display rule: a value is shown in the paper's units, ``value x scale`` from the paper
entry (100 = percent, 2 decimals; 1 = raw, 4 decimals). Without a paper entry,
percent-type metrics (accuracy, Hits@K, MRR, ROC-AUC) are shown in percent and all
others (AP, MAE, RMSE, R^2, Kendall tau) raw.
"""

from __future__ import annotations

import os
from pathlib import Path

from gnnlib.eval.paper_numbers import PAPER_NUMBERS, PERCENT, RAW
from gnnlib.eval.records import ResultRecord, aggregate, group_records, record_files

__all__ = ["display_scale", "load_records", "render_report"]

_PAPER_SPLIT = "test"
_SPLIT_ORDER = {"train": 0, "valid": 1, "val": 1, "test": 2}


def load_records(results_dir: str | os.PathLike) -> list[tuple[Path, ResultRecord]]:
    """Every per-seed record under ``results_dir`` (recursively), with its path.

    Aggregate files (``*__aggregate.json``) and other JSON files are ignored; a record
    file that does not parse is an error naming the file.
    """
    root = Path(results_dir)
    if not root.is_dir():
        raise ValueError(f"results directory {root} does not exist or is not a directory")
    paths = record_files(root, recursive=True)
    if not paths:
        raise ValueError(
            f"no result records found under {root}: expected files named "
            "<method>__<dataset>[__<setting>]__seed<N>.json, as ResultRecord.save writes them"
        )
    return [(p, ResultRecord.load(p)) for p in paths]


def display_scale(method: str, dataset: str, metric: str, setting: str | None = None) -> float:
    """The factor applied to our raw metric values for display (see the module docstring)."""
    paper = PAPER_NUMBERS.get((method, dataset, setting, metric))
    if paper is not None:
        return paper.scale
    # acc_prod, rocauc_ind, ...: the settings' parts of a percent-type metric
    percent_type = metric.startswith(("acc", "hits@", "rocauc")) or metric == "mrr"
    return PERCENT if percent_type else RAW


def _fmt(value: float, scale: float, signed: bool = False) -> str:
    """2 decimals in percent, 4 for raw values (as the papers print them)."""
    decimals = 2 if scale == PERCENT else 4
    return f"{value:{'+' if signed else ''}.{decimals}f}"


def render_report(results_dir: str | os.PathLike) -> str:
    """The markdown report of all per-seed records under ``results_dir``."""
    root = Path(results_dir)
    loaded = load_records(root)
    _check_one_record_per_seed(loaded, root)
    with_setting = any(record.setting is not None for _, record in loaded)
    result_rows, sources = _result_rows(group_records(record for _, record in loaded), with_setting)
    setting_head = " setting |" if with_setting else ""
    setting_rule = "---|" if with_setting else ""
    lines = [
        "# Results",
        "",
        (
            f"{len(loaded)} records under `{root}`. Ours: mean ± population std (ddof=0) "
            f"over seeds; paper: the published {_PAPER_SPLIT} figure; percent-type metrics in %."
        ),
        "",
        (
            f"| method | dataset |{setting_head} split | metric | ours | n seeds | paper | "
            "ours − paper |"
        ),
        f"|---|---|{setting_rule}---|---|---|---|---|---|",
        *result_rows,
    ]
    if sources:
        lines += ["", "Paper sources:", *(f"- {s}" for s in sorted(sources))]
    lines += [
        "",
        "# Runs",
        "",
        (
            f"| method | dataset |{setting_head} seed | split seed | epochs run | best epoch "
            "| wall time (s) | peak memory (MB) | threads | commit | file |"
        ),
        f"|---|---|{setting_rule}---|---|---|---|---|---|---|---|---|",
    ]

    def run_order(item: tuple[Path, ResultRecord]) -> tuple:
        r = item[1]
        return (r.method, r.dataset, r.setting or "", r.seed)

    for path, r in sorted(loaded, key=run_order):
        setting = f" {_opt(r.setting)} |" if with_setting else ""
        lines.append(
            f"| {r.method} | {r.dataset} |{setting} {r.seed} | {_opt(r.split_seed)} | "
            f"{_opt(r.epochs_run)} | {_opt(r.best_epoch)} | {_opt(r.wall_time_s, '.1f')} | "
            f"{_opt(r.peak_memory_mb, '.0f')} | {_opt(r.threads)} | {_commit(r)} | "
            f"{path.relative_to(root)} |"
        )
    return "\n".join(lines) + "\n"


def _check_one_record_per_seed(loaded: list[tuple[Path, ResultRecord]], root: Path) -> None:
    """A report averages one run's records per seed. Two records of one (method, dataset,
    setting) and seed are two runs (another loop, another run length, ...): the error
    names both files, so that the folder of one of them can be reported instead."""
    first_seen: dict[tuple, Path] = {}
    for path, record in loaded:
        first = first_seen.setdefault((record.key, record.seed), path)
        if first != path:
            raise ValueError(
                f"{record.key} seed {record.seed} has two records under {root}: "
                f"{first.relative_to(root)} and {path.relative_to(root)}; a report "
                "averages one run per seed: report a folder that holds one of the runs"
            )


def _result_rows(
    groups: dict[tuple[str, str, str | None], list[ResultRecord]], with_setting: bool
) -> tuple[list[str], set[str]]:
    """Table rows (one per method, dataset, setting, split, metric) and the paper sources
    cited."""
    rows, sources = [], set()
    for (method, dataset, setting), records in groups.items():
        setting_cell = f" {_opt(setting)} |" if with_setting else ""
        summary = aggregate(records)
        splits = sorted(summary["metrics"], key=lambda s: (_SPLIT_ORDER.get(s, 3), s))
        for split in splits:
            for metric, stats in summary["metrics"][split].items():
                scale = display_scale(method, dataset, metric, setting)
                ours = f"{_fmt(stats['mean'] * scale, scale)} ± {_fmt(stats['std'] * scale, scale)}"
                paper = PAPER_NUMBERS.get((method, dataset, setting, metric))
                paper_text = diff_text = "—"
                if paper is not None and split == _PAPER_SPLIT:
                    paper_text = _fmt(paper.mean, scale)
                    if paper.std is not None:
                        paper_text += f" ± {_fmt(paper.std, scale)}"
                    diff_text = _fmt(stats["mean"] * scale - paper.mean, scale, signed=True)
                    sources.add(paper.source)
                rows.append(
                    f"| {method} | {dataset} |{setting_cell} {split} | {metric} | {ours} | "
                    f"{stats['n']} | {paper_text} | {diff_text} |"
                )
    return rows, sources


def _opt(value: float | str | None, spec: str = "") -> str:
    return "—" if value is None else format(value, spec)


def _commit(record: ResultRecord) -> str:
    if record.git_commit is None:
        return "unknown"
    return record.git_commit[:10] + ("-dirty" if record.git_dirty else "")
