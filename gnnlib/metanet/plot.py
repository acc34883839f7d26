"""Drawing a parameter graph (for the guide and for checking a new layer rule by eye)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import torch
from torch_geometric.data import Data

from gnnlib.metanet.schema import EdgeType, NodeType

NODE_COLORS = {
    NodeType.INPUT: "#4c72b0",
    NodeType.HIDDEN: "#8c8c8c",
    NodeType.OUTPUT: "#dd8452",
    NodeType.BIAS: "#55a868",
    NodeType.NORM: "#c44e52",
    NodeType.HEAD: "#8172b3",
}
EDGE_COLORS = {
    EdgeType.LINEAR: "#4c4c4c",
    EdgeType.CONV: "#4c4c4c",
    EdgeType.BIAS: "#55a868",
    EdgeType.NORM_WEIGHT: "#c44e52",
    EdgeType.NORM_BIAS: "#55a868",
    EdgeType.RESIDUAL: "#1f77b4",
}


def draw_parameter_graph(graph: Data, path: str | Path, title: str = "") -> Path:
    """Save a layered drawing of ``graph``: one column per layer, bias nodes above
    their layer, parallel edges (kernel entries) drawn once with their count."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    node_type = [NodeType(int(t)) for t in graph.node_type]
    layer = graph.node_layer.tolist()
    position, slots = {}, Counter()
    for node, (kind, column) in enumerate(zip(node_type, layer, strict=True)):
        if kind == NodeType.BIAS:
            position[node] = (column - 0.45, 2.5)
        else:
            position[node] = (column, -slots[column])
            slots[column] += 1
    edges = Counter(
        (int(s), int(d), EdgeType(int(t)))
        for (s, d), t in zip(graph.edge_index.T.tolist(), graph.edge_type, strict=True)
    )
    fig, ax = plt.subplots(figsize=(11, 5))
    for (source, target, kind), count in edges.items():
        (x0, y0), (x1, y1) = position[source], position[target]
        style = "--" if kind == EdgeType.RESIDUAL else "-"
        bend = 0.25 if kind == EdgeType.RESIDUAL else 0.0
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "-|>",
                "color": EDGE_COLORS.get(kind, "#999999"),
                "lw": 0.6 + 0.15 * count,
                "ls": style,
                "alpha": 0.7,
                "shrinkA": 7,
                "shrinkB": 7,
                "connectionstyle": f"arc3,rad={bend}",
            },
        )
        if count > 1:
            ax.text((x0 + x1) / 2, (y0 + y1) / 2, f"x{count}", fontsize=6, color="#333333")
    for kind, color in NODE_COLORS.items():
        nodes = [n for n, t in enumerate(node_type) if t == kind]
        if nodes:
            xy = torch.tensor([position[n] for n in nodes])
            ax.scatter(xy[:, 0], xy[:, 1], s=140, c=color, label=kind.name.lower(), zorder=3)
    ax.plot([], [], "--", color=EDGE_COLORS[EdgeType.RESIDUAL], label="residual edge")
    ax.plot([], [], "-", color=EDGE_COLORS[EdgeType.NORM_WEIGHT], label="norm gamma edge")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.set_xlabel("layer index (node_layer)")
    ax.set_yticks([])
    ax.set_title(title)
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=130)
    plt.close(fig)
    return path
