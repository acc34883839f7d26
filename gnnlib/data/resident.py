"""Mini-batches of small graphs gathered on the device from one resident copy.

PyG's ``DataLoader`` collates every batch on the CPU: it takes the graphs one by one,
concatenates their tensors and offsets their index tensors, then the batch is copied to
the device. On Peptides-func with DRew's hop shells that collation takes 1.3-2.3 s of
CPU per training epoch (seven ``hop{k}_edge_index`` sets per graph), time a GPU spends
waiting when the CPU is the scarce resource (``benchmarks/graph_batching.py``).
:class:`ResidentGraphLoader` collates the graphs once, keeps the result on the device,
and gathers a batch there with a few vectorised index operations.

It yields the same batches as ``DataLoader(graphs, batch_size, shuffle)`` in the same
order: the batch indices are drawn by a ``torch.utils.data.DataLoader`` over the graph
positions, which consumes the random number generator exactly as PyG's loader does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import torch
from torch import Tensor
from torch_geometric.data import Batch, Data, InMemoryDataset


def _exclusive_cumsum(counts: Tensor) -> Tensor:
    return torch.cumsum(counts, 0) - counts


class ResidentGraphLoader:
    """Batches of ``graphs`` gathered on ``device``, as PyG's ``DataLoader`` makes them.

    Every graph must carry the same tensor attributes. Attributes whose name contains
    ``index`` (``edge_index``, ``hop{k}_edge_index``, ...) are node indices and are
    offset per graph, as PyG does; every other attribute is concatenated along PyG's
    concatenation dimension (``Data.__cat_dim__``).

    Args:
        graphs: a sequence of ``Data`` (a list, or a PyG dataset or its index view).
        batch_size: graphs per batch; the last batch may be smaller.
        shuffle: draw a new order every epoch (from torch's global generator).
        device: where the graphs are kept and the batches are built.

    Memory: one collated copy of all graphs on ``device``.
    """

    def __init__(
        self,
        graphs: Sequence[Data],
        batch_size: int,
        shuffle: bool = False,
        device: torch.device | str = "cpu",
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        graphs = [graphs[i] for i in range(len(graphs))]
        if not graphs:
            raise ValueError("ResidentGraphLoader needs at least one graph")
        self.device = torch.device(device)
        self.batch_size = batch_size
        first = graphs[0]
        keys = sorted(first.keys())
        for position, graph in enumerate(graphs):
            if sorted(graph.keys()) != keys:
                raise ValueError(
                    f"graph {position} has attributes {sorted(graph.keys())}, graph 0 has "
                    f"{keys}: every graph must carry the same attributes"
                )
        # num_nodes is kept by PyG as a count, not a tensor: the batch gets the sum
        self.explicit_num_nodes = "num_nodes" in keys
        self.keys = [key for key in keys if key != "num_nodes"]
        self.indexes: set[str] = set()  # node indices, offset per graph when batched
        for key in self.keys:
            if not isinstance(first[key], Tensor):
                raise TypeError(
                    f"attribute {key!r} is a {type(first[key]).__name__}, not a tensor; "
                    "ResidentGraphLoader batches tensor attributes only"
                )
            increment = first.__inc__(key, first[key])
            if not (isinstance(increment, int) and increment in (0, first.num_nodes)):
                raise ValueError(
                    f"attribute {key!r} is incremented by {increment!r} when batched; "
                    "ResidentGraphLoader knows node-index offsets (PyG's `*index*` "
                    "attributes) and unincremented attributes only"
                )
            if increment != 0:
                self.indexes.add(key)
        self.node_counts = torch.tensor([graph.num_nodes for graph in graphs])
        store, slices = InMemoryDataset.collate(graphs)
        self.values: dict[str, Tensor] = {}
        self.cat_dims: dict[str, int] = {}
        self.slices: dict[str, Tensor] = {}  # on the CPU: batch sizes are read there
        for key in self.keys:
            value = store[key]
            self.values[key] = value.to(self.device)
            self.cat_dims[key] = first.__cat_dim__(key, first[key]) % max(value.dim(), 1)
            self.slices[key] = slices[key]
        self.device_slices = {key: s.to(self.device) for key, s in self.slices.items()}
        self.device_node_counts = self.node_counts.to(self.device)
        # Draws batch positions as PyG's DataLoader draws batches of graphs: same sampler,
        # same consumption of the global generator, hence the same order for a seed.
        self.positions = torch.utils.data.DataLoader(
            range(len(graphs)), batch_size=batch_size, shuffle=shuffle, collate_fn=torch.tensor
        )

    def __len__(self) -> int:
        return len(self.positions)

    def __iter__(self) -> Iterator[Batch]:
        for positions in self.positions:
            yield self.batch(positions)

    def batch(self, positions: Tensor) -> Batch:
        """The ``Batch`` of the graphs at ``positions`` (a CPU ``long`` tensor), built on
        the device."""
        on_device = positions.to(self.device)
        node_counts = self.device_node_counts[on_device]
        num_nodes = int(self.node_counts[positions].sum())
        node_offsets = _exclusive_cumsum(node_counts)
        batch = Batch()
        for key in self.keys:
            cpu_slices = self.slices[key]
            total = int((cpu_slices[positions + 1] - cpu_slices[positions]).sum())
            starts = self.device_slices[key][on_device]
            counts = self.device_slices[key][on_device + 1] - starts
            # entry j of graph g sits at starts[g] + j in the collated store
            shift = torch.repeat_interleave(
                starts - _exclusive_cumsum(counts), counts, 0, output_size=total
            )
            gather = shift + torch.arange(total, device=self.device)
            value = self.values[key].index_select(self.cat_dims[key], gather)
            if key in self.indexes:
                value = value + torch.repeat_interleave(node_offsets, counts, 0, output_size=total)
            batch[key] = value
        graphs = torch.arange(len(positions), device=self.device)
        batch.batch = torch.repeat_interleave(graphs, node_counts, 0, output_size=num_nodes)
        batch.ptr = torch.cat([node_offsets, node_counts.sum().view(1)])
        if self.explicit_num_nodes:
            batch.num_nodes = num_nodes
        return batch
