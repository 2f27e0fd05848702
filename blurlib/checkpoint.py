"""Checkpoint files: a model's weights with what is needed to rebuild it, written atomically.

A checkpoint is a ``torch.save`` dict: ``{"format": "blurlib-checkpoint-1", "model": name, "convention": …,
"state_dict": …, "iteration": int, optional "optimizer": …, "meta": {...}}``. ``fp16=True`` stores the weights
in half precision (the shipped default model); they are loaded back as float32.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from blurlib.data.preprocess import CONVENTIONS
from blurlib.errors import BlurlibError, reason
from blurlib.io import atomic_write
from blurlib.models import MODELS, build
from blurlib.quantize import load_int8
from blurlib.runtime import INFERENCE_PRECISIONS

FORMAT = "blurlib-checkpoint-1"


def save(path: str | Path, model: nn.Module, name: str, convention: str, *, iteration: int = 0,
         optimizer: torch.optim.Optimizer | None = None, meta: dict | None = None, fp16: bool = False) -> None:
    state = {k: (v.half() if fp16 and v.is_floating_point() else v).detach().cpu() for k, v in model.state_dict().items()}
    ckpt = {"format": FORMAT, "model": name, "convention": convention, "state_dict": state, "iteration": iteration,
            "meta": meta or {}}
    if optimizer is not None:
        ckpt["optimizer"] = optimizer.state_dict()
    with atomic_write(path) as f:
        torch.save(ckpt, f)


def read(path: str | Path) -> dict:
    """The checkpoint dict at ``path``; a missing, truncated or foreign file is a :class:`BlurlibError`."""
    path = Path(path)
    if path.is_dir():
        raise BlurlibError(f"{path}: is a folder; give the checkpoint file in it (e.g. {path / 'model.pt'}).")
    if not path.is_file():
        raise BlurlibError(f"{path}: checkpoint not found. Train one with `blurlib train` or use the shipped default.")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:
        raise BlurlibError(f"{path}: unreadable checkpoint ({reason(e)}); the file is truncated or not a "
                           "blurlib checkpoint. Retrain or restore it.") from e
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT or ckpt.get("model") not in MODELS:
        raise BlurlibError(f"{path}: not a blurlib checkpoint (no '{FORMAT}' header). Pass a file written by "
                           "`blurlib train`.")
    if ckpt.get("convention") not in CONVENTIONS:
        raise BlurlibError(f"{path}: unknown input convention {ckpt.get('convention')!r} (use one of "
                           f"{', '.join(CONVENTIONS)}). Set 'convention' to the one of the weights it was trained "
                           "from, or pass a file written by `blurlib train`.")
    if not isinstance(ckpt.get("state_dict"), dict) or not isinstance(ckpt.get("meta", {}), dict):
        raise BlurlibError(f"{path}: checkpoint without a state_dict; pass a file written by `blurlib train`.")
    ckpt.setdefault("meta", {})
    return ckpt


def load_model(path: str | Path, expect: str | None = None, precision: str = "auto") -> tuple[nn.Module, dict]:
    """Rebuild the model stored at ``path``, ready to run in ``precision`` (eval mode); returns (model, checkpoint
    without weights).

    ``precision``: one of :data:`blurlib.runtime.INFERENCE_PRECISIONS`. The float ones give the float32 model (the
    precision is applied by autocast when it runs); ``int8`` gives its int8 model (configs I–V and unet, CPU) with the
    calibration stored beside the checkpoint (:func:`blurlib.quantize.load_int8`). ``expect``: the model name the
    caller needs; a checkpoint of another model is refused.
    """
    if precision not in INFERENCE_PRECISIONS:
        raise BlurlibError(f"unknown precision {precision!r}: use one of {', '.join(INFERENCE_PRECISIONS)}.")
    ckpt = read(path)
    bad = [k for k, v in ckpt["state_dict"].items()
           if not isinstance(v, torch.Tensor) or (v.is_floating_point() and not torch.isfinite(v).all())]
    if bad:
        raise BlurlibError(f"{path}: {len(bad)} weight tensor(s) hold NaN or infinite values (e.g. {bad[0]}); the "
                           "model would give meaningless maps. Use an earlier checkpoint or retrain.")
    if expect is not None and ckpt["model"] != expect:
        raise BlurlibError(f"{path}: checkpoint of model {ckpt['model']!r}, but {expect!r} was asked for.")
    model = build(ckpt["model"])
    try:
        model.load_state_dict({k: v.float() for k, v in ckpt.pop("state_dict").items()})
    except (RuntimeError, ValueError, TypeError, AttributeError) as e:
        raise BlurlibError(f"{path}: weights do not fit model {ckpt['model']!r} ({str(e).splitlines()[0]}).") from e
    ckpt.pop("optimizer", None)
    if precision == "int8":
        return load_int8(model.eval(), path), ckpt
    return model.eval(), ckpt
