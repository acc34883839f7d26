"""Inference latency of a distilled MLP student against its 2-layer SAGE teacher.

GLNN's speed claim (146x-273x faster than GNNs) is timed on a handful of new nodes
arriving in production: the MLP reads their features and nothing else, while the GNN
must first fetch their whole 2-hop neighbourhoods and then aggregate over them. Both
models here have GLNN's sizes (hidden 128, 2 layers; weights untrained, which does not
change the cost) and are timed in the same process, alternately, round by round, with a
fixed thread count, on synthetic random graphs of ``--nodes`` nodes (default 10^6) and
mean degree ``--degrees`` (default 10, and 50 as ogbn-products):

* ``new_nodes``: ``--new`` (default 10) random nodes per request; the teacher fetches
  their full 2-hop neighbourhoods from the CSR adjacency as one block per layer,
  gathers those nodes' features and runs SAGE on the blocks (the first layer for the new
  nodes and their neighbours, the second for the new nodes: their exact full-graph
  outputs); the student runs the MLP on the 10 feature rows. Each
  model is timed warm, on its second request of the round; the student's first request
  after the teacher's is reported as well (``student_cold_ms``). A graph-augmented
  student (GA-MLP, ``--ga-hops`` k, default 1; 0 skips it) is timed the same way: it
  gathers the k-hop neighbourhood's features and propagates them to the new nodes'
  rows of Â^k X (``propagate_rows``) before the MLP (``ga_student_ms``);
* ``full_graph``: predictions for every node; the teacher runs full-batch SAGE on the
  whole graph (sparse CSR products), the student the MLP on every row.

Reported: median milliseconds per request / pass, nodes per second, and the ratios
teacher / student. ``--students`` adds MLPs of other shapes (``LAYERSxHIDDEN``; the
default covers the students of the shipped transductive configs: GLNN's 2x128 and
KRD's tuned ones), each timed warm on the same new-node requests (``by_student``).
``--compile`` times GLNN's 2x128 student through ``torch.compile`` as well
(``compiled_student_ms``), the same weights on the same requests.
With ``--tradeoff RESULTS...`` it also draws the accuracy / latency trade-off of the
transductive result records in the RESULTS folders (SAGE teacher against MLP, GLNN,
KRD and GA-GLNN students, each student at the latency of its own shape, a GA student
at that of the GA request) next to the JSON (``--plot-only`` redraws it from the JSON).

    python benchmarks/distill_latency.py [--nodes 1000000] [--threads 1] [--rounds 20]
    python benchmarks/distill_latency.py --plot-only --tradeoff RESULTS [RESULTS ...]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from gnnlib.distill import propagate_rows, propagation_matrix, sample_blocks, sampled_forward
from gnnlib.distill.student import StudentConfig
from gnnlib.distill.teachers import TeacherConfig, teacher_adjacency
from gnnlib.io import atomic_write_text
from gnnlib.train import seed_everything


def synthetic_graph(
    num_nodes: int, degree: int, features: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Features ``[N, F]`` and the ``edge_index`` of an undirected random graph of mean
    degree ``degree``."""
    edges = torch.randint(0, num_nodes, (2, num_nodes * degree // 2))
    return torch.randn(num_nodes, features), torch.cat([edges, edges.flip(0)], 1)


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def timed_warm(fn, warm_up: torch.Tensor, new: torch.Tensor, *args) -> float:
    """``fn`` on the request ``new``, timed right after a call of its own on ``warm_up``."""
    fn(warm_up, *args)
    return timed(fn, new, *args)


@torch.no_grad()
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000_000)
    parser.add_argument(
        "--degrees", type=int, nargs="+", default=[10, 50], help="mean degrees to time"
    )
    parser.add_argument("--features", type=int, default=128)
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--new", type=int, default=10, help="new nodes per request")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--full-rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--ga-hops", type=int, default=1, help="hops of the GA-MLP student timed (0: none)"
    )
    parser.add_argument(
        "--students",
        type=student_shape,
        nargs="+",
        default=[(2, 128), (2, 512), (2, 1024), (3, 1024)],
        help="student shapes LAYERSxHIDDEN timed on the new-node requests",
    )
    parser.add_argument(
        "--compile", action="store_true", help="also time torch.compile of the 2x128 student"
    )
    parser.add_argument(
        "--tradeoff", type=Path, nargs="+", help="folders of transductive records to plot"
    )
    parser.add_argument(
        "--plot-only", action="store_true", help="redraw the trade-off from the --out JSON"
    )
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/distill_latency.json"))
    args = parser.parse_args()
    plot_path = args.out.with_name("distill_tradeoff.png")
    if args.plot_only:
        first = next(iter(json.loads(args.out.read_text())["by_degree"].values()))
        plot_tradeoff(args.tradeoff, first["new_nodes"], plot_path)
        return
    torch.set_num_threads(args.threads)
    result = {
        "description": __doc__.splitlines()[0],
        "models": {
            "teacher": "SAGE 2 x 128 (gcn aggregator)",
            "student": "MLP 2 x 128",
            "students": [shape_name(shape) for shape in args.students],
        },
        "threads": args.threads,
        "rounds": {"new_nodes": args.rounds, "full_graph": args.full_rounds},
        "torch": torch.__version__,
        "by_degree": {str(degree): measure(args, degree) for degree in args.degrees},
    }
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    if args.tradeoff is not None:
        first = result["by_degree"][str(args.degrees[0])]
        plot_tradeoff(args.tradeoff, first["new_nodes"], plot_path)


def measure(args: argparse.Namespace, degree: int) -> dict:
    """Both timings on one synthetic graph of mean degree ``degree``."""
    seed_everything(0)
    x, edges = synthetic_graph(args.nodes, degree, args.features)
    # GLNN's SAGE: one weight over the mean of a node and its neighbours (self-loops).
    teacher_config = TeacherConfig(conv_options={"aggr": "gcn"}, self_loops=True)
    adj_t = teacher_adjacency(teacher_config, edges, args.nodes)
    ga_matrix = propagation_matrix(edges, args.nodes) if args.ga_hops else None
    del edges
    teacher = teacher_config.build_model(args.features, args.classes).eval()
    student = StudentConfig().build(args.features, args.classes).eval()  # GLNN's 2 x 128
    others = {
        shape_name((layers, hidden)): StudentConfig(hidden=hidden, layers=layers)
        .build(args.features, args.classes)
        .eval()
        for layers, hidden in args.students
    }
    # Compiled in the first (untimed) round; every request has --new rows, one shape.
    compiled = torch.compile(student, dynamic=False) if args.compile else None

    def teacher_request(new: torch.Tensor) -> torch.Tensor:
        # Fetch the full 2-hop neighbourhood (fan-out -1), gather its features, run SAGE.
        n_id, blocks = sample_blocks(adj_t, new, [-1, -1])
        return sampled_forward(teacher, x[n_id], blocks)

    def student_request(new: torch.Tensor, mlp: torch.nn.Module = student) -> torch.Tensor:
        return mlp(x[new])

    def ga_student_request(new: torch.Tensor) -> torch.Tensor:
        # The same 2 x 128 MLP on the new nodes' rows of Â^k X: a k-hop fetch.
        return student(propagate_rows(ga_matrix, x, new, args.ga_hops))

    # Teacher and student alternate round by round on the same random requests, each
    # timed warm: right after a call of its own on another request, as in a server that
    # runs only that model. A model's first call after the other's finds the caches full
    # of the other's data; for the student, whose whole request is a few microseconds of
    # arithmetic, that costs several times its warm latency (kept as ``student_cold_ms``).
    fetched = []
    times = {"teacher": [], "student": []}
    student_cold = []
    ga_times = []
    compiled_times = []
    other_times = {name: [] for name in others}
    for round_ in range(args.rounds + 1):
        warm_up, new = (torch.randperm(args.nodes)[: args.new] for _ in range(2))
        t_teacher = timed_warm(teacher_request, warm_up, new)
        t_student_cold = timed(student_request, warm_up)
        t_student = timed(student_request, new)
        t_others = {}
        for name, mlp in others.items():
            t_others[name] = timed_warm(student_request, warm_up, new, mlp)
        if args.ga_hops:
            t_ga = timed_warm(ga_student_request, warm_up, new)
        if compiled is not None:
            t_compiled = timed_warm(student_request, warm_up, new, compiled)
        if round_:
            times["teacher"].append(t_teacher)
            times["student"].append(t_student)
            student_cold.append(t_student_cold)
            if args.ga_hops:
                ga_times.append(t_ga)
            if compiled is not None:
                compiled_times.append(t_compiled)
            fetched.append(sample_blocks(adj_t, new, [-1, -1])[0].numel())
            for name, t in t_others.items():
                other_times[name].append(t)
    new_nodes = summarise(times, args.new)
    new_nodes["student_cold_ms"] = 1000 * statistics.median(student_cold)
    new_nodes["speedup_over_cold_student"] = new_nodes["teacher_ms"] / new_nodes["student_cold_ms"]
    new_nodes["mean_nodes_fetched_by_teacher"] = statistics.mean(fetched)
    if args.ga_hops:
        new_nodes["ga_hops"] = args.ga_hops
        new_nodes["ga_student_ms"] = 1000 * statistics.median(ga_times)
        new_nodes["speedup_over_ga_student"] = new_nodes["teacher_ms"] / new_nodes["ga_student_ms"]
    if compiled is not None:
        new_nodes["compiled_student_ms"] = 1000 * statistics.median(compiled_times)
        new_nodes["speedup_over_compiled_student"] = (
            new_nodes["teacher_ms"] / new_nodes["compiled_student_ms"]
        )
    new_nodes["by_student"] = {
        name: {
            "student_ms": 1000 * statistics.median(values),
            "speedup": new_nodes["teacher_ms"] / (1000 * statistics.median(values)),
        }
        for name, values in other_times.items()
    }

    full_times = {"teacher": [], "student": []}
    for round_ in range(args.full_rounds + 1):
        t_teacher = timed(teacher, x, adj_t)
        t_student = timed(student, x)
        if round_:
            full_times["teacher"].append(t_teacher)
            full_times["student"].append(t_student)
    return {
        "graph": {
            "nodes": args.nodes,
            "mean_degree": degree,
            "directed_edges_with_self_loops": int(adj_t.values().numel()),
            "features": args.features,
            "classes": args.classes,
        },
        "new_nodes": {"nodes_per_request": args.new, **new_nodes},
        "full_graph": summarise(full_times, args.nodes),
    }


def student_shape(text: str) -> tuple[int, int]:
    """``"3x1024"`` -> ``(3, 1024)``: layers, then hidden width."""
    try:
        layers, hidden = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"student shape {text!r} is not LAYERSxHIDDEN, e.g. 2x128"
        ) from None
    if layers < 1 or hidden < 1:
        raise argparse.ArgumentTypeError(f"student shape {text!r} needs layers, hidden >= 1")
    return layers, hidden


def shape_name(shape: tuple[int, int]) -> str:
    return f"{shape[0]}x{shape[1]}"


def summarise(times: dict[str, list[float]], nodes: int) -> dict[str, float]:
    median = {name: statistics.median(values) for name, values in times.items()}
    return {
        "teacher_ms": 1000 * median["teacher"],
        "student_ms": 1000 * median["student"],
        "teacher_nodes_per_s": nodes / median["teacher"],
        "student_nodes_per_s": nodes / median["student"],
        "speedup": median["teacher"] / median["student"],
    }


def plot_tradeoff(folders: list[Path], latency: dict, path: Path) -> None:
    """Test accuracy against the latency of a 10-node request, per dataset: the teacher
    at the teacher's latency, each student at the latency of its own shape, and a GA
    student (``feature_hops > 0``) at that of the GA request."""
    from gnnlib.eval.plots import plot_metric_vs
    from gnnlib.eval.records import aggregate, group_records
    from gnnlib.eval.report import load_records

    records_in = [r for folder in folders for _, r in load_records(folder)]
    accuracy, shape, hops = {}, {}, {}
    for (method, dataset, _), records in group_records(records_in).items():
        accuracy[(method, dataset)] = 100 * aggregate(records)["metrics"]["test"]["acc"]["mean"]
        student = records[0].config["student"]
        shape[(method, dataset)] = shape_name((student["layers"], student["hidden"]))
        hops[(method, dataset)] = records[0].config.get("feature_hops", 0)
    xs, series = {}, {}
    for dataset in sorted({d for _, d in accuracy}):
        teacher = accuracy.get(("sage", dataset))
        for student in ("mlp", "glnn", "krd", "ga-glnn"):
            if teacher is None or (student, dataset) not in accuracy:
                continue
            name, k = shape[(student, dataset)], hops[(student, dataset)]
            hop = f", {k} hop" if k else ""
            label = f"{student} ({name.replace('x', ' x ')}{hop}) vs sage, {dataset}"
            if k:
                # The GA request is timed with GLNN's 2 x 128 MLP and --ga-hops hops.
                if (name, k) != ("2x128", latency.get("ga_hops")):
                    raise SystemExit(
                        f"{student} on {dataset} is a {name} student on {k}-hop features; "
                        f"the JSON times a 2x128 one on {latency.get('ga_hops')} hops "
                        f"(rerun with --ga-hops {k})"
                    )
                student_ms = latency["ga_student_ms"]
            elif name in latency["by_student"]:
                student_ms = latency["by_student"][name]["student_ms"]
            else:
                raise SystemExit(
                    f"{student} on {dataset} has a {name} student, not timed in the JSON "
                    f"(timed: {sorted(latency['by_student'])}); rerun with --students {name}"
                )
            xs[label] = [student_ms, latency["teacher_ms"]]
            series[label] = [accuracy[(student, dataset)], teacher]
    plot_metric_vs(
        xs, series, path, "latency of a 10-node request (ms)", "test accuracy (%)", logx=True
    )
    print(f"trade-off plot: {path}")


if __name__ == "__main__":
    main()
