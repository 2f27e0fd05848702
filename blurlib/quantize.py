"""Int8 inference on CPU for configs I–V and ``unet``: static post-training quantization of the VGG16 trunk.

On a CPU without AMX (AVX512-VNNI/BF16 only) an int8 convolution does twice the multiply-adds per instruction of a
bf16 one: config V at 384² takes 0.11 s instead of 0.22 s in bf16 on a 2-core AMD EPYC (Zen 4) without AMX
(``blurlib bench``, ``runs/bench_cpu``). The trunk's convolutions (fused with their ReLU) and max pools run in int8 with per-channel
weight scales; the model's head (config V's 1×1 score conv, ``unet``'s decoder), the upsampling and the sigmoid stay
float32. FCN-8s and the fusion models read the trunk differently and have no int8 form.

Weights are quantized when the model is loaded, from the float checkpoint; the activation scales come from a
calibration — a few training images run through the float model with PyTorch's histogram observers — stored as a
small JSON file (``int8_calibration.json``) beside the checkpoint, so no second set of weights is shipped. Uses
PyTorch's eager-mode quantization (``torch.ao.quantization``, engine ``x86``), which PyTorch 2.14 marks deprecated
(to move to ``torchao``) but still ships; its warnings are silenced here.

>>> import numpy as np
>>> from blurlib.models import build
>>> float_model = build("I").eval()
>>> calib = calibrate(float_model, [np.full((40, 40, 3), 128, np.uint8)], size=32)
>>> int8 = int8_model(float_model, calib)
>>> from blurlib.predict import predict_map
>>> predict_map(int8, np.zeros((30, 41, 3), np.uint8), size=32).shape
(30, 41)
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.ao.quantization as tq
from torch import nn
from torch.ao.quantization.observer import FixedQParamsObserver, HistogramObserver, default_per_channel_weight_observer

from blurlib.data.cuhk import Pair
from blurlib.data.preprocess import DEFAULT_SIZE, normalize, resize_pair
from blurlib.errors import BlurlibError
from blurlib.io import file_sha256, write_json
from blurlib.models import BlurMapper, UNetRefiner
from blurlib.provenance import provenance

ENGINE = "x86"
CALIBRATION_FILE = "int8_calibration.json"
# Activations in 0..127 (7 bits): exact on CPUs without VNNI too, where 8-bit products can saturate; weights per
# output channel. The x86 default of PyTorch, spelled out.
QCONFIG = tq.QConfig(activation=HistogramObserver.with_args(quant_min=0, quant_max=127),
                     weight=default_per_channel_weight_observer)


@contextlib.contextmanager
def _quiet():
    """PyTorch 2.14 warns that eager-mode quantization will move out of torch; it works here, say it once in docs."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*(deprecated|reduce_range).*")
        yield


INT8_MODELS = (BlurMapper, UNetRefiner)
"""The model classes with an int8 trunk: those whose head reads the trunk's stage outputs (``head``)."""


class Int8BlurMapper(nn.Module):
    """A config I–V or ``unet`` model whose trunk runs in int8 (CPU only); same input and output as the float model.

    The stage outputs the head reads (``stages_used``) are dequantized and handed to a float copy of the model's head.
    """

    is_int8 = True

    def __init__(self, model: nn.Module):
        super().__init__()
        self.quant = tq.QuantStub()
        self.trunk = nn.Sequential(*copy.deepcopy(model.trunk.stages))
        for stage in self.trunk:
            names = [n for n, _ in stage.named_children()]
            pairs = [[a, b] for a, b in zip(names, names[1:]) if a.startswith("conv") and b.startswith("relu")]
            tq.fuse_modules(stage, pairs, inplace=True)
        self.dequant = tq.DeQuantStub()
        self.used = {s % len(self.trunk) for s in model.stages_used}
        self.float_head = copy.deepcopy(model)
        del self.float_head.trunk  # the head only: the trunk above replaces it

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, feats = self.quant(x), []
        for i, stage in enumerate(self.trunk):
            h = stage(h)
            feats.append(self.dequant(h) if i in self.used else None)
        return self.float_head.head(feats, x.shape[-2:])


def _prepared(model: nn.Module, activation_qconfigs: dict[str, tq.QConfig] | None = None) -> Int8BlurMapper:
    if not isinstance(model, INT8_MODELS):
        raise BlurlibError(f"int8 inference is available for configs I–V and unet only, not {type(model).__name__}; "
                           "use --precision bf16 or fp32.")
    torch.backends.quantized.engine = ENGINE
    q = Int8BlurMapper(model.float().cpu().eval()).eval()
    q.qconfig = QCONFIG
    tq.propagate_qconfig_(q)
    for m in q.float_head.modules():  # the head stays float32
        m.qconfig = None
    for name, qconfig in (activation_qconfigs or {}).items():
        q.get_submodule(name).qconfig = qconfig
    return tq.prepare(q)


def _observed(q: nn.Module) -> dict[str, nn.Module]:
    """Module name -> its activation observer, for every module whose output is quantized."""
    return {name: m.activation_post_process for name, m in q.named_modules()
            if hasattr(m, "activation_post_process") and name}


@torch.inference_mode()
def calibrate(model: nn.Module, images: Iterable[np.ndarray], *, convention: str = "caffe",
              size: int = DEFAULT_SIZE) -> dict:
    """Activation scales of the int8 model of ``model`` (config I–V or unet), observed on ``images`` (uint8 RGB (H, W, 3),
    resized to ``size``²). Returns ``{"engine", "model" (its class), "size", "images", "activations": {module: [scale,
    zero_point, quant_min, quant_max]}}``, the content of ``int8_calibration.json``."""
    with _quiet():
        q = _prepared(model)
    n = 0
    for image in images:
        q(normalize(resize_pair(image, None, size)[0], convention)[None])
        n += 1
    if n == 0:
        raise BlurlibError("int8 calibration needs at least one image.")
    acts = {}
    for name, obs in _observed(q).items():
        scale, zero_point = obs.calculate_qparams()
        acts[name] = [float(scale), int(zero_point), int(obs.quant_min), int(obs.quant_max)]
    return {"engine": ENGINE, "model": type(model).__name__, "size": size, "images": n, "activations": acts}


def int8_model(model: nn.Module, calibration: dict) -> Int8BlurMapper:
    """The int8 model of ``model`` (config I–V or unet, float) with the activation scales of ``calibration``
    (:func:`calibrate`); weights quantized per output channel. CPU only."""
    fixed = {name: tq.QConfig(activation=FixedQParamsObserver.with_args(
                 scale=s, zero_point=z, dtype=torch.quint8, quant_min=lo, quant_max=hi),
                 weight=QCONFIG.weight)
             for name, (s, z, lo, hi) in calibration["activations"].items()}
    made_for = calibration.get("model", type(model).__name__)  # files written before the class was recorded: V
    if made_for != type(model).__name__:
        raise BlurlibError(f"int8 calibration made for a {made_for}, not a {type(model).__name__} (same trunk, other "
                           "head); calibrate again with `blurlib quantize`.")
    with _quiet():
        q = _prepared(model, fixed)
        missing = set(_observed(q)) - set(fixed)
        if missing:
            raise BlurlibError(f"int8 calibration does not fit this model (no scales for {', '.join(sorted(missing))})"
                               "; calibrate again with `blurlib quantize`.")
        return tq.convert(q).eval()


def calibration_path(checkpoint_path: str | Path) -> Path:
    """Where the calibration of a checkpoint lives: ``int8_calibration.json`` in the checkpoint's folder."""
    return Path(checkpoint_path).with_name(CALIBRATION_FILE)


def write_calibration(model: nn.Module, checkpoint_path: str | Path, pairs: Sequence[Pair], *, convention: str = "caffe",
                      images: int = 32, seed: int = 0, size: int = DEFAULT_SIZE, data: str = "", split: str = "",
                      command: list[str] | None = None) -> Path:
    """Calibrate the int8 model of ``model`` (loaded from ``checkpoint_path``) on a seeded sample of ``images`` of
    ``pairs`` and write it, with where the images came from (``data``, ``split``, ``seed``, their names) and
    provenance, to :func:`calibration_path`; returns that path."""
    path = calibration_path(checkpoint_path)
    chosen = sorted(random.Random(seed).sample(list(pairs), min(images, len(pairs))), key=lambda p: p.name)
    calib = calibrate(model, (p.load()[0] for p in chosen), convention=convention, size=size)
    calib |= {"checkpoint": Path(checkpoint_path).name, "checkpoint_sha256": file_sha256(checkpoint_path), "data": data, "split": split, "seed": seed,
              "names": [p.name for p in chosen],
              "provenance": provenance(command, result=path)}  # from a dirty tree its diff beside it
    write_json(path, calib)
    return path


def check_calibration_owner(checkpoint_path: str | Path) -> None:
    """A :class:`BlurlibError` when the calibration beside ``checkpoint_path`` was made for another checkpoint of the
    same folder (one calibration file per folder), or for other weights under the same name (its recorded SHA-256):
    it would quantize this model with another's scales."""
    path = calibration_path(checkpoint_path)
    try:
        owner = json.loads(path.read_text()).get("checkpoint")
    except (OSError, ValueError, AttributeError):
        return  # absent or unreadable: said where it is read
    mine = Path(checkpoint_path).name
    if owner and owner != mine:
        raise BlurlibError(f"{path}: is the int8 calibration of {owner}, not of {mine} (one calibration per folder); "
                           f"put {mine} in a folder of its own and run `blurlib quantize --checkpoint` on it there.")
    held = json.loads(path.read_text()).get("checkpoint_sha256")  # calibrations before the hash was kept lack it
    if held and Path(checkpoint_path).is_file() and held != file_sha256(checkpoint_path):
        raise BlurlibError(f"{path}: was made for another {mine} (its SHA-256 differs: the weights were replaced "
                           f"since); calibrate again with `blurlib quantize --checkpoint {checkpoint_path} --overwrite`.")


def load_int8(model: nn.Module, checkpoint_path: str | Path) -> Int8BlurMapper:
    """The int8 model of ``model`` (loaded from ``checkpoint_path``) with the calibration stored beside it (refused
    when that calibration was made for another checkpoint: :func:`check_calibration_owner`)."""
    path = calibration_path(checkpoint_path)
    if not path.is_file():
        raise BlurlibError(f"{path}: no int8 calibration for {checkpoint_path}. Create it with `blurlib quantize "
                           f"--checkpoint {checkpoint_path} --root DATA` (a few training images), or use --precision "
                           "bf16.")
    check_calibration_owner(checkpoint_path)
    try:
        calibration = json.loads(path.read_text())
        return int8_model(model, calibration)
    except (ValueError, KeyError, TypeError) as e:
        raise BlurlibError(f"{path}: not an int8 calibration file ({e}); create it again with `blurlib quantize`.") from e
