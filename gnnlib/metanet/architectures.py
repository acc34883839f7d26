"""The small networks of the model zoo: MLPs, CNNs, ResNet-style CNNs with batch norm
and ViT-style transformers, for 8x8 one-channel images with 10 classes (scikit-learn's
digits). Each is built from a plain-dict spec, as stored in the zoo files."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from gnnlib.nn import make_activation

FAMILIES = ("mlp", "cnn", "resnet", "vit")
IMAGE_SIZE = 8
NUM_CLASSES = 10


class ResidualBlock(torch.nn.Module):
    r""":math:`y = \sigma(x + \mathrm{BN}(\mathrm{conv}(\sigma(\mathrm{BN}(\mathrm{conv}(x))))))`."""

    def __init__(self, channels: int, act: str) -> None:
        super().__init__()
        self.conv1 = torch.nn.Conv2d(channels, channels, 3, padding=1)
        self.norm1 = torch.nn.BatchNorm2d(channels)
        self.conv2 = torch.nn.Conv2d(channels, channels, 3, padding=1)
        self.norm2 = torch.nn.BatchNorm2d(channels)
        self.act = make_activation(act)

    def forward(self, x: Tensor) -> Tensor:
        h = self.act(self.norm1(self.conv1(x)))
        return self.act(x + self.norm2(self.conv2(h)))


class ResNet(torch.nn.Module):
    """Conv stem with batch norm, residual blocks, global average pooling, linear head."""

    def __init__(self, width: int, depth: int, act: str) -> None:
        super().__init__()
        self.stem = torch.nn.Sequential(
            torch.nn.Conv2d(1, width, 3, padding=1),
            torch.nn.BatchNorm2d(width),
            make_activation(act),
        )
        self.blocks = torch.nn.Sequential(*(ResidualBlock(width, act) for _ in range(depth)))
        self.head = torch.nn.Linear(width, NUM_CLASSES)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.blocks(self.stem(x)).mean(dim=(2, 3)))


class TransformerBlock(torch.nn.Module):
    r"""Pre-norm transformer encoder block:
    :math:`x \leftarrow x + \mathrm{MHA}(\mathrm{LN}(x))`,
    :math:`x \leftarrow x + \mathrm{MLP}(\mathrm{LN}(x))`."""

    def __init__(self, width: int, heads: int, act: str) -> None:
        super().__init__()
        self.norm1 = torch.nn.LayerNorm(width)
        self.attn = torch.nn.MultiheadAttention(width, heads, batch_first=True)
        self.norm2 = torch.nn.LayerNorm(width)
        self.mlp = torch.nn.Sequential(
            torch.nn.Linear(width, 2 * width),
            make_activation(act),
            torch.nn.Linear(2 * width, width),
        )

    def forward(self, x: Tensor) -> Tensor:
        h = self.norm1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        return x + self.mlp(self.norm2(x))


class ViT(torch.nn.Module):
    """2x2 patches embedded by a strided conv, learned positional embeddings,
    transformer blocks, a final layer norm, mean over tokens, linear head."""

    def __init__(self, width: int, depth: int, heads: int, act: str, patch: int = 2) -> None:
        super().__init__()
        self.patch = torch.nn.Conv2d(1, width, patch, stride=patch)
        self.pos = torch.nn.Parameter(0.02 * torch.randn(1, (IMAGE_SIZE // patch) ** 2, width))
        self.blocks = torch.nn.Sequential(
            *(TransformerBlock(width, heads, act) for _ in range(depth))
        )
        self.norm = torch.nn.LayerNorm(width)
        self.head = torch.nn.Linear(width, NUM_CLASSES)

    def forward(self, x: Tensor) -> Tensor:
        tokens = self.patch(x).flatten(2).transpose(1, 2) + self.pos
        return self.head(self.norm(self.blocks(tokens)).mean(dim=1))


def build_network(spec: dict[str, Any]) -> torch.nn.Module:
    """The network of ``spec``: ``family`` (one of :data:`FAMILIES`), ``width``,
    ``depth``, ``act`` and, for ``vit``, ``heads``."""
    family, width, depth, act = spec["family"], spec["width"], spec["depth"], spec["act"]
    if family == "mlp":
        layers: list[torch.nn.Module] = []
        for index in range(depth):
            layers += [torch.nn.Linear(IMAGE_SIZE**2 if index == 0 else width, width)]
            layers += [make_activation(act)]
        return torch.nn.Sequential(*layers, torch.nn.Linear(width, NUM_CLASSES))
    if family == "cnn":
        layers = [torch.nn.Conv2d(1, width, 3, padding=1), make_activation(act)]
        for index in range(depth - 1):
            layers += [torch.nn.Conv2d(width, width, 3, padding=1), make_activation(act)]
            if index == 0:
                layers.append(torch.nn.MaxPool2d(2))
        return torch.nn.Sequential(
            *layers,
            torch.nn.AdaptiveAvgPool2d(1),
            torch.nn.Flatten(),
            torch.nn.Linear(width, NUM_CLASSES),
        )
    if family == "resnet":
        return ResNet(width, depth, act)
    if family == "vit":
        return ViT(width, depth, spec["heads"], act)
    raise ValueError(f"unknown network family {family!r}; expected one of {FAMILIES}")


def network_input(spec: dict[str, Any], images: Tensor) -> Tensor:
    """``images`` ``[B, 8, 8]`` in the layout the network of ``spec`` reads: flat
    vectors for MLPs (one input node per pixel), one-channel images otherwise."""
    if spec["family"] == "mlp":
        return images.reshape(images.size(0), -1)
    return images.unsqueeze(1)
