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


def box(a: np.ndarray, window: int) -> np.ndarray:
    """Mean over ``window``×``window`` neighbourhoods (reflect borders)."""
    return cv2.blur(a.astype(np.float32), (window, window), borderType=cv2.BORDER_REFLECT)


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int = 8, eps: float = 1e-3) -> np.ndarray:
    """He et al.'s guided filter (grey guide): edge-aware smoothing of ``src`` that follows edges of ``guide``."""
    w = 2 * radius + 1
    mg, ms = box(guide, w), box(src, w)
    a = (box(guide * src, w) - mg * ms) / (box(guide * guide, w) - mg * mg + eps)
    b = ms - a * mg
    return box(a, w) * guide + box(b, w)


def gradients(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical Sobel derivatives of a grey image (float32)."""
    g = g.astype(np.float32)
    return cv2.Sobel(g, cv2.CV_32F, 1, 0, ksize=3) / 8, cv2.Sobel(g, cv2.CV_32F, 0, 1, ksize=3) / 8


def local_spectrum_slopes(g: np.ndarray, window: int = 16, stride: int = 8) -> np.ndarray:
    """Slope of log power vs log frequency of the Hann-windowed local spectrum, on a ``stride`` grid (gh, gw)."""
    w = windows_on_grid(g, window, stride)
    w = (w - w.mean(axis=(2, 3), keepdims=True)) * np.outer(np.hanning(window), np.hanning(window))
    power = np.abs(np.fft.fft2(w)) ** 2
    fy, fx = np.meshgrid(np.fft.fftfreq(window), np.fft.fftfreq(window), indexing="ij")
    r = np.rint(np.hypot(fx, fy) * window).astype(int).ravel()
    keep = (r >= 1) & (r < window // 2)
    counts = np.bincount(r[keep])[1:]
    radial = np.stack([np.bincount(r[keep], weights=p[keep])[1:] for p in power.reshape(-1, window * window)])
    logf = np.log(np.arange(1, window // 2) / window)
    logp = np.log(radial / counts + 1e-12)
    x = logf - logf.mean()
    slope = (logp - logp.mean(axis=1, keepdims=True)) @ x / (x @ x)
    return slope.reshape(w.shape[:2])
