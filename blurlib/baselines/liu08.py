"""Liu08 — R. Liu, Z. Li, J. Jia, "Image partial blur detection and classification", CVPR 2008.

Three of its local blur features: the local power-spectrum slope (steeper under blur), the gradient histogram span
(blur narrows the distribution of gradient magnitudes; here its local spread, the standard deviation of the
gradient magnitude in a 15×15 window, stands in for the span of the fitted two-component mixture), and the maximum
saturation (blurred regions mix colours and are less saturated; the maximum over a 15×15 window). The paper combines
them with a trained Bayes classifier; here they are rank-normalised per image and averaged (no training).

Against the published Liu curve (notebook 03; 353 D_e images present, after the image set's shift): best Fβ +0.034,
mean precision +0.062. The images absent here cannot explain it (:func:`blurlib.baselines.published.image_set_test`:
our curve would have to move by 0.64 at some threshold) — unless the levels are remapped: one monotone change of every
map's values brings it within 0.004 of a curve they could complete
(:func:`~blurlib.baselines.published.remapped_violation`). The cause is where the maps put their values: the published
maps hold about a third of the blurred pixels at the top level, with a precision flat near 0.74 from level 64 to 255
(a classifier's few outputs), ours almost none there. Measured on the same images and not adopted: the features
computed per 24×24 patch on an 8-pixel grid, relative to the whole image as Liu08 defines them (the span from a
two-component Gaussian mixture fitted by EM per patch), rank-averaged: −0.055 / −0.013; the same with Liu08's naive
Bayes classifier (32-bin likelihoods per feature trained on the D_o images' patches): +0.054 / +0.043.
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
