"""A small training run that checkpoints every epoch and resumes from the latest checkpoint.

Run as a script by ``test_resume.py``, so that an interruption is a real process exit
and a resume starts from a fresh interpreter. Every random generator matters here:
torch (initialisation, dropout), NumPy (the per-epoch sample of training nodes) and
Python's ``random`` (PyG's ``negative_sampling``).

    python resume_run.py CKPT_DIR OUT_FILE [--epochs N] [--exit-after K] [--epoch-delay S]

``--exit-after K`` ends the process with ``os._exit(EXIT_CODE)`` right after the
checkpoint of epoch ``K`` (no cleanup, like a kill); ``--epoch-delay`` sleeps after each
epoch so that a test can send SIGKILL mid-run. ``OUT_FILE`` receives the final (best)
weights, the per-epoch losses and validation accuracies, the early-stopping outcome, and
the epoch this process started at.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch_geometric.nn import GCNConv
from torch_geometric.utils import negative_sampling, to_undirected

from gnnlib.train import Checkpointer, EarlyStopping, resolve_device, seed_everything

EXIT_CODE = 75


class GCN(torch.nn.Module):
    def __init__(self, in_channels: int, hidden: int, classes: int, dropout: float) -> None:
        super().__init__()
        self.conv1 = GCNConv(in_channels, hidden)
        self.conv2 = GCNConv(hidden, classes)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> tuple[torch.Tensor, ...]:
        x = F.dropout(x, self.dropout, self.training)
        hidden = self.conv1(x, edge_index).relu()
        logits = self.conv2(F.dropout(hidden, self.dropout, self.training), edge_index)
        return logits, hidden


class History:
    """Per-epoch records, checkpointed with the rest so a resumed run reports all epochs."""

    def __init__(self) -> None:
        self.losses: list[float] = []
        self.val_acc: list[float] = []

    def state_dict(self) -> dict[str, Any]:
        return {"losses": list(self.losses), "val_acc": list(self.val_acc)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.losses = list(state["losses"])
        self.val_acc = list(state["val_acc"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("ckpt_dir")
    parser.add_argument("out_file")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--exit-after", type=int, default=None)
    parser.add_argument("--epoch-delay", type=float, default=0.0)
    args = parser.parse_args()

    # One thread: identical float summation order in every process.
    torch.set_num_threads(1)
    seed_everything(0)
    device = resolve_device("cpu")

    num_nodes, features, classes = 120, 16, 3
    x = torch.randn(num_nodes, features)
    y = (x @ torch.randn(features, classes)).argmax(dim=1)
    edge_index = to_undirected(torch.randint(num_nodes, (2, 480)), num_nodes=num_nodes)
    x, y, edge_index = x.to(device), y.to(device), edge_index.to(device)
    train_nodes = np.arange(0, 60)
    val_nodes = torch.arange(60, 120, device=device)

    model = GCN(features, 32, classes, dropout=0.5).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.7)
    stopper = EarlyStopping("val_acc", "max", patience=10)
    history = History()
    checkpointer = Checkpointer(args.ckpt_dir, every=1, keep_last=2)
    objects = {
        "model": model,
        "optimizer": optimizer,
        "scheduler": scheduler,
        "stopper": stopper,
        "history": history,
    }

    last = checkpointer.load_latest(**objects)
    start = 0 if last is None else last + 1
    for epoch in range(start, args.epochs):
        if stopper.should_stop:
            break
        model.train()
        optimizer.zero_grad()
        batch = torch.from_numpy(np.random.choice(train_nodes, 40, replace=False)).to(device)
        logits, hidden = model(x, edge_index)
        negatives = negative_sampling(edge_index, num_nodes=num_nodes)
        pos_score = (hidden[edge_index[0]] * hidden[edge_index[1]]).sum(dim=1)
        neg_score = (hidden[negatives[0]] * hidden[negatives[1]]).sum(dim=1)
        link_loss = F.binary_cross_entropy_with_logits(
            torch.cat([pos_score, neg_score]),
            torch.cat([torch.ones_like(pos_score), torch.zeros_like(neg_score)]),
        )
        loss = F.cross_entropy(logits[batch], y[batch]) + 0.1 * link_loss
        loss.backward()
        optimizer.step()
        scheduler.step()

        model.eval()
        with torch.no_grad():
            pred = model(x, edge_index)[0].argmax(dim=1)
        val_acc = (pred[val_nodes] == y[val_nodes]).float().mean().item()

        history.losses.append(loss.item())
        history.val_acc.append(val_acc)
        stopper.step(val_acc, epoch, model)
        checkpointer.save(epoch, **objects)
        if epoch == args.exit_after:
            os._exit(EXIT_CODE)
        time.sleep(args.epoch_delay)

    stopper.restore_best(model)
    torch.save(
        {
            "model": model.state_dict(),
            "losses": history.losses,
            "val_acc": history.val_acc,
            "best_epoch": stopper.best_epoch,
            "best_value": stopper.best_value,
            "stopped_early": stopper.should_stop,
            "started_at": start,
        },
        args.out_file,
    )


if __name__ == "__main__":
    main()
