"""The two passes every mini-batch graph task makes over a PyG ``DataLoader``: one
optimisation epoch, and the model's outputs with their targets for evaluation.

Graph classification, DRew's graph tasks and the metanetwork tasks differ only in
their loss and their metric; each passes those in and keeps its step readable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch
from torch import Tensor


def train_graph_batches(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loader: Iterable[Any],
    loss_of: Callable[[Any], Tensor],
    device: torch.device,
) -> float:
    """One epoch over ``loader``: a step on ``loss_of(batch)`` per batch; returns the
    mean loss per graph."""
    model.train()
    # The sum stays on the device: a per-batch .item() would wait for every step to
    # finish on a GPU before the next batch could be queued. It is kept in float64, the
    # precision of the Python float it replaces, so the reported losses are unchanged.
    total, count = torch.zeros((), dtype=torch.float64, device=device), 0
    for batch in loader:
        batch = batch.to(device, non_blocking=True)
        optimizer.zero_grad()
        loss = loss_of(batch)
        loss.backward()
        optimizer.step()
        total += loss.detach().double() * batch.num_graphs
        count += batch.num_graphs
    if count == 0:
        raise ValueError("the training loader yielded no graphs")
    return total.item() / count


@torch.no_grad()
def predict_graph_batches(
    model: torch.nn.Module,
    loader: Iterable[Any],
    forward: Callable[[Any], Tensor],
    device: torch.device,
) -> tuple[Tensor, Tensor]:
    """``forward(batch)`` and ``batch.y`` over ``loader`` in evaluation mode, each
    concatenated on the CPU."""
    model.eval()
    outputs, targets = [], []
    for batch in loader:
        batch = batch.to(device, non_blocking=True)
        outputs.append(forward(batch))
        targets.append(batch.y)
    return torch.cat(outputs).cpu(), torch.cat(targets).cpu()
