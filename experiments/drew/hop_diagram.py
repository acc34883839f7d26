"""Draw docs/drew_hops.png: which hop shells a node reads at each layer, and from which
layer's states, for nu = 1 and nu = inf. The cells come from the library's own
:func:`~gnnlib.rewiring.hops_at_layer` and the delay rule of
:func:`~gnnlib.rewiring.delayed_state`, so the picture is what the code does.

    python experiments/drew/hop_diagram.py [--layers 6] [--out docs/drew_hops.png]
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch

from gnnlib.rewiring import delayed_state, hops_at_layer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--out", type=Path, default=Path("docs/drew_hops.png"))
    args = parser.parse_args()
    L = args.layers
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), sharey=True)
    for ax, nu, title in ((axes[0], 1, "ν = 1"), (axes[1], math.inf, "ν = ∞")):
        grid = torch.full((L, L), float("nan"))
        for t in range(L):
            # the state of layer s is tagged by the number s, so the read tells the delay
            states = [torch.tensor([float(s)]) for s in range(t + 1)]
            for k in hops_at_layer(t, L):
                grid[t, k - 1] = float(delayed_state(states, t, k, nu))
        ax.imshow(grid, cmap="viridis", vmin=0, vmax=L - 1, origin="upper")
        for t in range(L):
            for k in range(L):
                if not math.isnan(grid[t, k]):
                    ax.text(
                        k,
                        t,
                        f"h$^{{({int(grid[t, k])})}}$",
                        ha="center",
                        va="center",
                        color="white" if grid[t, k] < L / 2 else "black",
                        fontsize=9,
                    )
        ax.set_xticks(range(L), [str(k) for k in range(1, L + 1)])
        ax.set_yticks(range(L), [f"t = {t}" for t in range(L)])
        ax.set_xlabel("hop shell k (nodes at distance exactly k)")
        ax.set_title(f"DRew, {title}: hops read at layer t, and the state read")
    axes[0].set_ylabel("layer t (computes h$^{(t+1)}$)")
    fig.text(
        0.5,
        0.01,
        "cell = state read from the hop-k neighbours; blank = hop not read yet "
        "(layer t reads hops 1..t+1)",
        ha="center",
        fontsize=9,
    )
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(args.out, dpi=120)
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
