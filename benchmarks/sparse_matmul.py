"""CSR sum aggregation on the CPU: gnnlib's product against torch's.

Every sum over a ``torch.sparse_csr`` adjacency in gnnlib goes through
:func:`~gnnlib.nn.adjacency.sparse_matmul`, which on the CPU calls
``torch.sparse.mm(A, X, "sum")`` (torch's reducing kernel) and, for an adjacency whose
values take no gradient, computes the gradient in ``X`` with ``A^T`` converted to CSR
once (:func:`~gnnlib.nn.adjacency.transposed_csr`); torch's own backward converts it at
every call. ``A @ X``, ``torch.sparse.mm(A, X)`` and PyG's ``spmm(A, X, reduce="sum")``
take the plain product. This times forward + backward (gradient in ``X``, as in
training, the same adjacency at every step) of the three on random graphs: batches of
Peptides-func size (19,000 nodes, the width of the paper's DRew-GCN) at several degrees,
a batch of 32 RingTransfer-size graphs at a narrow width, and larger single graphs.
Peers alternate round by round at a fixed thread count; the outputs and gradients are
checked equal first.

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
    (1_280, 2, 13),
    (100_000, 10, 64),
    (1_000_000, 10, 128),
]


def plain(adj: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.sparse.mm(adj, x)


def reducing(adj: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return torch.sparse.mm(adj, x, "sum")


PEERS = {"plain": plain, "reducing": reducing, "gnnlib": sparse_matmul}


def step_time(product, adj: torch.Tensor, x: torch.Tensor) -> float:
    start = time.perf_counter()
    product(adj, x).sum().backward()
    elapsed = time.perf_counter() - start
    x.grad = None
    return elapsed


def check_equal(adj: torch.Tensor, x: torch.Tensor) -> None:
    outputs, gradients = [], []
    for product in PEERS.values():
        out = product(adj, x)
        outputs.append(out.detach())
        gradients.append(torch.autograd.grad(out.square().sum(), x)[0])
    for out, grad in zip(outputs[1:], gradients[1:]):
        torch.testing.assert_close(out, outputs[0], rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(grad, gradients[0], rtol=1e-4, atol=1e-4)


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
        times = {name: [] for name in PEERS}
        for _ in range(args.rounds):
            for name, product in PEERS.items():
                times[name].append(step_time(product, adj, x))
        medians = {name: statistics.median(t) for name, t in times.items()}
        row = {"nodes": nodes, "mean_degree": degree, "width": width}
        row |= {f"{name}_ms": 1e3 * s for name, s in medians.items()}
        gnnlib_s = medians["gnnlib"]
        row |= {f"gnnlib_speedup_over_{n}": medians[n] / gnnlib_s for n in ("plain", "reducing")}
        results.append(row)
        print(
            f"{nodes:>9,} nodes, degree {degree:>2}, width {width:>3}: "
            + ", ".join(f"{name} {1e3 * s:8.2f} ms" for name, s in medians.items())
            + f"; gnnlib {row['gnnlib_speedup_over_plain']:.2f}x plain, "
            f"{row['gnnlib_speedup_over_reducing']:.2f}x reducing"
        )
    write_record("sparse_matmul", args, torch.device("cpu"), forward_backward=results)


if __name__ == "__main__":
    main()
