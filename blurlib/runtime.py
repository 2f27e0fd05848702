"""Device and precision choice, shared by training, prediction and the benchmark.

On CPU, bf16 autocast is used when the processor has native bf16 (AVX512-BF16 or AMX): a VGG16 training step is
~5x faster there. Elsewhere fp32. On CUDA, bf16 autocast where the GPU supports it.
"""

from __future__ import annotations

import contextlib
import os
import platform

import torch

PRECISIONS = ("auto", "bf16", "fp32")
"""Float precisions: ``auto`` resolves to ``bf16`` where the device computes it natively (:func:`resolve_precision`)."""
INFERENCE_PRECISIONS = (*PRECISIONS, "int8")
"""Precisions a model can be run in: the float ones, and ``int8`` (configs I–V on CPU, :mod:`blurlib.quantize`)."""


def pick_device(device: str | None = None) -> torch.device:
    """``device`` if given, else CUDA when present, else CPU."""
    if device:
        return torch.device(device)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def cpu_has_bf16() -> bool:
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` -> ``bf16`` where the device computes bf16 natively, else ``fp32``."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}: use one of {PRECISIONS}")
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    return "bf16" if device.type == "cpu" and cpu_has_bf16() else "fp32"


def autocast(device: torch.device, precision: str):
    """The autocast context for ``precision`` (a no-op for fp32)."""
    if precision == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def free_memory(device: torch.device) -> int:
    """Bytes the device can still allocate: free GPU memory on CUDA, available RAM (Linux) on CPU."""
    if device.type == "cuda":
        return torch.cuda.mem_get_info(device)[0]
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not Linux: no reliable figure, do not refuse
        return 1 << 62


def cpu_name() -> str:
    """The processor's model name (``/proc/cpuinfo`` on Linux, else what the platform reports), e.g. ``AMD EPYC``."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware() -> str:
    """The machine by its parts, for provenance: ``<cpu model>, <n> cores`` and the GPU's name where CUDA is present."""
    gpu = f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    return f"{cpu_name()}, {os.cpu_count()} cores{gpu}"


def describe(device: torch.device) -> str:
    """A one-line description of the device, for provenance: ``cuda: <GPU name>`` or
    ``cpu: <model name>, <n> threads, <vector extension>``."""
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    return f"cpu: {cpu_name()}, {torch.get_num_threads()} threads, {torch.backends.cpu.get_cpu_capability()}"
