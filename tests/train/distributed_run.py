"""One rank of a 2-process gloo job, run by ``test_distributed.py`` like ``torchrun`` would.

    RANK=r WORLD_SIZE=2 python distributed_run.py DIRECTORY

Writes ``DIRECTORY/rank{r}.json`` with what this rank saw.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import torch
import torch.distributed as dist

from gnnlib.io import safe_torch_load
from gnnlib.train import (
    Checkpointer,
    get_logger,
    is_main_process,
    progress,
    rank,
    seed_everything,
    world_size,
)


def main() -> None:
    directory = Path(sys.argv[1])
    dist.init_process_group(
        "gloo",
        init_method=f"file://{directory / 'store'}",
        rank=int(os.environ["RANK"]),
        world_size=int(os.environ["WORLD_SIZE"]),
    )
    seed_everything(100 + rank())  # a different random stream on each rank
    model = torch.nn.Linear(2, 2)
    checkpointer = Checkpointer(directory / "ckpt")
    saved = checkpointer.save(0, model=model)
    draw_after_save = torch.rand(3).tolist()

    seed_everything(0)
    checkpointer.load_latest(model=model)
    draw_after_resume = torch.rand(3).tolist()

    get_logger("gnnlib.tests.distributed").info("hello from rank %d", rank())
    bar = progress(range(2), enabled=True)
    progress_shown = not bar.disable
    bar.close()

    result = {
        "rank": rank(),
        "world_size": world_size(),
        "main": is_main_process(),
        "saved": saved is not None,
        "rng_states_in_file": len(safe_torch_load(checkpointer.latest())["rng"]),
        "draw_after_save": draw_after_save,
        "draw_after_resume": draw_after_resume,
        "progress_shown": progress_shown,
    }
    (directory / f"rank{rank()}.json").write_text(json.dumps(result))
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
