"""Base class for datasets stored as one file per graph in a shared folder.

The SEAL ``.mat`` graphs and the heterophilous ``.npz`` graphs come as flat folders
(``seal_linkpred/USAir.mat``, ``heterophilous_npz/chameleon.npz``) rather than PyG's
``<name>/raw/`` layout. This class maps that layout onto ``InMemoryDataset``: the raw
folder is the root itself and each graph is processed into ``<root>/<name>/processed``.
"""

from __future__ import annotations

import os.path as osp
from collections.abc import Callable
from typing import ClassVar

from torch_geometric.data import InMemoryDataset, download_url

__all__ = ["SingleFileDataset"]


class SingleFileDataset(InMemoryDataset):
    """A graph read from ``<root>/<name><suffix>``, downloadable from ``<url>/<name><suffix>``.

    Subclasses set ``url``, ``names`` and ``suffix`` and implement ``process()``, which
    reads ``self.raw_paths[0]`` and saves one ``Data`` to ``self.processed_paths[0]``.

    Args:
        root: the shared folder holding the raw files.
        name: one of the subclass's ``names``.
        transform, pre_transform, force_reload: as for every PyG ``InMemoryDataset``.
    """

    url: ClassVar[str]
    names: ClassVar[tuple[str, ...]]
    suffix: ClassVar[str]

    def __init__(
        self,
        root: str,
        name: str,
        transform: Callable | None = None,
        pre_transform: Callable | None = None,
        force_reload: bool = False,
    ) -> None:
        if name not in self.names:
            raise ValueError(
                f"Unknown {self.__class__.__name__} graph '{name}'; expected one of {self.names}"
            )
        self.name = name
        super().__init__(root, transform, pre_transform, force_reload=force_reload)
        self.load(self.processed_paths[0])

    @property
    def raw_dir(self) -> str:
        return self.root

    @property
    def processed_dir(self) -> str:
        return osp.join(self.root, self.name, "processed")

    @property
    def raw_file_names(self) -> str:
        return f"{self.name}{self.suffix}"

    @property
    def processed_file_names(self) -> str:
        return "data.pt"

    def download(self) -> None:
        download_url(f"{self.url}/{self.raw_file_names}", self.raw_dir)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.name})"
