"""OGB's dataset classes, made to work with torch >= 2.6 and with a partial ogbl-ddi copy.

**weights_only.** ogb 1.3.6 calls ``torch.load(path)`` without ``weights_only`` on its
own processed file (``geometric_data_processed.pt``, a pickled PyG ``Data``) and on its
legacy split files (pickled numpy arrays). Since torch 2.6 that default means
``weights_only=True``, which refuses both. :func:`ogb_pickle_load` re-enables the old
behaviour through torch's own switch, ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD``, for the
duration of a ``with`` block only, and restores the variable afterwards. The switch
affects only ``torch.load`` calls that do not pass ``weights_only`` themselves (OGB's),
so PyG's loads and gnnlib's (which pass ``weights_only=True``) keep their checks even
inside the block. The subclasses below use it around OGB's own loading and nothing else.

**ogbl-ddi without train.pt.** The shared copy of ogbl-ddi lacks ``split/target/train.pt``;
its ``raw/edge.csv.gz`` holds exactly the training edges (the OGB graph *is* the
training graph). :func:`write_train_split_from_raw` rebuilds the official split as
``split_dict.pt``, the file OGB reads first, holding tensors only.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import torch
from ogb.graphproppred import PygGraphPropPredDataset
from ogb.linkproppred import PygLinkPropPredDataset
from ogb.nodeproppred import PygNodePropPredDataset
from ogb.utils.torch_util import replace_numpy_with_torchtensor

from gnnlib.io import atomic_torch_save, safe_torch_load

__all__ = [
    "OGBGraphPropPredDataset",
    "OGBLinkPropPredDataset",
    "OGBNodePropPredDataset",
    "ogb_pickle_load",
    "write_train_split_from_raw",
]

_SWITCH = "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD"
SPLIT_DICT = "split_dict.pt"


@contextmanager
def ogb_pickle_load() -> Iterator[None]:
    """Let ``torch.load`` calls without ``weights_only`` unpickle, inside the block only.

    Use it only around OGB code reading OGB's own files. The previous value of
    ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD`` (or its absence) is restored on exit, also when
    the block raises. torch's warning about the switch is silenced inside the block.
    """
    previous = os.environ.get(_SWITCH)
    os.environ[_SWITCH] = "1"
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=f"Environment variable {_SWITCH}")
            yield
    finally:
        if previous is None:
            del os.environ[_SWITCH]
        else:
            os.environ[_SWITCH] = previous


class OGBLinkPropPredDataset(PygLinkPropPredDataset):
    """OGB's ``PygLinkPropPredDataset`` whose loading and ``get_edge_split`` work on torch >= 2.6.

    ``get_edge_split()`` returns OGB's format, ``{'train': {'edge': LongTensor[E, 2], ...},
    'valid': {'edge', 'edge_neg', ...}, 'test': {...}}``. A ``split_dict.pt`` written by
    :func:`write_train_split_from_raw` holds tensors only and is read with
    ``weights_only=True``; OGB's own split files are read by OGB.
    """

    def __init__(self, name: str, root: str, **kwargs: Any) -> None:
        with ogb_pickle_load():
            super().__init__(name=name, root=root, **kwargs)

    def get_edge_split(self, split_type: str | None = None) -> dict[str, dict[str, torch.Tensor]]:
        split_dir = Path(self.root, "split", split_type or self.meta_info["split"])
        if (split_dir / SPLIT_DICT).is_file():
            return safe_torch_load(split_dir / SPLIT_DICT)
        with ogb_pickle_load():
            return super().get_edge_split(split_type)


class OGBGraphPropPredDataset(PygGraphPropPredDataset):
    """OGB's ``PygGraphPropPredDataset`` whose loading works on torch >= 2.6.

    ``get_idx_split()`` is OGB's own: it reads the split CSV files.
    """

    def __init__(self, name: str, root: str, **kwargs: Any) -> None:
        with ogb_pickle_load():
            super().__init__(name=name, root=root, **kwargs)


class OGBNodePropPredDataset(PygNodePropPredDataset):
    """OGB's ``PygNodePropPredDataset`` whose loading works on torch >= 2.6.

    ``get_idx_split()`` is OGB's own: it reads the split CSV files.
    """

    def __init__(self, name: str, root: str, **kwargs: Any) -> None:
        with ogb_pickle_load():
            super().__init__(name=name, root=root, **kwargs)


def write_train_split_from_raw(dataset_dir: Path, split_type: str) -> None:
    """Write ``split/<split_type>/split_dict.pt`` when OGB's ``train.pt`` is missing.

    Valid only for datasets whose training split is exactly ``raw/edge.csv.gz`` with no
    per-edge attributes (ogbl-ddi). ``valid.pt`` and ``test.pt`` are OGB's legacy files,
    read with ``weights_only=False`` because they are OGB's own numpy pickles; the result
    holds tensors only, so it reads back with ``weights_only=True``. Does nothing when
    ``train.pt`` or ``split_dict.pt`` already exists.
    """
    split_dir = dataset_dir / "split" / split_type
    if (split_dir / "train.pt").is_file() or (split_dir / SPLIT_DICT).is_file():
        return
    train = pd.read_csv(dataset_dir / "raw" / "edge.csv.gz", header=None).to_numpy()
    split = {"train": {"edge": torch.from_numpy(train).long()}}
    for part in ("valid", "test"):
        official = torch.load(split_dir / f"{part}.pt", weights_only=False)
        split[part] = replace_numpy_with_torchtensor(official)
    atomic_torch_save(split, split_dir / SPLIT_DICT)
