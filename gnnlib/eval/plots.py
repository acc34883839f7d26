"""Small line plots for benchmarks and sweeps (e.g. accuracy vs ring size, time vs size)."""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from gnnlib.io import atomic_write_bytes

__all__ = ["plot_metric_vs"]


def plot_metric_vs(
    x: Sequence[float] | Mapping[str, Sequence[float]],
    ys: Mapping[str, Sequence[float]],
    path: str | os.PathLike,
    xlabel: str,
    ylabel: str,
    logx: bool = False,
    logy: bool = False,
) -> Path:
    """Plot one line per ``ys`` entry (label -> values at ``x``) and write a PNG atomically.

    ``x`` is shared by every series, or a mapping label -> that series' own x values
    (series whose points sit at different positions, e.g. models of different costs).
    Returns the path written. Every series must have as many values as its x.
    """
    xs = x if isinstance(x, Mapping) else {label: x for label in ys}
    for label, values in ys.items():
        if label not in xs:
            raise ValueError(f"series {label!r} has no x values; x has {sorted(xs)}")
        if len(values) != len(xs[label]):
            raise ValueError(
                f"series {label!r} has {len(values)} values but its x has {len(xs[label])}"
            )
    # matplotlib is imported here, and the Agg canvas used directly rather than pyplot,
    # so that importing gnnlib.eval stays fast and no global backend state is touched.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5, 3.5))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if len(ys) > 10:  # the default cycle repeats its ten colours
        from matplotlib import colormaps

        ax.set_prop_cycle(color=[colormaps["tab20"](i % 20) for i in range(len(ys))])
    for label, values in ys.items():
        ax.plot(xs[label], values, marker="o", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if logx:
        ax.set_xscale("log")
        _plain_log_ticks(ax.xaxis)
    if logy:
        ax.set_yscale("log")
        _plain_log_ticks(ax.yaxis)
    ax.grid(alpha=0.3)
    if ys:
        # Beside the axes, not on them: with many series an inside legend hides lines.
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1))
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight")
    return atomic_write_bytes(path, buffer.getvalue())


def _plain_log_ticks(axis) -> None:
    """Log scale with ticks at 1, 2, 5 per decade written as plain numbers: matplotlib's
    default labels minor ticks in mathtext when the data span less than a decade, and
    those labels overprint one another."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(NullFormatter())
