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

import sys
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

from blurlib import runtime
from blurlib.data.preprocess import normalize, resize_pair
from blurlib.errors import BlurlibError
from blurlib.io import MAX_PIXELS, read_rgb_noted, write_png

DEFAULT_SIZE = 384
NET_BYTES_PER_PIXEL = 400  # peak memory of a VGG16 forward at an image's own size (bf16, measured: ~324 B/px)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


@torch.inference_mode()
def predict_map(model: torch.nn.Module, image: np.ndarray, *, size: int | None = DEFAULT_SIZE,
                convention: str = "caffe", device: str | torch.device | None = None,
                precision: str = "auto", logits: bool = False) -> np.ndarray:
    """Blur map float32 (H, W) in [0, 1] (1 = blurred) of ``image`` uint8 RGB (H, W, 3); with ``logits``, the
    map before the sigmoid (unbounded; resolves what float32 probabilities round to 0 or 1).

    ``size``: side the image is resized to before the forward pass (None: its own size, refused with the memory it
    would need when the device does not have it).
    """
    want_logits = logits
    int8 = getattr(model, "is_int8", False)  # a blurlib.quantize model: int8 trunk, CPU, no autocast
    dev = torch.device("cpu") if int8 and device is None else runtime.pick_device(str(device) if device else None)
    if precision == "int8" and not int8:
        raise BlurlibError("precision int8 needs the int8 model: blurlib.quantize.load_int8(model, checkpoint).")
    if int8 and dev.type != "cpu":
        raise BlurlibError(f"int8 models run on CPU only, not {dev.type}: use --precision bf16 there.")
    prec = "fp32" if int8 else runtime.resolve_precision(precision, dev)
    h, w = image.shape[:2]
    if not size and h * w * NET_BYTES_PER_PIXEL > runtime.free_memory(dev):
        raise BlurlibError(f"a {w}x{h} image at its own size needs about {h * w * NET_BYTES_PER_PIXEL / 2**30:.1f} "
                           f"GiB on {dev.type}, more than is free: predict at --size {DEFAULT_SIZE} instead.")
    x = resize_pair(image, None, size)[0] if size else image
    x = normalize(x, convention)[None].to(dev, memory_format=torch.channels_last)
    if not int8:
        model = model.to(dev, memory_format=torch.channels_last)
    with runtime.autocast(dev, prec):
        logits = model(x)
    m = (logits.float() if want_logits else torch.sigmoid(logits.float()))[0, 0].cpu().numpy()
    if m.shape != (h, w):
        m = cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR)
    return m if want_logits else np.clip(m, 0.0, 1.0)


def to_png(blur_map: np.ndarray) -> np.ndarray:
    """float map in [0, 1] -> uint8 (255 = blurred)."""
    return np.rint(np.clip(blur_map, 0, 1) * 255).astype(np.uint8)


def overlay(image: np.ndarray, blur_map: np.ndarray) -> np.ndarray:
    """Image and map side by side, uint8 (H, 2W, 3), for a quick look."""
    return np.concatenate([image, np.repeat(to_png(blur_map)[..., None], 3, axis=2)], axis=1)


def image_files(paths: Iterable[str | Path]) -> list[Path]:
    """Files given directly, and the image files (by suffix, sorted) of folders given; a missing path is an error.

    >>> image_files([])
    []
    """
    out = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
        elif p.exists():
            out.append(p)
        else:
            raise BlurlibError(f"{p}: no such file or folder.")
    return out


@dataclass
class Predicted:
    """One written map: ``source`` image, ``map`` file, ``note`` on conversions (None for plain RGB)."""
    source: Path
    map: Path
    note: str | None


def predict_files(model: torch.nn.Module, paths: Iterable[Path], out_dir: Path, *, with_overlay: bool = False,
                  max_pixels: int = MAX_PIXELS, **kw) -> Iterator[Predicted]:
    """Predict each image file and write ``out_dir/<stem>.png`` (8-bit, 255 = blurred), yielding each as written.

    Streams with bounded memory: the next image is decoded in a background thread while the current one runs
    through the network, so at most two images are in memory. Errors name the file.
    """
    out_dir = Path(out_dir)
    paths = list(paths)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(read_rgb_noted, paths[0], max_pixels) if paths else None
        for i, path in enumerate(paths):
            image, note = pending.result()
            pending = pool.submit(read_rgb_noted, paths[i + 1], max_pixels) if i + 1 < len(paths) else None
            try:
                m = predict_map(model, image, **kw)
            except BlurlibError as e:
                raise BlurlibError(f"{path}: {e}") from e
            out = out_dir / f"{Path(path).stem}.png"
            write_png(out, to_png(m))
            if with_overlay:
                write_png(out_dir / f"{Path(path).stem}_overlay.png", overlay(image, m))
            yield Predicted(Path(path), out, note)


def predict_folder(model: torch.nn.Module, inputs: Iterable[str | Path], out_dir: Path, *, progress: bool = True,
                   **kw) -> dict:
    """:func:`predict_files` over files and folders with a progress bar; returns counts, seconds and images/s.

    Two inputs with the same stem would write the same map: refused before any work.
    """
    paths = image_files(inputs)
    if not paths:
        raise BlurlibError(f"no image files in {', '.join(map(str, inputs))} (suffixes {', '.join(IMAGE_SUFFIXES)}).")
    stems: dict[str, Path] = {}
    for p in paths:
        if p.stem in stems:
            raise BlurlibError(f"{p} and {stems[p.stem]} would both write {p.stem}.png: rename one.")
        stems[p.stem] = p
    t0, notes = time.perf_counter(), []
    bar = tqdm(total=len(paths), unit="img", desc="predict", disable=not progress, file=sys.stderr)
    for done in predict_files(model, paths, out_dir, **kw):
        if done.note:
            notes.append(f"{done.source}: {done.note}")
        bar.update()
    bar.close()
    seconds = time.perf_counter() - t0
    return {"images": len(paths), "seconds": seconds, "images_per_s": len(paths) / seconds, "notes": notes}
