"""``load(name)``: one call for every catalogue dataset, offline-aware.

Resolution order for the raw files of a dataset (its ``DatasetInfo.files``):

1. the data root (``GNNLIB_DATA``): the files are mirrored into the cache root as links
   and the dataset class runs there, so processed files never land in the data root;
2. the cache root (an earlier download, or files the user placed there);
3. a download into the cache root by the dataset class, if downloading is allowed:
   ``download=None`` (the default) allows it unless ``GNNLIB_OFFLINE=1``;
   ``download=False`` forbids it; ``GNNLIB_OFFLINE=1`` forbids it in every case.

Whether the files are present is decided here, by checking them, *before* a PyG or OGB
class is constructed: a class is only ever asked to download when the files are missing
and downloading is allowed, and its host answered a quick connection test. Otherwise,
and when a download fails, :class:`DatasetNotFoundError` says which dataset, which
files, which folders were searched and how to provide them.

Processes that load the same dataset at once (seeds launched side by side on a fresh
cache) take turns: PyG and OGB write ``processed/`` files in place, and a process that
reads one while another is still writing it fails on a truncated file. Each dataset
folder of the cache root has a lock file beside it (``<folder>.lock``), held while its
raw files are mirrored and its class builds, downloads or processes.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from filelock import FileLock
from torch_geometric.data import InMemoryDataset
from torch_geometric.datasets import (
    Actor,
    Amazon,
    Coauthor,
    HeterophilousGraphDataset,
    Planetoid,
    TUDataset,
    WebKB,
)

from gnnlib.data.catalog import DatasetInfo, dataset_info, locate
from gnnlib.data.heterophilous_npz import HeterophilousNpzDataset
from gnnlib.data.ogb_compat import (
    OGBGraphPropPredDataset,
    OGBLinkPropPredDataset,
    OGBNodePropPredDataset,
    write_train_split_from_raw,
)
from gnnlib.data.paths import cache_root, data_root, mirror_raw_files, offline
from gnnlib.data.peptides import PeptidesFunctional, PeptidesStructural
from gnnlib.data.seal import SEALDataset

__all__ = ["DatasetNotFoundError", "load"]

# PyG classes called as Class(root, name), where root is the parent of the dataset folder.
_NAMED_CLASSES: dict[str, type[InMemoryDataset]] = {
    "Planetoid": Planetoid,
    "Amazon": Amazon,
    "Coauthor": Coauthor,
    "TUDataset": TUDataset,
    "WebKB": WebKB,
    "HeterophilousGraphDataset": HeterophilousGraphDataset,
}
# Classes called as Class(root, name), where root is the shared flat folder itself.
_FLAT_CLASSES: dict[str, type[InMemoryDataset]] = {
    "SEAL": SEALDataset,
    "heterophilous_npz": HeterophilousNpzDataset,
}
# Datasets whose official training split is exactly raw/edge.csv.gz, so that a missing
# train.pt can be rebuilt (the shared ogbl-ddi copy lacks it; see ogb_compat).
_TRAIN_SPLIT_FROM_RAW = frozenset({"ogbl-ddi"})

_CONNECT_TIMEOUT_S = 10.0
_MAX_LISTED = 4


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's raw files are missing and could not be downloaded.

    Attributes:
        info: the catalogue entry.
        looked_in: the roots that were searched, data root first.
    """

    def __init__(self, info: DatasetInfo, reason: str) -> None:
        self.info = info
        self.looked_in = [root for root in (data_root(), cache_root()) if root is not None]
        super().__init__(_not_found_message(info, reason, self.looked_in))


def load(name: str, *, download: bool | None = None, **options: Any) -> InMemoryDataset:
    """Load a catalogue dataset as a PyG ``InMemoryDataset``.

    Single-graph datasets hold one ``Data``: ``load('Cora')[0]``. No transform is applied
    unless asked for: ``options`` go to the dataset class unchanged (``transform=``,
    ``pre_transform=``, ``force_reload=``, Planetoid's ``split=``, TUDataset's
    ``use_node_attr=``, ...). OGB datasets keep OGB's split methods:
    ``get_edge_split()`` (ogbl) and ``get_idx_split()`` (ogbg, ogbn, and Peptides-func).

    Args:
        name: catalogue name, case-insensitive (``'cora'``, ``'ogbl-ddi'``,
            ``'IMDB-BINARY'``, ``'Peptides-func'``); see :func:`list_datasets`.
        download: ``None`` downloads into the cache root when the files are not found
            locally, unless ``GNNLIB_OFFLINE=1``; ``True`` the same; ``False`` never.
            ``GNNLIB_OFFLINE=1`` forbids downloading whatever this says.
        **options: keyword arguments for the dataset class.

    Raises:
        ValueError: unknown name (the message lists the known ones).
        DatasetNotFoundError: files missing locally and not downloadable.
    """
    info = dataset_info(name)
    folder = cache_root() / info.folder
    root = locate(info)
    if root is None:
        refusal = _download_refusal(info, download)
        if refusal:
            raise DatasetNotFoundError(info, refusal)
    with _exclusive(folder):
        return _build(info, folder, root, options)


def _build(
    info: DatasetInfo, folder: Path, root: Path | None, options: dict[str, Any]
) -> InMemoryDataset:
    """Build ``info``'s dataset class on the cache ``folder``, its raw files under
    ``root`` (``None``: to be downloaded). The caller holds the folder's lock."""
    if root is not None:
        if root != cache_root():
            mirror_raw_files(root / info.folder, folder)
        return _construct(info, folder, options)

    existed = folder.exists()
    try:
        return _construct(info, folder, options)
    except Exception as err:
        if locate(info) is not None:
            raise  # the files arrived: a processing error, not a download failure
        if not existed:  # leave no half-made folder: OGB would ask about it next time
            shutil.rmtree(folder, ignore_errors=True)
        raise DatasetNotFoundError(
            info, f"the download from {info.url} failed ({type(err).__name__}: {err})"
        ) from None


@contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    """Hold the lock of the cache ``folder`` (:func:`lock_path`) for this process.

    A cache where the lock cannot be created (read-only, say, holding processed files
    made elsewhere) is read without it: nothing can be written there to wait for.
    """
    path = lock_path(folder)
    lock = FileLock(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except PermissionError:
        yield
        return
    try:
        yield
    finally:
        lock.release()


def lock_path(folder: Path) -> Path:
    """The lock file that serialises the building of the dataset folder ``folder``:
    beside it, so that removing a half-made folder never removes a held lock."""
    return folder.with_name(folder.name + ".lock")


def _construct(info: DatasetInfo, folder: Path, options: dict[str, Any]) -> InMemoryDataset:
    """Build the dataset class for ``info`` on its cache ``folder``."""
    if info.source in _NAMED_CLASSES:
        return _NAMED_CLASSES[info.source](str(folder.parent), info.name, **options)
    if info.source in _FLAT_CLASSES:
        return _FLAT_CLASSES[info.source](str(folder), info.name, **options)
    if info.source == "Actor":
        return Actor(str(folder), **options)
    if info.source == "LRGB":
        peptides = PeptidesStructural if info.name == "Peptides-struct" else PeptidesFunctional
        return peptides(str(folder), **options)
    if info.source == "OGB":
        return _construct_ogb(info, folder, options)
    raise ValueError(
        f"Catalogue entry '{info.name}' has source '{info.source}', for which gnnlib has no loader"
    )


def _construct_ogb(info: DatasetInfo, folder: Path, options: dict[str, Any]) -> InMemoryDataset:
    """Build an OGB dataset (class chosen by task) rooted at the parent of ``folder``."""
    root = str(folder.parent)
    if info.task == "link_prediction":
        dataset = OGBLinkPropPredDataset(info.name, root, **options)
        if info.name in _TRAIN_SPLIT_FROM_RAW:
            write_train_split_from_raw(folder, dataset.meta_info["split"])
        return dataset
    if info.task == "node_classification":
        return OGBNodePropPredDataset(info.name, root, **options)
    return OGBGraphPropPredDataset(info.name, root, **options)


def _download_refusal(info: DatasetInfo, download: bool | None) -> str | None:
    """Why ``info`` cannot be downloaded now, or ``None`` if it can."""
    if offline():
        return "downloading is disabled by GNNLIB_OFFLINE"
    if download is False:
        return "downloading is disabled (download=False)"
    url = urlparse(info.url)
    port = url.port or (443 if url.scheme == "https" else 80)
    try:
        socket.create_connection((url.hostname, port), timeout=_CONNECT_TIMEOUT_S).close()
    except OSError as err:
        return f"{url.hostname} cannot be reached to download it ({err})"
    return None


def _not_found_message(info: DatasetInfo, reason: str, looked_in: list[Path]) -> str:
    """Say what is missing, where it was looked for, and how to provide it."""
    lines = [f"Dataset '{info.name}' is not available: its raw files are missing and {reason}."]
    lines.append("Expected files, relative to a data root:")
    lines += [f"  {f}" for f in info.files]
    lines.append("Looked in:")
    for root in looked_in:
        label = "GNNLIB_DATA" if root == data_root() else "cache root"
        missing = [f for f in info.files if not (root / f).is_file()]
        if len(missing) == len(info.files):
            found = "none of them"
        else:
            found = f"{len(missing)} of {len(info.files)} missing: " + ", ".join(
                missing[:_MAX_LISTED]
            )
            found += ", ..." if len(missing) > _MAX_LISTED else ""
        lines.append(f"  {root} ({label}): {found}")
    if data_root() is None:
        lines.append("  (GNNLIB_DATA is not set)")
    lines.append(
        "To provide it: set GNNLIB_DATA to a folder holding these files, or place them "
        f"under {cache_root()} (giving {cache_root() / info.files[0]}, ...), or allow a "
        f"download from {info.url} (network access, GNNLIB_OFFLINE unset)."
    )
    return "\n".join(lines)
