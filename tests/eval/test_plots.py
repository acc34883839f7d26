"""plot_metric_vs writes a PNG atomically."""

import pytest

from gnnlib.eval.plots import plot_metric_vs


def test_writes_png(tmp_path):
    path = plot_metric_vs(
        [10, 20, 40],
        {"drew": [1.0, 0.9, 0.8], "gcn": [0.9, 0.4, 0.2]},
        tmp_path / "plots" / "ring.png",
        "ring size",
        "accuracy",
        logx=True,
    )
    assert path.read_bytes().startswith(b"\x89PNG")
    assert [p.name for p in path.parent.iterdir()] == ["ring.png"]


def test_series_length_must_match(tmp_path):
    with pytest.raises(ValueError, match="'gcn' has 2 values but its x has 3"):
        plot_metric_vs([1, 2, 3], {"gcn": [1, 2]}, tmp_path / "p.png", "x", "y")


def test_each_series_can_have_its_own_x(tmp_path):
    # Two series of different lengths at different positions: impossible with one x.
    x = {"small student": [0.04, 1.4], "wide student": [0.2, 0.5, 1.4]}
    ys = {"small student": [79.0, 81.0], "wide student": [81.0, 80.0, 81.0]}
    path = plot_metric_vs(x, ys, tmp_path / "t.png", "latency (ms)", "accuracy", logx=True)
    assert path.read_bytes().startswith(b"\x89PNG")
    with pytest.raises(ValueError, match="'wide student' has 2 values but its x has 3"):
        plot_metric_vs(x, {**ys, "wide student": [1, 2]}, tmp_path / "t.png", "x", "y")
    with pytest.raises(ValueError, match="series 'teacher' has no x values"):
        plot_metric_vs(x, {**ys, "teacher": [1, 2]}, tmp_path / "t.png", "x", "y")


def test_more_than_ten_series_get_distinct_colours(tmp_path, monkeypatch):
    # The trade-off plot draws twelve; matplotlib's default cycle repeats after ten.
    from matplotlib.axes import Axes

    drawn, plot = [], Axes.plot

    def recording_plot(self, *args, **kwargs):
        lines = plot(self, *args, **kwargs)
        drawn.extend(tuple(line.get_color()) for line in lines)
        return lines

    monkeypatch.setattr(Axes, "plot", recording_plot)
    ys = {f"series {i}": [i, i + 1] for i in range(12)}
    plot_metric_vs([1, 2], ys, tmp_path / "many.png", "x", "y")
    assert len(drawn) == 12 and len(set(drawn)) == 12
