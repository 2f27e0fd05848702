"""Su11 — B. Su, S. Lu, C. L. Tan, "Blurred image region detection and classification", ACM MM 2011.

Singular value feature: for the local window around each pixel, β = (λ1 + … + λk) / (λ1 + … + λn), the share of the
k largest singular values. Blur removes detail, so the energy concentrates in the first singular values: β is
larger in blurred regions. Defaults: HSV value channel, 15×15 windows, k = 3 (the common implementation), evaluated
on a 4-pixel grid and interpolated bilinearly (speed), normalised to [0, 1] per image.
"""

from __future__ import annotations

import numpy as np

from blurlib.baselines._common import minmax, to_full_size, value_channel, windows_on_grid

WINDOW, K, STRIDE = 15, 3, 4


def blur_map(image: np.ndarray, window: int = WINDOW, k: int = K, stride: int = STRIDE) -> np.ndarray:
    """Blur map float32 (H, W) in [0, 1] (1 = blurred) of ``image`` uint8 RGB (H, W, 3)."""
    v = value_channel(image)
    w = windows_on_grid(v, window, stride)
    s = np.linalg.svd(w.reshape(-1, window, window), compute_uv=False)
    beta = s[:, :k].sum(axis=1) / np.maximum(s.sum(axis=1), 1e-12)
    return minmax(to_full_size(beta.reshape(w.shape[:2]), v.shape))
