"""An interrupted and resumed run must end exactly where the uninterrupted run ends.

Each run is a separate process (``resume_run.py``): the interruption is a real process
exit, and the resume starts from a fresh interpreter, with nothing carried over but the
checkpoint directory.
"""

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from gnnlib.train import Checkpointer

SCRIPT = Path(__file__).with_name("resume_run.py")
EXIT_CODE = 75  # resume_run.EXIT_CODE
EPOCHS = 40
EPOCH_DELAY = 0.2  # seconds of sleep per epoch in the run that gets killed


def _start(directory: Path, *options: str) -> tuple[subprocess.Popen, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / "result.pt"
    command = [sys.executable, str(SCRIPT), str(directory / "ckpt"), str(out)]
    process = subprocess.Popen(
        [*command, "--epochs", str(EPOCHS), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return process, out


def _finish(process: subprocess.Popen, expected_code: int = 0) -> None:
    output, _ = process.communicate(timeout=60)
    assert process.returncode == expected_code, output


def _result(out: Path) -> dict:
    return torch.load(out, weights_only=True)


def _assert_same_run(resumed: dict, reference: dict) -> None:
    assert resumed["losses"] == reference["losses"]
    assert resumed["val_acc"] == reference["val_acc"]
    assert resumed["best_epoch"] == reference["best_epoch"]
    assert resumed["best_value"] == reference["best_value"]
    assert resumed["stopped_early"] == reference["stopped_early"]
    assert resumed["model"].keys() == reference["model"].keys()
    for key, value in reference["model"].items():
        assert torch.equal(resumed["model"][key], value), key


def _latest_epoch(checkpointer: Checkpointer) -> int | None:
    latest = checkpointer.latest()
    return None if latest is None else int(latest.stem.removeprefix("epoch-"))


def _kill_after_checkpoint(
    process: subprocess.Popen, checkpointer: Checkpointer, epoch: int
) -> int:
    """SIGKILL ``process`` at a random moment after its checkpoint of ``epoch`` appears.

    Returns the epoch of the newest checkpoint the killed process left behind.
    """
    deadline = time.monotonic() + 30
    while (latest := _latest_epoch(checkpointer)) is None or latest < epoch:
        assert process.poll() is None, "the run ended before it could be killed"
        assert time.monotonic() < deadline, f"no checkpoint of epoch {epoch} within 30 s"
        time.sleep(0.01)
    # Unseeded on purpose: anywhere within the next epoch (EPOCH_DELAY of sleep each).
    time.sleep(random.Random().uniform(0.0, EPOCH_DELAY))
    process.send_signal(signal.SIGKILL)
    _finish(process, expected_code=-signal.SIGKILL)
    return _latest_epoch(checkpointer)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """Run the three variants, overlapping processes where they are independent.

    ``uninterrupted`` runs start to end; ``exit`` stops itself with os._exit right after
    the checkpoint of epoch 9 and is resumed; ``sigkill`` (slowed by EPOCH_DELAY per epoch) is
    killed at a random point after epoch 4's checkpoint and is resumed.
    """
    root = tmp_path_factory.mktemp("resume")
    reference, reference_out = _start(root / "uninterrupted")
    exiting, _ = _start(root / "exit", "--exit-after", "9")
    slow, _ = _start(root / "sigkill", "--epoch-delay", str(EPOCH_DELAY))
    resumed = {}
    try:
        killed_after = _kill_after_checkpoint(slow, Checkpointer(root / "sigkill" / "ckpt"), 4)
        _finish(exiting, expected_code=EXIT_CODE)
        exited_after = _latest_epoch(Checkpointer(root / "exit" / "ckpt"))
        resumed = {name: _start(root / name) for name in ("exit", "sigkill")}
        for process, _ in resumed.values():
            _finish(process)
        _finish(reference)
    finally:
        for process in (reference, exiting, slow, *(p for p, _ in resumed.values())):
            if process.poll() is None:
                process.kill()
                process.wait()
    return {
        "uninterrupted": _result(reference_out),
        "exit": _result(resumed["exit"][1]),
        "exited_after": exited_after,
        "sigkill": _result(resumed["sigkill"][1]),
        "killed_after": killed_after,
    }


def test_uninterrupted_run_exercises_what_resuming_must_restore(runs):
    reference = runs["uninterrupted"]
    # Early stopping, the best epoch and later StepLR decays all come after the
    # interruptions, so each depends on state carried through the checkpoint.
    assert reference["stopped_early"]
    assert reference["best_epoch"] > 10
    assert len(reference["losses"]) < EPOCHS


def test_resume_after_exit_matches_uninterrupted_run(runs):
    assert runs["exited_after"] == 9
    assert runs["exit"]["started_at"] == 10
    _assert_same_run(runs["exit"], runs["uninterrupted"])


def test_resume_after_sigkill_matches_uninterrupted_run(runs):
    assert runs["sigkill"]["started_at"] == runs["killed_after"] + 1
    _assert_same_run(runs["sigkill"], runs["uninterrupted"])
