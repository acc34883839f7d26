r"""Equal parameter budgets: the width that fits a model into a parameter count.

A DRew stack of :math:`L` layers holds one weight matrix per (hop, layer) pair,
:math:`\sum_{t<L} \min(t+1, K) \approx L^2/2` of them against :math:`L` for a plain
MPNN, so at a fixed budget (500k in the paper) its width shrinks as :math:`1/L`
rather than :math:`1/\sqrt{L}`. Rather than a closed formula per architecture (the
official ``param_calcs.py`` keeps one per model type), the count is measured: for a
model whose widths all equal ``hidden`` it is a quadratic polynomial in ``hidden``,
fitted from three built models and then checked by building the candidates.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch


def count_parameters(model: torch.nn.Module) -> int:
    """Trainable parameters of ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def hidden_for_budget(
    build: Callable[[int], torch.nn.Module], budget: int, minimum: int = 1
) -> int:
    """The largest ``hidden >= minimum`` with ``count_parameters(build(hidden)) <= budget``.

    ``build(hidden)`` returns the model at that width; it may raise ``ValueError`` for
    widths the architecture refuses (e.g. not divisible by a head count), which are
    skipped. Raises ``ValueError`` when even the smallest valid width exceeds the budget.
    """
    if budget < 1:
        raise ValueError(f"the parameter budget must be positive, got {budget}")

    counts: dict[int, int | None] = {}
    refusals: dict[int, str] = {}

    def count(hidden: int) -> int | None:
        if hidden not in counts:
            try:
                counts[hidden] = count_parameters(build(hidden))
            except ValueError as error:
                counts[hidden] = None
                refusals[hidden] = str(error)
        return counts[hidden]

    def fits(hidden: int) -> bool:
        n = count(hidden)
        return n is not None and n <= budget

    # Fit count(h) = a h^2 + b h + c through three valid widths, solve for the budget.
    widths = [w for w in range(minimum, minimum + 64) if count(w) is not None][:3]
    if len(widths) < 3:
        last = max(refusals)
        raise ValueError(
            f"build() accepted {len(widths)} of the widths {minimum}..{minimum + 63}, and "
            f"three are needed; at width {last}: {refusals[last]}"
        )
    if not fits(widths[0]):
        raise ValueError(
            f"even hidden={widths[0]} has {count(widths[0])} parameters, over the budget {budget}"
        )
    a, b, c = _quadratic_through(widths, [count(w) for w in widths])
    # The fit is exact for polynomial counts; the walks below make the answer exact
    # whatever the count's shape, as long as it grows with the width.
    hidden = max(widths[0], int(_largest_root(a, b, c - budget)))
    while not fits(hidden):
        hidden -= 1
    while True:
        above = next((w for w in range(hidden + 1, hidden + 9) if count(w) is not None), None)
        if above is None or not fits(above):
            return hidden
        hidden = above


def _quadratic_through(xs: list[int], ys: list[int]) -> tuple[float, float, float]:
    (x0, x1, x2), (y0, y1, y2) = xs, ys
    d01, d12 = (y1 - y0) / (x1 - x0), (y2 - y1) / (x2 - x1)
    a = (d12 - d01) / (x2 - x0)
    b = d01 - a * (x0 + x1)
    return a, b, y0 - a * x0**2 - b * x0


def _largest_root(a: float, b: float, c: float) -> float:
    if abs(a) < 1e-12:
        return -c / b
    return (-b + math.sqrt(max(b * b - 4 * a * c, 0.0))) / (2 * a)
