"""The embedded default data: a deterministic synthetic partial-blur set with exact masks.

Real photos shipped with scikit-image are cropped and resized, then a random smooth region is blurred with a
defocus PSF (a disk of random radius) or a motion PSF (a line of random length and angle). The result is written
in the benchmark's layout (``image/``, ``gt/``, names ``motionNNNN`` / ``out_of_focusNNNN``), so it goes through
exactly the same loading code as CUHK. It is what runs when no CUHK data are found, and what the tests use.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np
import skimage.data

from blurlib.io import write_png

PHOTOS = ("astronaut", "chelsea", "coffee", "rocket", "hubble_deep_field",
          "retina", "camera", "coins", "moon", "grass", "gravel", "brick")
"""scikit-image sample images (installed with the package, no download) the set is made from."""


def disk_psf(radius: float) -> np.ndarray:
    """Defocus PSF: a uniform disk of ``radius`` pixels, (2r+1, 2r+1), summing to 1."""
    r = int(np.ceil(radius))
    y, x = np.mgrid[-r:r + 1, -r:r + 1]
    k = (x * x + y * y <= radius * radius).astype(np.float32)
    return k / k.sum()


def line_psf(length: float, angle_deg: float) -> np.ndarray:
    """Motion PSF: a line of ``length`` pixels at ``angle_deg`` (0 = horizontal), summing to 1."""
    n = int(np.ceil(length)) | 1
    k = np.zeros((n, n), np.float32)
    c = n // 2
    dx, dy = np.cos(np.deg2rad(angle_deg)), -np.sin(np.deg2rad(angle_deg))
    for t in np.linspace(-(length - 1) / 2, (length - 1) / 2, 4 * n):
        k[int(round(c + t * dy)), int(round(c + t * dx))] = 1.0
    return k / k.sum()


def smooth_region(rng: np.random.Generator, size: int, fraction: float) -> np.ndarray:
    """A random smooth binary region (bool (size, size)) covering about ``fraction`` of the pixels."""
    noise = rng.standard_normal((size, size)).astype(np.float32)
    field = cv2.GaussianBlur(noise, (0, 0), sigmaX=size / 6, borderType=cv2.BORDER_REFLECT)
    return field > np.quantile(field, 1.0 - fraction)


def partial_blur(image: np.ndarray, mask: np.ndarray, psf: np.ndarray) -> np.ndarray:
    """Blur ``image`` (uint8 (H, W, 3)) with ``psf`` where ``mask`` is True; other pixels are left as they are."""
    blurred = cv2.filter2D(image.astype(np.float32), -1, psf, borderType=cv2.BORDER_REFLECT)
    out = np.where(mask[..., None], blurred, image.astype(np.float32))
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _photo(name: str) -> np.ndarray:
    a = getattr(skimage.data, name)()
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    return np.ascontiguousarray(a[..., :3]).astype(np.uint8)


def make_sample(index: int, size: int, seed: int) -> tuple[str, np.ndarray, np.ndarray]:
    """(name, image uint8 (size, size, 3), mask bool, True = blurred) for item ``index`` (1-based).

    Odd and even indices alternate over both categories, so the odd/even split is balanced.
    """
    rng = np.random.default_rng([seed, index])
    category = "motion" if (index - 1) // 2 % 2 else "out_of_focus"
    photo = _photo(PHOTOS[rng.integers(len(PHOTOS))])
    h, w = photo.shape[:2]
    side = int(min(h, w) * rng.uniform(0.5, 1.0))
    y, x = rng.integers(0, h - side + 1), rng.integers(0, w - side + 1)
    crop = cv2.resize(photo[y:y + side, x:x + side], (size, size), interpolation=cv2.INTER_AREA)
    mask = smooth_region(rng, size, rng.uniform(0.35, 0.75))
    scale = size / 128
    if category == "motion":
        psf = line_psf(rng.uniform(7, 17) * scale, rng.uniform(0, 180))
    else:
        psf = disk_psf(rng.uniform(2.5, 5.5) * scale)
    return f"{category}{index:04d}", partial_blur(crop, mask, psf), mask


def make_synthetic(root: str | os.PathLike, n: int = 24, size: int = 128, seed: int = 0) -> Path:
    """Write ``n`` synthetic items in the benchmark layout under ``root`` (skipped if already complete).

    >>> import tempfile
    >>> from blurlib.data import scan
    >>> root = make_synthetic(tempfile.mkdtemp(), n=4, size=64)
    >>> len(scan(root, synthetic=True).select("test"))
    2
    """
    root = Path(root)
    done = root / ".complete"
    if done.exists():
        return root
    for i in range(1, n + 1):
        name, image, mask = make_sample(i, size, seed)
        write_png(root / "image" / f"{name}.png", image)
        write_png(root / "gt" / f"{name}.png", mask.astype(np.uint8) * 255)
    done.write_text(f"n={n} size={size} seed={seed}\n")
    return root
