"""The JSON record a benchmark writes: what it measured and where it ran."""

from __future__ import annotations

import argparse
import json
import platform

import torch
import torch_geometric

from gnnlib.io import atomic_write_text


def write_record(name: str, args: argparse.Namespace, device: torch.device, **results) -> None:
    """Write ``results`` to ``args.out`` (atomically) with the benchmark's name, its
    arguments, and the processor, thread count, device timed and library versions."""
    machine = {
        "processor": platform.processor(),
        "threads": args.threads,
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "torch_geometric": torch_geometric.__version__,
    }
    record = {"benchmark": name, "args": vars(args) | {"out": str(args.out)}, "machine": machine}
    atomic_write_text(args.out, json.dumps(record | results, indent=2))
    print(f"written to {args.out}")
