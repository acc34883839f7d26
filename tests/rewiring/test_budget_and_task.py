"""The parameter budget, RingTransfer data, and a short run of the ``drew`` task."""

import dataclasses

import pytest
import torch

from gnnlib.io import safe_torch_load
from gnnlib.rewiring import DRewModel, DRewModelConfig, count_parameters, hidden_for_budget
from gnnlib.rewiring.ring_transfer import ring_transfer
from gnnlib.rewiring.train import DRewConfig, DRewDataConfig, DRewTrainConfig, run


@pytest.mark.parametrize(
    ("kind", "conv", "layers", "pe"),
    [
        ("drew", "gcn", 7, "lappe"),
        ("drew", "gin", 5, "none"),
        ("drew", "gatedgcn", 4, "rwse"),
        ("sp", "gcn", 4, "none"),
        ("mpnn", "gine", 6, "none"),
        ("mixhop", "gcn", 3, "none"),  # widths must divide by 3 powers
    ],
)
def test_hidden_is_the_largest_width_within_the_budget(kind, conv, layers, pe):
    config = DRewModelConfig(
        kind=kind, conv=conv, layers=layers, pe=pe, edge_features=conv == "gine"
    )

    def build(hidden):
        return DRewModel(dataclasses.replace(config, hidden=hidden), 9, 10, categorical=True)

    budget = 100_000
    hidden = hidden_for_budget(build, budget, minimum=17)
    assert count_parameters(build(hidden)) <= budget
    for wider in range(hidden + 1, hidden + 4):
        try:
            assert count_parameters(build(wider)) > budget
        except ValueError:
            pass  # a width the architecture refuses


def test_drew_width_shrinks_with_depth_faster_than_mpnn():
    def width(kind, layers, budget=100_000):
        config = DRewModelConfig(kind=kind, layers=layers)
        return hidden_for_budget(
            lambda d: DRewModel(dataclasses.replace(config, hidden=d), 9, 10, True), budget
        )

    assert width("drew", 7, 500_000) == pytest.approx(130, abs=8)  # the paper's width
    assert width("drew", 6) / width("drew", 3) < width("mpnn", 6) / width("mpnn", 3)


def test_budget_errors_are_clear():
    with pytest.raises(ValueError, match="over the budget"):
        hidden_for_budget(lambda d: torch.nn.Linear(d, 1000), 10)

    def refuse(hidden: int) -> torch.nn.Module:
        raise ValueError(f"num_layers must be at least 1 (width {hidden})")

    # A model that cannot be built at any width says why, not only that it was refused.
    with pytest.raises(ValueError, match=r"accepted 0 of .*width 64: num_layers must be"):
        hidden_for_budget(refuse, 1000)


def test_ring_transfer_matches_the_official_generator():
    graphs = ring_transfer(10, ring_size=8, num_classes=5)
    assert [int(g.y) for g in graphs] == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]
    g = graphs[4]
    assert g.x[0].sum() == 0 and g.x[4].argmax() == 2 and g.x[4].sum() == 1
    assert g.x[1].sum() == 5 and g.target_mask.nonzero().flatten().tolist() == [0]
    assert g.edge_index.size(1) == 16  # both directions of the 8 ring edges


def test_drew_learns_a_small_ring_transfer(tmp_path):
    config = DRewConfig(
        method="drew-gcn",
        data=DRewDataConfig(name="RingTransfer", ring_size=8, num_rings=100, batch_size=16),
        model=DRewModelConfig(layers=4, nu=1, hidden=16, readout="target"),
        train=DRewTrainConfig(epochs=15, optimizer="adam", lr=0.01, scheduler="none"),
    )
    record = run(config, 0, torch.device("cpu"), tmp_path)
    assert record.metrics["test"]["acc"] == 1.0
    assert record.metrics["model"]["hidden"] == 16


def test_batching_leaves_the_training_unchanged(tmp_path):
    """Background collation (DataLoader workers) and device-resident batches give the
    losses and metrics of the plain DataLoader."""

    def history(num_workers: int, resident: bool = False) -> list[dict]:
        config = DRewConfig(
            method="drew-gcn",
            data=DRewDataConfig(
                name="RingTransfer",
                ring_size=6,
                num_rings=60,
                batch_size=8,
                num_workers=num_workers,
                resident=resident,
            ),
            model=DRewModelConfig(layers=3, nu=1, hidden=8, readout="target"),
            train=DRewTrainConfig(epochs=3, optimizer="adam", lr=0.01, scheduler="none"),
        )
        out = tmp_path / f"{num_workers}-{resident}"
        run(config, 0, torch.device("cpu"), out)
        checkpoint = safe_torch_load(out / "checkpoints" / "epoch-000002.pt")
        # every entry but the epoch's seconds
        return [
            {key: value for key, value in entry.items() if key != "time_s"}
            for entry in checkpoint["states"]["history"]["epochs"]
        ]

    plain = history(0)
    assert history(2) == plain
    assert history(0, resident=True) == plain
    with pytest.raises(ValueError, match="resident: false to use workers"):
        DRewDataConfig(name="RingTransfer", resident=True, num_workers=2)
