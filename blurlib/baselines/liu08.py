"""Liu08 — R. Liu, Z. Li, J. Jia, "Image partial blur detection and classification", CVPR 2008.

Three of its local blur features: the local power-spectrum slope (steeper under blur), the gradient histogram span
(blur narrows the distribution of gradient magnitudes; here its local spread, the standard deviation of the
gradient magnitude in a 15×15 window, stands in for the span of the fitted two-component mixture), and the maximum
saturation (blurred regions mix colours and are less saturated; the maximum over a 15×15 window). The paper combines
them with a trained Bayes classifier; here they are rank-normalised per image and averaged (no training).
"""

from __future__ import annotations

import cv2
import numpy as np

from blurlib.baselines._common import box, gradients, local_spectrum_slopes, luminance, to_full_size
from blurlib.baselines.shi14 import _rank

WINDOW = 15


def blur_map(image: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Blur map float32 (H, W) in [0, 1] (1 = blurred) of ``image`` uint8 RGB (H, W, 3)."""
    g = luminance(image)
    steep = -to_full_size(local_spectrum_slopes(g), g.shape)
    mag = np.hypot(*gradients(g))
    spread = np.sqrt(np.maximum(box(mag * mag, window) - box(mag, window) ** 2, 0))
    rgb = image.astype(np.float32)
    saturation = 1 - rgb.min(axis=2) / np.maximum(rgb.max(axis=2), 1)
    max_sat = cv2.dilate(saturation, np.ones((window, window), np.uint8))
    return (_rank(steep) + _rank(-spread) + _rank(-max_sat)) / 3
