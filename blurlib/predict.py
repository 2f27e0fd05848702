"""Inference: a blur map of any image, at its own size.

The image is resized to the model's input size (the paper: 384×384), the map is computed under bf16 autocast
where the device supports it and resized back bilinearly to the image's size.

>>> import numpy as np
>>> from blurlib.models import build
>>> m = predict_map(build("I").eval(), np.zeros((30, 41, 3), np.uint8), size=32)
>>> m.shape, m.dtype, bool(0.0 <= m.min() <= m.max() <= 1.0)
((30, 41), dtype('float32'), True)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np
import torch

from blurlib import runtime
from blurlib.data.preprocess import normalize, resize_pair
from blurlib.io import read_rgb, write_png

DEFAULT_SIZE = 384


@torch.inference_mode()
def predict_map(model: torch.nn.Module, image: np.ndarray, *, size: int | None = DEFAULT_SIZE,
                convention: str = "caffe", device: str | torch.device | None = None,
                precision: str = "auto") -> np.ndarray:
    """Blur map float32 (H, W) in [0, 1] (1 = blurred) of ``image`` uint8 RGB (H, W, 3).

    ``size``: side the image is resized to before the forward pass (None: its own size).
    """
    dev = runtime.pick_device(str(device) if device is not None else None)
    prec = runtime.resolve_precision(precision, dev)
    h, w = image.shape[:2]
    x = resize_pair(image, None, size)[0] if size else image
    x = normalize(x, convention)[None].to(dev, memory_format=torch.channels_last)
    model = model.to(dev, memory_format=torch.channels_last)
    with runtime.autocast(dev, prec):
        logits = model(x)
    m = torch.sigmoid(logits.float())[0, 0].cpu().numpy()
    if m.shape != (h, w):
        m = cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR)
    return np.clip(m, 0.0, 1.0)


def to_png(blur_map: np.ndarray) -> np.ndarray:
    """float map in [0, 1] -> uint8 (255 = blurred)."""
    return np.rint(np.clip(blur_map, 0, 1) * 255).astype(np.uint8)


def overlay(image: np.ndarray, blur_map: np.ndarray) -> np.ndarray:
    """Image and map side by side, uint8 (H, 2W, 3), for a quick look."""
    return np.concatenate([image, np.repeat(to_png(blur_map)[..., None], 3, axis=2)], axis=1)


def predict_files(model: torch.nn.Module, paths: Iterable[Path], out_dir: Path, *, with_overlay: bool = False,
                  **kw) -> Iterator[Path]:
    """Predict each image file and write ``out_dir/<stem>.png`` (8-bit, 255 = blurred); yields the written paths.

    Streams: one image in memory at a time.
    """
    for path in paths:
        image = read_rgb(path)
        m = predict_map(model, image, **kw)
        out = Path(out_dir) / f"{Path(path).stem}.png"
        write_png(out, to_png(m))
        if with_overlay:
            write_png(Path(out_dir) / f"{Path(path).stem}_overlay.png", overlay(image, m))
        yield out
