"""The classic link-prediction graphs distributed with SEAL as MATLAB ``.mat`` files.

USAir, NS, PB, Yeast, Celegans, Power, Router and Ecoli (Zhang & Chen, NeurIPS 2018,
Table 1). Each file holds one variable, ``net``: a symmetric sparse adjacency matrix
with no self-loops and no node features. There is no stored split; SEAL samples one
at run time (see :func:`gnnlib.data.splits.random_link_split`).
"""

from __future__ import annotations

import scipy.io
from torch_geometric.data import Data
from torch_geometric.utils import from_scipy_sparse_matrix, remove_self_loops, to_undirected

from gnnlib.data.single_file import SingleFileDataset

__all__ = ["SEALDataset"]


class SEALDataset(SingleFileDataset):
    """One SEAL graph as a single ``Data(edge_index, num_nodes)`` with ``x=None``.

    ``edge_index`` holds both directions of every undirected edge, without self-loops
    and coalesced, like PyG's own undirected datasets.

    Args:
        root: folder holding ``<name>.mat`` (all eight graphs share it); the processed
            file goes to ``<root>/<name>/processed/data.pt``.
        name: ``'USAir'``, ``'NS'``, ``'PB'``, ``'Yeast'``, ``'Celegans'``, ``'Power'``,
            ``'Router'`` or ``'Ecoli'``.
        transform, pre_transform, force_reload: as for every PyG ``InMemoryDataset``.
    """

    url = "https://github.com/muhanzhang/SEAL/raw/master/Python/data"
    names = ("USAir", "NS", "PB", "Yeast", "Celegans", "Power", "Router", "Ecoli")
    suffix = ".mat"

    def process(self) -> None:
        net = scipy.io.loadmat(self.raw_paths[0])["net"]
        num_nodes = net.shape[0]
        edge_index, _ = remove_self_loops(from_scipy_sparse_matrix(net)[0])
        data = Data(edge_index=to_undirected(edge_index, num_nodes=num_nodes), num_nodes=num_nodes)
        if self.pre_transform is not None:
            data = self.pre_transform(data)
        self.save([data], self.processed_paths[0])
