"""Crash-safe, resumable training checkpoints.

A checkpoint file holds, for one epoch, the ``state_dict()`` of every object the
caller names (model, optimizer, scheduler, :class:`~gnnlib.train.EarlyStopping`, ...)
plus the random-number-generator state of every rank, so a resumed run continues
with exactly the numbers the uninterrupted run would have drawn. Files are written
atomically (:func:`gnnlib.io.atomic_torch_save`), so a run killed at any point leaves
either the previous complete checkpoint or the new one, never a truncated file, and
read with ``weights_only=True`` (:func:`gnnlib.io.safe_torch_load`), so loading a
checkpoint cannot execute code.
"""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path
from typing import Any, Protocol

import torch
import torch.distributed as dist

from gnnlib.io import atomic_torch_save, read_torch_file
from gnnlib.train.distributed import is_main_process, rank, world_size
from gnnlib.train.seed import rng_state, set_rng_state

__all__ = ["Checkpointer"]

# Temporary files from atomic_torch_save (".epoch-....tmp") never match.
_FILE_PATTERN = re.compile(r"epoch-(\d+)\.pt")
_FORMAT_VERSION = 1
_KEYS = ("format_version", "epoch", "states", "rng")


class _Stateful(Protocol):
    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state_dict: dict[str, Any], /) -> Any: ...


class Checkpointer:
    """Save a checkpoint every ``every`` epochs into ``directory``; resume from the latest.

    Epochs count from 0, and a checkpoint is written after every ``every`` completed
    epochs: with ``every=5``, after epochs 4, 9, 14, ... Only the newest ``keep_last``
    checkpoints are kept (``None`` keeps all). Files are named ``epoch-000009.pt``.

    Under ``torch.distributed``, call :meth:`save` and :meth:`load_latest` on *every*
    rank: :meth:`save` gathers each rank's RNG state (a collective), only rank 0 writes
    the file, and all ranks wait until it is written; :meth:`load_latest` restores each
    rank's own RNG state from it (the directory must be visible to all ranks).

    Example::

        checkpointer = Checkpointer("runs/cora/ckpt")
        last = checkpointer.load_latest(model=model, optimizer=optimizer, stopper=stopper)
        for epoch in range(0 if last is None else last + 1, epochs):
            if stopper.should_stop:  # the run may have stopped just before the interruption
                break
            ...
            stopper.step(val_acc, epoch, model)
            checkpointer.save(epoch, model=model, optimizer=optimizer, stopper=stopper)
    """

    def __init__(
        self, directory: str | os.PathLike, every: int = 1, keep_last: int | None = 1
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive int (epochs between saves), got {every!r}")
        if keep_last is not None and (
            isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 1
        ):
            raise ValueError(
                f"keep_last must be a positive int or None (keep all), got {keep_last!r}"
            )
        self.directory = Path(directory)
        self.every = every
        self.keep_last = keep_last

    def path_for(self, epoch: int) -> Path:
        """The file the checkpoint of ``epoch`` is written to."""
        return self.directory / f"epoch-{epoch:06d}.pt"

    def save(self, epoch: int, /, *, force: bool = False, **states: _Stateful) -> Path | None:
        """Checkpoint ``states`` (name -> object with ``state_dict()``) after ``epoch``.

        Writes only when ``epoch`` is due (see the class docstring) or ``force`` is true
        (e.g. for the last epoch), and only on the main process.

        Raises:
            RuntimeError: if the directory already holds a checkpoint of a later epoch
                (a run that did not resume, or two runs sharing a directory).
        Returns:
            The path written, or ``None`` when nothing was written here.
        """
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"epoch must be a non-negative int, got {epoch!r}")
        if not states:
            raise ValueError("save() needs at least one object, e.g. save(epoch, model=model)")
        for name, obj in states.items():
            if not callable(getattr(obj, "state_dict", None)):
                raise TypeError(
                    f"{name}={type(obj).__name__} has no state_dict() method; pass objects "
                    "such as modules, optimizers, schedulers or EarlyStopping"
                )
        if not force and (epoch + 1) % self.every != 0:
            return None
        rng = _gather_rng_states()
        path = None
        if is_main_process():
            self._check_not_behind(epoch)
            payload = {
                "format_version": _FORMAT_VERSION,
                "epoch": epoch,
                "states": {name: obj.state_dict() for name, obj in states.items()},
                "rng": rng,
            }
            path = atomic_torch_save(payload, self.path_for(epoch))
            self._prune()
        if world_size() > 1:
            # Once save() returns on any rank, the checkpoint exists for every rank to read.
            dist.barrier()
        return path

    def _checkpoints(self) -> list[tuple[int, Path]]:
        """All checkpoint files in the directory as (epoch, path), oldest first."""
        if not self.directory.is_dir():
            return []
        paths = [p for p in self.directory.iterdir() if _FILE_PATTERN.fullmatch(p.name)]
        return sorted((_epoch_of(path), path) for path in paths)

    def _check_not_behind(self, epoch: int) -> None:
        # A newer checkpoint means another run used this directory (or this one did not
        # resume): writing would mix two runs, and pruning would delete the new file.
        latest = self.latest()
        if latest is not None and _epoch_of(latest) > epoch:
            raise RuntimeError(
                f"cannot save epoch {epoch}: {self.directory} already holds a later checkpoint "
                f"({latest.name}). Resume from it with load_latest(), or use an empty directory "
                "for a new run"
            )

    def _prune(self) -> None:
        if self.keep_last is None:
            return
        for _, path in self._checkpoints()[: -self.keep_last]:
            path.unlink(missing_ok=True)

    def latest(self) -> Path | None:
        """The newest checkpoint file in the directory, or ``None`` if there is none."""
        checkpoints = self._checkpoints()
        return checkpoints[-1][1] if checkpoints else None

    def load_latest(
        self, *, map_location: str | torch.device | None = "cpu", **objects: _Stateful
    ) -> int | None:
        """Restore ``objects`` (name -> object with ``load_state_dict``) and the RNG state.

        Each object gets the state saved under the same name; names saved but not asked
        for are ignored. ``map_location`` defaults to ``'cpu'`` so a checkpoint written on
        a GPU loads on any machine; ``load_state_dict`` then copies the tensors onto the
        device of the model's parameters (optimizers move their state to match).

        Returns:
            The epoch the checkpoint was saved after (continue with the next one), or
            ``None`` when the directory holds no checkpoint.

        Raises:
            RuntimeError: if the latest file cannot be read or is not a checkpoint; the
                message names the file.
            KeyError: if one of ``objects`` has no saved state.
        """
        path = self.latest()
        if path is None:
            return None
        payload = _read(path, map_location)
        missing = [name for name in objects if name not in payload["states"]]
        if missing:
            raise KeyError(
                f"checkpoint {path} has no state for {missing}; it holds "
                f"{sorted(payload['states'])}"
            )
        for name, obj in objects.items():
            obj.load_state_dict(payload["states"][name])
        _restore_rng_state(payload["rng"], path)
        return payload["epoch"]


def _epoch_of(path: Path) -> int:
    return int(_FILE_PATTERN.fullmatch(path.name).group(1))


def _gather_rng_states() -> list[dict[str, Any]]:
    """Every rank's RNG state, indexed by rank (a collective under torch.distributed)."""
    if world_size() == 1:
        return [rng_state()]
    states: list[Any] = [None] * world_size()
    dist.all_gather_object(states, rng_state())
    return states


def _restore_rng_state(states: list[dict[str, Any]], path: Path) -> None:
    if len(states) != world_size():
        # The weights still resume; only the exact continuation of random draws is lost
        # (the data sharding differs anyway), so this is a warning, not an error.
        warnings.warn(
            f"checkpoint {path} holds RNG states of {len(states)} processes but this run has "
            f"{world_size()}; the RNG state is not restored, so the resumed run will not "
            "repeat the interrupted one exactly",
            stacklevel=3,
        )
        return
    set_rng_state(states[rank()])


def _read(path: Path, map_location: str | torch.device | None) -> dict[str, Any]:
    """Load and check one checkpoint file, naming it in any error."""
    payload = read_torch_file(
        path,
        "checkpoint",
        f"Delete it to resume from an earlier checkpoint in {path.parent}, or remove the "
        "directory to start afresh.",
        map_location,
    )
    if not isinstance(payload, dict) or any(key not in payload for key in _KEYS):
        found = sorted(payload) if isinstance(payload, dict) else type(payload).__name__
        raise RuntimeError(
            f"{path} is not a gnnlib checkpoint: expected a dict with keys {list(_KEYS)}, "
            f"found {found}"
        )
    if payload["format_version"] != _FORMAT_VERSION:
        raise RuntimeError(
            f"checkpoint {path} has format version {payload['format_version']}; this gnnlib "
            f"reads version {_FORMAT_VERSION}"
        )
    return payload
