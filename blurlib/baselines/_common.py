"""Helpers shared by the hand-crafted baselines: grey levels, grid evaluation, normalisation."""

from __future__ import annotations

import cv2
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def value_channel(image: np.ndarray) -> np.ndarray:
    """HSV value (max of R, G, B) as float64 (H, W) in [0, 1]."""
    return image.max(axis=2).astype(np.float64) / 255.0


def luminance(image: np.ndarray) -> np.ndarray:
    """Grey levels float64 (H, W) in [0, 1] (ITU-R BT.601)."""
    return (image.astype(np.float64) @ np.array([0.299, 0.587, 0.114])) / 255.0


def windows_on_grid(a: np.ndarray, window: int, stride: int) -> np.ndarray:
    """Windows (gh, gw, window, window) centred on a ``stride`` grid of ``a`` (reflect-padded)."""
    r = window // 2
    padded = np.pad(a, r, mode="reflect")
    return sliding_window_view(padded, (window, window))[::stride, ::stride]


def to_full_size(grid: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear resize of a per-grid-point measure back to the image size (H, W)."""
    return cv2.resize(grid.astype(np.float32), (shape[1], shape[0]), interpolation=cv2.INTER_LINEAR)


def minmax(a: np.ndarray) -> np.ndarray:
    """Rescale to [0, 1] per image (as the published implementations do); a constant map becomes 0.5."""
    lo, hi = float(a.min()), float(a.max())
    return np.full(a.shape, 0.5, np.float32) if hi - lo < 1e-12 else ((a - lo) / (hi - lo)).astype(np.float32)
