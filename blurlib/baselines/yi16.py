"""Yi16 — X. Yi, M. Eramian, "LBP-based segmentation of defocus blur", IEEE TIP 2016.

Sharpness m_LBP = share of pixels in a local window whose rotation-invariant uniform pattern LBP^riu2_{8,1} is one
of 6, 7, 8 or 9 (the non-uniform class), the neighbour bits set where g_p − g_c > T_LBP = 0.016 (grey levels in
[0, 1]). Blurred regions have few such patterns. Multiscale: windows 11, 15, 21, averaged. Defaults from the paper;
the 8 neighbours are the pixel's 8-connected neighbours (no interpolation at the diagonals), and the paper's
final matting step is left out. Blur = 1 − m_LBP, normalised to [0, 1] per image.
"""

from __future__ import annotations

import numpy as np

from blurlib.baselines._common import box, luminance, minmax

T_LBP = 0.016
WINDOWS = (11, 15, 21)
_RING = ((-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1))  # circular order


def lbp_riu2(g: np.ndarray, threshold: float = T_LBP) -> np.ndarray:
    """LBP^riu2_{8,1} codes (H, W) in 0…9 of grey image ``g`` (9 = non-uniform)."""
    p = np.pad(g, 1, mode="reflect")
    h, w = g.shape
    bits = np.stack([p[1 + dy:1 + dy + h, 1 + dx:1 + dx + w] - g > threshold for dy, dx in _RING]).astype(np.int8)
    transitions = np.abs(bits - np.roll(bits, 1, axis=0)).sum(axis=0)
    return np.where(transitions <= 2, bits.sum(axis=0), 9)


def blur_map(image: np.ndarray, windows=WINDOWS, threshold: float = T_LBP) -> np.ndarray:
    """Blur map float32 (H, W) in [0, 1] (1 = blurred) of ``image`` uint8 RGB (H, W, 3)."""
    sharp_patterns = (lbp_riu2(luminance(image), threshold) >= 6).astype(np.float32)
    m_lbp = np.mean([box(sharp_patterns, w) for w in windows], axis=0)
    return minmax(1.0 - m_lbp)
