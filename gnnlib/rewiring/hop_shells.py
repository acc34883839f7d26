"""Hop shells: for every node, the nodes at shortest-path distance exactly ``k``.

DRew's layer ``t`` sends messages along the ``k``-hop shells for ``k = 1 .. t + 1``
(Gutteridge et al., ICML 2023). The shells are a property of the graph alone, so they are
computed once, ahead of training, as a ``pre_transform`` cached with the processed data.

Conventions:

* An edge ``j -> i`` is a column ``(j, i)`` of ``edge_index`` (row 0 = source, row 1 =
  target), as everywhere in PyG. The ``k``-hop shell holds the pair ``(j, i)`` when the
  shortest *directed* path from ``j`` to ``i`` has ``k`` edges, so a hop-``k`` message
  travels the way a ``k``-step walk along the edges would. Undirected graphs store both
  directions of every edge and get symmetric shells.
* Distance 0 (a node to itself) is in no shell: self-loops of the input are ignored.
  Duplicate edges give one pair. Nodes of different connected components are at
  infinite distance and never paired.
* Hop 1 is read from the graph's own ``edge_index`` (:func:`hop_edge_index`), so edge
  features stay aligned with it; the transform stores hops ``2 .. K`` only, one attribute
  ``hop{k}_edge_index`` per hop. PyG batches any attribute whose name contains
  ``index`` by offsetting it with the graph's node count and concatenating along the
  last dimension, so after batching a layer still selects hop ``k`` with one attribute
  look-up: no mask over all pairs, no scan.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from gnnlib.nn.adjacency import Adjacency, row_pointers


def hop_shells(edge_index: Tensor, num_nodes: int, max_hops: int) -> list[Tensor]:
    r"""The pairs at shortest-path distance ``1, 2, ..., max_hops``, by frontier expansion.

    All sources expand at once: the frontier at distance :math:`k` is a set of pairs
    :math:`(s, u)` with :math:`d(s, u) = k`; following every out-edge :math:`u \to v`
    gives candidates :math:`(s, v)`, of which those not reached before form the
    frontier at :math:`k + 1`. Work and memory are proportional to the number of pairs
    within ``max_hops`` times the degree, never to :math:`N^2` (no dense matrix powers).

    Args:
        edge_index: ``[2, E]`` directed edges ``source -> target``.
        num_nodes: ``N``.
        max_hops: ``K >= 1``.

    Returns:
        ``K`` tensors ``[2, E_k]`` of pairs ``(source, target)``, each sorted by source then
        target (an empty ``[2, 0]`` once the graph's eccentricities are exceeded).
    """
    if max_hops < 1:
        raise ValueError(f"max_hops must be at least 1, got {max_hops}")
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"edge_index must have shape [2, E], got {tuple(edge_index.shape)}")
    device = edge_index.device
    source, target = edge_index.long()
    keep = source != target
    # Out-neighbours of every node as CSR, sorted by (source, target); pairs are encoded
    # as one integer s * N + v so that "already reached" is a search in sorted codes.
    codes = torch.unique(source[keep] * num_nodes + target[keep])
    out_source, out_target = codes // num_nodes, codes % num_nodes
    out_ptr = row_pointers(out_source, num_nodes)
    out_degree = out_ptr.diff()

    # On a symmetric graph a neighbour of a node at distance k from s is at distance k - 1,
    # k or k + 1 from s, so only the last two shells can be met again; a directed graph
    # needs every pair reached so far.
    symmetric = torch.equal(torch.unique(out_target * num_nodes + out_source), codes)
    shells = [torch.stack([out_source, out_target])]
    # Sorting dominates; int32 codes sort about twice as fast, when 2 N^2 fits in them.
    dtype = torch.int32 if 2 * num_nodes * num_nodes < 2**31 else torch.int64
    codes, out_source, out_target = codes.to(dtype), out_source.to(dtype), out_target.to(dtype)
    previous = torch.arange(num_nodes, device=device, dtype=dtype) * (num_nodes + 1)  # d = 0
    reached = previous
    frontier, frontier_source, via = codes, out_source, out_target
    for _ in range(max_hops - 1):
        if frontier.numel() == 0:
            shells.append(torch.empty(2, 0, dtype=torch.long, device=device))
            continue
        if symmetric:
            known = torch.cat([previous, frontier])
        else:
            reached = torch.cat([reached, frontier])
            known = reached
        # Every frontier pair (s, u) is repeated once per out-edge u -> v; copy c of
        # pair p reads out_target[out_ptr[u] + c], i.e. at its overall position plus
        # out_ptr[u] minus the number of copies made before pair p.
        counts = out_degree[via.long()]
        total = int(counts.sum())
        shift = out_ptr[via.long()] - (torch.cumsum(counts, 0) - counts)
        gather = torch.arange(total, device=device) + torch.repeat_interleave(
            shift, counts, output_size=total
        )
        base = torch.repeat_interleave(frontier_source * num_nodes, counts, output_size=total)
        previous, frontier = frontier, _new_codes(base + out_target[gather], known)
        frontier_source, via = frontier // num_nodes, frontier % num_nodes
        shells.append(torch.stack([frontier_source, via]).long())
    return shells


def _new_codes(candidates: Tensor, known: Tensor) -> Tensor:
    """The distinct ``candidates`` not in ``known``, sorted: one sort of both, each code
    tagged in its lowest bit (known 0, candidate 1) so a known code sorts first in its
    run; a run's first entry then says whether the code is new."""
    keys = torch.sort(torch.cat([known << 1, (candidates << 1) | 1])).values
    codes = keys >> 1
    first = torch.ones_like(keys, dtype=torch.bool)
    first[1:] = codes[1:] != codes[:-1]
    return codes[first & (keys & 1).bool()]


def add_hop_shells(graphs: list[Data], max_hops: int, chunk_size: int = 128) -> list[Data]:
    """:class:`HopShells` on many graphs at once: chunks of ``chunk_size`` graphs are
    expanded as one disjoint union (one frontier expansion per chunk instead of per
    graph: about 3x faster on Peptides-func; larger chunks sort longer arrays and gain
    nothing), then split back. The graphs are modified in place and returned."""
    for first in range(0, len(graphs), chunk_size):
        chunk = graphs[first : first + chunk_size]
        sizes = torch.tensor([g.num_nodes for g in chunk])
        offsets = torch.cumsum(sizes, 0) - sizes
        edge_index = torch.cat([g.edge_index + o for g, o in zip(chunk, offsets.tolist())], 1)
        graph_of_node = torch.repeat_interleave(torch.arange(len(chunk)), sizes)
        shells = hop_shells(edge_index, int(sizes.sum()), max_hops)
        for hop, pairs in enumerate(shells[1:], start=2):
            # pairs are sorted by source, and a graph's nodes are contiguous: split by count
            graph_of_pair = graph_of_node[pairs[0]]
            counts = torch.bincount(graph_of_pair, minlength=len(chunk)).tolist()
            for g, part, offset in zip(chunk, pairs.split(counts, dim=1), offsets.tolist()):
                g[f"hop{hop}_edge_index"] = part - offset
    return graphs


def hop_edge_index(data: Data, hop: int) -> Tensor:
    """The ``[2, E_hop]`` pairs of shell ``hop`` of a graph or batch made by
    :class:`HopShells`: hop 1 is ``edge_index``, hop ``k >= 2`` the stored shell."""
    if hop == 1:
        return data.edge_index
    name = f"hop{hop}_edge_index"
    if name not in data:
        raise KeyError(
            f"the data has no {name!r}: apply HopShells(max_hops >= {hop}) as its "
            "pre_transform (the model reads more hops than were precomputed)"
        )
    return data[name]


class HopGraph:
    """The shells of one graph or batch as :class:`~gnnlib.nn.adjacency.Adjacency`
    objects, built on first use and shared by every layer of a forward pass (a GCN
    normalisation of hop ``k`` is computed once, not once per layer reading it).

    Args:
        data: a ``Data`` or ``Batch`` carrying ``edge_index`` and ``hop{k}_edge_index``.
        num_nodes: ``N``, the node count of ``data``.
    """

    def __init__(self, data: Data, num_nodes: int) -> None:
        self.data = data
        self.num_nodes = num_nodes
        self._adjacency: dict[int, Adjacency] = {}

    def adjacency(self, hop: int) -> Adjacency:
        if hop not in self._adjacency:
            pairs = hop_edge_index(self.data, hop)
            self._adjacency[hop] = Adjacency(pairs, num_nodes=self.num_nodes)
        return self._adjacency[hop]


class HopShells(BaseTransform):
    r"""Store the ``k``-hop shells, ``k = 2 .. max_hops``, as ``hop{k}_edge_index``.

    Pairs follow :func:`hop_shells` (directed distances, self-loops and duplicates
    ignored, components never joined). ``edge_index`` and ``edge_attr`` are left as they
    are: unlike the official code, which overwrites bond features with the hop number,
    hop 1 keeps its edge features.

    Args:
        max_hops: the largest shell stored, ``K``; a model reads hops up to its number of
            layers (capped by its own ``max_hops``).
    """

    def __init__(self, max_hops: int) -> None:
        if max_hops < 1:
            raise ValueError(f"max_hops must be at least 1, got {max_hops}")
        self.max_hops = max_hops

    def forward(self, data: Data) -> Data:
        shells = hop_shells(data.edge_index, data.num_nodes, self.max_hops)
        for hop, pairs in enumerate(shells[1:], start=2):
            data[f"hop{hop}_edge_index"] = pairs
        return data

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(max_hops={self.max_hops})"
