"""Common-neighbour sets: gnnlib's pure-torch operation against a torch_sparse one.

For random graphs of 10^4 to 10^6 nodes (average degree ``--degree``) and a batch of
``--pairs`` target pairs (half of them edges), both implementations compute the
common-neighbour set of every pair, alternating round by round with a fixed thread
count; the result is the median time of each and their ratio. The peer is the official
NCN approach on ``torch_sparse.SparseTensor``: index both endpoints' rows, encode
entries as ``row << 32 | col``, and match them with ``searchsorted``. Peak memory is
the growth of the maximum resident set while one implementation runs once, in a fresh
subprocess that memory-maps the saved graph (so the peak of building the graph is not
the high-water mark the growth is measured from).

torch_sparse builds from source for 7-12 minutes, so it lives in its own environment:

    python3 -m venv .bench-venv && .bench-venv/bin/pip install torch==2.13.0 torch-geometric
    .bench-venv/bin/pip install --no-build-isolation torch-scatter torch-sparse
    .bench-venv/bin/pip install -e . --no-deps
    .bench-venv/bin/python benchmarks/common_neighbors.py

Writes ``benchmarks/results/common_neighbors.json`` and the log-log plot
``docs/common_neighbors_time.png``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from gnnlib.io import atomic_write_text
from gnnlib.linkpred import common_neighbors, symmetric_csr


def random_graph(num_nodes: int, degree: int, pairs: int, seed: int = 0):
    """A random undirected graph as a symmetric CSR, and ``[2, pairs]`` targets."""
    gen = torch.Generator().manual_seed(seed)
    edges = torch.randint(0, num_nodes, (2, num_nodes * degree // 2), generator=gen)
    adj = symmetric_csr(edges, num_nodes)
    half = pairs // 2
    chosen = torch.randint(0, edges.size(1), (half,), generator=gen)
    random_pairs = torch.randint(0, num_nodes, (2, pairs - half), generator=gen)
    return adj, torch.cat([edges[:, chosen], random_pairs], dim=1)


def sparse_tensor_common_neighbors(adj_sparse, tar: torch.Tensor):
    """The official approach (utils.py ``spmoverlap_``), on torch_sparse."""
    from torch_sparse import SparseTensor

    left, right = adj_sparse[tar[0]], adj_sparse[tar[1]]
    codes_left = (left.storage.row() << 32) + left.storage.col()
    codes_right = (right.storage.row() << 32) + right.storage.col()
    if codes_right.numel() > codes_left.numel():
        codes_left, codes_right = codes_right, codes_left
    index = torch.searchsorted(codes_left[:-1], codes_right)
    common = codes_right[codes_left[index] == codes_right]
    return SparseTensor(
        row=common >> 32, col=common & 0xFFFFFFFF, sparse_sizes=(tar.size(1), adj_sparse.size(0))
    )


def make_peers(adj: torch.Tensor, tar: torch.Tensor) -> dict:
    from torch_sparse import SparseTensor

    crow, col = adj.crow_indices(), adj.col_indices()
    adj_sparse = SparseTensor(rowptr=crow, col=col, sparse_sizes=tuple(adj.shape))
    return {
        "gnnlib": lambda: common_neighbors(adj, tar),
        "torch_sparse": lambda: sparse_tensor_common_neighbors(adj_sparse, tar),
    }


def memory_probe(impl: str, graph_file: Path) -> None:
    """Run one implementation once on a saved graph; print the growth of the max RSS (MB)."""
    # Memory-mapped and touched in full before measuring: a plain load's transient
    # buffers would set a high-water mark above what the operation itself adds.
    saved = torch.load(graph_file, weights_only=True, mmap=True)
    for tensor in saved.values():
        tensor.sum()
    adj = torch.sparse_csr_tensor(
        saved["crow"], saved["col"], saved["values"], saved["size"].tolist()
    )
    run = make_peers(adj, saved["tar"])[impl]
    # Reset the peak resident size to the current one (Linux: "5" > clear_refs), so the
    # growth counts this run only. getrusage's ru_maxrss cannot be reset, and Linux
    # carries it over fork and exec from the parent.
    Path("/proc/self/clear_refs").write_text("5")
    before = _status_kb("VmRSS")
    run()
    print((_status_kb("VmHWM") - before) / 1024)


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status (the memory probe needs Linux)")


def peak_memory_mb(impl: str, adj: torch.Tensor, tar: torch.Tensor, threads: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        graph_file = Path(folder) / "graph.pt"
        torch.save(
            {
                "crow": adj.crow_indices(),
                "col": adj.col_indices(),
                "values": adj.values(),
                "size": torch.tensor(adj.shape),
                "tar": tar,
            },
            graph_file,
        )
        command = [sys.executable, __file__, "--threads", str(threads)]
        command += ["--memory-probe", impl, str(graph_file)]
        return float(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--degree", type=int, default=10)
    parser.add_argument("--pairs", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--memory-probe", nargs=2, metavar=("IMPL", "GRAPH_FILE"))
    parser.add_argument(
        "--out", type=Path, default=Path("benchmarks/results/common_neighbors.json")
    )
    parser.add_argument("--plot", type=Path, default=Path("docs/common_neighbors_time.png"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.memory_probe:
        memory_probe(args.memory_probe[0], Path(args.memory_probe[1]))
        return

    rows = []
    for num_nodes in args.sizes:
        adj, tar = random_graph(num_nodes, args.degree, args.pairs)
        peers = make_peers(adj, tar)
        ours, theirs = peers["gnnlib"](), peers["torch_sparse"]()
        if ours._nnz() != theirs.nnz():  # the same sets, or the timing means nothing
            raise RuntimeError(
                f"results differ at {num_nodes} nodes: {ours._nnz()} vs {theirs.nnz()}"
            )
        times = {name: [] for name in peers}
        for _ in range(args.rounds):
            for name, run in peers.items():
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
        medians = {name: statistics.median(t) for name, t in times.items()}
        memory = {name: peak_memory_mb(name, adj, tar, args.threads) for name in peers}
        rows.append(
            {
                "nodes": num_nodes,
                "nnz": int(adj._nnz()),
                "pairs": args.pairs,
                "median_s": medians,
                "peak_memory_growth_mb": memory,
                "torch_sparse_over_gnnlib": medians["torch_sparse"] / medians["gnnlib"],
            }
        )
        print(
            f"{num_nodes:>9,} nodes {adj._nnz():>11,} entries: gnnlib "
            f"{medians['gnnlib'] * 1e3:8.2f} ms, torch_sparse {medians['torch_sparse'] * 1e3:8.2f} ms "
            f"(x{medians['torch_sparse'] / medians['gnnlib']:.2f}); peak MB {memory}"
        )

    atomic_write_text(
        args.out,
        json.dumps(
            {
                "benchmark": "common_neighbors",
                "args": {k: str(v) for k, v in vars(args).items()},
                "torch": torch.__version__,
                "rows": rows,
            },
            indent=2,
        ),
    )
    from gnnlib.eval.plots import plot_metric_vs

    plot_metric_vs(
        [row["nodes"] for row in rows],
        {name: [row["median_s"][name] for row in rows] for name in ("gnnlib", "torch_sparse")},
        args.plot,
        xlabel="nodes",
        ylabel="seconds per batch of common-neighbour sets",
        logx=True,
        logy=True,
    )
    print(f"written {args.out} and {args.plot}")


if __name__ == "__main__":
    main()
