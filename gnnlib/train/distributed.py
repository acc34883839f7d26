"""The one place that knows this process's rank.

Everything in :mod:`gnnlib.train` that must behave differently on rank 0 (logging,
progress bars, writing checkpoints) asks here, so a run under ``torchrun`` (DDP) and
a plain single-process run share the same code. The answers come from
:mod:`torch.distributed` each time they are asked; nothing is cached, so there is no
module state to go stale when a process group is created or destroyed.

Before ``torch.distributed.init_process_group`` has been called, every process
reports rank 0 of 1: initialise the process group first thing in a distributed run.
"""

from __future__ import annotations

import torch.distributed as dist

__all__ = ["is_main_process", "rank", "world_size"]


def _initialized() -> bool:
    # is_available() is False on builds without distributed support, where
    # is_initialized() does not exist.
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    """This process's global rank in the default process group, or 0 without one."""
    return dist.get_rank() if _initialized() else 0


def world_size() -> int:
    """The number of processes in the default process group, or 1 without one."""
    return dist.get_world_size() if _initialized() else 1


def is_main_process() -> bool:
    """Whether this is rank 0: the process that logs, shows progress and writes files."""
    return rank() == 0
