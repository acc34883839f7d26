"""CSR sum aggregation on the CPU: torch's reducing kernel against the plain product.

Every sum over a ``torch.sparse_csr`` adjacency in gnnlib goes through
:func:`~gnnlib.nn.adjacency.sparse_matmul`, which on the CPU calls
``torch.sparse.mm(A, X, "sum")`` (torch's reducing kernel). ``A @ X``,
``torch.sparse.mm(A, X)`` and PyG's ``spmm(A, X, reduce="sum")`` take the plain
product instead. This times forward + backward (gradient in ``X``, as in training) of
both on random graphs: batches of Peptides-func size (19,000 nodes, the width of the
paper's DRew-GCN) at several degrees, and larger single graphs. Peers alternate round by
round at a fixed thread count; the outputs and gradients are checked equal first.

    python benchmarks/sparse_matmul.py [--rounds 7] [--threads 1]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch
from bench_record import write_record

from gnnlib.nn import to_csr
from gnnlib.nn.adjacency import sparse_matmul

#: (nodes, mean in-degree, feature width)
SHAPES = [
    (19_000, 2, 130),
    (19_000, 8, 130),
    (19_000, 30, 130),
    (100_000, 10, 64),
    (1_000_000, 10, 128),
]


def plain(adj: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.sparse.mm(adj, x)


def step_time(product, adj: torch.Tensor, x: torch.Tensor) -> float:
    start = time.perf_counter()
    product(adj, x).sum().backward()
    elapsed = time.perf_counter() - start
    x.grad = None
    return elapsed


def check_equal(adj: torch.Tensor, x: torch.Tensor) -> None:
    outputs, gradients = [], []
    for product in (plain, sparse_matmul):
        out = product(adj, x)
        outputs.append(out.detach())
        gradients.append(torch.autograd.grad(out.square().sum(), x)[0])
    torch.testing.assert_close(outputs[0], outputs[1], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(gradients[0], gradients[1], rtol=1e-4, atol=1e-4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/sparse_matmul.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    results = []
    for nodes, degree, width in SHAPES:
        edges = torch.randint(0, nodes, (2, nodes * degree))
        adj, _ = to_csr(edges, nodes)
        x = torch.randn(nodes, width, requires_grad=True)
        check_equal(adj, x)
        times = {"plain": [], "reducing": []}
        for _ in range(args.rounds):
            times["plain"].append(step_time(plain, adj, x))
            times["reducing"].append(step_time(sparse_matmul, adj, x))
        plain_s, reducing_s = (statistics.median(times[k]) for k in ("plain", "reducing"))
        row = {
            "nodes": nodes,
            "mean_degree": degree,
            "width": width,
            "plain_ms": 1e3 * plain_s,
            "reducing_ms": 1e3 * reducing_s,
            "speedup": plain_s / reducing_s,
        }
        results.append(row)
        print(
            f"{nodes:>9,} nodes, degree {degree:>2}, width {width}: plain "
            f"{row['plain_ms']:8.1f} ms, reducing {row['reducing_ms']:8.1f} ms, "
            f"{row['speedup']:.2f}x"
        )
    write_record("sparse_matmul", args, torch.device("cpu"), forward_backward=results)


if __name__ == "__main__":
    main()
