"""Device and precision choice, shared by training, prediction, evaluation and the benchmark.

:func:`pick_device` is the one place a device name is checked: an unknown name or a device that is not present
is a one-line :class:`BlurlibError` naming the fix, never a traceback from deep inside torch.

Precision ``auto``: on CPU, bf16 autocast when the processor has native bf16 (AVX512-BF16 or AMX): a VGG16 training
step is ~5x faster there; elsewhere fp32. On CUDA, bf16 autocast where the GPU computes bf16 natively (compute
capability 8.0 and up), never where torch would only emulate it; else fp32.

TF32 on CUDA: off, whatever the precision (:func:`configure`). ``fp32`` means IEEE fp32 matmuls and convolutions
(TF32 would keep only 10 mantissa bits), and under ``bf16`` autocast the ops it leaves in fp32 stay IEEE fp32 too,
so a result recorded as fp32 is fp32 on every GPU.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys

import torch

from blurlib.errors import BlurlibError, reason

PRECISIONS = ("auto", "bf16", "fp32")
"""Float precisions: ``auto`` resolves to ``bf16`` where the device computes it natively (:func:`resolve_precision`)."""
INFERENCE_PRECISIONS = (*PRECISIONS, "int8")
"""Precisions a model can be run in: the float ones, and ``int8`` (configs I–V on CPU, :mod:`blurlib.quantize`)."""
DEVICE_TYPES = ("cpu", "cuda", "mps")
"""Device types blurlib runs on (``cuda`` also as ``cuda:N``)."""


_SESSION_DEVICE: str | None = None


def use_device(device: str | torch.device | None) -> None:
    """Make ``device`` (checked) what every later call without a device runs on in this process — a notebook's
    ``device`` parameter thus reaches its maps, the more-data and later-split experiments and every scoring, not only
    training. None: back to the automatic choice.

    >>> use_device("cpu"); pick_device(); use_device(None)
    device(type='cpu')
    """
    global _SESSION_DEVICE
    _SESSION_DEVICE = None if device in (None, "") else str(pick_device(device))


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """``device`` checked (one of :data:`DEVICE_TYPES`, present here); without one the device of
    :func:`use_device`, else CUDA when usable, else CPU.

    >>> pick_device("cpu")
    device(type='cpu')
    >>> pick_device("gpu")
    Traceback (most recent call last):
    ...
    blurlib.errors.BlurlibError: unknown device 'gpu': use cpu, cuda, cuda:N (N = 0, 1, ...) or mps.
    """
    if device is None or device == "":
        device = _SESSION_DEVICE or ("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, ValueError, TypeError):
        dev = None
    if dev is None or dev.type not in DEVICE_TYPES:
        raise BlurlibError(f"unknown device {str(device)!r}: use cpu, cuda, cuda:N (N = 0, 1, ...) or mps.")
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise BlurlibError(f"device {str(device)!r} is not available here: torch.cuda.is_available() is False (no "
                               "driver or a CPU-only torch build); use --device cpu or install a CUDA build of torch.")
        n = torch.cuda.device_count()
        if dev.index is not None and dev.index >= n:
            raise BlurlibError(f"device {str(device)!r} is not available here: {n} CUDA device{'s' * (n != 1)} "
                               f"(cuda:0{f' to cuda:{n - 1}' if n > 1 else ''}); use --device cuda:0.")
        try:
            _first_use(dev)
        except RuntimeError as e:  # e.g. a driver too old for this torch build, a GPU in exclusive use
            raise BlurlibError(f"device {str(device)!r} cannot be used ({reason(e)}); use --device cpu, or fix the "
                               "CUDA driver (nvidia-smi shows its state).") from e
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise BlurlibError(f"device {str(device)!r} is not available here: torch.backends.mps.is_available() is False "
                           "(MPS needs Apple silicon and a macOS build of torch); use --device cpu.")
    if dev.type == "cpu" and dev.index not in (None, 0):
        raise BlurlibError(f"unknown device {str(device)!r}: the CPU is 'cpu'; use --device cpu.")
    return dev


def _first_use(device: torch.device) -> None:
    """Allocate one number on ``device``: where CUDA is reported but unusable, this is where it fails."""
    torch.empty(1, device=device)


def select(device: str | torch.device | None = None, precision: str = "auto") -> tuple[torch.device, str]:
    """(device, precision) to run with: :func:`pick_device`, :func:`resolve_precision`, then :func:`configure`.

    ``precision`` may also be ``int8`` (:data:`INFERENCE_PRECISIONS`): int8 inference runs on CPU only, without
    autocast, so the device is the CPU unless another is named, which is an error.
    """
    if precision == "int8":
        if str(device or "cpu") != "cpu":
            raise BlurlibError(f"int8 models run on CPU only, not {device}: use --precision bf16 there.")
        return pick_device("cpu"), "int8"
    dev = pick_device(device)
    prec = resolve_precision(precision, dev)
    configure(dev, prec)
    return dev, prec


def configure(device: torch.device, precision: str) -> None:
    """Make the numerics explicit: on CUDA, TF32 off for matmuls and cuDNN convolutions (see the module doc)."""
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False


def announce(device: torch.device, precision: str, what: str = "") -> str:
    """Print (stderr) and return the one line a run starts with: which device and precision it uses."""
    line = f"{what + ': ' if what else ''}device {describe(device)}; precision {precision}"
    print(line, file=sys.stderr)
    return line


def cpu_has_bf16() -> bool:
    return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())


def resolve_precision(precision: str, device: torch.device) -> str:
    """``auto`` -> ``bf16`` where the device computes bf16 natively, else ``fp32``."""
    if precision not in PRECISIONS:
        raise BlurlibError(f"unknown precision {precision!r}: use one of {', '.join(PRECISIONS)}.")
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported(including_emulation=False) else "fp32"
    return "bf16" if device.type == "cpu" and cpu_has_bf16() else "fp32"


CUBLAS_WORKSPACE = ":4096:8"
"""``CUBLAS_WORKSPACE_CONFIG`` that makes cuBLAS deterministic (CUDA ≥ 10.2)."""


@contextlib.contextmanager
def deterministic(device: torch.device):
    """Context for training on CUDA: deterministic algorithms only (nothing changes elsewhere: CPU kernels are).

    cuDNN picks deterministic convolution algorithms (``cudnn.deterministic``, no ``benchmark`` autotuning), cuBLAS
    gets a fixed workspace, and ``torch.use_deterministic_algorithms(True)`` turns any remaining nondeterministic
    op into an error instead of a silent difference (the bilinear upsampling's gradient is computed by
    :class:`blurlib.models.DeterministicBilinear` for this). So a run resumed on the same GPU model with the same
    driver, CUDA and torch versions is bitwise identical to an uninterrupted one; across GPUs or versions, runs
    agree to rounding only. The previous settings are restored on exit (``CUBLAS_WORKSPACE_CONFIG`` stays set).
    """
    if device.type != "cuda":
        yield
        return
    cudnn = torch.backends.cudnn
    saved = (torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
             cudnn.deterministic, cudnn.benchmark)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", CUBLAS_WORKSPACE)
    cudnn.deterministic, cudnn.benchmark = True, False
    torch.use_deterministic_algorithms(True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(saved[0], warn_only=saved[1])
        cudnn.deterministic, cudnn.benchmark = saved[2], saved[3]


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


def peak_rss() -> int:
    """Peak resident memory of this process so far, in bytes (0 where the platform does not report it)."""
    try:
        import resource
    except ImportError:  # Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # macOS reports bytes, Linux KiB


def hardware() -> str:
    """The machine by its parts, for provenance: ``<cpu model>, <n> cores`` and the GPU's name where CUDA is present."""
    gpu = f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    return f"{cpu_name()}, {os.cpu_count()} cores{gpu}"


def describe(device: torch.device) -> str:
    """A one-line description of the device, for provenance: the GPU's or the CPU's model name."""
    if device.type == "cuda":
        return f"cuda: {torch.cuda.get_device_name(device)}, TF32 off"
    return f"cpu: {cpu_name()}, {torch.get_num_threads()} threads, {torch.backends.cpu.get_cpu_capability()}"


CUDA_NEEDS = {"13": ("580", "Turing (compute capability 7.5) or newer"),
              "12": ("525.60.13", "Maxwell (compute capability 5.0) or newer, as the build's arch list says")}
"""NVIDIA's minimum Linux driver for a CUDA major version (minor-version compatibility) and the GPU generations
PyTorch's wheels of that CUDA are built for."""


def gpu_environment() -> str:
    """One line on the torch of this environment and the GPU it sees; a :class:`BlurlibError` when it sees none,
    naming the CUDA of the build, the driver that CUDA needs and how to install another build.

    >>> import unittest.mock as m
    >>> with m.patch.object(torch.cuda, "is_available", lambda: False), m.patch.object(torch.version, "cuda", "13.0"):
    ...     gpu_environment()
    Traceback (most recent call last):
    blurlib.errors.BlurlibError: torch ... (CUDA 13.0) sees no GPU. This build needs an NVIDIA driver >= 580 (nvidia-smi shows yours) and a Turing (compute capability 7.5) or newer GPU; for an older driver or GPU install a CUDA 12 build of the same torch: make gpu-env TORCH_INDEX=https://download.pytorch.org/whl/cu126
    """
    cuda = torch.version.cuda
    if cuda is None:
        raise BlurlibError(f"torch {torch.__version__} is a CPU-only build: install a CUDA build, e.g. make gpu-env "
                           "TORCH_INDEX=https://download.pytorch.org/whl/cu126 (CUDA 12.6).")
    if not torch.cuda.is_available():
        driver, gpus = CUDA_NEEDS.get(cuda.split(".")[0], ("the one NVIDIA lists for it", "a GPU its arch list names"))
        other = ("for an older driver or GPU install a CUDA 12 build of the same torch: make gpu-env "
                 "TORCH_INDEX=https://download.pytorch.org/whl/cu126") if not cuda.startswith("12") else \
            "check that the driver is loaded (nvidia-smi) and CUDA_VISIBLE_DEVICES"
        raise BlurlibError(f"torch {torch.__version__} (CUDA {cuda}) sees no GPU. This build needs an NVIDIA driver >= "
                           f"{driver} (nvidia-smi shows yours) and a {gpus} GPU; {other}")
    names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
    return f"torch {torch.__version__}, CUDA {cuda}, GPU: {names}"


if __name__ == "__main__":  # make gpu-env's last step
    import sys

    try:
        print(gpu_environment())
    except BlurlibError as e:
        print(f"make gpu-env: {e}", file=sys.stderr)
        sys.exit(1)
