"""NCN and NCNC speed: training time per epoch and inference throughput.

For each dataset, NCN, NCNC and the GAE predictor (the in-run peer every figure is
divided by) are built from the official configs in ``experiments/ncn/`` and timed
alternately, round by round, with a fixed thread count:

* training: full epochs on Cora; on ogbl-ddi, ``--ddi-batches`` batches of ``--ddi-pairs``
  pairs (not the official 24,576: one NCNC batch of that size scores about 25 million
  completion candidates, hours on a CPU), and the epoch time is the per-batch time x
  the batches of that size in an epoch, stated as such in the output;
* inference: scored pairs per second over the test pairs (positives and negatives) in
  evaluation mode, in the config's test batch size; on ogbl-ddi over a fixed random
  ``--ddi-pairs`` of them, since NCNC scores every completion candidate of a pair
  (about a thousand on ddi, whose mean degree is about 500) and the full test set would
  take hours on a CPU.

    python benchmarks/ncn_speed.py [--datasets Cora ogbl-ddi] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from gnnlib.config import from_dict, read_yaml
from gnnlib.io import atomic_write_text
from gnnlib.linkpred.train import LinkPredictionConfig, build_model, prepare, train_epoch
from gnnlib.train import seed_everything

CONFIGS = {
    "Cora": {"ncn": "ncn_cora", "ncnc": "ncnc_cora"},
    "ogbl-ddi": {"ncn": "ncn_ddi", "ncnc": "ncnc_ddi"},
}


def load_config(name: str, kind: str | None = None) -> LinkPredictionConfig:
    raw = read_yaml(Path("experiments/ncn") / f"{name}.yaml")
    raw.pop("task")
    config = from_dict(LinkPredictionConfig, raw)
    config.train.init_from = None
    if kind is not None:  # the GAE peer: same encoder and data, GAE predictor
        config.method, config.predictor.kind = kind, kind
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(CONFIGS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--ddi-batches", type=int, default=3)
    parser.add_argument("--ddi-pairs", type=int, default=512)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/ncn_speed.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device("cpu")
    results = {}
    for dataset in args.datasets:
        configs = {kind: load_config(name) for kind, name in CONFIGS[dataset].items()}
        configs["gae"] = load_config(CONFIGS[dataset]["ncn"], kind="gae")
        seed_everything(0)
        data = prepare(configs["ncn"].data, seed=0)
        train_pos = data.split["train"]["edge"].t()
        test_pairs = torch.cat([data.split["test"]["edge"], data.split["test"]["edge_neg"]])
        if dataset == "ogbl-ddi":
            chosen = torch.randperm(test_pairs.size(0), generator=torch.Generator().manual_seed(0))
            test_pairs = test_pairs[chosen[: args.ddi_pairs]]
        models = {kind: build_model(config, data, device) for kind, config in configs.items()}
        x = data.x
        if models["ncn"][0].encoder.reads_sparse_features:
            x = x.to_sparse_csr()
        ddi = dataset == "ogbl-ddi"
        batch_size = args.ddi_pairs if ddi else configs["ncn"].train.batch_size
        batches_per_epoch = train_pos.size(1) // batch_size
        max_batches = args.ddi_batches if ddi else None
        timed_batches = max_batches or batches_per_epoch
        epoch_s = {kind: [] for kind in models}
        pairs_per_s = {kind: [] for kind in models}
        for _ in range(args.rounds):
            for kind, (model, optimizer) in models.items():
                cfg = configs[kind].train
                start = time.perf_counter()
                train_epoch(
                    model,
                    optimizer,
                    x,
                    data.adj,
                    train_pos,
                    data.train_edge_index,
                    batch_size,
                    cfg.target_link_removal,
                    max_batches=max_batches,
                )
                epoch_s[kind].append(
                    (time.perf_counter() - start) / timed_batches * batches_per_epoch
                )
                model.eval()
                start = time.perf_counter()
                with torch.no_grad():
                    model.score(
                        model.encoder(x, data.adj), data.adj, test_pairs, cfg.test_batch_size
                    )
                pairs_per_s[kind].append(test_pairs.size(0) / (time.perf_counter() - start))
        rows = {}
        for kind in models:
            epoch, throughput = (
                statistics.median(epoch_s[kind]),
                statistics.median(pairs_per_s[kind]),
            )
            rows[kind] = {
                "epoch_s": epoch,
                "epoch_x_gae": epoch / statistics.median(epoch_s["gae"]),
                "pairs_per_s": throughput,
                "throughput_x_gae": throughput / statistics.median(pairs_per_s["gae"]),
            }
        results[dataset] = {
            "batch_size": batch_size,
            "batches_per_epoch": batches_per_epoch,
            "timed_batches": timed_batches,
            "scored_pairs": test_pairs.size(0),
            "rows": rows,
        }
        print(
            f"\n{dataset}: epoch = {batches_per_epoch} batches of {batch_size} pairs"
            + (f" (timed {timed_batches}, scaled to the epoch)" if max_batches else "")
        )
        print(f"{'model':<6}{'epoch s':>10}{'x GAE':>8}{'pairs/s':>12}{'x GAE':>8}")
        for kind, row in rows.items():
            print(
                f"{kind:<6}{row['epoch_s']:>10.2f}{row['epoch_x_gae']:>8.2f}"
                f"{row['pairs_per_s']:>12,.0f}{row['throughput_x_gae']:>8.2f}"
            )
    atomic_write_text(
        args.out,
        json.dumps(
            {
                "benchmark": "ncn_speed",
                "threads": args.threads,
                "rounds": args.rounds,
                "results": results,
            },
            indent=2,
        ),
    )
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
