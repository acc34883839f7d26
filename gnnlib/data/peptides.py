"""Peptides-func and Peptides-struct from the Long Range Graph Benchmark (Dwivedi et
al., NeurIPS 2022).

The same 15,535 peptides, given as SMILES: Peptides-func labels each with 10 binary
functions, Peptides-struct with 11 standardised 3-D structure descriptors. PyG's own
``LRGBDataset`` reads a preprocessed zip instead; these classes read LRGB's original CSV
and stratified split pickle, and turn SMILES into graphs with OGB's ``smiles2graph``
(atom and bond features as OGB's molecule datasets), as LRGB's
``PeptidesFunctionalDataset`` and ``PeptidesStructuralDataset`` do. That needs ``rdkit``.

Layout, as LRGB's::

    <root>/raw/<the dataset's csv.gz>
    <root>/<the dataset's split pickle>
    <root>/processed/data.pt
"""

from __future__ import annotations

import ast
import hashlib
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pandas as pd
import torch
from torch_geometric.data import Data, InMemoryDataset, download_url

__all__ = ["PeptidesFunctional", "PeptidesStructural"]

_SPLIT_KEYS = ("train", "val", "test")
#: Peptides-struct's target columns in LRGB's CSV, in LRGB's order.
STRUCTURAL_TARGETS = (
    "Inertia_mass_a",
    "Inertia_mass_b",
    "Inertia_mass_c",
    "Inertia_valence_a",
    "Inertia_valence_b",
    "Inertia_valence_c",
    "length_a",
    "length_b",
    "length_c",
    "Spherocity",
    "Plane_best_fit",
)


def _functional_targets(frame: pd.DataFrame) -> torch.Tensor:
    # The CSV stores each peptide's labels as the text of a Python list.
    return torch.tensor([ast.literal_eval(labels) for labels in frame["labels"]]).float()


def _structural_targets(frame: pd.DataFrame) -> torch.Tensor:
    missing = [name for name in STRUCTURAL_TARGETS if name not in frame.columns]
    if missing:
        raise ValueError(
            f"the Peptides-struct CSV lacks the target column(s) {missing}; expected "
            f"LRGB's {list(STRUCTURAL_TARGETS)}"
        )
    return torch.tensor(frame[list(STRUCTURAL_TARGETS)].to_numpy(), dtype=torch.float)


class _Peptides(InMemoryDataset):
    """What both peptide datasets share: download, SMILES processing and the split; a
    subclass names its files and how its targets are read (``targets``).

    Per peptide ``Data(x, edge_index, edge_attr, y)``: ``x`` int64 [N, 9] OGB atom
    features, ``edge_attr`` int64 [E, 3] OGB bond features, ``edge_index`` both
    directions of every bond, ``y`` float [1, T]. Processing the 15,535 SMILES takes
    about a minute on one core; it happens once.

    Args:
        root: the dataset folder (see the module docstring).
        transform, pre_transform, force_reload: as for every PyG ``InMemoryDataset``.
    """

    title: ClassVar[str]
    csv: ClassVar[str]
    split_file: ClassVar[str]
    url: ClassVar[str]
    split_url: ClassVar[str]
    #: md5 sums published with LRGB's loaders; checked after a download.
    md5: ClassVar[dict[str, str]]
    #: ``[G, T]`` float targets of the CSV's rows.
    targets: ClassVar[Callable[[pd.DataFrame], torch.Tensor]]

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
        return self.csv

    @property
    def processed_file_names(self) -> str:
        return "data.pt"

    @property
    def split_path(self) -> Path:
        """Path of LRGB's split pickle (outside ``raw/``, where LRGB keeps it)."""
        return Path(self.root, self.split_file)

    def download(self) -> None:
        files = ((self.url, Path(self.raw_dir, self.csv)), (self.split_url, self.split_path))
        for url, path in files:
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
                f"Processing {self.title} needs rdkit to parse SMILES: pip install rdkit"
            ) from err

        frame = pd.read_csv(Path(self.raw_dir, self.csv))
        targets = self.targets(frame)
        data_list = []
        # rdkit warns about every explicit hydrogen it keeps (thousands of lines here).
        RDLogger.DisableLog("rdApp.warning")
        try:
            for smiles, y in zip(frame["smiles"], targets):
                graph = smiles2graph(smiles)
                data_list.append(
                    Data(
                        x=torch.from_numpy(graph["node_feat"]).long(),
                        edge_index=torch.from_numpy(graph["edge_index"]).long(),
                        edge_attr=torch.from_numpy(graph["edge_feat"]).long(),
                        y=y.unsqueeze(0),
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
                f"{self.title} split file {self.split_path} is missing; expected LRGB's "
                f"{self.split_file} beside the raw/ folder"
            )
        with open(self.split_path, "rb") as f:
            split = pickle.load(f)  # LRGB's own file: a dict of numpy index arrays
        return {key: torch.as_tensor(split[key], dtype=torch.long) for key in _SPLIT_KEYS}

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({len(self)})"


class PeptidesFunctional(_Peptides):
    """Peptides-func: ``y`` float [1, 10], the 10 binary labels (multilabel; evaluated by
    average precision in LRGB). See :class:`_Peptides` for the graphs and arguments."""

    title = "Peptides-func"
    csv = "peptide_multi_class_dataset.csv.gz"
    split_file = "splits_random_stratified_peptide.pickle"
    url = "https://www.dropbox.com/s/ol2v01usvaxbsr8/peptide_multi_class_dataset.csv.gz?dl=1"
    split_url = (
        "https://www.dropbox.com/s/j4zcnx2eipuo0xz/splits_random_stratified_peptide.pickle?dl=1"
    )
    md5: ClassVar[dict[str, str]] = {
        csv: "701eb743e899f4d793f0e13c8fa5a1b4",
        split_file: "5a0114bdadc80b94fc7ae974f13ef061",
    }

    targets = staticmethod(_functional_targets)


class PeptidesStructural(_Peptides):
    """Peptides-struct: ``y`` float [1, 11], LRGB's 11 structure descriptors (inertia
    and length along three axes, sphericity, plane of best fit), already standardised to
    zero mean and unit variance in LRGB's file; evaluated by mean absolute error. See
    :class:`_Peptides` for the graphs and arguments."""

    title = "Peptides-struct"
    csv = "peptide_structure_normalized_dataset.csv.gz"
    split_file = "splits_random_stratified_peptide_structure.pickle"
    url = (
        "https://www.dropbox.com/s/0d4aalmq4b4e2nh/peptide_structure_normalized_dataset.csv.gz?dl=1"
    )
    split_url = (
        "https://www.dropbox.com/s/9dfifzft1hqgow6/"
        "splits_random_stratified_peptide_structure.pickle?dl=1"
    )
    md5: ClassVar[dict[str, str]] = {
        csv: "c240c1c15466b5c907c63e180fa8aa89",
        split_file: "5a0114bdadc80b94fc7ae974f13ef061",
    }
    #: LRGB's target columns, in its order.
    TARGETS = STRUCTURAL_TARGETS

    targets = staticmethod(_structural_targets)
