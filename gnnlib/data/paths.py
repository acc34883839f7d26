"""Where datasets are read from and written to.

Two roots, with different rules:

* the **data root** (``GNNLIB_DATA``) holds raw files provided by the user or the
  workplace. It is read-only for gnnlib: nothing is ever written into it.
* the **cache root** (``GNNLIB_CACHE``, else ``<repo>/datasets`` in a source checkout,
  else ``~/.cache/gnnlib``) receives processed files and downloads.

PyG and OGB dataset classes write ``processed/`` next to ``raw/``. To keep the data root
clean, the raw files of a dataset found there are mirrored into the cache root as
symbolic links (:func:`mirror_raw_files`) and the dataset class is pointed at the cache.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

__all__ = ["cache_root", "data_root", "mirror_raw_files", "offline"]

_TRUE = {"1", "true", "yes", "on"}


def data_root() -> Path | None:
    """Return the read-only raw-data root from ``GNNLIB_DATA``, or ``None`` if unset."""
    value = os.environ.get("GNNLIB_DATA")
    return Path(value).expanduser() if value else None


def cache_root() -> Path:
    """Return the writable root for processed files and downloads.

    ``GNNLIB_CACHE`` if set; else ``<repo>/datasets`` when gnnlib runs from a source
    checkout (the folder above the ``gnnlib`` package holds ``pyproject.toml``), so that
    a clone keeps its data beside its code; else ``~/.cache/gnnlib`` for an installed
    package, whose site-packages folder must not receive data.
    """
    value = os.environ.get("GNNLIB_CACHE")
    if value:
        return Path(value).expanduser()
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():
        return checkout / "datasets"
    return Path.home() / ".cache" / "gnnlib"


def offline() -> bool:
    """Whether ``GNNLIB_OFFLINE`` forbids downloads (``1``, ``true``, ``yes`` or ``on``)."""
    return os.environ.get("GNNLIB_OFFLINE", "").strip().lower() in _TRUE


def mirror_raw_files(source: Path, target: Path) -> None:
    """Make every file under the folder ``source`` visible at the same place under ``target``.

    Each file becomes a symbolic link (a copy where the file system refuses links), and
    folders are created as real folders, so a dataset class rooted at ``target`` can write
    ``processed/`` there while it reads the raw files from ``source``, which stays
    untouched. Real files already in ``target`` are kept (for example an earlier download);
    a link to another place, such as an older ``GNNLIB_DATA``, is replaced.
    """
    source = source.resolve()  # links must not depend on the working directory
    for path in sorted(source.rglob("*")):
        if path.is_dir():
            continue
        link = target / path.relative_to(source)
        if link.is_symlink() and Path(os.readlink(link)) != path:
            link.unlink()
        if link.exists() or link.is_symlink():
            continue
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            link.symlink_to(path)
        except OSError:  # e.g. Windows without the symlink privilege
            shutil.copy2(path, link)
