"""Peptides-func from the Long Range Graph Benchmark (Dwivedi et al., NeurIPS 2022).

15,535 peptides given as SMILES, each with 10 binary functional labels. PyG's own
``LRGBDataset`` reads a preprocessed zip instead; this class reads LRGB's original CSV
and stratified split pickle, and turns SMILES into graphs with OGB's ``smiles2graph``
(atom and bond features as OGB's molecule datasets), as LRGB's
``PeptidesFunctionalDataset`` does. That needs ``rdkit``.

Layout, as LRGB's::

    <root>/raw/peptide_multi_class_dataset.csv.gz
    <root>/splits_random_stratified_peptide.pickle
    <root>/processed/data.pt
"""

from __future__ import annotations

import ast
import hashlib
import os.path as osp
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pandas as pd
import torch
from torch_geometric.data import Data, InMemoryDataset, download_url

__all__ = ["PeptidesFunctional"]

_CSV = "peptide_multi_class_dataset.csv.gz"
_SPLIT = "splits_random_stratified_peptide.pickle"
_SPLIT_KEYS = ("train", "val", "test")


class PeptidesFunctional(InMemoryDataset):
    """Peptides-func: ``Data(x, edge_index, edge_attr, y)`` per peptide.

    * ``x``: int64 [N, 9] OGB atom features; ``edge_attr``: int64 [E, 3] OGB bond
      features; ``edge_index`` holds both directions of every bond.
    * ``y``: float [1, 10], the 10 binary labels (multilabel; evaluated by average
      precision in LRGB).

    Processing the 15,535 SMILES takes about a minute on one core; it happens once.

    Args:
        root: the ``peptides-functional`` folder (see the module docstring).
        transform, pre_transform, force_reload: as for every PyG ``InMemoryDataset``.
    """

    url = "https://www.dropbox.com/s/ol2v01usvaxbsr8/peptide_multi_class_dataset.csv.gz?dl=1"
    split_url = (
        "https://www.dropbox.com/s/j4zcnx2eipuo0xz/splits_random_stratified_peptide.pickle?dl=1"
    )
    # md5 sums published with LRGB's loader; checked after a download.
    md5: ClassVar[dict[str, str]] = {
        _CSV: "701eb743e899f4d793f0e13c8fa5a1b4",
        _SPLIT: "5a0114bdadc80b94fc7ae974f13ef061",
    }

    def __init__(
        self,
        root: str,
        transform: Callable | None = None,
        pre_transform: Callable | None = None,
        force_reload: bool = False,
    ) -> None:
        super().__init__(root, transform, pre_transform, force_reload=force_reload)
        self.load(self.processed_paths[0])

    @property
    def raw_file_names(self) -> str:
        return _CSV

    @property
    def processed_file_names(self) -> str:
        return "data.pt"

    @property
    def split_path(self) -> Path:
        """Path of LRGB's split pickle (outside ``raw/``, where LRGB keeps it)."""
        return Path(self.root, _SPLIT)

    def download(self) -> None:
        targets = ((self.url, Path(self.raw_dir, _CSV)), (self.split_url, self.split_path))
        for url, path in targets:
            downloaded = Path(download_url(url, str(path.parent), filename=path.name))
            digest = hashlib.md5(downloaded.read_bytes()).hexdigest()
            if digest != self.md5[path.name]:
                downloaded.unlink()
                raise OSError(
                    f"{url} gave a file with md5 {digest}; expected {self.md5[path.name]}"
                )

    def process(self) -> None:
        # Imported here: rdkit (through ogb.utils.mol) is needed to process, not to load.
        try:
            from ogb.utils.mol import smiles2graph
            from rdkit import RDLogger
        except ImportError as err:
            raise ImportError(
                "Processing Peptides-func needs rdkit to parse SMILES: pip install rdkit"
            ) from err

        frame = pd.read_csv(osp.join(self.raw_dir, _CSV))
        data_list = []
        # rdkit warns about every explicit hydrogen it keeps (thousands of lines here).
        RDLogger.DisableLog("rdApp.warning")
        try:
            for smiles, labels in zip(frame["smiles"], frame["labels"]):
                graph = smiles2graph(smiles)
                data_list.append(
                    Data(
                        x=torch.from_numpy(graph["node_feat"]).long(),
                        edge_index=torch.from_numpy(graph["edge_index"]).long(),
                        edge_attr=torch.from_numpy(graph["edge_feat"]).long(),
                        y=torch.tensor([ast.literal_eval(labels)], dtype=torch.float),
                        num_nodes=int(graph["num_nodes"]),
                    )
                )
        finally:
            RDLogger.EnableLog("rdApp.warning")
        if self.pre_transform is not None:
            data_list = [self.pre_transform(data) for data in data_list]
        self.save(data_list, self.processed_paths[0])

    def get_idx_split(self) -> dict[str, torch.Tensor]:
        """LRGB's stratified split: ``{'train', 'val', 'test'}`` -> LongTensor of graph indices.

        Sizes 10,873 / 2,331 / 2,331. The keys are LRGB's (``'val'``, not OGB's ``'valid'``).
        """
        if not self.split_path.is_file():
            raise FileNotFoundError(
                f"Peptides-func split file {self.split_path} is missing; expected LRGB's "
                f"{_SPLIT} beside the raw/ folder"
            )
        with open(self.split_path, "rb") as f:
            split = pickle.load(f)  # LRGB's own file: a dict of numpy index arrays
        return {key: torch.as_tensor(split[key], dtype=torch.long) for key in _SPLIT_KEYS}

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({len(self)})"
