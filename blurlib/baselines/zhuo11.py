"""Zhuo11 — S. Zhuo, T. Sim, "Defocus map estimation from a single image", Pattern Recognition 2011.

At edges, the ratio R of gradient magnitudes of the image and of its re-blurred copy (Gaussian σ0 = 1) gives the
defocus blur σ = σ0 / √(R² − 1). The sparse edge map is then propagated to all pixels. Defaults: σ0 = 1, Canny
edges, σ clipped to [0, 5]. The paper propagates with the matting Laplacian; here the sparse σ is interpolated by
normalised Gaussian convolution and refined with a guided filter on the image (edge-aware, much faster).
"""

from __future__ import annotations

import cv2
import numpy as np

from blurlib.baselines._common import gradients, guided_filter, luminance, minmax

SIGMA0, SIGMA_MAX, SPREAD = 1.0, 5.0, 12.0


def sparse_defocus(g: np.ndarray, sigma0: float = SIGMA0) -> tuple[np.ndarray, np.ndarray]:
    """(σ estimate at edge pixels (H, W), edge mask (H, W) bool) of grey image ``g`` in [0, 1]."""
    gx, gy = gradients(g)
    rx, ry = gradients(cv2.GaussianBlur(g.astype(np.float32), (0, 0), sigma0))
    ratio = np.hypot(gx, gy) / np.maximum(np.hypot(rx, ry), 1e-6)
    edges = cv2.Canny(np.rint(g * 255).astype(np.uint8), 50, 150) > 0
    edges &= ratio > 1.0 + 1e-3
    sigma = np.zeros_like(g, dtype=np.float32)
    sigma[edges] = np.clip(sigma0 / np.sqrt(ratio[edges] ** 2 - 1), 0, SIGMA_MAX)
    return sigma, edges


def blur_map(image: np.ndarray, sigma0: float = SIGMA0, spread: float = SPREAD) -> np.ndarray:
    """Blur map float32 (H, W) in [0, 1] (1 = blurred) of ``image`` uint8 RGB (H, W, 3)."""
    g = luminance(image).astype(np.float32)
    sigma, edges = sparse_defocus(g, sigma0)
    weight = cv2.GaussianBlur(edges.astype(np.float32), (0, 0), spread)
    dense = cv2.GaussianBlur(sigma, (0, 0), spread) / np.maximum(weight, 1e-6)
    dense[weight < 1e-6] = SIGMA_MAX  # no edge anywhere near: nothing sharp
    return minmax(guided_filter(g, dense.astype(np.float32), radius=8, eps=1e-3))
