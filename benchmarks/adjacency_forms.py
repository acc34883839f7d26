"""Training-epoch time of GCN, SAGE and GIN for each adjacency form, on one large random graph.

Peers in one run, alternated round by round with a fixed thread count, reported as
ratios to the fastest form (the machine is shared and noisy; absolute times drift):

* ``pyg edge_index``: PyG's own conv fed a plain ``edge_index`` (scatter path);
* ``pyg EdgeIndex``: PyG's conv fed a sorted PyG ``EdgeIndex``;
* ``pyg csr``: PyG's conv fed a ``torch.sparse_csr`` adjacency (PyG's own normalisation
  and ``spmm``);
* ``gnnlib edge_index``: our :class:`~gnnlib.nn.Encoder` given ``edge_index`` (it converts
  to CSR inside every forward, so the conversion cost is included);
* ``gnnlib csr``: our Encoder given the CSR adjacency precomputed once (what the tasks do).

One epoch is forward, cross-entropy on all nodes, backward and an Adam step.

    python benchmarks/adjacency_forms.py [--nodes 100000] [--edges 1000000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
import torch_geometric
from torch_geometric import EdgeIndex
from torch_geometric.nn import GCNConv, GINConv, SAGEConv
from torch_geometric.utils import to_torch_csr_tensor

from gnnlib.io import atomic_write_text
from gnnlib.nn import Encoder, build_conv, to_csr

warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta state")


def pyg_gin(in_channels: int, out_channels: int) -> GINConv:
    # PyG's class around the registry's GIN MLP.
    return GINConv(build_conv("gin", in_channels, out_channels).nn)


class PyGTwoLayer(torch.nn.Module):
    def __init__(self, build, in_channels: int, hidden: int, out: int) -> None:
        super().__init__()
        self.conv1 = build(in_channels, hidden)
        self.conv2 = build(hidden, out)

    def forward(self, x, adj):
        return self.conv2(F.relu(self.conv1(x, adj)), adj)


def epoch_time(model, optimizer, x, y, adj) -> float:
    start = time.perf_counter()
    optimizer.zero_grad()
    loss = F.cross_entropy(model(x, adj), y)
    loss.backward()
    optimizer.step()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--features", type=int, default=128)
    parser.add_argument("--hidden", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/adjacency_forms.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    n = args.nodes
    edge_index = torch.randint(0, n, (2, args.edges))
    x = torch.randn(n, args.features)
    y = torch.randint(0, 10, (n,))
    pyg_csr = to_torch_csr_tensor(edge_index.flip(0), size=(n, n))
    sorted_edges = EdgeIndex(edge_index, sparse_size=(n, n)).sort_by("col")[0]
    our_csr, _ = to_csr(edge_index, n)

    results = {}
    for conv, conv_cls in (("gcn", GCNConv), ("sage", SAGEConv), ("gin", pyg_gin)):
        peers = {
            "pyg edge_index": (PyGTwoLayer(conv_cls, args.features, args.hidden, 10), edge_index),
            "pyg EdgeIndex": (PyGTwoLayer(conv_cls, args.features, args.hidden, 10), sorted_edges),
            "pyg csr": (PyGTwoLayer(conv_cls, args.features, args.hidden, 10), pyg_csr),
            "gnnlib edge_index": (
                Encoder(args.features, args.hidden, 2, 10, conv=conv),
                edge_index,
            ),
            "gnnlib csr": (Encoder(args.features, args.hidden, 2, 10, conv=conv), our_csr),
        }
        optimizers = {
            name: torch.optim.Adam(m.parameters(), 0.01) for name, (m, _) in peers.items()
        }
        for name, (model, adj) in peers.items():  # warm-up, not timed
            epoch_time(model, optimizers[name], x, y, adj)
        times = {name: [] for name in peers}
        for _ in range(args.rounds):
            for name, (model, adj) in peers.items():
                times[name].append(epoch_time(model, optimizers[name], x, y, adj))
        medians = {name: statistics.median(t) for name, t in times.items()}
        best = min(medians.values())
        results[conv] = {
            name: {"median_s": medians[name], "ratio_to_fastest": medians[name] / best}
            for name in peers
        }
        print(
            f"\n{conv.upper()} training epoch, {n:,} nodes, {args.edges:,} edges, "
            f"{args.threads} threads, median of {args.rounds} alternated rounds"
        )
        print(f"{'form':<20}{'median s':>10}{'x fastest':>11}")
        for name in peers:
            print(f"{name:<20}{medians[name]:>10.3f}{medians[name] / best:>11.2f}")

    record = {
        "benchmark": "adjacency_forms",
        "args": vars(args) | {"out": str(args.out)},
        "machine": {"processor": platform.processor(), "threads": args.threads},
        "versions": {"torch": torch.__version__, "torch_geometric": torch_geometric.__version__},
        "results": results,
    }
    atomic_write_text(args.out, json.dumps(record, indent=2))
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
