"""HiFST — S. A. Golestaneh, L. J. Karam, "Spatially-varying blur detection based on multiscale fused and sorted
transform coefficients of gradient magnitudes", CVPR 2017.

For each pixel and each scale M_r, the DCT of the M_r×M_r window of the gradient magnitude; its high-frequency
coefficients (u + v ≥ M_r − 1) over all scales are fused and sorted by magnitude; the sharpness is the mean of the
largest ones (the top Σ M_r of them), normalised; the map is smoothed edge-aware with the image. Blur = 1 −
sharpness. Defaults: scales 7, 15, 31 (the paper adds 63), evaluated on a 4-pixel grid and interpolated; the
paper's domain-transform filter is replaced by a guided filter.
"""

from __future__ import annotations

import numpy as np
from scipy.fft import dct

from blurlib.baselines._common import gradients, guided_filter, luminance, minmax, to_full_size, windows_on_grid

SCALES, STRIDE = (7, 15, 31), 4


def _dct_matrix(m: int) -> np.ndarray:
    return dct(np.eye(m), norm="ortho", axis=0)


def high_frequency_coefficients(grad: np.ndarray, m: int, stride: int) -> np.ndarray:
    """|DCT| high-frequency coefficients of the m×m windows on a grid: (gh, gw, n_high)."""
    w = windows_on_grid(grad, m, stride)
    d = _dct_matrix(m)
    c = np.einsum("ij,abjk,lk->abil", d, w, d, optimize=True)
    u, v = np.indices((m, m))
    return np.abs(c[..., u + v >= m - 1])


def blur_map(image: np.ndarray, scales=SCALES, stride: int = STRIDE) -> np.ndarray:
    """Blur map float32 (H, W) in [0, 1] (1 = blurred) of ``image`` uint8 RGB (H, W, 3)."""
    g = luminance(image)
    gx, gy = gradients(g)
    grad = np.hypot(gx, gy).astype(np.float64)
    fused = np.concatenate([high_frequency_coefficients(grad, m, stride) for m in scales], axis=-1)
    top = np.sort(fused, axis=-1)[..., -sum(scales):]
    sharp = to_full_size(top.mean(axis=-1), g.shape)
    sharp = guided_filter(g.astype(np.float32), minmax(sharp), radius=8, eps=1e-3)
    return minmax(1.0 - sharp)
