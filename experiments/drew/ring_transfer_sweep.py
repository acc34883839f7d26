"""RingTransfer depth sweep: accuracy against ring size for GCN, GIN, SP-MPNN and DRew-GCN
(nu = 1, nu = inf), every model at ``layers = ring_size // 2`` and the same parameter
budget (``model.param_budget`` of the configs, the width found per model and depth).

Each (model, ring size) runs through ``gnnlib run`` with ``--set`` overrides, so records
land in ``<out>/n<size>/<model>/`` and a rerun reuses finished seeds. Then a table
(``<out>/summary.md``, ``<out>/summary.json``) and a plot (``--plot``) are written.

    GNNLIB_DATA=../shared/data OMP_NUM_THREADS=1 python experiments/drew/ring_transfer_sweep.py \\
        --sizes 6 10 16 20 30 40 50 60 70 --seeds 3 --rings 200 --epochs 50 \\
        --out experiments/results/drew/ring_transfer --plot docs/drew_ring_transfer.png
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from gnnlib.cli import main as gnnlib_main
from gnnlib.io import atomic_write_text

HERE = Path(__file__).resolve().parent
MODELS = {
    "gcn": "GCN",
    "gin": "GIN",
    "sp-gcn": "SP-MPNN (GCN)",
    "drew-gcn-nu1": "DRew-GCN, ν=1",
    "drew-gcn-nuinf": "DRew-GCN, ν=∞",
}


def run_cell(model: str, size: int, args: argparse.Namespace) -> dict:
    out = args.out / f"n{size}" / model
    overrides = {
        "data.ring_size": size,
        "model.layers": size // 2,
        "data.num_rings": args.rings,
        "train.epochs": args.epochs,
    }
    argv = ["run", str(HERE / f"ring_transfer_{model}.yaml"), "--seeds", str(args.seeds)]
    argv += ["--out", str(out), "--device", "cpu"]
    for key, value in overrides.items():
        argv += ["--set", f"{key}={value}"]
    if gnnlib_main(argv) != 0:
        raise SystemExit(f"run failed: {' '.join(argv)}")
    # The records are the results; the per-seed checkpoints only serve resumption.
    for seed_dir in out.glob("seed*"):
        shutil.rmtree(seed_dir)
    records = [json.loads(p.read_text()) for p in sorted(out.glob("*__seed*.json"))]
    accuracies = [r["metrics"]["test"]["acc"] for r in records]
    return {
        "model": model,
        "ring_size": size,
        "layers": size // 2,
        "hidden": records[0]["metrics"]["model"]["hidden"],
        "parameters": records[0]["metrics"]["model"]["parameters"],
        "test_acc": accuracies,
        "mean": sum(accuracies) / len(accuracies),
        "wall_time_s": sum(r["wall_time_s"] for r in records),
    }


def plot(rows: list[dict], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.2))
    # Curves that coincide (every model at 100% on small rings) stay visible through
    # distinct markers, line styles and a small horizontal offset per model.
    styles = zip(MODELS.items(), "osD^v", ["-", "--", "-.", ":", "-"], [-0.3, -0.15, 0, 0.15, 0.3])
    for (model, label), marker, line, offset in styles:
        points = sorted((r["ring_size"], r) for r in rows if r["model"] == model)
        if not points:
            continue
        sizes = [s + offset for s, _ in points]
        means = [100 * r["mean"] for _, r in points]
        lows = [max(0.0, 100 * (r["mean"] - min(r["test_acc"]))) for _, r in points]
        highs = [max(0.0, 100 * (max(r["test_acc"]) - r["mean"])) for _, r in points]
        ax.errorbar(
            sizes, means, yerr=[lows, highs], marker=marker, linestyle=line, capsize=3, label=label
        )
    ax.axhline(20, color="grey", linestyle=":", label="chance (5 classes)")
    ax.set_xlabel("ring size n (layers = n // 2)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 105)
    ax.set_title("RingTransfer, equal parameter counts (mean, min-max over seeds)", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[6, 10, 16, 20, 30, 40, 50, 60, 70])
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rings", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path("experiments/results/drew/ring_transfer"))
    parser.add_argument("--plot", type=Path, default=None)
    args = parser.parse_args()

    rows = [run_cell(model, size, args) for size in args.sizes for model in args.models]
    atomic_write_text(args.out / "summary.json", json.dumps(rows, indent=1))
    lines = ["| ring size | layers | model | hidden | parameters | test acc (%) per seed | mean |"]
    lines.append("|---|---|---|---|---|---|---|")
    for r in rows:
        per_seed = ", ".join(f"{100 * a:.0f}" for a in r["test_acc"])
        lines.append(
            f"| {r['ring_size']} | {r['layers']} | {MODELS[r['model']]} | {r['hidden']:.0f} | "
            f"{r['parameters']:.0f} | {per_seed} | {100 * r['mean']:.1f} |"
        )
    atomic_write_text(args.out / "summary.md", "\n".join(lines) + "\n")
    print("\n".join(lines))
    if args.plot is not None:
        plot(rows, args.plot)


if __name__ == "__main__":
    main()
