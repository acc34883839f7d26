"""The guide's worked example (a featureless custom graph) runs as documented."""

import importlib.util
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples/link_prediction_custom_graph.py"


def test_custom_graph_example_trains_and_reports_hits():
    spec = importlib.util.spec_from_file_location("example", EXAMPLE)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    results = example.main(epochs=2)
    assert set(results) == {"valid hits@20", "test hits@20"}
    assert all(0.0 <= value <= 1.0 for value in results.values())
