"""Function-preserving permutations of hidden neurons of the zoo's networks.

These are the symmetries a metanetwork must respect (the GMN is invariant to them by
construction); permuting a training network is also a free data augmentation.
"""

from __future__ import annotations

import copy
import itertools

import torch
from torch import Tensor

from gnnlib.metanet.architectures import ResNet, ViT


def _take(tensor: Tensor, dim: int, index: Tensor) -> None:
    tensor.data = tensor.data.index_select(dim, index)


def _norm(module: torch.nn.Module, perm: Tensor) -> None:
    for name in ("weight", "bias", "running_mean", "running_var"):
        if getattr(module, name, None) is not None:
            _take(getattr(module, name), 0, perm)


def _head_index(width: int, heads: int, head_perm: Tensor, generator: torch.Generator) -> Tensor:
    """Permute the heads, then the neurons inside each head independently."""
    size = width // heads
    return torch.cat([int(h) * size + torch.randperm(size, generator=generator) for h in head_perm])


def permute_neurons(net: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """A copy of ``net`` (a network of :mod:`gnnlib.metanet.architectures`) with its
    hidden neurons, channels and attention heads randomly permuted; it computes the same
    function. The residual stream of ResNets and ViTs is permuted as one."""
    generator = torch.Generator().manual_seed(seed)
    net = copy.deepcopy(net)

    def perm(n: int) -> Tensor:
        return torch.randperm(n, generator=generator)

    if isinstance(net, torch.nn.Sequential):  # an MLP or a plain CNN
        layers = [m for m in net if isinstance(m, torch.nn.Linear | torch.nn.Conv2d)]
        for first, second in itertools.pairwise(layers):
            p = perm(first.weight.shape[0])
            _take(first.weight, 0, p)
            _take(first.bias, 0, p)
            _take(second.weight, 1, p)
        return net
    if isinstance(net, ResNet):
        stream = perm(net.head.in_features)
        _take(net.stem[0].weight, 0, stream)
        _take(net.stem[0].bias, 0, stream)
        _norm(net.stem[1], stream)
        for block in net.blocks:
            inner = perm(block.conv1.out_channels)
            _take(block.conv1.weight, 1, stream)
            _take(block.conv1.weight, 0, inner)
            _take(block.conv1.bias, 0, inner)
            _norm(block.norm1, inner)
            _take(block.conv2.weight, 1, inner)
            _take(block.conv2.weight, 0, stream)
            _take(block.conv2.bias, 0, stream)
            _norm(block.norm2, stream)
        _take(net.head.weight, 1, stream)
        return net
    if not isinstance(net, ViT):
        raise TypeError(f"no known neuron symmetries for {type(net).__name__}")
    width = net.head.in_features
    stream = perm(width)
    _take(net.patch.weight, 0, stream)
    _take(net.patch.bias, 0, stream)
    _take(net.pos, 2, stream)
    for block in net.blocks:
        attn = block.attn
        heads = perm(attn.num_heads)
        qk = _head_index(width, attn.num_heads, heads, generator)
        v = _head_index(width, attn.num_heads, heads, generator)
        rows = torch.cat([qk, qk + width, v + 2 * width])
        _norm(block.norm1, stream)
        _take(attn.in_proj_weight, 1, stream)
        _take(attn.in_proj_weight, 0, rows)
        _take(attn.in_proj_bias, 0, rows)
        _take(attn.out_proj.weight, 1, v)
        _take(attn.out_proj.weight, 0, stream)
        _take(attn.out_proj.bias, 0, stream)
        _norm(block.norm2, stream)
        hidden = perm(block.mlp[0].out_features)
        _take(block.mlp[0].weight, 1, stream)
        _take(block.mlp[0].weight, 0, hidden)
        _take(block.mlp[0].bias, 0, hidden)
        _take(block.mlp[2].weight, 1, hidden)
        _take(block.mlp[2].weight, 0, stream)
        _take(block.mlp[2].bias, 0, stream)
    _norm(net.norm, stream)
    _take(net.head.weight, 1, stream)
    return net
