"""Crash-safe file writes and safe checkpoint loading.

Every writer here follows the same protocol: write the new content to a temporary
file in the *same directory* as the target, flush and ``fsync`` it, then
``os.replace`` it onto the target and ``fsync`` the directory. ``os.replace`` is
atomic on POSIX and Windows when source and target are on the same file system
(hence the same directory), so a reader sees either the complete old file or the
complete new one, never a truncated mix; and if serialization fails half way, the
temporary file is removed and the old file is untouched.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import torch

__all__ = [
    "UnreadableFileError",
    "atomic_torch_save",
    "atomic_write_bytes",
    "atomic_write_text",
    "read_torch_file",
    "safe_torch_load",
]


@contextmanager
def _atomic_binary_file(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Yield a binary file whose content replaces ``path`` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    # os.open with mode 0o666 lets the process umask decide the permissions, as for
    # an ordinary open(); tempfile.mkstemp would force 0o600 onto the final file.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        # Also on KeyboardInterrupt: never leave a half-written temporary behind.
        tmp.unlink(missing_ok=True)
        raise
    _fsync_directory(target.parent)


def _fsync_directory(directory: Path) -> None:
    """Persist the rename itself (the directory entry), where the OS allows it."""
    if not hasattr(os, "O_DIRECTORY"):  # Windows cannot open a directory for fsync
        return
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see the module docstring); return the path.

    Missing parent directories are created.
    """
    with _atomic_binary_file(path) as f:
        f.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically, encoded with ``encoding``; return the path."""
    # Encode first: an unencodable character then fails before any file is touched.
    return atomic_write_bytes(path, text.encode(encoding))


def atomic_torch_save(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save(obj, path)`` atomically; return the path.

    If pickling ``obj`` raises, the previous file at ``path`` (if any) is left intact
    and no temporary file remains. Save plain containers of tensors and Python
    scalars/strings (e.g. ``state_dict()`` s) so that :func:`safe_torch_load` can read
    them back.
    """
    with _atomic_binary_file(path) as f:
        torch.save(obj, f)
    return Path(path)


def safe_torch_load(path: str | os.PathLike, map_location: Any = None) -> Any:
    """``torch.load`` with ``weights_only=True``, always.

    ``weights_only=True`` restricts unpickling to tensors, primitive types and plain
    containers, so loading a file from elsewhere cannot execute arbitrary code.
    ``map_location`` is passed through (e.g. ``'cpu'`` to load GPU checkpoints on CPU).
    """
    return torch.load(path, map_location=map_location, weights_only=True)


class UnreadableFileError(RuntimeError):
    """A file gnnlib wrote that can no longer be read; the message says what to do."""


def read_torch_file(
    path: str | os.PathLike, what: str, remedy: str, map_location: Any = None
) -> Any:
    """:func:`safe_torch_load` of a file gnnlib wrote, with an error that names the file,
    what it is (``what``, e.g. ``'checkpoint'``), why it failed and what to do
    (``remedy``) when it cannot be read: every writer here is atomic, so such a file
    was damaged or replaced afterwards."""
    try:
        return safe_torch_load(path, map_location=map_location)
    except Exception as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UnreadableFileError(
            f"could not read {what} {path}: {reason}. The file may be truncated or "
            "corrupted (e.g. an unfinished copy) or hold objects other than tensors and "
            f"plain containers. {remedy}"
        ) from err
