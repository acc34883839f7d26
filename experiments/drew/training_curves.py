"""Training curves of runs in progress or finished, from their checkpoints' histories.

A checkpoint (``<run>/seed<s>/checkpoints/epoch-*.pt``) carries the loss and the
validation/test metrics of every epoch so far. Since nothing in the DRew protocol depends
on the epoch cap (the plateau scheduler reads the validation metric only), the test
metric at the best validation epoch among the first ``E`` is what an ``E``-epoch run
reports; this script prints that for several ``E``, writes every epoch to a CSV that
stays when the (git-ignored) checkpoints go, and plots the validation metric per epoch
beside the test metric an ``E``-epoch run reports, against ``E`` (mean, min-max band).

    python experiments/drew/training_curves.py experiments/results/drew/peptides-func_h100 \\
        --cutoffs 10 20 40 60 81 --plot docs/drew_peptides_curves.png
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from gnnlib.io import atomic_write_text, safe_torch_load
from gnnlib.train.checkpoint import Checkpointer


def histories(folder: Path) -> tuple[dict[str, dict[str, list[dict]]], str, str]:
    """``{model: {seed folder: history}}`` for every ``<folder>/<model>/seed*/``, and the
    metric and mode (``'max'``/``'min'``) the runs' early stopper selected epochs by."""
    runs: dict[str, dict[str, list[dict]]] = {}
    selection = set()
    for seed_dir in sorted(folder.glob("*/seed*")):
        latest = Checkpointer(seed_dir / "checkpoints").latest()
        if latest is None:
            continue
        states = safe_torch_load(latest, map_location="cpu")["states"]
        runs.setdefault(seed_dir.parent.name, {})[seed_dir.name] = states["history"]["epochs"]
        selection.add((states["stopper"]["metric"], states["stopper"]["mode"]))
    if not runs:
        raise FileNotFoundError(f"no checkpoints under {folder}/*/seed*/checkpoints/")
    if len(selection) != 1:
        raise ValueError(f"runs under {folder} select epochs differently: {sorted(selection)}")
    (metric, mode) = selection.pop()
    return runs, metric, mode


def at_cutoff(history: list[dict], cutoff: int, metric: str, mode: str) -> tuple[float, float]:
    """Validation and test ``metric`` at the best validation epoch among the first ``cutoff``
    (the first of equals, as the early stopper keeps it)."""
    pick = max if mode == "max" else min
    best = pick(history[:cutoff], key=lambda epoch: epoch["metrics"]["valid"][metric])
    return best["metrics"]["valid"][metric], best["metrics"]["test"][metric]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="holds <model>/seed*/checkpoints/")
    parser.add_argument("--cutoffs", type=int, nargs="+", default=[10, 20, 50, 100])
    parser.add_argument("--plot", type=Path)
    args = parser.parse_args()

    runs, metric, mode = histories(args.folder)
    rows = [
        [model, seed, epoch["epoch"], epoch["loss"]]
        + [epoch["metrics"][split][metric] for split in ("valid", "test")]
        for model, seeds in runs.items()
        for seed, history in seeds.items()
        for epoch in history
    ]
    lines = [",".join(["model", "seed", "epoch", "loss", f"valid_{metric}", f"test_{metric}"])]
    lines += [",".join(str(value) for value in row) for row in rows]
    atomic_write_text(args.folder / "curves.csv", "\n".join(lines) + "\n")

    print(f"| epochs | model | seeds | valid {metric} | test {metric} |")
    print("|---|---|---|---|---|")
    for cutoff in args.cutoffs:
        for model, seeds in runs.items():
            usable = [h for h in seeds.values() if len(h) >= cutoff]
            if not usable:
                continue
            valid, test = np.array([at_cutoff(h, cutoff, metric, mode) for h in usable]).T
            print(
                f"| {cutoff} | {model} | {len(usable)} | {valid.mean():.4f} ± {valid.std():.4f} "
                f"| {test.mean():.4f} ± {test.std():.4f} |"
            )

    if args.plot:
        fig, (per_epoch, as_run) = plt.subplots(1, 2, figsize=(10, 3.5), sharey=True)
        for model, seeds in runs.items():
            length = min(len(h) for h in seeds.values())
            epochs = np.arange(1, length + 1)
            valid = np.array(
                [[e["metrics"]["valid"][metric] for e in h[:length]] for h in seeds.values()]
            )
            reported = np.array(
                [
                    [at_cutoff(h, cutoff, metric, mode)[1] for cutoff in epochs]
                    for h in seeds.values()
                ]
            )
            for ax, values in ((per_epoch, valid), (as_run, reported)):
                (line,) = ax.plot(epochs, values.mean(0), label=f"{model} ({len(seeds)} seeds)")
                ax.fill_between(
                    epochs, values.min(0), values.max(0), color=line.get_color(), alpha=0.2
                )
        per_epoch.set_ylabel(f"validation {metric}, each epoch")
        as_run.set_ylabel(f"test {metric} an E-epoch run reports")
        for ax in (per_epoch, as_run):
            ax.set_xlabel("epoch E")
            ax.grid(alpha=0.3)
        as_run.yaxis.set_tick_params(labelleft=True)
        as_run.legend()
        fig.tight_layout()
        fig.savefig(args.plot, dpi=120)


if __name__ == "__main__":
    main()
