"""Device and precision choice, shared by training, prediction and the benchmark.

On CPU, bf16 autocast is used when the processor has native bf16 (AVX512-BF16 or AMX): a VGG16 training step is
~5x faster there. Elsewhere fp32. On CUDA, bf16 autocast where the GPU supports it.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys

import torch

PRECISIONS = ("auto", "bf16", "fp32")


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


CUBLAS_WORKSPACE = ":4096:8"
"""``CUBLAS_WORKSPACE_CONFIG`` that makes cuBLAS deterministic (CUDA ≥ 10.2)."""


def deterministic(device: torch.device) -> None:
    """Training on CUDA: deterministic algorithms only, for this process (no-op elsewhere: CPU kernels are already).

    cuDNN picks deterministic convolution algorithms (``cudnn.deterministic``, no ``benchmark`` autotuning), cuBLAS
    gets a fixed workspace, and ``torch.use_deterministic_algorithms(True)`` turns any remaining nondeterministic
    op into an error instead of a silent difference (the bilinear upsampling's gradient is computed by
    :class:`blurlib.models.DeterministicBilinear` for this). So a run resumed on the same GPU model with the same
    driver, CUDA and torch versions is bitwise identical to an uninterrupted one; across GPUs or versions, runs
    agree to rounding only.
    """
    if device.type != "cuda":
        return
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.use_deterministic_algorithms(True)


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
    """The processor's model name (Linux: /proc/cpuinfo, e.g. 'AMD EPYC 9R14 96-Core Processor'), else what
    :mod:`platform` knows (often only the architecture)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def peak_rss() -> int:
    """Peak resident memory of this process so far, in bytes (0 where the platform does not report it)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS reports bytes, Linux KiB


def describe(device: torch.device) -> str:
    """A one-line description of the device, for provenance: the GPU's or the CPU's model name."""
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}"
    return f"cpu: {cpu_name()}, {torch.get_num_threads()} threads, {torch.backends.cpu.get_cpu_capability()}"
