"""GraphSAGE's neighbour-sampled training batches and layer-wise full-neighbour inference.

PyG's ``NeighborLoader`` needs ``pyg-lib`` or ``torch-sparse``, which gnnlib does not
require, so the sampler is written here on the CSR adjacency the core already builds:
a few vectorised tensor operations per hop, no Python loop over nodes.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gnnlib.nn import Encoder
from gnnlib.nn.adjacency import sparse_csr


def sample_neighbors(
    adj_t: Tensor, nodes: Tensor, fanout: int, generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """Up to ``fanout`` in-neighbours of each of ``nodes``, drawn without replacement.

    Args:
        adj_t: ``torch.sparse_csr`` ``[N, N]`` in transposed layout (rows are targets).
        nodes: ``[B]`` target nodes.
        fanout: neighbours per node; a node with fewer keeps them all; ``-1`` takes
            every neighbour without drawing (the full neighbourhood).

    Returns:
        ``(sources, targets)``, ``[E]`` each: the sampled edges ``source -> target``.
    """
    crow, col = adj_t.crow_indices(), adj_t.col_indices()
    starts = crow[nodes]
    degrees = crow[nodes + 1] - starts
    total = int(degrees.sum())
    arange = torch.arange(max(total, nodes.numel()), device=nodes.device)
    segment = torch.repeat_interleave(arange[: nodes.numel()], degrees, output_size=total)
    segment_start = torch.repeat_interleave(torch.cumsum(degrees, 0) - degrees, degrees)
    entry = starts[segment] + arange[:total] - segment_start
    if fanout < 0:
        return col[entry], nodes[segment]
    # A random order inside every node's neighbour list: sort by a random key, then
    # (stably) by node; the first `fanout` of each node's run are its sample.
    order = torch.argsort(torch.rand(total, generator=generator, device=nodes.device))
    order = order[torch.argsort(segment[order], stable=True)]
    rank = arange[:total] - segment_start
    chosen = order[rank < fanout]
    return col[entry[chosen]], nodes[segment[chosen]]


def sample_subgraph(
    adj_t: Tensor, seeds: Tensor, fanouts: list[int], generator: torch.Generator | None = None
) -> tuple[Tensor, Tensor]:
    """The sampled computation graph of ``seeds`` for a ``len(fanouts)``-layer GNN.

    Hop ``k`` samples ``fanouts[k]`` neighbours of every node reached at hop ``k - 1``
    (hop 0: the seeds), as GraphSAGE's minibatch training does; fan-outs of ``-1``
    fetch the full ``len(fanouts)``-hop neighbourhood. The cost depends on the size of
    the sampled graph only, not on the size of the whole graph.

    Args:
        seeds: ``[B]`` distinct target nodes.

    Returns:
        ``(n_id, edge_index)``: ``n_id`` ``[n]`` the nodes (the seeds first, in order)
        and ``edge_index`` ``[2, E]`` the sampled edges in ``n_id``'s local numbering.
        A GNN run on ``(x[n_id], edge_index)`` gives the seeds' outputs in its first
        ``len(seeds)`` rows.
    """
    frontier, sources, targets = seeds, [], []
    for fanout in fanouts:
        source, target = sample_neighbors(adj_t, frontier, fanout, generator)
        sources.append(source)
        targets.append(target)
        frontier = source.unique()
    source, target = torch.cat(sources), torch.cat(targets)
    n_id, local = _first_seen_order(torch.cat([seeds, source, target]))
    local_source = local[seeds.numel() : seeds.numel() + source.numel()]
    return n_id, torch.stack([local_source, local[seeds.numel() + source.numel() :]])


def _first_seen_order(nodes: Tensor) -> tuple[Tensor, Tensor]:
    """The distinct ``nodes`` in order of first appearance, and each entry's index in it."""
    unique, inverse = torch.unique(nodes, return_inverse=True)
    positions = torch.arange(nodes.numel(), device=nodes.device)
    first = torch.full((unique.numel(),), nodes.numel(), device=nodes.device)
    first.scatter_reduce_(0, inverse, positions, reduce="amin")
    order = first.argsort()
    rank = torch.empty_like(order)
    rank[order] = torch.arange(order.numel(), device=nodes.device)
    return unique[order], rank[inverse]


@torch.no_grad()
def layerwise_inference(encoder: Encoder, x: Tensor, adj_t: Tensor, batch_size: int) -> Tensor:
    """All nodes' outputs of a SAGE ``encoder`` with full neighbourhoods, layer by layer.

    Every layer is computed for all nodes, ``batch_size`` target rows of ``adj_t`` at a
    time, before the next layer starts: each node's hidden state is computed once,
    instead of once per node whose receptive field holds it, so the cost is linear in
    the number of edges however deep the encoder (the GLNN / DGL SAGE inference).

    Args:
        encoder: an eval-mode :class:`~gnnlib.nn.Encoder` of ``sage`` convs with
            ``jk='last'`` and no residuals.
        x: ``[N, F]`` node features.
        adj_t: ``torch.sparse_csr`` ``[N, N]``, rows are targets.
        batch_size: target nodes per step.
    """
    if encoder.spec.name != "sage" or encoder.jk != "last" or encoder.residual:
        raise ValueError(
            "layerwise_inference supports sage encoders with jk='last' and no residuals, "
            f"got {encoder!r} (residual={encoder.residual})"
        )
    if encoder.training:
        raise ValueError("layerwise_inference needs an encoder in eval mode (call .eval())")
    crow, col, value = adj_t.crow_indices(), adj_t.col_indices(), adj_t.values()
    num_nodes = adj_t.size(0)
    for layer, conv in enumerate(encoder.convs):
        chunks = []
        for start in range(0, num_nodes, batch_size):
            end = min(start + batch_size, num_nodes)
            first, last = int(crow[start]), int(crow[end])
            rows = sparse_csr(
                crow[start : end + 1] - first,
                col[first:last],
                value[first:last],
                (end - start, num_nodes),
            )
            out = conv((x, x[start:end]), rows)
            if not (encoder.plain_last and layer == encoder.num_layers - 1):
                out = encoder.act(encoder.norms[layer](out))
            chunks.append(out)
        x = torch.cat(chunks)
    return x
