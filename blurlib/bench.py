"""Speed benchmark: inference latency and training-step time per model, each beside a plain fp32 torchvision
VGG16 measured in the same run (the ratio is what carries over between machines).

Goals, checked by reading this report (never by timed tests): config V inference ≤ 0.10 s per 384² image on a
2-core AMD EPYC (Zen 4) with AVX512-BF16 and no AMX, and ≤ 3 ms on an NVIDIA H100; the 10,000 iterations of the
paper's recipe ≤ 2 h on that CPU (0.72 s per step) and ≤ 3 min on an H100 (18 ms per step). A speed-up (bf16, int8)
must not change ODS by more than 0.002 (:func:`precision_accuracy`).

Every timing starts with its inputs already on the device (host-to-device copies are timed by none of them, the
reference included). Memory: on CUDA the peak GPU memory allocated by each timed function
(``torch.cuda.max_memory_allocated``, bytes); on CPU the peak resident memory of the whole process
(``peak_rss_bytes``), which includes everything the process did before. The models' training steps run as
:func:`blurlib.train.train` runs them, with deterministic algorithms on CUDA (:func:`blurlib.runtime.deterministic`);
the reference, as a user would run it, without.
"""

from __future__ import annotations

import contextlib
import time

import torch
import torch.nn.functional as F
from torchvision.models import vgg16

from blurlib import checkpoint, metrics, runtime
from blurlib.baselines import METHODS
from blurlib.data.preprocess import DEFAULT_SIZE
from blurlib.data.synthetic import make_sample
from blurlib.errors import BlurlibError, is_out_of_memory, reason
from blurlib.evaluate import count, model_maps
from blurlib.losses import DEFAULT_LOSS
from blurlib.models import build
from blurlib.paths import portable
from blurlib.predict import NET_BYTES_PER_PIXEL, check_size, predict_map
from blurlib.profiles import get as get_profile
from blurlib.provenance import provenance
from blurlib.quantize import INT8_MODELS, calibrate, int8_model
from blurlib.train import model_loss

MIN_BENCH_SIZE = 32
"""Smallest side ``bench`` times: the reference, torchvision's whole VGG16 trunk, pools five times by 2."""


def _median_seconds(fn, repeats: int, warmup: int, device: torch.device) -> float:
    """Median seconds of one ``fn()``, by ``torch.utils.benchmark`` (it synchronises CUDA and keeps the thread count),
    after ``warmup`` calls, over at least ``repeats`` calls (blocks of calls for fast ones, about 0.1 s each)."""
    # imported here: it loads torch's C++ extension tools (0.7 s), which warn where a CUDA toolkit folder exists
    # without a CUDA runtime; the other commands start without them
    from torch.utils import benchmark

    for _ in range(warmup):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    t0 = time.perf_counter()
    fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    once = time.perf_counter() - t0
    timer = benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=torch.get_num_threads())
    return timer.blocked_autorange(min_run_time=max(repeats * once, 0.2)).median


def _measure(r: dict, key: str, fn, repeats: int, warmup: int, device: torch.device) -> None:
    """``r[key + "_s"]``: median seconds of ``fn``; on CUDA also ``r[key + "_peak_gpu_bytes"]``, its peak memory."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    r[f"{key}_s"] = _median_seconds(fn, repeats, warmup, device)
    if device.type == "cuda":
        r[f"{key}_peak_gpu_bytes"] = torch.cuda.max_memory_allocated(device)


def _inference(model, x, device, precision):
    model = model.eval().to(device, memory_format=torch.channels_last)
    x = x.to(device, memory_format=torch.channels_last)

    def run():
        with torch.inference_mode(), runtime.autocast(device, precision):
            torch.sigmoid(model(x).float())
    return run


def _int8_inference(model, x, size):
    """Timing does not depend on the weights or the scales: calibrated on one synthetic image."""
    q = int8_model(model.eval(), calibrate(model.eval(), [make_sample(1, size, seed=0)[1]], size=size))

    def run():
        with torch.inference_mode():
            torch.sigmoid(q(x))
    return run


def _train_step(model, x, y, device, precision):
    model = model.train().to(device, memory_format=torch.channels_last)
    x, y = x.to(device, memory_format=torch.channels_last), y.to(device)
    opt = torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9)

    def run():
        with runtime.autocast(device, precision):
            loss = model_loss(model, x, y, DEFAULT_LOSS)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return run


@contextlib.contextmanager
def _pytorch_tf32_defaults():
    """PyTorch's own defaults for the length of the block: cuDNN convolutions may use TF32, matmuls may not."""
    before = torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = True, False
    try:
        yield
    finally:
        torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = before


class _TorchvisionVGG16(torch.nn.Module):
    """The reference: torchvision's VGG16 conv trunk, fp32, contiguous, as a user would run it."""

    def __init__(self):
        super().__init__()
        self.features = vgg16().features

    def forward(self, x):
        return self.features(x).mean(dim=1, keepdim=True)


def run_bench(models=("V",), size: int = DEFAULT_SIZE, batch_size: int = 3, repeats: int = 5, warmup: int = 2,
              device: str | None = None, precision: str = "auto", train: bool = True) -> dict:
    """Median seconds per inference (1 image of ``size``²) and per training step (``batch_size`` images).

    A size or batch whose forward pass alone needs more memory than the device has free is refused before any
    work; running out of memory later (the backward pass) is a :class:`BlurlibError` too.
    """
    try:
        return _run_bench(models, size, batch_size, repeats, warmup, device, precision, train)
    except (RuntimeError, MemoryError) as e:  # torch.OutOfMemoryError is a RuntimeError
        if not is_out_of_memory(e):
            raise
        raise BlurlibError(f"bench ran out of memory at size {size}, batch {batch_size} ({reason(e)}): use a smaller "
                           "--size or --batch-size.") from e


def _run_bench(models, size, batch_size, repeats, warmup, device, precision, train) -> dict:
    if min(size, batch_size, repeats) < 1 or warmup < 0:
        raise BlurlibError(f"bench: size ({size}), batch size ({batch_size}) and repeats ({repeats}) must be >= 1.")
    dev, prec = runtime.select(device, precision)
    check_size(size, dev)
    need = batch_size * size * size * NET_BYTES_PER_PIXEL
    if train and need > runtime.free_memory(dev):
        raise BlurlibError(f"a training step on {batch_size} images of {size}x{size} needs more than "
                           f"{need / 2**30:.1f} GiB on {dev.type}, more than is free: use a smaller --size or "
                           "--batch-size, or --no-train.")
    torch.manual_seed(0)
    x1 = torch.randn(1, 3, size, size)
    xb, yb = torch.randn(batch_size, 3, size, size), (torch.rand(batch_size, 1, size, size) > 0.5).float()

    ref_model, ref, ref_defaults = _TorchvisionVGG16().to(dev), {}, {}
    _measure(ref, "inference", _ref_forward(ref_model, x1.to(dev)), repeats, warmup, dev)
    if train:
        _measure(ref, "train_step", _ref_train(ref_model, xb.to(dev), yb.to(dev)), repeats, warmup, dev)
    if dev.type == "cuda":  # strict fp32 above (blurlib's setting: TF32 off); PyTorch's defaults let cuDNN use TF32
        with _pytorch_tf32_defaults():
            _measure(ref_defaults, "inference", _ref_forward(ref_model, x1.to(dev)), repeats, warmup, dev)
            if train:
                _measure(ref_defaults, "train_step", _ref_train(ref_model, xb.to(dev), yb.to(dev)), repeats, warmup,
                         dev)
    del ref_model
    out = {}
    for name in models:
        r = {}
        _measure(r, "inference", _inference(build(name), x1, dev, prec), repeats, warmup, dev)
        r["inference_ratio"] = r["inference_s"] / ref["inference_s"]
        if dev.type == "cpu" and isinstance(build(name), INT8_MODELS):
            _measure(r, "int8_inference", _int8_inference(build(name), x1, size), repeats, warmup, dev)
            r["int8_inference_ratio"] = r["int8_inference_s"] / ref["inference_s"]
        if train:
            with runtime.deterministic(dev):  # as blurlib.train runs it
                _measure(r, "train_step", _train_step(build(name), xb, yb, dev, prec), repeats, warmup, dev)
            r["train_ratio"] = r["train_step_s"] / ref["train_step_s"]
            r["paper_recipe_hours"] = r["train_step_s"] * get_profile("paper").iterations / 3600
        out[name] = {k: round(v, 5) for k, v in r.items()}
    memory = {} if dev.type == "cuda" else {"peak_rss_bytes": runtime.peak_rss()}
    return {"device": runtime.describe(dev), "precision": prec, "size": size, "batch_size": batch_size,
            "repeats": repeats, "reference_fp32_torchvision_vgg16": {k: round(v, 5) for k, v in ref.items()},
            "reference_fp32": "strict fp32 (TF32 off)" if dev.type == "cuda" else "fp32 (TF32 does not apply on a CPU)",
            **({"reference_fp32_pytorch_defaults": {k: round(v, 5) for k, v in ref_defaults.items()}}
               if ref_defaults else {}),
            "models": out, **memory, "provenance": provenance()}


def _ref_forward(model, x):
    model.eval()

    def run():
        with torch.inference_mode():
            model(x)
    return run


def _ref_train(model, x, y):
    opt = torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9)

    def run():
        model.train()
        loss = F.binary_cross_entropy_with_logits(F.interpolate(model(x), size=x.shape[-2:]), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return run


def runtime_table(image, repeats: int = 3, checkpoint_path=None, device: str | None = None) -> dict:
    """Table VI analogue: median seconds per 384² image for each baseline and for DBM (config V), in one run.

    ``image``: uint8 RGB (384, 384, 3). DBM is timed end to end (preprocessing, forward, sigmoid) with the weights of
    ``checkpoint_path`` if given (timing does not depend on them), in fp32, with the automatic precision and, on CPU,
    in int8 (:mod:`blurlib.quantize`).
    """
    dev = runtime.pick_device(device)
    runtime.configure(dev, "fp32")
    seconds = {name: _median_seconds(lambda f=fn: f(image), repeats, 1, torch.device("cpu"))
               for name, fn in METHODS.items()}
    model = build("V").eval() if checkpoint_path is None else checkpoint.load_model(checkpoint_path, expect="V")[0]
    models = {prec: model for prec in ("fp32", runtime.resolve_precision("auto", dev))}
    if dev.type == "cpu":
        models["int8"] = int8_model(model, calibrate(model, [image]))
    for prec, m in models.items():
        seconds[f"DBM ({dev.type}, {prec})"] = _median_seconds(
            lambda m=m, p=prec: predict_map(m, image, size=None, device=dev, precision=p), repeats, 1, dev)
    return {"seconds_per_image": {k: round(v, 4) for k, v in seconds.items()}, "device": runtime.describe(dev),
            "size": list(image.shape[:2]), "repeats": repeats, "provenance": provenance()}


def precision_accuracy(checkpoint_path, pairs, size: int = DEFAULT_SIZE, precisions: tuple[str, ...] | None = None) -> dict:
    """The metrics of one checkpoint (config I–V or unet) computed in each of ``precisions`` (default: the automatic
    precision of the CPU, then int8) on the same test ``pairs``, paper protocol, all on CPU:
    ``{"<precision>": {ods, ois, ap, …}, "ods_change": {"<precision>": ods - ods of the first}}``.
    int8 needs the calibration beside the checkpoint (``blurlib quantize``); a speed-up must not change ODS by more
    than 0.002 (the goal in the module doc)."""
    precisions = precisions or (runtime.resolve_precision("auto", torch.device("cpu")), "int8")
    out = {"checkpoint": portable(checkpoint_path), "test_images": len(pairs), "size": size,
           "precisions": list(precisions)}
    for prec in precisions:
        m, ckpt = checkpoint.load_model(checkpoint_path, precision=prec)
        out[prec] = metrics.summarize(count(pairs, model_maps(m, ckpt["convention"], size, prec, "cpu")), "paper")
    out["ods_change"] = {p: round(out[p]["ods"] - out[precisions[0]]["ods"], 5) for p in precisions[1:]}
    out["provenance"] = provenance()
    return out
