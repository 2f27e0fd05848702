"""Yi16 — X. Yi, M. Eramian, "LBP-based segmentation of defocus blur", IEEE TIP 25(4), 2016.

1. **Sharpness metric.** m_LBP = share of the pixels in an s×s window whose rotation-invariant uniform pattern
   LBP^riu2_{8,1} is 6, 7, 8 or 9 (9: the non-uniform class); a neighbour's bit is set where g_p − g_c ≥ T_LBP
   (grey levels in [0, 1], the 8 neighbours on the circle of radius 1, the diagonal ones bilinearly interpolated).
   Blurred regions have few such patterns.
2. **Matting, per scale.** m_LBP stretched to [0, 1]; where it exceeds T_m1 the pixel is taken as sharp (α = 1),
   where it is below T_m2 as blurred (α = 0); the rest of the matte comes from the closed-form matting of Levin et
   al. (:func:`blurlib.baselines._common.matte`: the matting Laplacian from ``pymatting``, solved two pyramid levels
   down and carried up by its local linear model, as the method's implementation calls Levin et al.'s code).
3. **Multi-scale inference** over the three scales' mattes (:func:`blurlib.baselines._common.multiscale_inference`,
   Shi et al.'s two-state random field with weight α = 0.5, loopy belief propagation); the sharpness map is the
   marginal P(sharp) of the largest scale's layer.

Blur = 1 − sharpness, stretched to [0, 1] per image (as the published curves' evaluation stretches every map).
Parameters from the paper: T_LBP = 0.016, windows s = 11, 15, 21, T_m1 = 0.3, T_m2 = 0.01, α = 0.5. Where a scale's
thresholds leave no sharp or no blurred pixel at the coarse level, that scale's matte is its stretched m_LBP.

Against the published Yi curve after the image set's shift (notebook 03), on the 353 D_e images present: best Fβ
+0.021, mean precision +0.050 (the LBP sharpness alone, before matting and inference: −0.006 / −0.062). On 48 of those
images, run at each image's own size instead of 384²: +0.028 / +0.054 against +0.023 / +0.058 — the test size is not
the cause. The images absent here cannot explain it either (:func:`blurlib.baselines.published.image_set_test`: our
curve would have to move by 0.73 at some threshold), nor with the levels remapped (0.70). The cause is a tie at the
top: ours put about 70 % of the blurred pixels on the top level, where the two-state inference's marginals saturate
over uniform regions, with none above; the published maps put about 58 % on level 245 and 2 % above it, ranked worse
(precision 0.63–0.71 against 0.81), which no remapping of ours can reach. Below level 246 a remapping brings ours
within 0.01 of a curve the absent images could complete. The published shape comes back qualitatively when our 384²
map is resized to the image bicubically and stretched per image (the overshoot at region borders lifts a few pixels
above the plateau): on 48 D_e images the recall then falls from 0.71 at level 241 to 0.04 at level 248, at a precision
of 0.75–0.79 above against 0.90 below — but mean precision moves only from +0.058 to +0.047, best Fβ not at all, so it
is not adopted; how the published maps were resized or saved is not known. About 0.7 s per 384² image on a 2-core CPU
(the matte 0.25 s per scale, the inference 0.1–0.3 s).
"""

from __future__ import annotations

import numpy as np

from blurlib.baselines._common import box, luminance, matte, minmax, multiscale_inference

T_LBP = 0.016
WINDOWS = (11, 15, 21)
T_SHARP = 0.3
"""T_m1: a pixel whose stretched m_LBP exceeds it is sharp (α = 1) in the matting."""
T_BLURRED = 0.01
"""T_m2: a pixel whose stretched m_LBP is below it is blurred (α = 0) in the matting."""
INFERENCE_WEIGHT = 0.5
"""α of the multi-scale inference: the Potts penalty between disagreeing neighbours."""

_D = 2 ** -0.5
_RING = ((0, 1), (-_D, _D), (-1, 0), (-_D, -_D), (0, -1), (_D, -_D), (1, 0), (_D, _D))
"""(dy, dx) of the 8 neighbours on the unit circle, in circular order."""


def _shifted(g: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """``g`` sampled at (y + dy, x + dx) for every pixel, bilinearly (replicated borders), |dy|, |dx| ≤ 1."""
    p = np.pad(g, 1, mode="edge")
    h, w = g.shape
    y0, x0 = int(np.floor(dy)), int(np.floor(dx))
    fy, fx = dy - y0, dx - x0
    at = lambda oy, ox: p[1 + oy:1 + oy + h, 1 + ox:1 + ox + w]  # noqa: E731
    out = (1 - fy) * (1 - fx) * at(y0, x0)
    if fx > 1e-12:
        out = out + (1 - fy) * fx * at(y0, x0 + 1)
    if fy > 1e-12:
        out = out + fy * (1 - fx) * at(y0 + 1, x0)
        if fx > 1e-12:
            out = out + fy * fx * at(y0 + 1, x0 + 1)
    return out


def lbp_riu2(g: np.ndarray, threshold: float = T_LBP) -> np.ndarray:
    """LBP^riu2_{8,1} codes (H, W) in 0…9 of grey image ``g`` (9 = non-uniform): the number of neighbours brighter
    than the centre by at least ``threshold`` where the ring's bits change at most twice, else 9."""
    bits = np.stack([_shifted(g, dy, dx) - g >= threshold for dy, dx in _RING]).astype(np.int8)
    transitions = np.abs(bits - np.roll(bits, 1, axis=0)).sum(axis=0)
    return np.where(transitions <= 2, bits.sum(axis=0), 9)


def sharpness(g: np.ndarray, window: int, threshold: float = T_LBP) -> np.ndarray:
    """m_LBP float32 (H, W) in [0, 1]: the share of sharp patterns (codes 6–9) in each ``window``² neighbourhood."""
    return box((lbp_riu2(g, threshold) >= 6).astype(np.float32), window)


def blur_map(image: np.ndarray, windows=WINDOWS, threshold: float = T_LBP) -> np.ndarray:
    """Blur map float32 (H, W) in [0, 1] (1 = blurred) of ``image`` uint8 RGB (H, W, 3).

    >>> from blurlib.data.synthetic import make_sample
    >>> m = blur_map(make_sample(1, 64, seed=0)[1])
    >>> m.shape, m.dtype, bool(0 <= m.min() <= m.max() <= 1)
    ((64, 64), dtype('float32'), True)
    """
    g = luminance(image)
    mattes = []
    for window in sorted(windows, reverse=True):  # the largest scale first: its layer is the result
        m = minmax(sharpness(g, window, threshold))
        alpha = matte(image, m > T_SHARP, m < T_BLURRED)
        mattes.append(m if alpha is None else alpha)
    return minmax(1.0 - multiscale_inference(mattes, INFERENCE_WEIGHT))
