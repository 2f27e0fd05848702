"""Helpers shared by the hand-crafted baselines: grey levels, grid evaluation, normalisation, matting and\nmulti-scale inference."""

from __future__ import annotations

import contextlib
import io

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


def downsample(a: np.ndarray) -> np.ndarray:
    """One level of the binomial pyramid ([1 4 6 4 1]/16 each way, every second pixel), as Levin et al.'s matting
    code builds its coarse levels; float64 (h, w[, c]) in, float64 (⌈h/2⌉, ⌈w/2⌉[, c]) out."""
    return cv2.pyrDown(a.astype(np.float64))


def _linear_coefficients(alpha: np.ndarray, image: np.ndarray, epsilon: float) -> tuple[np.ndarray, np.ndarray]:
    """Per 3×3 window, the ridge fit ``alpha ≈ a · image + b`` (a (h, w, 3), b (h, w)): the local colour-linear
    model of the matting Laplacian, whose coefficients carry a matte to a finer level."""
    mean = lambda x: cv2.blur(x, (3, 3), borderType=cv2.BORDER_REFLECT)  # noqa: E731
    mu = np.stack([mean(image[..., c]) for c in range(3)], axis=-1)
    ma = mean(alpha)
    cov = np.empty(image.shape[:2] + (3, 3))
    for i in range(3):
        for j in range(i, 3):
            cov[..., i, j] = cov[..., j, i] = mean(image[..., i] * image[..., j]) - mu[..., i] * mu[..., j]
    cross = np.stack([mean(image[..., c] * alpha) for c in range(3)], axis=-1) - mu * ma[..., None]
    a = np.linalg.solve(cov + epsilon / 9 * np.eye(3), cross[..., None])[..., 0]
    return a, ma - (a * mu).sum(axis=-1)


def matte(image: np.ndarray, fg: np.ndarray, bg: np.ndarray, levels: int = 3, epsilon: float = 1e-7) -> np.ndarray:
    """Closed-form matte (Levin, Lischinski, Weiss, PAMI 2008) α float64 (H, W) in [0, 1] of RGB ``image`` uint8
    (H, W, 3), with α = 1 on ``fg`` and 0 on ``bg`` (H, W) bool, solved coarse-to-fine as Levin et al.'s code does
    with one active level: image and constraints taken ``levels − 1`` pyramid levels down, α solved there with the
    matting Laplacian (``pymatting``), then carried up one level at a time by the local linear model α ≈ a·I + b of
    each 3×3 window. Without both fg and bg pixels at the coarse level, no matte exists: returns None."""
    from pymatting import estimate_alpha_cf

    pyramid = [image.astype(np.float64) / 255.0]
    known, value = (fg | bg).astype(np.float64), fg.astype(np.float64)
    for _ in range(levels - 1):
        pyramid.append(downsample(pyramid[-1]))
        known, value = downsample(known), downsample(value)
    known = np.rint(known) == 1
    value = np.rint(value) == 1
    if not (known & value).any() or not (known & ~value).any():
        return None
    trimap = np.where(known, value.astype(np.float64), 0.5)
    with contextlib.redirect_stdout(io.StringIO()):
        alpha = estimate_alpha_cf(pyramid[-1], trimap, laplacian_kwargs={"epsilon": epsilon})
    for coarse, fine in zip(pyramid[:0:-1], pyramid[-2::-1]):
        a, b = _linear_coefficients(alpha, coarse, epsilon)
        size = (fine.shape[1], fine.shape[0])
        a = cv2.resize(a, size, interpolation=cv2.INTER_LINEAR)
        b = cv2.resize(b, size, interpolation=cv2.INTER_LINEAR)
        alpha = (a * fine).sum(axis=-1) + b
    return np.clip(alpha, 0.0, 1.0)


def multiscale_inference(layers: list[np.ndarray], alpha: float = 0.5, iterations: int = 200,
                         tol: float = 1e-4) -> np.ndarray:
    """Shi, Xu and Jia's multi-scale inference (CVPR 2014), as Yi and Eramian use it: a two-state (sharp, blurred)
    Markov random field over the stacked per-scale sharpness maps ``layers`` (each (H, W), first = the largest
    window), each node joined to its 4 neighbours in its layer and to the same pixel in the adjacent layers. The maps
    are standardised together (zero mean, unit std): x; node potentials exp(−|1 − x|) (sharp) and exp(−|x|)
    (blurred); every edge the Potts potential 1 (same state) or exp(−``alpha``) (different). Marginals by
    sum-product loopy belief propagation (parallel updates, messages as log-odds, until the largest change is below
    ``tol``). Returns P(sharp) float64 (H, W) of the first layer.

    >>> flat = [np.zeros((4, 4)), np.zeros((4, 4))]
    >>> flat[0][:, 2:] = flat[1][:, 2:] = 1
    >>> p = multiscale_inference(flat)
    >>> bool(p[:, 2:].min() > 0.5 > p[:, :2].max())
    True
    """
    x = np.stack([np.asarray(layer, np.float64) for layer in layers])
    x = ((x - x.mean()) / max(float(x.std()), 1e-12)).astype(np.float32)
    h = np.abs(x) - np.abs(1 - x)  # log φ(sharp) − log φ(blurred)
    coupling = np.float32(np.tanh(alpha / 2))

    def send(t):  # log-odds message through a Potts edge [[1, e^−α], [e^−α, 1]], given the sender's log-odds t
        return 2 * np.arctanh(coupling * np.tanh(t / 2))

    # inc[axis, side]: the message each node receives from its neighbour at −1 (side 0) or +1 (side 1) along axis
    inc = np.zeros((3, 2) + x.shape, np.float32)
    for _ in range(iterations):
        total = h + inc.sum(axis=(0, 1))
        new = np.zeros_like(inc)
        for axis in range(3):
            lo = [slice(None)] * 3
            hi = [slice(None)] * 3
            lo[axis], hi[axis] = slice(None, -1), slice(1, None)
            lo, hi = tuple(lo), tuple(hi)
            # a node sends to its +1 neighbour all it knows but what that neighbour sent it (received on side 1)
            new[axis, 0][hi] = send(total[lo] - inc[axis, 1][lo])
            new[axis, 1][lo] = send(total[hi] - inc[axis, 0][hi])
        change = float(np.abs(new - inc).max())
        inc = new
        if change < tol:
            break
    belief = h + inc.sum(axis=(0, 1))
    return 1.0 / (1.0 + np.exp(-belief[0].astype(np.float64)))
