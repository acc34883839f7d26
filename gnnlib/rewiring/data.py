"""Graph-property datasets with hop shells and positional encodings precomputed.

The shells and encodings are computed once, ahead of training, and saved with the
processed dataset, in a cache folder named after the dataset, ``max_hops`` and the
encoding (``<cache root>/drew/<dataset>__hops<K>[__<pe><size>]/``), so datasets with
other settings never overwrite each other and the source dataset's own processed files
are untouched. The shells are computed for chunks of graphs at once rather than by a
per-graph ``pre_transform`` (the same pairs, several times faster on small molecules:
``benchmarks/drew_hops.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch_geometric.data import Data, InMemoryDataset
from torch_geometric.transforms import BaseTransform

from gnnlib.data import cache_root, load
from gnnlib.rewiring.hop_shells import add_hop_shells
from gnnlib.rewiring.positional import LaplacianPE, RandomWalkPE
from gnnlib.rewiring.ring_transfer import ring_transfer

RING_TRANSFER = "RingTransfer"


@dataclass(frozen=True)
class TaskInfo:
    """How a dataset is scored: ``metric`` (``'ap'``, ``'rocauc'``, ``'rmse'``, ``'mae'``,
    ``'acc'``),
    whether larger is better, the loss, and whether node/edge features are OGB's integer
    atom/bond features."""

    metric: str
    mode: str
    loss: str
    categorical: bool


def task_info(name: str) -> TaskInfo:
    """The scoring of dataset ``name``; an unsupported name is an error listing the
    supported ones."""
    if name == RING_TRANSFER:
        return TaskInfo("acc", "max", "cross_entropy", categorical=False)
    if name == "Peptides-func":
        return TaskInfo("ap", "max", "bce", categorical=True)
    if name == "Peptides-struct":  # LRGB trains on the L1 loss it reports (MAE)
        return TaskInfo("mae", "min", "l1", categorical=True)
    if name in ("ogbg-molbace", "ogbg-molbbbp"):
        return TaskInfo("rocauc", "max", "bce", categorical=True)
    if name in ("ogbg-molesol", "ogbg-molfreesolv"):
        return TaskInfo("rmse", "min", "mse", categorical=True)
    raise ValueError(
        f"the DRew task has no scoring for dataset {name!r}; supported: RingTransfer, "
        "Peptides-func, Peptides-struct, ogbg-molbace, ogbg-molbbbp, ogbg-molesol, ogbg-molfreesolv"
    )


def positional_encoding(pe: str, pe_size: int) -> BaseTransform | None:
    """The transform computing ``pe`` (``'lappe'``, ``'rwse'`` or ``'none'``) on the
    original ``edge_index`` (the shells live in separate attributes)."""
    if pe == "lappe":
        return LaplacianPE(pe_size)
    if pe == "rwse":
        return RandomWalkPE(pe_size)
    if pe != "none":
        raise ValueError(f"unknown positional encoding {pe!r}; expected none, lappe or rwse")
    return None


def precompute(graphs: list[Data], max_hops: int, pe: str, pe_size: int) -> list[Data]:
    """Positional encodings per graph, then hop shells ``2..max_hops`` for all graphs in
    chunks (:func:`~gnnlib.rewiring.hop_shells.add_hop_shells`, the same pairs as the
    per-graph :class:`~gnnlib.rewiring.HopShells`, several times faster)."""
    transform = positional_encoding(pe, pe_size)
    if transform is not None:
        graphs = [transform(graph) for graph in graphs]
    return add_hop_shells(graphs, max_hops)


class PrecomputedDataset(InMemoryDataset):
    """Catalogue dataset ``name`` (see :func:`gnnlib.data.load`) with :func:`precompute`
    applied once and cached under ``<cache root>/drew/<name>__hops<K>__<pe><size>/``.

    Args:
        name: catalogue name (``'Peptides-func'``, ``'ogbg-molbace'``, ...).
        max_hops: the largest shell stored.
        pe: ``'none'``, ``'lappe'`` or ``'rwse'``; ``pe_size`` eigenvectors or steps.
    """

    def __init__(self, name: str, max_hops: int, pe: str = "none", pe_size: int = 10) -> None:
        self.name, self.max_hops, self.pe, self.pe_size = name, max_hops, pe, pe_size
        tag = f"hops{max_hops}" + (f"__{pe}{pe_size}" if pe != "none" else "")
        super().__init__(str(cache_root() / "drew" / f"{name}__{tag}"))
        self.load(self.processed_paths[0])

    @property
    def raw_file_names(self) -> list[str]:
        return []

    @property
    def processed_file_names(self) -> str:
        return "data.pt"

    def download(self) -> None:
        """Nothing to download: the source dataset is read through :func:`load`."""

    def process(self) -> None:
        source = load(self.name)
        graphs = [source[i] for i in range(len(source))]
        self.save(precompute(graphs, self.max_hops, self.pe, self.pe_size), self.processed_paths[0])

    def get_idx_split(self) -> dict[str, torch.Tensor]:
        """The source dataset's official split with keys ``train``, ``valid``, ``test``."""
        split = load(self.name).get_idx_split()
        valid = split["valid"] if "valid" in split else split["val"]  # LRGB says 'val'
        return {"train": split["train"], "valid": valid, "test": split["test"]}


def graph_splits(
    name: str,
    max_hops: int,
    pe: str = "none",
    pe_size: int = 10,
    ring_size: int = 10,
    num_rings: int = 2000,
    num_classes: int = 5,
) -> dict[str, list[Data] | InMemoryDataset]:
    """``{'train', 'valid', 'test'}`` graph collections of dataset ``name`` with hop shells
    (and ``pe``) precomputed. RingTransfer is generated (80/10/10 of ``num_rings``, each
    part made as in the official code); every other dataset is loaded and cached by
    :class:`PrecomputedDataset` with its official split."""
    if name == RING_TRANSFER:
        sizes = {"train": num_rings * 8 // 10, "valid": num_rings // 10, "test": num_rings // 10}
        return {
            split: precompute(ring_transfer(size, ring_size, num_classes), max_hops, pe, pe_size)
            for split, size in sizes.items()
        }
    task_info(name)  # refuse unsupported datasets before processing anything
    dataset = PrecomputedDataset(name, max_hops, pe, pe_size)
    return {split: dataset[index] for split, index in dataset.get_idx_split().items()}
