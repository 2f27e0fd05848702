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

import math
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

from blurlib import outputs, runtime
from blurlib.data.preprocess import DEFAULT_SIZE, normalize, resize_pair
from blurlib.errors import BlurlibError, is_out_of_memory, reason
from blurlib.io import IMAGE_SUFFIXES, MAX_PIXELS, read_rgb_noted, write_png
from blurlib.models import VGG16

MIN_SIZE = 2 ** (len(VGG16) - 1) + 1
"""Smallest input side (17): below it the deepest VGG16 stage (stride 16) is one cell wide and a config V map is
constant along that side."""
NET_BYTES_PER_PIXEL = 400  # peak memory of a VGG16 forward at an image's own size (bf16, measured: ~324 B/px)
TTA = ("none", "flip", "flip-scales")
"""Test-time augmentation: ``none`` (one forward pass), ``flip`` (the image and its left-right mirror), ``flip-scales``
(both, each at the input size × :data:`TTA_SCALES`). The maps' logits are averaged at the image's size (the mirror's
mirrored back), then the sigmoid: 1, 2 and 6 forward passes."""
TTA_SCALES = (5 / 6, 1.0, 7 / 6)
"""Input sizes of ``flip-scales`` relative to ``size``: 320, 384 and 448 at the paper's 384."""


def tta_views(size: int | None, tta: str, image_hw: tuple[int, int]) -> list[tuple[int | None, bool]]:
    """The (input size, mirrored) forward passes of ``tta`` (:data:`TTA`) at ``size`` (None: the image's own size).

    >>> tta_views(384, "flip-scales", (300, 400))
    [(320, False), (320, True), (384, False), (384, True), (448, False), (448, True)]
    """
    if tta not in TTA:
        raise BlurlibError(f"--tta {tta}: use one of {', '.join(TTA)}.")
    size = size or None  # 0, as on the command line: the image's own size
    scales = TTA_SCALES if tta == "flip-scales" else (1.0,)
    flips = (False, True) if tta != "none" else (False,)
    if size is None and len(scales) > 1:
        raise BlurlibError(f"--tta {tta} resizes the input to several sizes around --size; at each image's own size "
                           "(--size 0) use --tta flip, or give a --size.")
    return [(None if size is None else round(size * scale), f) for scale in scales for f in flips]


@torch.inference_mode()
def predict_map(model: torch.nn.Module, image: np.ndarray, *, size: int | None = DEFAULT_SIZE,
                convention: str = "caffe", device: str | torch.device | None = None,
                precision: str = "auto", logits: bool = False, tta: str = "none") -> np.ndarray:
    """Blur map float32 (H, W) in [0, 1] (1 = blurred) of ``image`` uint8 RGB (H, W, 3); with ``logits``, the
    map before the sigmoid (unbounded; resolves what float32 probabilities round to 0 or 1).

    ``tta``: test-time augmentation (:data:`TTA`): the logits of several forward passes (the mirror image, other
    input sizes; :func:`tta_views`) averaged at the image's size.

    ``size``: side the image is resized to before the forward pass, at least :data:`MIN_SIZE` (None: its own size,
    whose shorter side must then be at least :data:`MIN_SIZE`). A size whose forward pass needs more memory than the
    device has free is refused with the memory it would need.
    """
    want_logits = logits
    int8 = getattr(model, "is_int8", False)  # a blurlib.quantize model: int8 trunk, CPU, no autocast
    dev = torch.device("cpu") if int8 and device is None else runtime.pick_device(device)
    if precision == "int8" and not int8:
        raise BlurlibError("precision int8 needs the int8 model: blurlib.checkpoint.load_model(path, precision='int8') "
                           "or blurlib.quantize.load_int8(model, checkpoint).")
    if int8 and precision not in ("auto", "int8"):
        raise BlurlibError(f"precision {precision} needs the float model, not the int8 one: "
                           f"blurlib.checkpoint.load_model(path, precision={precision!r}).")
    if int8 and dev.type != "cpu":
        raise BlurlibError(f"int8 models run on CPU only, not {dev.type}: use --precision bf16 there.")
    prec = "fp32" if int8 else runtime.resolve_precision(precision, dev)
    runtime.configure(dev, prec)
    h, w = image.shape[:2]
    views = tta_views(size, tta, (h, w))
    check_size(size, dev, (h, w))  # the size the user gave is judged first, then each view's
    for s, _ in views:
        if s != size and s is not None and s < MIN_SIZE:
            raise BlurlibError(f"--size {size} with --tta {tta}: its smallest view, {s} pixels, is below {MIN_SIZE}; "
                               f"use --size {math.ceil(MIN_SIZE / min(TTA_SCALES))} or more, or --tta flip.")
        check_size(s, dev, (h, w))
    if not int8:
        model = model.to(dev, memory_format=torch.channels_last)
    if len(views) == 1:  # one forward pass: the probabilities resized, as every committed result was made
        x = normalize(resize_pair(image, None, size)[0] if size else image, convention)[None]
        with runtime.autocast(dev, prec):
            logits = model(x.to(dev, memory_format=torch.channels_last))
        m = (logits.float() if want_logits else torch.sigmoid(logits.float()))[0, 0].cpu().numpy()
        if m.shape != (h, w):
            m = cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR)
        return m if want_logits else np.clip(m, 0.0, 1.0)
    total = np.zeros((h, w), np.float64)
    for s, mirrored in views:  # several: their logits averaged at the image's size, then the sigmoid
        x = resize_pair(image, None, s)[0] if s else image
        x = normalize(np.ascontiguousarray(x[:, ::-1]) if mirrored else x, convention)[None]
        with runtime.autocast(dev, prec):
            z = model(x.to(dev, memory_format=torch.channels_last)).float()[0, 0].cpu().numpy()
        z = np.ascontiguousarray(z[:, ::-1]) if mirrored else z
        total += z if z.shape == (h, w) else cv2.resize(z, (w, h), interpolation=cv2.INTER_LINEAR)
    m = (total / len(views)).astype(np.float32)
    if not want_logits:
        m = torch.sigmoid(torch.from_numpy(m)).numpy()
    return m if want_logits else np.clip(m, 0.0, 1.0)


def check_size(size: int | None, device: torch.device, image_hw: tuple[int, int] | None = None) -> None:
    """A :class:`BlurlibError` naming the fix unless ``size`` (None/0: ``image_hw``, the image's own) is at least
    :data:`MIN_SIZE` and its forward pass fits in the memory free on ``device``."""
    if size is not None and (not isinstance(size, int) or size < 0):
        raise BlurlibError(f"--size {size}: the input side must be a whole number of pixels >= {MIN_SIZE} (or 0: "
                           f"each image's own size); the network was trained at {DEFAULT_SIZE}.")
    h, w = (size, size) if size else (image_hw or (DEFAULT_SIZE, DEFAULT_SIZE))
    if min(h, w) < MIN_SIZE:
        what = f"--size {size}" if size else f"a {w}x{h} image at its own size"
        raise BlurlibError(f"{what} is below {MIN_SIZE} pixels, too small for the network to resolve anything (the "
                           f"map would be constant): use --size {DEFAULT_SIZE}.")
    need = h * w * NET_BYTES_PER_PIXEL
    if need > runtime.free_memory(device):
        what = f"--size {size}" if size else f"a {w}x{h} image at its own size"
        raise BlurlibError(f"{what} needs about {need / 2**30:.1f} GiB on {device.type}, more than is free: predict "
                           f"at --size {DEFAULT_SIZE} instead.")


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
    """One image done: ``source`` image, ``map`` file written (None when the image was skipped), ``note`` on
    conversions (None for plain RGB), ``error``: why the image was skipped (None when its map was written)."""
    source: Path
    map: Path | None
    note: str | None
    error: str | None = None


def predict_files(model: torch.nn.Module, paths: Iterable[Path], out_dir: Path, *, with_overlay: bool = False,
                  max_pixels: int = MAX_PIXELS, **kw) -> Iterator[Predicted]:
    """Predict each image file and write ``out_dir/<stem>.png`` (8-bit, 255 = blurred), yielding each as written.

    Streams with bounded memory: the next image is decoded in a background thread while the current one runs
    through the network, so at most two images are in memory. An image that cannot be read or predicted is
    skipped: yielded with its ``error`` (naming the file), and the others go on. A map that cannot be written
    stops the run (:class:`BlurlibError`).
    """
    out_dir = Path(out_dir)
    paths = list(paths)
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(read_rgb_noted, paths[0], max_pixels) if paths else None
        for i, path in enumerate(paths):
            try:
                image, note = pending.result()
            except BlurlibError as e:
                image, note, error = None, None, str(e)
            pending = pool.submit(read_rgb_noted, paths[i + 1], max_pixels) if i + 1 < len(paths) else None
            if image is not None:
                try:
                    m = predict_map(model, image, **kw)
                except BlurlibError as e:
                    error = f"{path}: {e}"
                except (RuntimeError, MemoryError) as e:
                    if not is_out_of_memory(e):
                        raise
                    error = (f"{path}: ran out of memory predicting its {image.shape[1]}x{image.shape[0]} map "
                             f"({reason(e)}); predict it at a smaller --size, or lower --max-pixels")
                else:
                    error = None
            if error is not None:
                yield Predicted(Path(path), None, note, error)
                continue
            out = out_dir / f"{Path(path).stem}.png"
            write_png(out, to_png(m))
            if with_overlay:
                write_png(out_dir / f"{Path(path).stem}_overlay.png", overlay(image, m))
            yield Predicted(Path(path), out, note)


def predict_folder(model: torch.nn.Module, inputs: Iterable[str | Path], out_dir: Path, *, progress: bool = True,
                   overwrite: bool = False, record: dict | None = None, reads: Iterable[str | Path] = (), **kw) -> dict:
    """:func:`predict_files` over files and folders with a progress bar.

    Returns ``images`` (maps written), ``failed`` (one message per skipped image, naming it), ``seconds``,
    ``images_per_s`` and ``notes``. Every map and overlay name is planned before any work
    (:func:`blurlib.outputs.plan`): refused are two outputs at one path (two inputs with the same stem, or ``x.jpg``'s
    overlay beside the map of ``x_overlay.jpg``), an output that is an input image (e.g. ``-o`` the folder of PNG
    photos), and a map already there unless ``overwrite``. The maps are one result (:func:`blurlib.outputs.file_set`):
    written beside ``out_dir``'s files and moved in when all are done, with a manifest ``blurlib-predict.json``
    (``record``: e.g. the checkpoint and settings; ``skipped``: the images without a map, and why); an earlier
    ``predict`` result there is refused, or with ``overwrite`` replaced whole (none of its maps or overlays is left
    beside the new ones). An image that cannot be read is skipped (``failed``), the others' maps are the result;
    when every image is skipped, or a map cannot be written, the run stops with an error and ``out_dir`` is left as
    it was.
    """
    paths = image_files(inputs)
    if not paths:
        raise BlurlibError(f"no image files in {', '.join(map(str, inputs))} (suffixes {', '.join(IMAGE_SUFFIXES)}).")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise BlurlibError(f"{out_dir}: -o is a file, not a folder. Choose an output folder.")
    planned = [(out_dir / f"{p.stem}.png", f"the map of {p}") for p in paths]
    if kw.get("with_overlay"):
        planned += [(out_dir / f"{p.stem}_overlay.png", f"the overlay of {p}") for p in paths]
    outputs.plan(planned, inputs=[*paths, *reads], overwrite=overwrite)
    record = dict(record or {})
    with outputs.file_set(out_dir, "predict", [p.name for p, _ in planned], overwrite=overwrite,
                          record=record) as stage:
        try:
            report = _predict_all(model, paths, stage, progress, **kw)
        except BlurlibError as e:
            raise BlurlibError(f"{str(e).replace(str(stage), str(out_dir))} Nothing in {out_dir} was changed.") from e
        report["failed"] = [f.replace(str(stage), str(out_dir)) for f in report["failed"]]
        if not report["images"]:  # no map: no result to keep (and nothing that would block the retry)
            raise BlurlibError(f"no map written: every image was skipped ({len(paths)}; e.g. {report['failed'][0]}). "
                               f"Nothing in {out_dir} was changed.")
        record["skipped"] = report["failed"]  # the manifest names the images without a map, and why
    return report


def _predict_all(model, paths: list[Path], out_dir: Path, progress: bool, **kw) -> dict:
    t0, notes, failed, written = time.perf_counter(), [], [], 0
    with tqdm(total=len(paths), unit="img", desc="predict", disable=not progress, file=sys.stderr) as bar:
        try:
            for done in predict_files(model, paths, out_dir, **kw):
                if done.note:
                    notes.append(f"{done.source}: {done.note}")
                if done.error:
                    failed.append(done.error)
                else:
                    written += 1
                bar.update()
        except BlurlibError as e:
            raise BlurlibError(f"{e} Stopped after {written} map(s)"
                               f"{f' and {len(failed)} image(s) skipped' if failed else ''}.") from e
    seconds = time.perf_counter() - t0
    return {"images": written, "failed": failed, "seconds": seconds, "images_per_s": written / seconds,
            "notes": notes}
