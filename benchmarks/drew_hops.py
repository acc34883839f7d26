"""DRew hop shells: precomputation and per-hop selection against the official methods.

Peers in one run, alternated round by round, fixed thread count, reported as ratios (the
machine is shared and noisy; absolute times drift):

1. **Precomputation** of the 1..K hop shells of Peptides-func graphs:
   ``gnnlib`` (:func:`~gnnlib.rewiring.hop_shells`, sparse frontier expansion, per graph
   and over chunks of 128 graphs as the dataset cache does) against
   the official ``compute_k_hop_edges`` (dense adjacency, ``K - 1`` matrix products,
   a Python loop clearing the diagonal, subtraction of every earlier power), reproduced
   here, and against the same dense powers vectorised (``fill_diagonal_``), to separate
   the algorithm from the Python loop. Both outputs are checked equal. Memory: the bytes
   each holds per graph, dense ``K`` matrices of ``N^2`` floats against the shell pairs.
2. **Training throughput** (forward + backward, graphs/s) of DRew-GCN (7 layers, width
   130 as the paper's Peptides-func model, and 32), and of the hop selection alone
   (every adjacency a DRew-GCN forward asks for, GCN-normalised), with hops selected by
   attribute
   (:class:`~gnnlib.rewiring.HopGraph`: one look-up, adjacency and GCN normalisation
   built once per hop per batch) against the official selection
   ``edge_index[:, hop == k]`` on one concatenated all-hop edge list, redone (with its
   normalisation) at every call, as the official ``A = lambda k: ...`` does. Two forms
   of that peer: with our CSR products (isolates the selection), and the official
   forward itself (``DRewGNNStage``: PyG's ``GCNConv`` on the selected ``edge_index``,
   ``gcn_norm`` and scatter-based message passing at every call), reproduced here on
   the same weights and checked to give the same output.
3. **The same throughput at depth**: DRew-GCN (ν = 1) as the RingTransfer sweep trains
   it, ``n // 2`` layers on rings of ``--ring-sizes`` nodes, hops 1..n // 2, the width
   of a 50,000-parameter budget, batches of 32 rings. A forward asks for
   ``L (L + 1) / 2`` adjacencies, so the per-call selection grows with the square of
   the depth while the look-up by attribute builds ``L`` per batch.

The throughput part runs on ``--device`` (``cuda`` on a GPU machine: batches and model
there, every round ended by a device synchronisation); the precomputation is a CPU
preprocessing step and always runs on the CPU.

    GNNLIB_DATA=../shared/data python benchmarks/drew_hops.py [--graphs 1000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from bench_record import write_record
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader
from torch_geometric.nn.conv.gcn_conv import gcn_norm
from torch_geometric.utils import dense_to_sparse, to_dense_adj

from gnnlib.data import load
from gnnlib.nn import Adjacency
from gnnlib.rewiring import (
    DRewModel,
    DRewModelConfig,
    HopGraph,
    add_hop_shells,
    delayed_state,
    hidden_for_budget,
    hop_shells,
    hops_at_layer,
)
from gnnlib.rewiring.ring_transfer import ring_transfer

CHUNKED = "gnnlib add_hop_shells, chunks of 128"
OURS = "gnnlib HopGraph (attribute per hop)"


def official_dense_shells(edge_index: torch.Tensor, num_nodes: int, max_hops: int) -> list:
    """The official ``compute_k_hop_edges`` for one graph (dense powers, Python loop)."""
    shells = [edge_index]
    tmp = to_dense_adj(edge_index, max_num_nodes=num_nodes).float()
    adj = tmp.to_sparse().float()
    matrices = [tmp]
    for _ in range(2, max_hops + 1):
        tmp = torch.bmm(adj, tmp)
        for j in range(tmp.shape[-1]):
            tmp[0, j, j] = 0
        tmp = (tmp > 0).float()
        for m in matrices:
            tmp -= m
        tmp = (tmp > 0).float()
        matrices.append(tmp)
        shells.append(dense_to_sparse(tmp)[0])
    return shells


def vectorised_dense_shells(edge_index: torch.Tensor, num_nodes: int, max_hops: int) -> list:
    """The same dense powers without the Python loop: reached-so-far kept as one mask."""
    adj = to_dense_adj(edge_index, max_num_nodes=num_nodes)[0]
    reached = (adj > 0) | torch.eye(num_nodes, dtype=torch.bool)
    power, shells = adj, [edge_index]
    for _ in range(2, max_hops + 1):
        power = ((power @ adj) > 0).float()
        shell = (power > 0) & ~reached
        reached |= shell
        shells.append(shell.nonzero().t())
    return shells


def as_pairs(shell: torch.Tensor) -> set:
    return set(map(tuple, shell.t().tolist()))


class MaskedHops:
    """The official per-call hop selection: every call masks the concatenated all-hop
    edge list and builds (and normalises) a fresh adjacency."""

    def __init__(self, all_edges: torch.Tensor, hop: torch.Tensor, num_nodes: int) -> None:
        self.all_edges, self.hop, self.num_nodes = all_edges, hop, num_nodes

    def adjacency(self, k: int) -> Adjacency:
        return Adjacency(self.all_edges[:, self.hop == k], num_nodes=self.num_nodes)


def concatenated_hops(batch, max_hops: int) -> tuple[torch.Tensor, torch.Tensor]:
    parts = [batch.edge_index] + [batch[f"hop{k}_edge_index"] for k in range(2, max_hops + 1)]
    hop = torch.cat(
        [torch.full((p.size(1),), k, device=p.device) for k, p in enumerate(parts, start=1)]
    )
    return torch.cat(parts, dim=1), hop


def step(model: DRewModel, batch, hops) -> None:
    """One forward + backward of DRew-GCN with ``hops`` as the shell provider."""
    loss_of(model, batch, model.body(model.node_input(batch.x), hops, None)).backward()


def loss_of(model: DRewModel, batch, h: torch.Tensor) -> torch.Tensor:
    out = model.readout(h, batch)
    if "target_mask" in batch:  # RingTransfer: one class per ring
        return F.cross_entropy(out, batch.y)
    return F.binary_cross_entropy_with_logits(out, batch.y)


def official_body(model: DRewModel, batch, edges: torch.Tensor, hop: torch.Tensor):
    """The official ``DRewGNNStage.forward`` on ``model``'s weights: per layer and hop,
    select ``edges[:, hop == k]``, normalise it (``gcn_norm``, self-loops) and run PyG's
    ``GCNConv`` on the ``edge_index`` (gather and scatter), then norm, activation and
    the residual, as :class:`~gnnlib.rewiring.DRewConv` computes them. The registry's
    ``gcn`` is PyG's ``GCNConv``, whose own sum it replaces for sparse adjacencies only,
    so on an ``edge_index`` it runs PyG's path unchanged."""
    states = [model.node_input(batch.x)]
    for layer in model.body.layers:
        out = torch.zeros_like(states[-1])
        for index, k in enumerate(layer.hops):
            selected = edges[:, hop == k]
            if selected.size(1) == 0:
                continue
            edge_index, weight = gcn_norm(selected, None, batch.num_nodes, add_self_loops=True)
            x = delayed_state(states, layer.layer, k, layer.nu)
            out = out + layer.act(layer.norms[index](layer.convs[index](x, edge_index, weight)))
        states.append(states[-1] + torch.relu(out))
    return states[-1]


def official_step(model: DRewModel, batch, edges_and_hop) -> None:
    loss_of(model, batch, official_body(model, batch, *edges_and_hop)).backward()


MASKED = "official mask edge_index[:, hop == k], our CSR convs"
OFFICIAL = "official DRewGNNStage forward (PyG GCNConv on edge_index)"


def time_training(model: DRewModel, batches: list, K: int, rounds: int, selection: bool) -> dict:
    """Forward + backward of ``model`` over ``batches`` (and with ``selection`` the hop
    selection alone) for every peer, the peers alternating within each of ``rounds``:
    task -> peer -> median seconds, graphs/s and gnnlib's speed-up over it."""
    device = next(model.parameters()).device
    model.eval()  # no batch-norm drift while the outputs are compared
    with torch.no_grad():  # the official forward is the same function of the weights
        b = batches[0]
        ours = model.body(model.node_input(b.x), HopGraph(b, b.num_nodes), None)
        theirs = official_body(model, b, *concatenated_hops(b, K))
        torch.testing.assert_close(ours, theirs, rtol=1e-4, atol=1e-4)
    model.train()

    def selection_only(b, hops) -> None:
        # what a DRew-GCN forward asks of its shell provider, without the convs
        for t in range(len(model.body.layers)):
            for k in hops_at_layer(t, K):
                hops.adjacency(k).gcn_csr()

    def by_attribute(b):
        return HopGraph(b, b.num_nodes)

    def masked(b):
        return MaskedHops(*concatenated_hops(b, K), b.num_nodes)

    # peer name -> (work on one batch, what the work reads from the batch)
    tasks = {
        "forward+backward": {
            OURS: (lambda b, h: step(model, b, h), by_attribute),
            MASKED: (lambda b, h: step(model, b, h), masked),
            OFFICIAL: (
                lambda b, h: official_step(model, b, h),
                lambda b: concatenated_hops(b, K),
            ),
        }
    }
    if selection:
        tasks["selection only"] = {
            OURS: (selection_only, by_attribute),
            MASKED: (selection_only, masked),
        }
    num_graphs = sum(b.num_graphs for b in batches)
    results = {}
    for task, peers in tasks.items():
        for work, provider in peers.values():  # warm-up
            work(batches[0], provider(batches[0]))
        runs = {name: [] for name in peers}
        for _ in range(rounds):
            for name, (work, provider) in peers.items():
                start = time.perf_counter()
                for b in batches:
                    model.zero_grad()
                    work(b, provider(b))
                if device.type == "cuda":  # kernels run asynchronously
                    torch.cuda.synchronize(device)
                runs[name].append(time.perf_counter() - start)
        rows = {
            name: {
                "median_s": statistics.median(t),
                "graphs_per_s": num_graphs / statistics.median(t),
            }
            for name, t in runs.items()
        }
        for row in rows.values():
            row["speedup_of_gnnlib"] = rows[OURS]["graphs_per_s"] / row["graphs_per_s"]
        results[task] = rows
        layers = len(model.body.layers)
        print(f"DRew-GCN, {layers} layers, hops 1..{K}: {task}, {num_graphs} graphs per round")
        for name, row in rows.items():
            rate, speedup = row["graphs_per_s"], row["speedup_of_gnnlib"]
            print(f"  {name:<62}{rate:>9.1f} graphs/s{speedup:>7.2f}x")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--graphs", type=int, default=1000, help="Peptides-func graphs used")
    parser.add_argument("--hops", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batches", type=int, default=4, help="batches of 128 per round")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--widths", type=int, nargs="+", default=[130, 32], help="130: the paper's model"
    )
    parser.add_argument(
        "--ring-sizes", type=int, nargs="+", default=[20, 40], help="RingTransfer depths (n // 2)"
    )
    parser.add_argument("--rings", type=int, default=128, help="rings per ring size")
    parser.add_argument("--device", default="cpu", help="where the throughput part runs")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/drew_hops.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    K = args.hops
    dataset = load("Peptides-func")
    graphs = [dataset[i] for i in range(args.graphs)]

    # 1. precomputation -------------------------------------------------------------
    per_graph = {
        "gnnlib hop_shells, per graph": hop_shells,
        "official dense (loop), per graph": official_dense_shells,
        "dense vectorised, per graph": vectorised_dense_shells,
    }
    for g in graphs[:50]:  # equal outputs before timing anything
        ours = hop_shells(g.edge_index, g.num_nodes, K)
        for name, compute in per_graph.items():
            theirs = compute(g.edge_index, g.num_nodes, K)
            assert all(as_pairs(a) == as_pairs(b) for a, b in zip(ours, theirs)), name

    def run_per_graph(compute):
        return lambda gs: [compute(g.edge_index, g.num_nodes, K) for g in gs]

    peers = {name: run_per_graph(compute) for name, compute in per_graph.items()}
    peers[CHUNKED] = lambda gs: add_hop_shells(gs, K, chunk_size=128)
    times = {name: [] for name in peers}
    for _ in range(args.rounds):
        for name, compute in peers.items():
            bare = [Data(edge_index=g.edge_index, num_nodes=g.num_nodes) for g in graphs]
            start = time.perf_counter()
            compute(bare)
            times[name].append(time.perf_counter() - start)
    medians = {name: statistics.median(t) for name, t in times.items()}
    pair_bytes = sum(
        sum(s.numel() for s in hop_shells(g.edge_index, g.num_nodes, K)) * 8 for g in graphs
    )
    dense_bytes = sum(K * g.num_nodes**2 * 4 for g in graphs)
    precompute = {
        name: {
            "median_s": medians[name],
            "graphs_per_s": len(graphs) / medians[name],
            "time_over_gnnlib_chunked": medians[name] / medians[CHUNKED],
        }
        for name in peers
    }
    precompute["memory"] = {
        "gnnlib_shell_pair_bytes": pair_bytes,
        "dense_matrix_bytes": dense_bytes,
        "dense_over_gnnlib": dense_bytes / pair_bytes,
    }
    print(f"hop shells 1..{K} of {len(graphs)} Peptides-func graphs, {args.threads} thread(s)")
    for name in peers:
        row = precompute[name]
        print(f"  {name:<40}{row['median_s']:>8.2f} s {row['time_over_gnnlib_chunked']:>7.1f}x")
    print(f"  memory: dense {dense_bytes / 2**20:.1f} MiB vs shells {pair_bytes / 2**20:.1f} MiB")

    # 2. training throughput ----------------------------------------------------------
    device = torch.device(args.device)
    shelled = add_hop_shells([g.clone() for g in graphs[: 128 * args.batches]], K)
    batches = [b.to(device) for b in DataLoader(shelled, batch_size=128)]
    throughput = {}
    for width in args.widths:
        config = DRewModelConfig(kind="drew", conv="gcn", layers=K, hidden=width, nu=None)
        model = DRewModel(config, 9, 10, categorical=True).to(device)
        with_selection = width == args.widths[0]  # the selection is independent of the width
        timed = time_training(model, batches, K, args.rounds, with_selection)
        throughput[f"forward+backward, width {width}"] = timed["forward+backward"]
        if with_selection:
            throughput["selection only"] = timed["selection only"]

    # 3. the same at depth: RingTransfer models -----------------------------------------
    for size in args.ring_sizes:
        layers = size // 2
        rings = add_hop_shells(ring_transfer(args.rings, size), layers)
        batches = [b.to(device) for b in DataLoader(rings, batch_size=32)]
        config = DRewModelConfig(kind="drew", conv="gcn", layers=layers, nu=1, readout="target")

        def build(hidden: int, config=config) -> DRewModel:
            return DRewModel(dataclasses.replace(config, hidden=hidden), 5, 5, categorical=False)

        width = hidden_for_budget(build, 50_000)
        timed = time_training(build(width).to(device), batches, layers, args.rounds, True)
        ring = f"RingTransfer n={size}, {layers} layers"
        throughput[f"forward+backward, {ring}, width {width}"] = timed["forward+backward"]
        throughput[f"selection only, {ring}"] = timed["selection only"]

    write_record("drew_hops", args, device, precompute=precompute, throughput=throughput)


if __name__ == "__main__":
    main()
