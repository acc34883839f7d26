"""The shared mini-batch passes over a graph DataLoader."""

import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.loader import DataLoader

from gnnlib.train.graph_batches import predict_graph_batches, train_graph_batches


def _graphs(count):
    return [
        Data(x=torch.full((index + 2, 1), float(index)), y=torch.tensor([float(index)]))
        for index in range(count)
    ]


def test_train_returns_the_mean_loss_per_graph_and_steps_once_per_batch():
    model = torch.nn.Linear(1, 1, bias=False)
    torch.nn.init.zeros_(model.weight)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)  # weights stay: losses known
    steps = []
    optimizer.register_step_post_hook(lambda *args: steps.append(1))
    loader = DataLoader(_graphs(5), batch_size=2)  # batches of 2, 2, 1 graphs
    # Per-batch loss = mean target; weighted by graphs it is the mean over all graphs.
    loss = train_graph_batches(
        model, optimizer, loader, lambda b: b.y.mean() + 0 * model.weight.sum(), "cpu"
    )
    assert loss == pytest.approx(sum(range(5)) / 5)
    assert len(steps) == 3 and model.training


def test_predict_concatenates_outputs_and_targets_in_order_in_eval_mode():
    model = torch.nn.Dropout(0.9)
    loader = DataLoader(_graphs(5), batch_size=2)
    outputs, targets = predict_graph_batches(model, loader, lambda b: model(b.y), "cpu")
    assert torch.equal(outputs, torch.arange(5.0)) and torch.equal(targets, torch.arange(5.0))
    assert not model.training


def test_an_empty_training_loader_is_an_error():
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="no graphs"):
        train_graph_batches(model, optimizer, [], lambda b: b, "cpu")
