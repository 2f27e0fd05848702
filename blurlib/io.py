"""Atomic file writes and image reading with errors that name the file.

Every file blurlib writes goes through :func:`atomic_write`, so an interrupted run never leaves a half-written
result or checkpoint behind: the previous version survives until the new one is complete.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import tempfile
import threading
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from blurlib.errors import BlurlibError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
"""File suffixes read as images (lower case; matched case-insensitively)."""
MAX_PIXELS = 120_000_000  # larger images are refused before decoding (a 100-megapixel camera still passes)
BYTES_PER_PIXEL = 16  # decoded RGB + float map + its resize + 8-bit map: peak memory of predicting one image
_ORIENTATION = 0x0112  # EXIF tag; values 5-8 swap width and height


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
    if path.is_dir():
        raise BlurlibError(f"cannot write {path}: it is a folder; give a file name (e.g. {path / 'out'}).")
    file_above = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if file_above is not None:
        raise BlurlibError(f"cannot write {path}: {file_above} is a file, not a folder. Choose a writable output folder.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # the temporary name stays short: a result whose own name is near the file system's limit can still be written
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:64]}.", suffix=".tmp")
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
    except BaseException as e:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(e, OSError) and e.errno in _USER_FIXABLE:
            kept = f" The previous {path.name} is untouched." if path.exists() else ""
            raise BlurlibError(f"cannot write {path}: {e.strerror}.{kept} {_USER_FIXABLE[e.errno]}") from e
        raise


_USER_FIXABLE = {errno.ENOSPC: "Free disk space and run again (training: add --resume).",
                 errno.EDQUOT: "Free space in your quota and run again (training: add --resume).",
                 errno.EACCES: "Choose a writable output folder.", errno.EROFS: "Choose a writable output folder."}


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


def read_rgb(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Read an image file as uint8 RGB (H, W, 3), whatever its mode (grey, RGBA, palette, CMYK, 16-bit).

    The EXIF orientation is applied, so the array is the picture as a viewer shows it. Raises
    :class:`BlurlibError` naming the file when it is not an image, is truncated, or has more than ``max_pixels``.
    """
    return read_rgb_noted(path, max_pixels)[0]


def read_rgb_noted(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, str | None]:
    """:func:`read_rgb` and a note saying what was converted (None when the file was plain 8-bit RGB).

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "cmyk.jpg"
    >>> Image.new("CMYK", (5, 4), (0, 255, 0, 0)).save(p)
    >>> a, note = read_rgb_noted(p)
    >>> a.shape, note
    ((4, 5, 3), 'CMYK converted to RGB')
    """
    notes = []
    with _open_image(path, max_pixels=max_pixels) as im:
        orientation = im.getexif().get(_ORIENTATION, 1)
        if orientation != 1:
            notes.append(f"EXIF orientation {orientation} applied")
            im = ImageOps.exif_transpose(im)
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            a = np.asarray(im, dtype=np.float64)
            wide = a.max() > 255
            a = np.clip(a / (65535.0 if wide else 255.0) * 255.0, 0, 255).astype(np.uint8)
            notes.append(f"{im.mode} grey {'scaled 65535 -> 255' if wide else 'read as 8 bits'}, repeated to RGB")
            return np.repeat(a[..., None], 3, axis=2), "; ".join(notes)
        if im.mode == "F":  # floating-point grey: [0, 1] (or 0-255) scaled to 8 bits; no other range has a meaning
            a = np.asarray(im, dtype=np.float64)
            finite = a[np.isfinite(a)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (np.nan, np.nan)
            if not finite.size or finite.size < a.size or lo < 0 or hi > 255:
                raise BlurlibError(f"{path}: a floating-point image with values outside 0-255 (or not finite: "
                                   f"{lo:g} to {hi:g}); save it as an 8- or 16-bit image.")
            unit = hi <= 1.0
            notes.append(f"float grey {'scaled [0, 1] -> 0-255' if unit else 'read as 0-255'}, repeated to RGB")
            a = np.clip(np.rint(a * 255.0 if unit else a), 0, 255).astype(np.uint8)
            return np.repeat(a[..., None], 3, axis=2), "; ".join(notes)
        if im.mode != "RGB":
            notes.append(f"{_MODE_NAMES.get(im.mode, im.mode)} converted to RGB")
        return np.asarray(im.convert("RGB")), "; ".join(notes) or None


_MODE_NAMES = {"L": "grey", "LA": "grey+alpha (alpha dropped)", "RGBA": "RGBA (alpha dropped)", "P": "palette",
               "PA": "palette+alpha (alpha dropped)", "1": "1-bit", "CMYK": "CMYK", "YCbCr": "YCbCr"}


class ColourImage(BlurlibError):
    """:func:`read_grey` with ``single_channel``: the file's red, green and blue differ (a picture, not one channel)."""


def read_grey(path: str | os.PathLike, single_channel: bool = False) -> np.ndarray:
    """Read one channel of an image file as uint8 (H, W): the first channel of RGB/RGBA, the grey of L/LA, a 1-bit
    image as 0 (black) and 255 (white).

    ``single_channel`` (blur maps): an RGB image whose channels differ — a colour-mapped picture of a map, not the
    map — is a :class:`ColourImage` error naming the file, not its red channel read silently.
    """
    with _open_image(path) as im:
        if im.mode == "P":
            im = im.convert("RGB")
        elif im.mode == "1":  # black and white: 0 and 255, as a 1-bit file means them
            im = im.convert("L")
        a = np.asarray(im)
    if a.ndim == 3 and single_channel and a.shape[2] >= 3 and not (
            np.array_equal(a[..., 0], a[..., 1]) and np.array_equal(a[..., 0], a[..., 2])):
        raise ColourImage(f"{path}: a colour image (its red, green and blue differ), e.g. a colour-mapped picture of "
                           "a map; nothing was scored. Save the map itself as one grey channel (255 = blurred).")
    if a.ndim == 3:
        a = a[..., 0]
    if a.dtype != np.uint8:  # 16-bit (or 32-bit integer) PNG: full scale 65535 -> 255
        wide = a.max() > 255
        warnings.warn(f"{path}: {a.dtype} image read as 8 bits{' (scaled by 255/65535)' if wide else ''}.", stacklevel=2)
        a = np.clip(np.rint(a.astype(np.float64) / (257.0 if wide else 1.0)), 0, 255).astype(np.uint8)
    return a


def image_size(path: str | os.PathLike, max_pixels: int = MAX_PIXELS) -> tuple[int, int]:
    """(height, width) of an image file as a viewer shows it (EXIF orientation applied), from its header only."""
    with _open_image(path, load=False, max_pixels=max_pixels) as im:
        h, w = im.height, im.width
        return (w, h) if im.getexif().get(_ORIENTATION, 1) in (5, 6, 7, 8) else (h, w)


_PILLOW_LIMIT_LOCK = threading.Lock()


@contextlib.contextmanager
def _open_image(path, load: bool = True, max_pixels: int = MAX_PIXELS):
    path, im = Path(path), None
    try:
        with _PILLOW_LIMIT_LOCK:  # predict decodes in a thread: set and restore Pillow's global limit one at a time
            pillow_limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # our limit says what it would need
            try:
                im = Image.open(path)
            finally:
                Image.MAX_IMAGE_PIXELS = pillow_limit
        if im.width * im.height > max_pixels:
            im.close()
            raise _too_large(path, im.width, im.height, max_pixels)
        if getattr(im, "n_frames", 1) > 1 and im.format != "MPO":  # MPO: a camera JPEG and its previews
            pages = im.n_frames
            im.close()
            raise BlurlibError(f"{path}: holds {pages} pages or frames; blurlib reads one picture per file. Save the "
                               "page you mean as a file of its own.")
        if load:
            im.load()
    except FileNotFoundError as e:
        raise BlurlibError(f"{path}: no such file.") from e
    except IsADirectoryError as e:
        raise BlurlibError(f"{path}: is a folder; this command takes image files (predict also takes folders).") from e
    except PermissionError as e:
        raise BlurlibError(f"{path}: cannot be read ({e.strerror}). Check that it is a file you may read.") from e
    except UnidentifiedImageError as e:
        raise BlurlibError(f"{path}: not a readable image ({e}). Replace it with a valid JPEG or PNG.") from e
    except (OSError, SyntaxError, ValueError) as e:
        if im is not None:
            im.close()  # a file that opened but would not decode
        raise BlurlibError(f"{path}: truncated or corrupt image ({e}). Re-download or replace the file.") from e
    try:
        yield im
    finally:
        im.close()


def _too_large(path: Path, w: int, h: int, max_pixels: int) -> BlurlibError:
    need = w * h * BYTES_PER_PIXEL / 2**30
    gib = f"{need:.1f}" if need >= 0.1 else f"{need:.2g}"
    return BlurlibError(
        f"{path}: {w}x{h} image ({w * h / 1e6:.3g} Mpx) would need about {gib} GiB of memory; blurlib refuses "
        f"images over {max_pixels / 1e6:.3g} Mpx. Downscale it (the network sees 384x384 anyway) or raise the limit "
        f"with --max-pixels {w * h}.")


def read_map(path: str | os.PathLike) -> np.ndarray:
    """A blur map file as float32 (H, W) in [0, 1]: 8-bit PNG (/255), 16-bit PNG (/65535), 1-bit (white = 1) or
    ``.npy`` floats.

    The range of ``.npy`` maps is checked by the caller (:func:`blurlib.apps.check_pair`).
    """
    path = Path(path)
    if path.suffix == ".npy":
        try:
            a = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as e:
            raise BlurlibError(f"{path}: not a .npy array of numbers; save the map with numpy.save as a float array "
                               "(H, W) in [0, 1].") from e
        if a.ndim != 2 or not np.issubdtype(a.dtype, np.number):
            raise BlurlibError(f"{path}: a .npy map must be one float array (H, W) in [0, 1], not {a.dtype} of shape "
                               f"{a.shape}; save the map alone (a grey map, 1 = blurred).")
        return a.astype(np.float32)
    with _open_image(path) as im:
        a = np.asarray(im.convert("RGB") if im.mode == "P" else im.convert("L") if im.mode == "1" else im)
    if a.ndim == 3 and a.shape[2] >= 3 and not (np.array_equal(a[..., 0], a[..., 1])
                                                 and np.array_equal(a[..., 0], a[..., 2])):
        raise ColourImage(f"{path}: a colour image (its red, green and blue differ), e.g. a colour-mapped picture of "
                           "a map. Pass the map itself: one grey channel, 255 = blurred (or .npy in [0, 1]).")
    if a.ndim == 3:
        a = a[..., 0]
    return (a.astype(np.float32) / (65535.0 if a.dtype == np.uint16 or a.max() > 255 else 255.0)).astype(np.float32)
