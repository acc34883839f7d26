"""GraphSAGE's neighbour-sampled training batches and layer-wise full-neighbour inference.

PyG's ``NeighborLoader`` needs ``pyg-lib`` or ``torch-sparse``, which gnnlib does not
require, so the sampler is written here on the CSR adjacency the core already builds:
a few vectorised tensor operations per hop, no Python loop over nodes.
"""

from __future__ import annotations

import torch
from torch import Tensor

from gnnlib.nn import Encoder
from gnnlib.nn.adjacency import csr_row_entries, row_pointers, sparse_csr


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
        ``(sources, rows)``, ``[E]`` each: the drawn in-neighbours and, for each, the
        position of its target in ``nodes``; sorted by ``rows``.
    """
    crow, col = adj_t.crow_indices(), adj_t.col_indices()
    entry, segment = csr_row_entries(crow, nodes)
    if fanout < 0:
        return col[entry], segment
    # A random order inside every node's neighbour list: sort by a random key, then
    # (stably) by node; the first `fanout` of each node's run are its sample.
    total = entry.numel()
    order = torch.argsort(torch.rand(total, generator=generator, device=nodes.device))
    order = order[torch.argsort(segment[order], stable=True)]
    rank = entry - crow[nodes][segment]  # each entry's place in its node's list
    chosen = order[rank < fanout]
    return col[entry[chosen]], segment[chosen]


def sample_blocks(
    adj_t: Tensor, seeds: Tensor, fanouts: list[int], generator: torch.Generator | None = None
) -> tuple[Tensor, list[Tensor]]:
    """The sampled computation graph of ``seeds`` for a ``len(fanouts)``-layer GNN, one
    bipartite block per layer, as DGL's ``MultiLayerNeighborSampler`` builds it.

    Built from the output back: the last layer's targets are the seeds; layer ``k``
    draws ``fanouts[k]`` in-neighbours of each of its targets (``-1``: all of them), and
    its sources are its targets followed by the nodes newly reached, which are in turn
    the targets of layer ``k - 1``. Every node, a seed included, gets each layer's state
    from a draw of its own, and a layer computes states only for the nodes the next
    layer reads; with fan-outs of ``-1`` the seeds' outputs are exactly those of the
    whole graph. The cost depends on the size of the sampled graph only.

    Args:
        seeds: ``[B]`` distinct target nodes.

    Returns:
        ``(n_id, blocks)``: ``n_id`` ``[n]`` the input nodes (the seeds first) and
        ``blocks[k]`` layer ``k``'s ``torch.sparse_csr`` ``[targets_k, sources_k]`` in
        local numbering (first layer first; ``sources_0`` is ``n_id``, the last
        layer's targets are the seeds, and every layer's targets are the first rows of
        its sources). :func:`sampled_forward` on ``(x[n_id], blocks)`` gives the seeds'
        outputs.
    """
    targets, blocks = seeds, []
    for fanout in reversed(fanouts):
        source, rows = sample_neighbors(adj_t, targets, fanout, generator)
        sources, local = _first_seen_order(torch.cat([targets, source]))
        crow = row_pointers(rows, targets.numel())
        col = local[targets.numel() :]
        value = torch.ones(col.numel(), dtype=adj_t.values().dtype, device=seeds.device)
        blocks.append(sparse_csr(crow, col, value, (targets.numel(), sources.numel())))
        targets = sources
    return targets, blocks[::-1]


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


def sampled_forward(encoder: Encoder, x: Tensor, blocks: list[Tensor]) -> Tensor:
    """A SAGE ``encoder`` on :func:`sample_blocks`'s blocks: layer ``k`` maps its
    sources' states to its targets' (norm, activation and dropout as in
    ``encoder.forward``), so the result holds the seeds' outputs, ``[B, out]``.

    Args:
        encoder: an :class:`~gnnlib.nn.Encoder` of ``sage`` convs with ``jk='last'`` and
            no residuals, in train or eval mode.
        x: ``[n, F]`` features of the blocks' input nodes (``x[n_id]``).
    """
    _check_layerwise(encoder)
    if len(blocks) != encoder.num_layers:
        raise ValueError(f"{len(blocks)} blocks for an encoder of {encoder.num_layers} layers")
    for layer, block in enumerate(blocks):
        x = encoder.finish_layer(encoder.convs[layer]((x, x[: block.size(0)]), block), layer)
    return x


def _check_layerwise(encoder: Encoder) -> None:
    """Layer-by-layer evaluation on other adjacencies than the encoder's own holds for a
    plain stack of sage convs only: no residuals, no jumping knowledge."""
    if encoder.spec.name != "sage" or encoder.jk != "last" or encoder.residual:
        raise ValueError(
            "sampled SAGE training and layer-wise inference support sage encoders with "
            f"jk='last' and no residuals, got {encoder!r} (residual={encoder.residual})"
        )


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
    _check_layerwise(encoder)
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
            chunks.append(encoder.finish_layer(conv((x, x[start:end]), rows), layer))
        x = torch.cat(chunks)
    return x
