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
    with pytest.raises(ValueError, match="'gcn' has 2 values but x has 3"):
        plot_metric_vs([1, 2, 3], {"gcn": [1, 2]}, tmp_path / "p.png", "x", "y")
