"""Atomic file writes and image reading with errors that name the file.

Every file blurlib writes goes through :func:`atomic_write`, so an interrupted run never leaves a half-written
result or checkpoint behind: the previous version survives until the new one is complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from blurlib.errors import BlurlibError


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb"):
    """Open a temporary file next to ``path``; rename it onto ``path`` only when the block succeeds.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_write(p, "w") as f:
    ...     _ = f.write("done")
    >>> p.read_text()
    'done'
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as e:
        raise BlurlibError(f"cannot write {path}: {e.strerror}. Choose a writable output folder.") from e
    try:
        with os.fdopen(fd, mode) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600 files; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def file_sha256(path: str | os.PathLike) -> str:
    """sha256 hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_json(path: str | os.PathLike, obj) -> None:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_write(path, "w") as f:
        json.dump(obj, f, indent=2, sort_keys=False, default=_json_default)
        f.write("\n")


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")


def write_png(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write a uint8 array (H, W) or (H, W, 3) as PNG, atomically."""
    with atomic_write(path, "wb") as f:
        Image.fromarray(array).save(f, format="PNG")


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Read an image file as uint8 RGB (H, W, 3), whatever its mode (grey, RGBA, palette, CMYK, 16-bit).

    Raises :class:`BlurlibError` naming the file when it is not an image or is truncated.
    """
    with _open_image(path) as im:
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            a = np.asarray(im, dtype=np.float64)
            a = np.clip(a / (65535.0 if a.max() > 255 else 255.0) * 255.0, 0, 255).astype(np.uint8)
            return np.repeat(a[..., None], 3, axis=2)
        return np.asarray(im.convert("RGB"))


def read_grey(path: str | os.PathLike) -> np.ndarray:
    """Read one channel of an image file as uint8 (H, W): the first channel of RGB/RGBA, the grey of L/LA."""
    with _open_image(path) as im:
        if im.mode == "P":
            im = im.convert("RGB")
        a = np.asarray(im)
    if a.ndim == 3:
        a = a[..., 0]
    if a.dtype != np.uint8:  # 16-bit (or 32-bit integer) PNG: full scale 65535 -> 255
        wide = a.max() > 255
        warnings.warn(f"{path}: {a.dtype} image read as 8 bits{' (scaled by 255/65535)' if wide else ''}.", stacklevel=2)
        a = np.clip(np.rint(a.astype(np.float64) / (257.0 if wide else 1.0)), 0, 255).astype(np.uint8)
    return a


def image_size(path: str | os.PathLike) -> tuple[int, int]:
    """(height, width) of an image file, read from its header only."""
    with _open_image(path, load=False) as im:
        return im.height, im.width


@contextlib.contextmanager
def _open_image(path, load: bool = True):
    path = Path(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
            if load:
                im.load()
    except FileNotFoundError as e:
        raise BlurlibError(f"{path}: no such file.") from e
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise BlurlibError(f"{path}: not a readable image ({e}). Replace it with a valid JPEG or PNG.") from e
    except (OSError, SyntaxError, ValueError) as e:
        raise BlurlibError(f"{path}: truncated or corrupt image ({e}). Re-download or replace the file.") from e
    try:
        yield im
    finally:
        im.close()


def read_map(path: str | os.PathLike) -> np.ndarray:
    """A blur map file as float32 (H, W) in [0, 1]: 8-bit PNG (/255), 16-bit PNG (/65535) or ``.npy`` floats.

    The range of ``.npy`` maps is checked by the caller (:func:`blurlib.apps.check_pair`).
    """
    path = Path(path)
    if path.suffix == ".npy":
        try:
            return np.load(path).astype(np.float32)
        except (OSError, ValueError) as e:
            raise BlurlibError(f"{path}: not a readable .npy map ({e}).") from e
    with _open_image(path) as im:
        a = np.asarray(im)
    if a.ndim == 3:
        a = a[..., 0]
    return (a.astype(np.float32) / (65535.0 if a.dtype == np.uint16 or a.max() > 255 else 255.0)).astype(np.float32)
