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

    ``patches_per_image`` random ``size``² patches from each image; a patch is pure when ≥ 95 % of its pixels are on
    one side of the mask (:data:`PURE`), others are left out; among the pure patches of each side, flat /
    structured = the lowest / highest third of the patch's grey standard deviation (so each group holds about a
    third of its side's pure patches). Two passes over the images (the second regenerates the same patches), so
    memory stays bounded at one image's patches. Returns ``{"edges": (bins+1,), "groups": {group: {"dx": density,
    "dy": density, "n": patches}}, "n_patches": sampled, "n_pure": {"sharp": n, "blurred": n}, "n_images",
    "size"}``; densities integrate to 1 over ``edges``.
    """
    usable = [(i, p) for i, p in enumerate(pairs)]

    def patches_of(i, p):
        image, mask = p.load()
        if min(mask.shape) < size:
            return None, None
        pt, sh = sample_patches(image, mask, patches_per_image, size, np.random.default_rng([seed, i]))
        return pt.astype(np.float32), sh

    stds, shares = [], []
    for i, p in usable:  # pass 1: each patch's contrast and blurred share
        pt, sh = patches_of(i, p)
        if pt is not None:
            stds.append(pt.std(axis=(1, 2)))
            shares.append(sh)
    std, share = np.concatenate(stds), np.concatenate(shares)
    edges = np.linspace(-0.3, 0.3, bins + 1)
    cuts, n_pure = {}, {}
    for side, pure in (("sharp", share <= 1 - PURE), ("blurred", share >= PURE)):
        cuts[side] = np.quantile(std[pure], [1 / 3, 2 / 3]) if pure.any() else (0.0, 0.0)
        n_pure[side] = int(pure.sum())
    hist = {g: {"dx": np.zeros(bins), "dy": np.zeros(bins), "n": 0} for g in GROUPS}
    for i, p in usable:  # pass 2: the same patches, histogrammed by group
        pt, sh = patches_of(i, p)
        if pt is None:
            continue
        sd = pt.std(axis=(1, 2))
        for side, pure in (("sharp", sh <= 1 - PURE), ("blurred", sh >= PURE)):
            lo, hi = cuts[side]
            for kind, sel in (("flat", pure & (sd <= lo)), ("structured", pure & (sd >= hi))):
                g = hist[f"{side}, {kind}"]
                g["dx"] += np.histogram(np.diff(pt[sel], axis=2), edges)[0]
                g["dy"] += np.histogram(np.diff(pt[sel], axis=1), edges)[0]
                g["n"] += int(sel.sum())
    width = np.diff(edges)
    for g in hist.values():
        for k in ("dx", "dy"):
            g[k] = g[k] / max(g[k].sum(), 1) / width
    return {"edges": edges, "groups": hist, "n_patches": len(std), "n_pure": n_pure, "n_images": len(stds),
            "size": size, "patches_per_image": patches_per_image}


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


def slope_statistics(pairs: Sequence[Pair], patches_per_image: int = 50, size: int = 64, seed: int = 0) -> dict:
    """Spectrum slopes (:func:`spectrum_slope`) of random ``size``² patches, per group of :data:`GROUPS`.

    Like :func:`gradient_statistics` (pure patches, flat / structured = lowest / highest third of grey standard
    deviation within each side), for the many patches behind Fig. 2(b)'s four. Returns ``{group: slopes (n,)}``.
    """
    slopes, stds, sides = [], [], []
    for i, p in enumerate(pairs):
        image, mask = p.load()
        if min(mask.shape) < size:
            continue
        pt, sh = sample_patches(image, mask, patches_per_image, size, np.random.default_rng([seed, i]))
        pure = (sh <= 1 - PURE) | (sh >= PURE)
        slopes += [spectrum_slope(q)[2] for q in pt[pure]]
        stds.append(pt[pure].std(axis=(1, 2)))
        sides.append(sh[pure] >= PURE)
    slope, std, blurred = np.array(slopes), np.concatenate(stds), np.concatenate(sides)
    out = {}
    for side, sel in (("sharp", ~blurred), ("blurred", blurred)):
        lo, hi = np.quantile(std[sel], [1 / 3, 2 / 3]) if sel.any() else (0.0, 0.0)
        out[f"{side}, flat"] = slope[sel & (std <= lo)]
        out[f"{side}, structured"] = slope[sel & (std >= hi)]
    return {g: out[g] for g in GROUPS}


PATCH = 64
"""Side in pixels of the four patches of Figs. 1 and 2(b)."""


def _candidates(image: np.ndarray, mask: np.ndarray, size: int, stride: int) -> dict[str, tuple[float, tuple]]:
    """The best window of each of the four kinds in one image: ``{label: (score, (y, x))}``."""
    g = grey(image)
    if min(g.shape) < size:
        return {}
    win = sliding_window_view(g, (size, size))[::stride, ::stride]
    share = sliding_window_view(mask.astype(np.float32), (size, size))[::stride, ::stride].mean(axis=(2, 3))
    std, mean = win.std(axis=(2, 3)), win.mean(axis=(2, 3))
    ok = (mean > 0.1) & (mean < 0.9)
    out = {}
    for label, sel, score in (("flat, sharp", (share <= 0) & ok, -std), ("flat, blurred", (share >= 1) & ok, -std),
                              ("structured, sharp", share <= 0, std), ("structured, blurred", share >= 1, std)):
        if sel.any():
            i = np.unravel_index(np.argmax(np.where(sel, score, -np.inf)), sel.shape)
            out[label] = (float(score[i]), (int(i[0] * stride), int(i[1] * stride)))
    return out


LABELS = ("flat, sharp", "flat, blurred", "structured, sharp", "structured, blurred")


def pick_patches(pairs: Sequence[Pair], size: int = PATCH, stride: int = 16, min_size: int = 8) -> list[dict]:
    """Four ``size``² patches of ONE image, like Fig. 1: flat and structured, in its sharp and its blurred region.

    Windows on a ``stride`` grid lying wholly in the sharp (mask 0) or wholly in the blurred (mask 1) region are
    candidates; "flat" = the lowest, "structured" = the highest grey standard deviation among them (flat windows
    must not be saturated: mean grey in [0.1, 0.9]). The image is the one of ``pairs`` that holds all four kinds
    where the least structured of its two structured windows is furthest (in grey standard deviation) from the more
    structured of its two flat ones (the clearest Fig. 1). Where no image holds all four at ``size`` (small images,
    such as the synthetic set's), the side is halved, down to ``min_size``; an empty list when none is found. Returns
    dicts with ``label``, ``name``, ``yx`` (top-left corner), ``size``, ``std``, ``rgb`` (size, size, 3) and ``grey``.
    """
    best = None
    for p in pairs:
        image, mask = p.load()
        c = _candidates(image, mask, size, stride)
        if len(c) < 4:
            continue
        score = min(c["structured, sharp"][0], c["structured, blurred"][0]) + min(c["flat, sharp"][0],
                                                                                   c["flat, blurred"][0])
        if best is None or score > best[0]:
            best = (score, p, c)
    if best is None:
        half = size // 2
        return pick_patches(pairs, half, max(1, min(stride, half // 2)), min_size) if half >= min_size else []
    _, p, c = best
    image = p.load()[0]
    g = grey(image)
    out = []
    for label in LABELS:
        y, x = c[label][1]
        out.append({"label": label, "name": p.name, "yx": (y, x), "size": size, "std": abs(c[label][0]),
                    "rgb": image[y:y + size, x:x + size], "grey": g[y:y + size, x:x + size]})
    return out
