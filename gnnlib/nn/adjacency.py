"""One graph, every adjacency form the convolutions need.

A user hands an encoder ``edge_index`` (``[2, E]``, row 0 = source, row 1 = target), a
PyG ``EdgeIndex``, or a ``torch.sparse_csr`` adjacency in PyG's transposed layout
(``adj_t[i, j] != 0`` means an edge ``j -> i``: rows are targets). :class:`Adjacency`
converts that input once per forward pass and hands each conv the form it is fastest
with: linear aggregations (GCN, SAGE, GIN, parameter-free propagation) run as a sparse
CSR matrix product, which measured 2-4x faster than scatter over ``edge_index`` on a
2-core CPU (``benchmarks/adjacency_forms.py``); per-edge convs (GAT, GINE, GatedGCN) need
the edge list itself.

Conventions kept identical across forms, so an encoder gives the same output whichever
form it was given:

* duplicate edges count as many times as they occur (a CSR input may carry them as
  repeated entries or as a summed value);
* ``edge_attr`` rows follow ``edge_index`` columns; for a CSR input they follow its stored
  entry order (target-major), which is the order of :attr:`Adjacency.edge_index`;
* GCN normalisation adds *remaining* self-loops, exactly as PyG's ``gcn_norm`` does on
  ``edge_index``: existing self-loops are replaced by one loop per node that keeps the
  weight of the node's last existing loop (or ``fill_value``).
"""

from __future__ import annotations

import warnings
from typing import Union

import torch
from torch import Tensor

AdjacencyInput = Union[Tensor, "Adjacency"]


class Adjacency:
    r"""A graph's adjacency, converted lazily between forms and cached per instance.

    Args:
        adj: ``edge_index`` ``[2, E]`` (int64), a PyG ``EdgeIndex``, or a square
            ``torch.sparse_csr`` / ``torch.sparse_coo`` tensor in transposed layout
            (rows are targets).
        num_nodes: number of nodes ``N``; required for ``edge_index`` input when the
            highest-numbered nodes may be isolated (else inferred as ``max + 1``).
        edge_weight: optional ``[E]`` weights for ``edge_index`` input; a sparse
            input carries its weights as values.
    """

    def __init__(
        self,
        adj: Tensor,
        num_nodes: int | None = None,
        edge_weight: Tensor | None = None,
    ) -> None:
        self._csr: Tensor | None = None
        self._unweighted_csr: Tensor | None = None
        self._gcn: dict[tuple[bool, float], Tensor] = {}
        if isinstance(adj, Tensor) and adj.layout in (torch.sparse_csr, torch.sparse_coo):
            if edge_weight is not None:
                raise ValueError(
                    "edge_weight must be None for a sparse adjacency: its values are the "
                    "edge weights"
                )
            if adj.dim() != 2 or adj.size(0) != adj.size(1):
                raise ValueError(
                    f"a sparse adjacency must be square [N, N], got shape {tuple(adj.shape)}"
                )
            csr = adj.to_sparse_csr() if adj.layout == torch.sparse_coo else adj
            if num_nodes is not None and num_nodes != csr.size(0):
                raise ValueError(
                    f"num_nodes={num_nodes} does not match the sparse adjacency's size "
                    f"{csr.size(0)}"
                )
            self.num_nodes = csr.size(0)
            crow, col = csr.crow_indices(), csr.col_indices()
            row = csr_entry_rows(crow)
            self.edge_index = torch.stack([col, row])
            values = csr.values()
            if not values.is_floating_point():
                values = values.float()
                csr = sparse_csr(crow, col, values, tuple(csr.shape))
            self.edge_weight = None if _all_ones(values) else values
            self._csr = csr
            return

        if not isinstance(adj, Tensor) or adj.dim() != 2 or adj.size(0) != 2:
            shape = tuple(adj.shape) if isinstance(adj, Tensor) else type(adj).__name__
            raise ValueError(
                "expected edge_index of shape [2, E], a PyG EdgeIndex, or a square "
                f"torch.sparse_csr adjacency; got {shape}"
            )
        if adj.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"edge_index must hold int64 node indices, got {adj.dtype}")
        edge_index = adj.as_tensor() if hasattr(adj, "as_tensor") else adj
        if hasattr(adj, "sparse_size") and num_nodes is None:
            sizes = [s for s in adj.sparse_size() if s is not None]
            num_nodes = max(sizes) if sizes else None
        if num_nodes is None:
            num_nodes = int(edge_index.max()) + 1 if edge_index.numel() else 0
        elif edge_index.numel() and int(edge_index.max()) >= num_nodes:
            raise ValueError(
                f"edge_index refers to node {int(edge_index.max())} but num_nodes={num_nodes}"
            )
        if edge_weight is not None and edge_weight.shape != (edge_index.size(1),):
            raise ValueError(
                f"edge_weight must have shape [E]=[{edge_index.size(1)}], "
                f"got {tuple(edge_weight.shape)}"
            )
        self.num_nodes = num_nodes
        self.edge_index = edge_index.long()
        self.edge_weight = edge_weight

    @property
    def num_edges(self) -> int:
        return self.edge_index.size(1)

    def csr(self, weighted: bool = True) -> Tensor:
        """The transposed adjacency ``A^T`` as ``torch.sparse_csr`` (rows are targets).

        With ``weighted=False`` every stored edge counts 1, for convs that take no edge
        weights (SAGE, GIN), matching what they do on ``edge_index``.
        """
        if self.edge_weight is None or weighted:
            if self._csr is None:
                self._csr = self._build_csr(self.edge_weight)
            return self._csr
        if self._unweighted_csr is None:
            self._unweighted_csr = self._build_csr(None)
        return self._unweighted_csr

    def _build_csr(self, weight: Tensor | None) -> Tensor:
        source, target = self.edge_index
        if weight is None:
            weight = torch.ones(self.num_edges, device=source.device)
        return _csr_from_edges(source, target, weight, self.num_nodes)[0]

    def gcn_csr(self, add_self_loops: bool = True, fill_value: float = 1.0) -> Tensor:
        r"""The GCN-normalised ``\hat D^{-1/2} \hat A^T \hat D^{-1/2}`` as sparse CSR.

        ``\hat A = A + I`` with remaining self-loops (see the module docstring), and
        ``\hat D_{ii} = \sum_j \hat A_{ji}`` the weighted in-degree, as in PyG's
        ``gcn_norm`` with ``flow='source_to_target'``. ``fill_value=2`` is GCN's
        "improved" variant.
        """
        key = (add_self_loops, fill_value)
        if key not in self._gcn:
            self._gcn[key] = _gcn_normalize(self.csr(), add_self_loops, fill_value)
        return self._gcn[key]


def as_adjacency(
    adj: AdjacencyInput,
    num_nodes: int | None = None,
    edge_weight: Tensor | None = None,
) -> Adjacency:
    """Wrap ``adj`` in an :class:`Adjacency` unless it already is one."""
    if isinstance(adj, Adjacency):
        if edge_weight is not None:
            raise ValueError("pass edge_weight when building the Adjacency, not with it")
        return adj
    return Adjacency(adj, num_nodes=num_nodes, edge_weight=edge_weight)


def _all_ones(values: Tensor) -> bool:
    return bool((values == 1).all()) if values.numel() else True


def to_csr(
    edge_index: Tensor,
    num_nodes: int | None = None,
    edge_weight: Tensor | None = None,
    edge_attr: Tensor | None = None,
) -> tuple[Tensor, Tensor | None]:
    """Convert ``edge_index`` once, ahead of training, into the CSR form encoders read
    fastest, with ``edge_attr`` reordered to the CSR's entry order.

    Returns ``(adj_t, edge_attr)``: ``adj_t`` is ``torch.sparse_csr`` ``[N, N]`` with rows
    as targets and ``edge_weight`` (or ones) as values.
    """
    adjacency = Adjacency(edge_index, num_nodes=num_nodes, edge_weight=edge_weight)
    source, target = adjacency.edge_index
    weight = edge_weight if edge_weight is not None else torch.ones(source.numel())
    csr, order = _csr_from_edges(source, target, weight.to(source.device), adjacency.num_nodes)
    return csr, None if edge_attr is None else edge_attr[order]


def select_csr_entries(adj: Tensor, keep: Tensor, scale: float | Tensor = 1.0) -> Tensor:
    """The sparse CSR ``adj`` with only the entries where ``keep`` (``[nnz]`` bool) is set,
    their values multiplied by ``scale`` (a number, or ``[nnz]`` per-entry factors); rows
    stay sorted, nothing is re-sorted."""
    crow, col, value = adj.crow_indices(), adj.col_indices(), adj.values()
    if isinstance(scale, Tensor):
        scale = scale[keep]
    new_crow = row_pointers(csr_entry_rows(crow)[keep], adj.size(0))
    return sparse_csr(new_crow, col[keep], value[keep] * scale, tuple(adj.shape))


def csr_entry_rows(crow: Tensor) -> Tensor:
    """The row of every stored entry of a CSR matrix with row pointers ``crow``."""
    rows = torch.arange(crow.numel() - 1, device=crow.device)
    # output_size spares repeat_interleave a pass over the counts.
    return torch.repeat_interleave(rows, crow.diff(), output_size=int(crow[-1]))


def csr_row_entries(crow: Tensor, rows: Tensor) -> tuple[Tensor, Tensor]:
    """The stored entries of ``rows`` of a CSR matrix with row pointers ``crow``:
    ``(entry, segment)``, each entry's index into the column / value arrays and the
    position of its row in ``rows``, in row order. Vectorised, no loop over rows."""
    starts = crow[rows]
    counts = crow[rows + 1] - starts
    total = int(counts.sum())
    segment = torch.repeat_interleave(
        torch.arange(rows.numel(), device=rows.device), counts, output_size=total
    )
    segment_start = torch.repeat_interleave(torch.cumsum(counts, 0) - counts, counts)
    entry = starts[segment] + torch.arange(total, device=rows.device) - segment_start
    return entry, segment


def row_pointers(row: Tensor, num_rows: int) -> Tensor:
    """CSR row pointers ``[num_rows + 1]`` of entries whose (sorted) rows are ``row``."""
    crow = torch.zeros(num_rows + 1, dtype=torch.long, device=row.device)
    torch.cumsum(torch.bincount(row, minlength=num_rows), 0, out=crow[1:])
    return crow


def sparse_csr(crow: Tensor, col: Tensor, value: Tensor, size: tuple[int, int]) -> Tensor:
    """``torch.sparse_csr_tensor`` without invariant checks or torch's "beta" warning
    (the CSR products used here are stable; callers build valid pointers)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(crow, col, value, size, check_invariants=False)


def sparse_matmul(adj: Tensor, x: Tensor) -> Tensor:
    r""":math:`\mathbf{A}\mathbf{X}` for a ``torch.sparse_csr`` ``adj`` ``[M, N]`` and a
    dense ``x`` ``[N, F]``, differentiable in ``x``, and in ``adj``'s values where its
    entries are distinct (torch returns no value gradient for a CSR holding an entry
    twice, with either kernel).

    gnnlib's own sum aggregations over a CSR adjacency go through here, and so do the
    registry's ``gcn``, ``gin`` and ``sage`` (:mod:`gnnlib.nn.csr_convs`); PyG's other
    convs keep PyG's ``spmm``. On the CPU it takes torch's reducing kernel
    (``torch.sparse.mm(adj, x, "sum")``), faster than the plain product that ``adj @ x``
    and PyG's ``spmm(..., reduce="sum")`` take, and, where ``adj``'s values need no
    gradient, computes the gradient in ``x`` with :math:`\mathbf{A}^\top` converted to
    CSR once per ``adj`` (:func:`transposed_csr`) instead of at every backward as torch
    does (``benchmarks/sparse_matmul.py`` times the three). That kernel is CPU-only, so
    other devices keep the plain product.
    """
    if adj.layout == torch.sparse_csr and adj.device.type == "cpu" and x.dim() == 2:
        if adj.requires_grad:
            return torch.sparse.mm(adj, x, "sum")
        return _FixedSparseMatmul.apply(adj, x)
    return torch.sparse.mm(adj, x)


def transposed_csr(adj: Tensor) -> Tensor:
    """``adj``'s transpose as ``torch.sparse_csr``, converted on the first call and kept on
    ``adj`` for the next: a graph's adjacency serves every layer and every step, and the
    conversion (a sort of its entries) costs about as much as the product itself.
    ``adj``'s entries must not be changed in place afterwards."""
    cached = getattr(adj, "_gnnlib_transposed_csr", None)
    if cached is None:
        cached = adj.t().to_sparse_csr()
        adj._gnnlib_transposed_csr = cached
    return cached


class _FixedSparseMatmul(torch.autograd.Function):
    """``A X`` with the reducing kernel, for a CSR ``A`` whose values take no gradient:
    the backward is ``A^T G`` with the cached :func:`transposed_csr`."""

    @staticmethod
    def forward(ctx, adj: Tensor, x: Tensor) -> Tensor:
        ctx.adj = adj
        return torch.sparse.mm(adj, x, "sum")

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[None, Tensor]:
        return None, torch.sparse.mm(transposed_csr(ctx.adj), grad, "sum")


def _csr_from_edges(
    source: Tensor, target: Tensor, weight: Tensor, num_nodes: int
) -> tuple[Tensor, Tensor]:
    # A stable sort by (target, source) keeps duplicates as separate entries: torch's
    # CSR products then sum them, which is what scatter over edge_index does.
    order = torch.argsort(target * num_nodes + source, stable=True)
    crow = row_pointers(target[order], num_nodes)
    return sparse_csr(crow, source[order], weight[order], (num_nodes, num_nodes)), order


def _gcn_normalize(adj_t: Tensor, add_self_loops: bool, fill_value: float) -> Tensor:
    num_nodes = adj_t.size(0)
    crow, col, value = adj_t.crow_indices(), adj_t.col_indices(), adj_t.values()
    row = csr_entry_rows(crow)
    if add_self_loops:
        is_loop = row == col
        loop_weight = torch.full((num_nodes,), fill_value, dtype=value.dtype, device=value.device)
        # Assignment with repeated indices keeps the last write, as PyG's
        # add_remaining_self_loops does.
        loop_weight[row[is_loop]] = value[is_loop]
        keep = ~is_loop
        row, col, value = row[keep], col[keep], value[keep]
        kept_per_row = torch.bincount(row, minlength=num_nodes)
        # Insert each node's loop after its row's kept entries: rows stay sorted, no re-sort.
        new_crow = torch.zeros(num_nodes + 1, dtype=torch.long, device=col.device)
        torch.cumsum(kept_per_row + 1, 0, out=new_crow[1:])
        position = torch.arange(row.numel(), device=col.device) + row
        loop_position = new_crow[1:] - 1
        total = row.numel() + num_nodes
        nodes = torch.arange(num_nodes, device=col.device)
        new_col = torch.empty(total, dtype=torch.long, device=col.device)
        new_value = torch.empty(total, dtype=value.dtype, device=value.device)
        new_row = torch.empty(total, dtype=torch.long, device=col.device)
        new_col[position], new_value[position], new_row[position] = col, value, row
        new_col[loop_position], new_value[loop_position], new_row[loop_position] = (
            nodes,
            loop_weight,
            nodes,
        )
        crow, col, value, row = new_crow, new_col, new_value, new_row
    degree = torch.zeros(num_nodes, dtype=value.dtype, device=value.device)
    degree.index_add_(0, row, value)
    inv_sqrt = degree.pow(-0.5)
    inv_sqrt.masked_fill_(torch.isinf(inv_sqrt), 0.0)
    value = inv_sqrt[row] * value * inv_sqrt[col]
    return sparse_csr(crow, col, value, (num_nodes, num_nodes))
