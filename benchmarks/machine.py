"""What every benchmark record says about where it ran."""

from __future__ import annotations

import platform

import torch
import torch_geometric


def machine_record(threads: int, device: torch.device) -> dict:
    """Processor, thread count, the device timed, and the library versions."""
    return {
        "processor": platform.processor(),
        "threads": threads,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "torch_geometric": torch_geometric.__version__,
    }
