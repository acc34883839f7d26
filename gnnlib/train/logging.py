"""Loggers that speak only on the main process, so a DDP job logs each line once."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from gnnlib.train.distributed import is_main_process

__all__ = ["get_logger"]

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_DATE_FORMAT = "%H:%M:%S"


class _MainProcessFilter(logging.Filter):
    """Drop records on every rank but 0.

    The rank is asked at each record, not when the logger is made, because loggers are
    typically created at import time, before the process group exists.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return is_main_process()


class _StderrHandler(logging.StreamHandler):
    """Write to whatever ``sys.stderr`` is when a record is emitted.

    A plain ``StreamHandler(sys.stderr)`` keeps the stream it was created with, so a later
    redirection (pytest's capture, ``contextlib.redirect_stderr``) would be bypassed, or
    written to after it was closed. The standard library's ``logging.lastResort`` handler
    works the same way.
    """

    @property
    def stream(self) -> TextIO:  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        # StreamHandler.__init__ assigns the stream; the property above replaces it.
        pass


def get_logger(name: str) -> logging.Logger:
    """Return the logger ``name``, set up to write INFO and above to stderr on rank 0 only.

    Records on other ranks are dropped. The logger does not propagate to the root
    logger, so an application's own ``logging.basicConfig`` does not print each line a
    second time (or on every rank). Calling this again for the same name returns the
    same logger without adding handlers, and a level set by the caller is kept.
    """
    logger = logging.getLogger(name)
    if not any(isinstance(f, _MainProcessFilter) for f in logger.filters):
        logger.addFilter(_MainProcessFilter())
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter(_FORMAT, datefmt=_DATE_FORMAT))
        logger.addHandler(handler)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger
