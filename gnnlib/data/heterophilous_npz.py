"""Chameleon and Squirrel (and their filtered versions) in Platonov et al.'s npz format.

PyG's ``WikipediaNetwork(geom_gcn_preprocess=True)`` needs Geom-GCN feature files that
are not available offline here, and ``HeterophilousGraphDataset`` rejects these names,
although ``yandex-research/heterophilous-graphs`` publishes them in its schema:
``node_features`` [N, F], ``node_labels`` [N], ``edges`` [E, 2] (each undirected edge
once) and ``train_masks`` / ``val_masks`` / ``test_masks`` [10, N]. The ``_filtered``
versions drop duplicated nodes (Platonov et al., ICLR 2023), which leak between splits
in the originals.
"""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Data
from torch_geometric.utils import to_undirected

from gnnlib.data.single_file import SingleFileDataset

__all__ = ["HeterophilousNpzDataset"]


class HeterophilousNpzDataset(SingleFileDataset):
    """One npz graph as ``Data(x, y, edge_index, train_mask, val_mask, test_mask)``.

    Read exactly like PyG's ``HeterophilousGraphDataset``: ``edge_index`` is made
    undirected; the masks are bool [N, 10], one column per split.

    Args:
        root: folder holding ``<name>.npz`` (the four files share it); the processed
            file goes to ``<root>/<name>/processed/data.pt``.
        name: ``'chameleon'``, ``'squirrel'``, ``'chameleon_filtered'`` or
            ``'squirrel_filtered'``.
        transform, pre_transform, force_reload: as for every PyG ``InMemoryDataset``.
    """

    url = "https://github.com/yandex-research/heterophilous-graphs/raw/main/data"
    names = ("chameleon", "squirrel", "chameleon_filtered", "squirrel_filtered")
    suffix = ".npz"

    def process(self) -> None:
        raw = np.load(self.raw_paths[0])
        x = torch.from_numpy(raw["node_features"])
        edge_index = torch.from_numpy(raw["edges"]).t().contiguous()
        data = Data(
            x=x,
            y=torch.from_numpy(raw["node_labels"]),
            edge_index=to_undirected(edge_index, num_nodes=x.size(0)),
            train_mask=torch.from_numpy(raw["train_masks"]).t().contiguous(),
            val_mask=torch.from_numpy(raw["val_masks"]).t().contiguous(),
            test_mask=torch.from_numpy(raw["test_masks"]).t().contiguous(),
        )
        if self.pre_transform is not None:
            data = self.pre_transform(data)
        self.save([data], self.processed_paths[0])
