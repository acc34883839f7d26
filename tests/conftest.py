"""Shared test fixtures.

Tests on real data read it from ``GNNLIB_DATA`` (``.ci/run`` and ``make test`` point it
at ``../shared/data``). A test whose data is missing fails in CI (``CI=true``), so that a
broken data setup can never pass as green, and skips with the reason elsewhere.
"""

import os
from pathlib import Path

import pytest


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture
def require_data():
    """Return a function ``require(relpath) -> Path`` under ``GNNLIB_DATA``.

    The function fails the test in CI and skips it elsewhere when the path is missing.
    """

    def require(relpath: str = "") -> Path:
        root = os.environ.get("GNNLIB_DATA")
        if not root:
            reason = "GNNLIB_DATA is not set; point it at the shared benchmark data"
        else:
            path = Path(root) / relpath
            if path.exists():
                return path
            reason = f"{path} does not exist (GNNLIB_DATA={root})"
        if _in_ci():
            pytest.fail(f"real data needed in CI: {reason}")
        pytest.skip(reason)

    return require
