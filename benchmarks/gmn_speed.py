"""GMN speed: module -> parameter graph conversion, and GMN training vs a dense peer.

* conversion: networks per second through :func:`~gnnlib.metanet.parameter_graph`, per
  zoo family (untrained networks with the zoo's sampled hyperparameters);
* training: optimisation steps per second of the sparse GMN (edge list, one state per
  parameter) and of a dense-adjacency metanetwork of the same width and depth in the
  style of Kofinas et al.'s neural graphs (node states ``[B, N, h]``, edge states
  ``[B, N, N, h]`` for every neuron pair, masked; parallel kernel edges summed into
  their pair), on the same batches, timed alternately round by round with a fixed
  thread count. Memory is the size of the tensors autograd saves for backward in one
  step (deterministic, unlike a process's peak RSS), and the parameter count of each.

    python benchmarks/gmn_speed.py [--families mlp cnn] [--rounds 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor
from torch_geometric.data import Batch
from torch_geometric.utils import to_dense_batch

from gnnlib.io import atomic_write_text
from gnnlib.metanet import GMN, parameter_graph
from gnnlib.metanet.architectures import FAMILIES, build_network, network_input
from gnnlib.metanet.gmn import MAX_LAYERS, MAX_POSITIONS
from gnnlib.metanet.schema import ACTIVATIONS, EdgeType, NodeType
from gnnlib.metanet.zoo import sample_spec


class DenseMetanet(torch.nn.Module):
    """The dense peer: the GMN's embeddings and gated updates on ``[B, N, N, h]`` edges."""

    def __init__(self, hidden: int, num_layers: int) -> None:
        super().__init__()
        self.node = torch.nn.ModuleList(
            torch.nn.Embedding(n, hidden) for n in (len(NodeType), MAX_LAYERS, len(ACTIVATIONS))
        )
        self.value = torch.nn.Linear(1, hidden)
        self.edge = torch.nn.ModuleList(
            torch.nn.Embedding(n, hidden)
            for n in (len(EdgeType), MAX_LAYERS, MAX_POSITIONS, MAX_POSITIONS)
        )
        self.layers = torch.nn.ModuleList(
            torch.nn.ModuleDict(
                {
                    name: torch.nn.Linear(hidden, hidden)
                    for name in ("A", "B", "C", "D", "E", "edge_fwd", "edge_bwd")
                }
                | {"node_norm": torch.nn.LayerNorm(hidden), "edge_norm": torch.nn.LayerNorm(hidden)}
            )
            for _ in range(num_layers)
        )
        self.head = torch.nn.Sequential(
            torch.nn.Linear(hidden, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 1)
        )

    def forward(self, batch: Batch) -> Tensor:
        x = sum(
            emb(v.clamp(max=emb.num_embeddings - 1))
            for emb, v in zip(
                self.node, (batch.node_type, batch.node_layer, batch.node_act), strict=True
            )
        )
        x, _ = to_dense_batch(x, batch.batch)
        edge_inputs = (
            batch.edge_type,
            batch.edge_layer,
            batch.edge_pos[:, 0],
            batch.edge_pos[:, 1],
        )
        e_sparse = self.value(batch.edge_value.unsqueeze(-1)) + sum(
            emb(v.clamp(max=emb.num_embeddings - 1))
            for emb, v in zip(self.edge, edge_inputs, strict=True)
        )
        size, nodes, hidden = x.shape
        graph = batch.batch[batch.edge_index[0]]
        offset = batch.ptr[graph]
        flat = (graph * nodes + batch.edge_index[0] - offset) * nodes + batch.edge_index[1] - offset
        e = torch.zeros(size * nodes * nodes, hidden).index_add(0, flat, e_sparse)
        e = e.view(size, nodes, nodes, hidden)
        adj = torch.zeros(size * nodes * nodes).index_add(0, flat, torch.ones(len(flat)))
        adj = (adj.view(size, nodes, nodes, 1) > 0).float()
        for layer in self.layers:
            # edge i -> j at [:, i, j]: forward messages go to j, backward ones to i
            ce, dx, ex = layer["C"](e), layer["D"](x), layer["E"](x)
            e_fwd = dx[:, None] + ex[:, :, None] + ce
            e_bwd = dx[:, :, None] + ex[:, None] + ce
            gate_fwd, gate_bwd = torch.sigmoid(e_fwd), torch.sigmoid(e_bwd)
            bx = layer["B"](x)
            message = (adj * gate_fwd * bx[:, :, None]).sum(1) + (adj * gate_bwd * bx[:, None]).sum(
                2
            )
            norm = (adj * gate_fwd).sum(1) + (adj * gate_bwd).sum(2) + 1e-6
            h = layer["A"](x) + message / norm
            e_new = layer["edge_fwd"](e_fwd) + layer["edge_bwd"](e_bwd)
            x = x + torch.relu(layer["node_norm"](h))
            e = e + adj * torch.relu(layer["edge_norm"](e_new))
        pooled = (e * adj).sum((1, 2)) / adj.sum((1, 2)).clamp(min=1)
        return self.head(pooled)


def conversion_rate(family: str, count: int) -> dict[str, float]:
    specs = []
    index = 0
    while len(specs) < count:
        spec = sample_spec(0, index)
        index += 1
        if spec["family"] == family:
            specs.append(spec)
    nets = [build_network(s) for s in specs]
    examples = [network_input(s, torch.zeros(2, 8, 8)) for s in specs]
    start = time.perf_counter()
    graphs = [parameter_graph(n, x) for n, x in zip(nets, examples, strict=True)]
    seconds = time.perf_counter() - start
    return {
        "networks_per_s": count / seconds,
        "mean_nodes": statistics.mean(g.num_nodes for g in graphs),
        "mean_edges": statistics.mean(g.num_edges for g in graphs),
    }


def saved_bytes(step) -> int:
    total = 0

    def pack(tensor: Tensor) -> Tensor:
        nonlocal total
        total += tensor.numel() * tensor.element_size()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step()
    return total


def training_rates(family: str, args: argparse.Namespace) -> dict[str, dict]:
    """Both metanetworks trained on the same batch of ``family`` graphs, alternately."""
    specs = [s for s in (sample_spec(1, i) for i in range(200)) if s["family"] == family]
    graphs = [
        parameter_graph(build_network(s), network_input(s, torch.zeros(2, 8, 8)))
        for s in specs[: args.batch_size]
    ]
    batch = Batch.from_data_list(graphs)
    target = torch.rand(batch.num_graphs, 1)
    models = {
        "gmn_sparse": GMN(args.hidden, args.layers),
        "dense_neural_graph": DenseMetanet(args.hidden, args.layers),
    }
    optimizers = {k: torch.optim.Adam(m.parameters(), 1e-3) for k, m in models.items()}

    def step(name: str) -> None:
        optimizers[name].zero_grad()
        out = models[name](batch)
        prediction = out[0] if isinstance(out, tuple) else out
        F.mse_loss(prediction, target).backward()
        optimizers[name].step()

    times: dict[str, list[float]] = {name: [] for name in models}
    for _ in range(args.rounds):
        for name in models:  # alternate, so changes in machine load hit both alike
            start = time.perf_counter()
            for _ in range(args.steps):
                step(name)
            times[name].append((time.perf_counter() - start) / args.steps)
    rows: dict[str, dict] = {
        name: {
            "graphs_per_s": batch.num_graphs / statistics.median(times[name]),
            "step_s_median": statistics.median(times[name]),
            "saved_activation_mb": saved_bytes(lambda n=name: step(n)) / 2**20,
            "parameters": sum(p.numel() for p in models[name].parameters()),
        }
        for name in models
    }
    rows["batch"] = {
        "graphs": batch.num_graphs,
        "max_nodes": max(g.num_nodes for g in graphs),
        "edges": batch.num_edges,
    }
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=list(FAMILIES))
    parser.add_argument("--convert", type=int, default=20, help="networks per family")
    parser.add_argument("--train-families", nargs="+", default=["mlp", "cnn"])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--layers", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3, help="steps per model per round")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/gmn_speed.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    conversion = {family: conversion_rate(family, args.convert) for family in args.families}
    for family, row in conversion.items():
        print(
            f"convert {family:7s} {row['networks_per_s']:8.1f} networks/s "
            f"({row['mean_nodes']:.0f} nodes, {row['mean_edges']:.0f} edges)"
        )

    training = {family: training_rates(family, args) for family in args.train_families}
    for family, rows in training.items():
        for name in ("gmn_sparse", "dense_neural_graph"):
            row = rows[name]
            print(
                f"train {family:7s} {name:19s} {row['graphs_per_s']:7.1f} graphs/s "
                f"{row['saved_activation_mb']:8.1f} MB saved for backward"
            )

    result = {
        "threads": args.threads,
        "torch": torch.__version__,
        "settings": {k: v for k, v in vars(args).items() if k != "out"} | {"out": str(args.out)},
        "conversion": conversion,
        "training": training,
    }
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
