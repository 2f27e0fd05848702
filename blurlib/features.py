"""Fig. 2: why low-level statistics cannot tell flat from blurred.

(a) :func:`gradient_statistics`: log-histograms of horizontal and vertical gradients of patches sampled from
benchmark images, grouped by the mask (blurred / sharp) and, within each, by local contrast (flat / structured).
(b) :func:`spectrum_slope` and :func:`pick_patches`: the radially averaged power spectrum of a patch and its log-log
slope, for four patches chosen like Fig. 1 (flat sharp, flat blurred, structured sharp, structured blurred).

Images are taken as grey levels in [0, 1]; gradients are differences of neighbouring pixels in those units.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from blurlib.data import Pair

GROUPS = ("sharp, flat", "sharp, structured", "blurred, flat", "blurred, structured")
PURE = 0.95  # a patch is "blurred" ("sharp") when at least this share of its pixels is (is not) blurred


def grey(image: np.ndarray) -> np.ndarray:
    """uint8 RGB (H, W, 3) -> float32 luminance (H, W) in [0, 1] (ITU-R BT.601 weights)."""
    return (image.astype(np.float32) @ np.array([0.299, 0.587, 0.114], np.float32)) / 255.0


def sample_patches(image: np.ndarray, mask: np.ndarray, n: int, size: int, rng: np.random.Generator):
    """``n`` random ``size``² patches of one image: (grey patches (n, size, size), blurred share (n,))."""
    g = grey(image)
    h, w = g.shape
    ys, xs = rng.integers(0, h - size + 1, n), rng.integers(0, w - size + 1, n)
    patches = sliding_window_view(g, (size, size))[ys, xs]
    share = sliding_window_view(mask.astype(np.float32), (size, size))[ys, xs].mean(axis=(1, 2))
    return patches, share


def gradient_statistics(pairs: Sequence[Pair], patches_per_image: int = 10_000, size: int = 15, bins: int = 101,
                        seed: int = 0) -> dict:
    """Gradient log-histograms of random patches, per group of :data:`GROUPS`.

    Patches are pure (≥ 95 % of pixels on one side of the mask); flat / structured = the lowest / highest third of
    patch standard deviation within each side. Returns ``{"edges": (bins+1,), "groups": {group: {"dx": density,
    "dy": density, "n": patches}}, "n_patches": total sampled}``; densities integrate to 1 over ``edges``.
    """
    rng = np.random.default_rng(seed)
    all_p, all_s = [], []
    for p in pairs:
        image, mask = p.load()
        if min(mask.shape) < size:
            continue
        pt, sh = sample_patches(image, mask, patches_per_image, size, rng)
        all_p.append(pt.astype(np.float32))
        all_s.append(sh)
    patches, share = np.concatenate(all_p), np.concatenate(all_s)
    std = patches.std(axis=(1, 2))
    edges = np.linspace(-0.3, 0.3, bins + 1)
    groups = {}
    for side, pure in (("sharp", share <= 1 - PURE), ("blurred", share >= PURE)):
        lo, hi = np.quantile(std[pure], [1 / 3, 2 / 3]) if pure.any() else (0.0, 0.0)
        for kind, sel in (("flat", pure & (std <= lo)), ("structured", pure & (std >= hi))):
            p = patches[sel]
            groups[f"{side}, {kind}"] = {
                "dx": np.histogram(np.diff(p, axis=2), edges, density=True)[0],
                "dy": np.histogram(np.diff(p, axis=1), edges, density=True)[0],
                "n": int(sel.sum())}
    return {"edges": edges, "groups": groups, "n_patches": len(patches), "n_images": len(all_p), "size": size}


def spectrum_slope(patch: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Radially averaged power spectrum of a grey patch (s, s) and the slope of log power vs log frequency.

    Returns (frequencies in cycles/pixel (s//2 - 1,), mean power at each, slope). Sharp natural patches have
    slopes near −2; blur steepens the fall-off — but so does flatness.
    """
    s = patch.shape[0]
    win = np.outer(np.hanning(s), np.hanning(s))
    f = np.fft.fftshift(np.fft.fft2((patch - patch.mean()) * win))
    power = np.abs(f) ** 2
    y, x = np.indices(power.shape) - s // 2
    r = np.rint(np.hypot(x, y)).astype(int)
    radial = np.bincount(r.ravel(), power.ravel()) / np.maximum(np.bincount(r.ravel()), 1)
    k = np.arange(1, s // 2)
    freqs, p = k / s, radial[1:s // 2] + 1e-12
    slope = float(np.polyfit(np.log(freqs), np.log(p), 1)[0])
    return freqs, p, slope


def pick_patches(pairs: Sequence[Pair], size: int = 64, stride: int = 16) -> list[dict]:
    """Four patches like Fig. 1, chosen automatically over the images of ``pairs``.

    Candidates are pure windows on a ``stride`` grid; "flat" = lowest, "structured" = highest grey standard
    deviation, in sharp and in blurred regions. Flat candidates must not be saturated (mean in [0.1, 0.9]).
    Returns dicts with ``label``, ``name``, ``yx``, ``rgb`` (size, size, 3) and ``grey`` (size, size).
    """
    best: dict[str, tuple[float, dict]] = {}
    for p in pairs:
        image, mask = p.load()
        g = grey(image)
        if min(g.shape) < size:
            continue
        win = sliding_window_view(g, (size, size))[::stride, ::stride]
        share = sliding_window_view(mask.astype(np.float32), (size, size))[::stride, ::stride].mean(axis=(2, 3))
        std, mean = win.std(axis=(2, 3)), win.mean(axis=(2, 3))
        ok = (mean > 0.1) & (mean < 0.9)
        for label, sel, score in (("flat, sharp", (share <= 0) & ok, -std), ("flat, blurred", (share >= 1) & ok, -std),
                                  ("structured, sharp", share <= 0, std), ("structured, blurred", share >= 1, std)):
            if not sel.any():
                continue
            i = np.unravel_index(np.argmax(np.where(sel, score, -np.inf)), sel.shape)
            if label not in best or score[i] > best[label][0]:
                y, x = i[0] * stride, i[1] * stride
                best[label] = (float(score[i]), {"label": label, "name": p.name, "yx": (int(y), int(x)),
                                                 "rgb": image[y:y + size, x:x + size], "grey": g[y:y + size, x:x + size]})
    order = ("flat, sharp", "flat, blurred", "structured, sharp", "structured, blurred")
    return [best[k][1] for k in order if k in best]
