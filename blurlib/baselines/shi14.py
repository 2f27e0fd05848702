"""Shi14 — J. Shi, L. Xu, J. Jia, "Discriminative blur detection features", CVPR 2014.

Two of its local features, computed per window: the kurtosis of the local horizontal and vertical gradients (a
sharp window's gradients are heavy-tailed — many near zero, a few large at edges — and blur spreads each edge into
many moderate gradients, so *low* kurtosis means blurred; on 30 CUHK D_e images the per-image AUC of −kurtosis is
0.71), and the local power-spectrum slope α (blur steepens the fall-off). The paper also learns a filter dictionary and
combines features with a naive Bayes classifier trained on the benchmark; here the two features are rank-normalised
per image and averaged (no training), in a multiscale fashion (windows 11 and 21 for kurtosis, 16 for α).

Against the published Shi curve (notebook 03; 353 D_e images present, after the image set's shift): best Fβ −0.045,
mean precision −0.037. The images absent here cannot explain it (:func:`blurlib.baselines.published.image_set_test`:
our curve would have to move by 0.64 at some threshold) — unless the levels are remapped: one monotone change of every
map's values brings it within 0.001 of a curve they could complete
(:func:`~blurlib.baselines.published.remapped_violation`). The cause is where the maps put their values: the published
maps hold about a seventh of the blurred pixels at level 0 and an eighth at level 255, ours (a mean of two per-image
ranks, which rarely comes near 0 or 1) none at either end. Measured on the same images and not adopted: the same
features at windows 11/15/21 joined by Shi et al.'s multi-scale inference
(:func:`blurlib.baselines._common.multiscale_inference`): −0.048 / −0.076, further off.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from blurlib.baselines._common import box, gradients, local_spectrum_slopes, luminance, to_full_size

WINDOWS = (11, 21)


def kurtosis_map(g: np.ndarray, window: int) -> np.ndarray:
    """Local log-kurtosis (H, W) of horizontal and vertical gradients, averaged."""
    out = []
    for d in gradients(g):
        m1, m2 = box(d, window), box(d * d, window)
        m3, m4 = box(d ** 3, window), box(d ** 4, window)
        var = np.maximum(m2 - m1 ** 2, 1e-8)
        central4 = m4 - 4 * m1 * m3 + 6 * m1 ** 2 * m2 - 3 * m1 ** 4
        out.append(np.log(np.maximum(central4 / var ** 2, 1e-3)))
    return np.mean(out, axis=0)


def _rank(a: np.ndarray) -> np.ndarray:
    return (rankdata(a.ravel()).reshape(a.shape) / a.size).astype(np.float32)


def blur_map(image: np.ndarray) -> np.ndarray:
    """Blur map float32 (H, W) in [0, 1] (1 = blurred) of ``image`` uint8 RGB (H, W, 3)."""
    g = luminance(image)
    flat = -np.mean([kurtosis_map(g, w) for w in WINDOWS], axis=0)
    steep = -to_full_size(local_spectrum_slopes(g), g.shape)
    return (_rank(flat) + _rank(steep)) / 2
