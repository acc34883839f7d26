"""Normalisation and activation layers by name, shared by every encoder and MLP."""

from __future__ import annotations

import torch

NORMS = ("none", "batch", "layer")

ACTIVATIONS = {
    "relu": torch.nn.ReLU,
    "gelu": torch.nn.GELU,
    "elu": torch.nn.ELU,
    "leaky_relu": torch.nn.LeakyReLU,
    "prelu": torch.nn.PReLU,
    "silu": torch.nn.SiLU,
    "tanh": torch.nn.Tanh,
    "sigmoid": torch.nn.Sigmoid,
    "identity": torch.nn.Identity,
}


def make_norm(name: str, channels: int) -> torch.nn.Module:
    """``'batch'`` normalises each feature over the nodes of the batch; ``'layer'`` each
    node over its features (``torch.nn.LayerNorm``, not PyG's graph-wise LayerNorm);
    ``'none'`` is the identity."""
    if name == "batch":
        return torch.nn.BatchNorm1d(channels)
    if name == "layer":
        return torch.nn.LayerNorm(channels)
    if name == "none":
        return torch.nn.Identity()
    raise ValueError(f"unknown norm {name!r}; expected one of {NORMS}")


def make_activation(name: str) -> torch.nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; expected one of {sorted(ACTIVATIONS)}")
    return ACTIVATIONS[name]()
