"""Progress bars that stay quiet where nobody watches them, and the log lines that stand in
for them there."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable
from typing import TypeVar

from tqdm import tqdm

from gnnlib.train.distributed import is_main_process

__all__ = ["ProgressLog", "progress"]

T = TypeVar("T")

# Where the bar is hidden (output redirected, as under nohup or a batch scheduler), a
# progress line is logged at most this often, and for the last step.
LOG_INTERVAL_S = 30.0

_ON = {"1", "true", "yes", "on"}
_OFF = {"0", "false", "no", "off"}


def progress(
    iterable: Iterable[T],
    total: int | None = None,
    desc: str | None = None,
    enabled: bool | None = None,
) -> tqdm:
    """Wrap ``iterable`` (typically the epochs) in a tqdm bar on stderr, shown only when useful.

    The bar is shown, in order of precedence:

    1. never on a process other than the main one (one bar per job, not one per rank);
    2. if ``enabled`` is given, as it says (e.g. from a ``--quiet`` flag);
    3. if the environment variable ``GNNLIB_PROGRESS`` is set (non-empty), as it says
       (``1``/``true``/``yes``/``on`` or ``0``/``false``/``no``/``off``);
    4. not when ``CI`` is set (to anything but ``0``/``false``/``no``/``off``), since
       bars fill CI logs with carriage-return noise;
    5. not when stderr is not a terminal (output redirected to a file);
    6. otherwise, shown.

    A hidden bar is still a tqdm object: it iterates over ``iterable`` and accepts
    ``set_postfix`` and ``set_description``, so the training loop does not branch on it.
    """
    show = _should_show(enabled)
    return tqdm(iterable, total=total, desc=desc, disable=not show, dynamic_ncols=True)


class ProgressLog:
    """When a job whose ``bar`` is hidden should log a progress line instead.

    ``due(last)`` is true at most every ``LOG_INTERVAL_S`` seconds, and for the last step
    (``last=True``); never while the bar shows, since the bar already says it.
    """

    def __init__(self, bar: tqdm) -> None:
        self.active = bar.disable
        self._previous = time.perf_counter()

    def due(self, last: bool = False) -> bool:
        if not self.active:
            return False
        now = time.perf_counter()
        if last or now - self._previous >= LOG_INTERVAL_S:
            self._previous = now
            return True
        return False


def _should_show(enabled: bool | None) -> bool:
    if not is_main_process():
        return False
    if enabled is not None:
        return enabled
    forced = os.environ.get("GNNLIB_PROGRESS", "")
    value = forced.strip().lower()
    if value:
        if value not in _ON | _OFF:
            raise ValueError(
                f"GNNLIB_PROGRESS={forced!r} is not understood; set it to 1 (always show "
                "progress bars) or 0 (never), or unset it to decide automatically"
            )
        return value in _ON
    ci = os.environ.get("CI", "").strip().lower()
    if ci and ci not in _OFF:
        return False
    # sys.stderr is None under pythonw and some embedded interpreters.
    return sys.stderr is not None and sys.stderr.isatty()
