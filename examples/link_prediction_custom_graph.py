"""NCN on your own graph, with no node features: each node learns an embedding.

    python examples/link_prediction_custom_graph.py [--epochs 30]

The graph here is a random two-community graph; replace ``make_graph`` with your own
``edge_index`` ([2, E], both directions or one) and ``num_nodes``.
"""

from __future__ import annotations

import argparse

import torch
import torch.nn.functional as F
from torch_geometric.utils import negative_sampling, to_undirected

from gnnlib.data.splits import random_link_split
from gnnlib.eval.metrics import hits_at_k
from gnnlib.linkpred import NCNPredictor, remove_target_links, symmetric_csr
from gnnlib.linkpred.encoder import NCNEncoder
from gnnlib.train import seed_everything


def make_graph(num_nodes: int = 400, seed: int = 0) -> torch.Tensor:
    """Two communities: dense inside, sparse across (a stochastic block model)."""
    gen = torch.Generator().manual_seed(seed)
    pairs = torch.combinations(torch.arange(num_nodes), 2)
    same = (pairs[:, 0] < num_nodes // 2) == (pairs[:, 1] < num_nodes // 2)
    probability = torch.where(same, 0.05, 0.005)
    return pairs[torch.rand(len(pairs), generator=gen) < probability].t()


def main(epochs: int = 30, seed: int = 0) -> dict[str, float]:
    seed_everything(seed)
    edge_index, num_nodes = make_graph(seed=seed), 400
    split = random_link_split(edge_index, num_nodes, val_ratio=0.1, test_ratio=0.2, seed=seed)
    train_pos = split["train"]["edge"].t()  # [2, E_train], each pair once
    adj = symmetric_csr(train_pos, num_nodes)  # the graph the model may see
    train_graph = to_undirected(train_pos, num_nodes=num_nodes)

    # No features: x holds node ids and the encoder looks up one embedding per node.
    x = torch.arange(num_nodes)
    encoder = NCNEncoder(64, 64, num_layers=1, conv="puregcn", num_embeddings=num_nodes)
    predictor = NCNPredictor(64, 64, dropout=0.1)
    parameters = [*encoder.parameters(), *predictor.parameters()]
    optimizer = torch.optim.Adam(parameters, lr=0.01)

    for _ in range(epochs):
        encoder.train(), predictor.train()
        negatives = negative_sampling(train_graph, num_nodes)
        for batch in torch.randperm(train_pos.size(1)).split(256):
            optimizer.zero_grad()
            # Target link removal: the batch's own edges are hidden from the model.
            batch_adj = remove_target_links(adj, train_pos[:, batch])
            h = encoder(x, batch_adj)
            pos = predictor(h, batch_adj, train_pos[:, batch])
            neg = predictor(h, batch_adj, negatives[:, batch])
            loss = -F.logsigmoid(pos).mean() - F.logsigmoid(-neg).mean()
            loss.backward()
            optimizer.step()

    encoder.eval(), predictor.eval()
    with torch.no_grad():
        h = encoder(x, adj)
        scores = {
            part: [predictor(h, adj, split[part][key].t()) for key in ("edge", "edge_neg")]
            for part in ("valid", "test")
        }
    return {f"{part} hits@20": hits_at_k(pos, neg, 20) for part, (pos, neg) in scores.items()}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    for name, value in main(args.epochs, args.seed).items():
        print(f"{name}: {value:.4f}")
