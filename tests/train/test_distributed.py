"""Rank helpers without a process group, and the train helpers in a real 2-process gloo job."""

import json
import os
import subprocess
import sys
from pathlib import Path

from gnnlib.train import is_main_process, rank, world_size

WORKER = Path(__file__).with_name("distributed_run.py")


def test_single_process_is_rank_zero_of_one():
    assert (rank(), world_size(), is_main_process()) == (0, 1, True)


def test_two_process_gloo_job(tmp_path):
    # The process group rendezvous through a file in tmp_path: no port to pick.
    env = {**os.environ, "WORLD_SIZE": "2"}
    processes = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(tmp_path)],
            env={**env, "RANK": str(r)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for r in range(2)
    ]
    outputs = [process.communicate(timeout=60) for process in processes]
    for process, (_, err) in zip(processes, outputs):
        assert process.returncode == 0, err
    results = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]

    assert [(r["rank"], r["world_size"], r["main"]) for r in results] == [
        (0, 2, True),
        (1, 2, False),
    ]
    # Only rank 0 writes the checkpoint; it holds both ranks' RNG states, and each rank
    # gets its own back when resuming.
    assert [r["saved"] for r in results] == [True, False]
    assert [r["rng_states_in_file"] for r in results] == [2, 2]
    assert all(r["draw_after_resume"] == r["draw_after_save"] for r in results)
    assert results[0]["draw_after_save"] != results[1]["draw_after_save"]
    # Only rank 0 logs and shows progress.
    assert "hello from rank 0" in outputs[0][1]
    assert outputs[1][1] == ""
    assert [r["progress_shown"] for r in results] == [True, False]
