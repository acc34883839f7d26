"""Batching Peptides-func graphs with hop shells: PyG's DataLoader against the
device-resident loader.

One training epoch's batches (128 graphs, shuffled, hop shells 1..7 and LapPE as the
paper's DRew-GCN+LapPE reads them) made by PyG's ``DataLoader`` (collated on the CPU,
then copied to ``--device``) and by :class:`~gnnlib.data.resident.ResidentGraphLoader`
(gathered on ``--device`` from one resident copy). The peers alternate round by round
at a fixed thread count; the ratio is the reading. Both yield the same batches (checked
on the first epoch before timing).

    GNNLIB_DATA=../shared/data python benchmarks/graph_batching.py [--rounds 5] [--device cuda]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from bench_record import write_record
from torch_geometric.loader import DataLoader

from gnnlib.data.resident import ResidentGraphLoader
from gnnlib.rewiring.data import graph_splits
from gnnlib.train import seed_everything

PYG = "PyG DataLoader (CPU collation, copy to device)"
RESIDENT = "gnnlib ResidentGraphLoader"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/graph_batching.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    train = graph_splits("Peptides-func", 7, "lappe", 10)["train"]

    start = time.perf_counter()
    resident = ResidentGraphLoader(train, 128, shuffle=True, device=device)
    setup_s = time.perf_counter() - start
    loaders = {PYG: DataLoader(train, 128, shuffle=True), RESIDENT: resident}

    def epoch(name: str) -> list:
        batches = [b.to(device, non_blocking=True) for b in loaders[name]]
        if device.type == "cuda":  # copies and gathers run asynchronously
            torch.cuda.synchronize(device)
        return batches

    seed_everything(0)
    theirs = epoch(PYG)
    seed_everything(0)
    for ours, reference in zip(epoch(RESIDENT), theirs, strict=True):
        for key in reference.keys():  # noqa: SIM118 (iterating a Data yields pairs)
            value = reference[key]
            same = torch.equal(ours[key], value) if torch.is_tensor(value) else ours[key] == value
            assert same, key
    del theirs

    times = {name: [] for name in loaders}
    for _ in range(args.rounds):
        for name in loaders:
            start = time.perf_counter()
            epoch(name)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    rows = {
        name: {
            "median_epoch_s": medians[name],
            "batches_per_s": len(resident) / medians[name],
            "time_over_resident": medians[name] / medians[RESIDENT],
        }
        for name in loaders
    }
    print(f"{len(train)} graphs, {len(resident)} batches of 128, device {device}")
    for name, row in rows.items():
        print(
            f"  {name:<50}{row['median_epoch_s']:>7.2f} s/epoch {row['time_over_resident']:>6.2f}x"
        )
    print(f"  resident copy built once in {setup_s:.1f} s")
    write_record(
        "graph_batching", args, device, graphs=len(train), resident_setup_s=setup_s, epoch=rows
    )


if __name__ == "__main__":
    main()
