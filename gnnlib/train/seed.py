"""Seeding and random-number-generator state.

A run is reproducible only if every generator it draws from is seeded: Python's
:mod:`random` (PyG's ``negative_sampling`` draws from it), NumPy's global generator,
and torch's CPU and CUDA generators (weight init, dropout, ``randperm`` sampling).
For an interrupted run to resume *exactly*, the same generators' states must also be
saved with the checkpoint and restored; :func:`rng_state` and :func:`set_rng_state` do
that in a form that ``torch.load(weights_only=True)`` accepts (tensors, ints, floats,
lists, strings), so checkpoints never need the unsafe full unpickler.

Not covered: NumPy ``Generator`` objects (``np.random.default_rng``) are not global;
code that needs one reproducible should create it from the run's seed. Python's
``hash()`` randomisation is fixed only by ``PYTHONHASHSEED`` at interpreter start.
"""

from __future__ import annotations

import os
import random
from numbers import Integral
from typing import Any

import numpy as np
import torch

__all__ = ["rng_state", "seed_everything", "set_rng_state"]

# NumPy's legacy global generator accepts seeds in [0, 2**32); torch accepts more,
# but one seed must be valid for all generators.
_MAX_SEED = 2**32 - 1


def seed_everything(seed: int, deterministic: bool = False) -> None:
    """Seed Python's ``random``, NumPy's global generator and torch (CPU and every CUDA device).

    Args:
        seed: An integer in ``[0, 2**32 - 1]`` (the range NumPy's global generator accepts).
        deterministic: Also ask torch for deterministic kernels:
            ``torch.use_deterministic_algorithms(True, warn_only=True)``, cuDNN
            ``deterministic=True`` and ``benchmark=False``, and, when CUDA is available,
            ``CUBLAS_WORKSPACE_CONFIG=:4096:8`` unless already set (it only takes effect
            if set before the process's first cuBLAS call, so seed before any CUDA work).
            ``warn_only=True`` is deliberate: some operations have no deterministic CUDA
            kernel at all (floating-point ``torch.cumsum``, ``scatter_reduce`` with
            ``reduce='prod'``, ``bincount`` with weights, ``histc``, ...), and with
            ``warn_only=False`` one such call anywhere in a model makes deterministic mode
            unusable for it. torch warns instead, naming the operation, so the remaining
            source of nondeterminism is visible. ``deterministic=False`` leaves these
            process-wide settings as they are rather than resetting them.
    """
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if not 0 <= seed <= _MAX_SEED:
        raise ValueError(f"seed must be in [0, {_MAX_SEED}] (NumPy's limit), got {seed}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed)
    # Seeds the CPU generator and every CUDA device's (lazily if CUDA is not yet initialised).
    torch.manual_seed(seed)
    if deterministic:
        if torch.cuda.is_available():
            os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False


def rng_state() -> dict[str, Any]:
    """Capture the state of every generator :func:`seed_everything` seeds.

    Returns:
        A dict with keys ``'python'``, ``'numpy'``, ``'torch'`` and, when CUDA has been
        initialised in this process, ``'cuda'`` (one state per visible device). Values are
        tensors, ints, floats, lists and ``None`` only, so the dict can be saved with
        ``torch.save`` and read back with ``torch.load(weights_only=True)``.
    """
    version, internal, gauss_next = random.getstate()
    name, keys, pos, has_gauss, cached_gaussian = np.random.get_state(legacy=True)
    state: dict[str, Any] = {
        "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
        "numpy": {
            "name": name,
            # uint32 -> int64: every value fits, and int64 tensors load everywhere.
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "torch": torch.get_rng_state(),
    }
    # is_initialized rather than is_available: reading the states would otherwise start
    # CUDA (and allocate a context) in a CPU run on a GPU machine. A process that never
    # initialised CUDA never drew from its generators, so there is nothing to save.
    if torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore generator states captured by :func:`rng_state`.

    CUDA states are restored for the devices both the saved state and this process
    have; a GPU run resumed on CPU restores the CPU generators only (its numbers could
    not match bit for bit anyway, since CPU and CUDA kernels differ).

    Raises:
        ValueError: if ``state`` lacks one of the keys :func:`rng_state` writes.
    """
    missing = [key for key in ("python", "numpy", "torch") if key not in state]
    if missing:
        raise ValueError(
            f"RNG state is missing {missing}; expected a dict from rng_state() with keys "
            f"'python', 'numpy', 'torch' (and optionally 'cuda'), got keys {sorted(state)}"
        )
    py = state["python"]
    random.setstate((py["version"], tuple(py["internal"]), py["gauss_next"]))
    np_state = state["numpy"]
    np.random.set_state(
        (
            np_state["name"],
            np_state["keys"].cpu().numpy().astype(np.uint32),
            np_state["pos"],
            np_state["has_gauss"],
            np_state["cached_gaussian"],
        )
    )
    # .cpu() here and above: a checkpoint loaded with a CUDA map_location moved them.
    torch.set_rng_state(state["torch"].cpu())
    if "cuda" in state and torch.cuda.is_available():
        for device, device_state in enumerate(state["cuda"][: torch.cuda.device_count()]):
            torch.cuda.set_rng_state(device_state.cpu(), device)
