"""Turn a ``--device`` option into a :class:`torch.device`, failing early and clearly."""

from __future__ import annotations

import torch

__all__ = ["resolve_device"]

_EXPECTED = "'auto', 'cpu', 'cuda', 'cuda:N' or 'mps'"


def resolve_device(spec: str | torch.device = "auto") -> torch.device:
    """Resolve a device specification, checking that the device exists here.

    Args:
        spec: ``'cpu'``; ``'cuda'`` (the current CUDA device, which is ``cuda:LOCAL_RANK``
            under ``torchrun`` once ``torch.cuda.set_device`` has been called); ``'cuda:N'``;
            ``'mps'`` (Apple GPUs); or ``'auto'``: CUDA if available, else CPU. ``'auto'``
            never picks MPS, whose support for the sparse tensors and scatter operations
            message passing relies on is incomplete; ask for it explicitly. A :class:`torch.device` is checked
            the same way.

    Returns:
        A ``torch.device``; CUDA devices always carry their index.

    Raises:
        TypeError: if ``spec`` is neither a string nor a ``torch.device``.
        ValueError: for an unknown specification, for CUDA or MPS when it is not
            available, and for a CUDA index beyond the visible devices.
    """
    if not isinstance(spec, (str, torch.device)):
        raise TypeError(f"device must be a str or torch.device, got {type(spec).__name__} {spec!r}")
    text = str(spec).strip().lower()
    if text == "auto":
        text = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(text)
    except RuntimeError:
        raise ValueError(f"unknown device {spec!r}; expected {_EXPECTED}") from None
    if device.type == "cpu":
        return torch.device("cpu")
    if device.type == "cuda":
        return _cuda_device(spec, device.index)
    if device.type == "mps":
        if not torch.backends.mps.is_available():
            raise ValueError(
                f"device {spec!r} requested but MPS (Apple GPU) is not available on this "
                "machine; use --device cpu"
            )
        return torch.device("mps")
    raise ValueError(f"unsupported device {spec!r}; expected {_EXPECTED}")


def _cuda_device(spec: str | torch.device, index: int | None) -> torch.device:
    if not torch.cuda.is_available():
        if torch.version.cuda is None:
            why = f"this PyTorch build ({torch.__version__}) has no CUDA support"
        else:
            why = "no CUDA GPU is visible (check the driver and CUDA_VISIBLE_DEVICES)"
        raise ValueError(
            f"device {spec!r} requested but CUDA is not available: {why}; use --device cpu"
        )
    count = torch.cuda.device_count()
    if index is None:
        return torch.device("cuda", torch.cuda.current_device())
    if index >= count:
        raise ValueError(
            f"device {spec!r} requested but only {count} CUDA device(s) are visible "
            f"(cuda:0 to cuda:{count - 1}); check the index and CUDA_VISIBLE_DEVICES"
        )
    return torch.device("cuda", index)
