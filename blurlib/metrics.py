"""Blur-map metrics: per-image threshold counts, the paper's protocol and the pooled protocol, MAE and Fβ.

Positive class = blurred pixels (mask True). Maps are floats in [0, 1] (1 = blurred), quantised to 256 levels
``q = round(255 · map)`` (:func:`to_levels`); threshold k (0…255) predicts "blurred" where ``q ≥ k``. Each image contributes only its
per-level histograms (two int arrays of 256), so any number of images of any size is evaluated in bounded memory.

Protocols (see :func:`summarize`):

- ``paper`` — reproduces the tables of the paper (and the published HiFST numbers exactly):
  ODS = max over thresholds of the **mean over images** of F1; OIS = mean over images of each image's best F1;
  AP = mean over the 256 thresholds of the precision of the pooled (all pixels concatenated) PR curve.
  ODS and OIS give the paper's HiFST rows to the third decimal (0.813/0.851 on D_e, 0.804/0.841 on D_o). AP gives
  0.716/0.704 where the paper prints 0.717/0.706; of 13 definitions tried on the official maps (pooled or
  per-image-averaged precision over 256 or 255 thresholds, areas under either curve by step or trapezoid rule,
  11-point and 101-point interpolated precision) this is the closest, so it is the one used; the exact rule of the
  paper's code is not known. The per-image-averaged curve (:func:`pr_table`) reproduces the PR curve published
  with HiFST to its 6 printed decimals.
- ``pooled`` — one PR curve over all test pixels concatenated (how the paper says it draws its figures):
  ODS = its best F1, AP = area under it (step rule, ``sum (R_k − R_{k+1}) P_k``), OIS as above.

Both also report the measures of the later defocus-detection (and salient-object) literature on the same 8-bit
levels (:func:`detection_measures`):

- ``mae`` — mean absolute error between map and mask per image, averaged over images;
- Fβ with β² = 0.3 (:data:`BETA2`). Over the **per-image averaged** curve (each image's Fβ at each of the 256
  thresholds, averaged over images): ``fbeta_max_image`` (its maximum) and ``fbeta_mean_image`` (its mean over the
  thresholds); ``fbeta_adaptive``: each image thresholded at twice its mean level, averaged. ``fbeta_max`` is the best
  Fβ of the **pooled** curve (all pixels concatenated), kept under its own name;
- E-measure (enhanced alignment, Fan et al., IJCAI 2018) from the same counts: ``emeasure_max``, ``emeasure_mean``
  (over the per-image averaged curve) and ``emeasure_adaptive``;
- ``smeasure`` — S-measure (structure, Fan et al., ICCV 2017), α = 0.5, per image, averaged.

And one measure of ours, not of that literature: ``mae_floor`` (:func:`mae_floor`), the lowest MAE that any
recalibration of the map keeping its order (a non-decreasing function of the level, the same for every image)
can reach. MAE above it is calibration (soft values); the floor itself only falls if the map ranks pixels better.

The maps are scored as given, rounded to 8-bit levels. The reference code of these measures (Fan et al.'s MATLAB
code, and ``pysodmetrics``, which follows it) first stretches each map to span [0, 1] (min-max) and then truncates to
8 bits; on a map that spans [0, 1] on exact 8-bit levels both give the same numbers (``pysodmetrics`` with
``normalize=False``: the tests check it), on a map that does not (a timid map between 0.25 and 0.75, say) the
stretch changes MAE and S-measure noticeably. DBM's maps span [0, 1] on nearly every image.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from blurlib.errors import BlurlibError

LEVELS = 256
BETA2 = 0.3
"""β² of the Fβ measure of the detection literature (weights precision over recall)."""
S_ALPHA = 0.5
"""Weight of the object term in the S-measure (1 − α on the region term), as in its paper."""
EPS = np.spacing(1.0)
PROTOCOLS = ("paper", "pooled")
METRICS = ("ods", "ois", "ap")
"""The three numbers of the paper's tables (keys of :func:`summarize`)."""


def to_levels(blur_map: np.ndarray, name: str = "map") -> np.ndarray:
    """float map in [0, 1] -> uint8 levels; NaN/inf or values outside [0, 1] are a :class:`BlurlibError`."""
    m = np.asarray(blur_map)
    if m.dtype == np.uint8:
        return m
    m = m.astype(np.float32, copy=False)
    if not np.isfinite(m).all():
        raise BlurlibError(f"{name}: the map has NaN or infinite values. Fix the method that produced it.")
    lo, hi = float(m.min()), float(m.max())
    if lo < 0 or hi > 1:
        raise BlurlibError(f"{name}: map values span [{lo:.3g}, {hi:.3g}], outside [0, 1]. Rescale the map.")
    return np.rint(m * 255).astype(np.uint8)


def _f(p, r, beta2=1.0):
    with np.errstate(invalid="ignore", divide="ignore"):
        f = (1 + beta2) * p * r / (beta2 * p + r)
    return np.nan_to_num(f)


@dataclass
class Counts:
    """Per-image threshold counts: ``tp[i, k]``, ``fp[i, k]`` at threshold k; ``pos[i]``, ``neg[i]`` pixel counts."""

    names: list[str] = field(default_factory=list)
    tp: list[np.ndarray] = field(default_factory=list)
    fp: list[np.ndarray] = field(default_factory=list)
    pos: list[int] = field(default_factory=list)
    neg: list[int] = field(default_factory=list)
    abs_err: list[float] = field(default_factory=list)
    fbeta_adaptive: list[float] = field(default_factory=list)
    adaptive_level: list[int] = field(default_factory=list)
    smeasure: list[float] = field(default_factory=list)

    def add(self, blur_map: np.ndarray, mask: np.ndarray, name: str = "map") -> None:
        """Add one image: ``blur_map`` float (H, W) in [0, 1] (or uint8 levels), ``mask`` bool (H, W), True = blurred."""
        if blur_map.shape != mask.shape:
            raise BlurlibError(f"{name}: map size {blur_map.shape[::-1]} differs from its mask {mask.shape[::-1]}. "
                               "Predict at (or resize the map to) the mask's size.")
        q = to_levels(blur_map, name)
        mask = mask.astype(bool)
        hp = np.bincount(q[mask], minlength=LEVELS)
        hn = np.bincount(q[~mask], minlength=LEVELS)
        self.names.append(name)
        self.tp.append(np.cumsum(hp[::-1])[::-1])
        self.fp.append(np.cumsum(hn[::-1])[::-1])
        self.pos.append(int(mask.sum()))
        self.neg.append(int(mask.size - mask.sum()))
        levels = np.arange(LEVELS) / 255.0
        self.abs_err.append(float((hp * (1 - levels)).sum() + (hn * levels).sum()) / mask.size)
        k = min(LEVELS - 1, int(np.ceil(2 * q.mean())))  # adaptive threshold: twice the mean level
        tp, fp = self.tp[-1][k], self.fp[-1][k]
        self.fbeta_adaptive.append(float(_f(tp / max(tp + fp, 1), tp / max(self.pos[-1], 1), BETA2)))
        self.adaptive_level.append(k)
        self.smeasure.append(structure_measure(q / 255.0, mask))

    def __len__(self) -> int:
        return len(self.names)


def mean_auc(c: Counts) -> float:
    """The mean over images of the area under each map's ROC curve: the chance that a blurred pixel has a higher level
    than a sharp one (ties count half); 0.5 for a map that ranks nothing, near 0 for a map of the other polarity.
    Images with only one class are left out (nan when no image has both).

    >>> c = Counts(); c.add(np.array([[0.9, 0.1]]), np.array([[True, False]])); round(mean_auc(c), 3)
    1.0
    >>> c = Counts(); c.add(np.array([[0.1, 0.9]]), np.array([[True, False]])); round(mean_auc(c), 3)
    0.0
    """
    out = []
    for tp, fp, pos, neg in zip(c.tp, c.fp, c.pos, c.neg):
        if pos and neg:
            hp = tp - np.append(tp[1:], 0)  # pixels at each level
            hn = fp - np.append(fp[1:], 0)
            below = np.cumsum(hn) - hn  # sharp pixels strictly below each level
            out.append(float((hp * (below + 0.5 * hn)).sum()) / (pos * neg))
    return float(np.mean(out)) if out else float("nan")


def per_image_pr(c: Counts) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall (n_images, 256). No predicted positives -> precision 1; no positives -> recall 1."""
    tp, fp = np.array(c.tp, np.float64), np.array(c.fp, np.float64)
    pos = np.array(c.pos, np.float64)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 1.0)
        recall = np.where(pos > 0, tp / pos, 1.0)
    return precision, recall


def pooled_pr(c: Counts) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall (256,) over all pixels of all images concatenated."""
    tp, fp = np.sum(c.tp, axis=0, dtype=np.float64), np.sum(c.fp, axis=0, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 1.0)
    return precision, tp / max(sum(c.pos), 1)


def levels_never_reached(c: Counts) -> int:
    """How many of the 256 thresholds call no pixel of any image blurred: the top levels the maps never reach.

    The paper protocol's AP is the mean over the thresholds of the pooled precision, and a threshold that calls no
    pixel blurred counts precision 1 (:func:`pooled_pr`), so maps that stop short of 1 gain up to this number / 256 of
    AP without ranking a pixel better: an all-zero map scores AP ≈ 1, and halving every map raises AP. ODS, OIS and
    the pooled protocol's AP (an area under the curve) do not move that way.

    >>> mask = np.arange(16).reshape(4, 4) >= 8
    >>> perfect, blank = Counts(), Counts()
    >>> perfect.add(mask * 1.0, mask); blank.add(np.zeros((4, 4)), mask)
    >>> [(levels_never_reached(c), round(summarize(c)["ap"], 3), summarize(c)["ods"]) for c in (perfect, blank)]
    [(0, 0.998, 1.0), (255, 0.998, 0.6666666666666666)]
    """
    return int(np.sum(np.sum(c.tp, axis=0) + np.sum(c.fp, axis=0) == 0))


def summarize(c: Counts, protocol: str = "paper") -> dict:
    """ODS, OIS, AP under ``protocol`` (``paper`` or ``pooled``), plus MAE, Fβ and the image count."""
    if protocol not in PROTOCOLS:
        raise BlurlibError(f"unknown protocol {protocol!r}: use one of {', '.join(PROTOCOLS)}.")
    if not len(c):
        raise BlurlibError("no images were evaluated.")
    p_img, r_img = per_image_pr(c)
    f_img = _f(p_img, r_img)
    p, r = pooled_pr(c)
    if protocol == "paper":
        ods, ap = f_img.mean(axis=0).max(), p.mean()
    else:
        ods, ap = _f(p, r).max(), float(np.sum((r[:-1] - r[1:]) * p[:-1]) + r[-1] * p[-1])
    return {"protocol": protocol, "ods": float(ods), "ois": float(f_img.max(axis=1).mean()), "ap": float(ap),
            "mae": float(np.mean(c.abs_err)), "fbeta_max": float(_f(p, r, BETA2).max()),
            "fbeta_adaptive": float(np.mean(c.fbeta_adaptive))} | detection_measures(c) | \
        {"mae_floor": mae_floor(c), "n_images": len(c)}


def threshold_error(c: Counts) -> np.ndarray:
    """Each image's fraction of wrong pixels when its map is binarised at every 8-bit threshold, averaged over the
    images: shape (257,), entry k for "blurred where level ≥ k" (k = 256: nothing blurred). Values in [0, 1]."""
    tp, fp = np.array(c.tp, np.float64), np.array(c.fp, np.float64)
    pos = np.array(c.pos, np.float64)[:, None]
    n = pos + np.array(c.neg, np.float64)[:, None]
    wrong = np.hstack([fp + pos - tp, pos])  # false positives + missed blurred pixels; k = 256 misses them all
    return (wrong / np.maximum(n, 1)).mean(axis=0)


def mae_floor(c: Counts) -> float:
    """The lowest MAE (mean per image) of ``f(map)`` over every non-decreasing ``f: [0, 1] -> [0, 1]`` applied to
    all images alike: the best recalibration that keeps the map's order of pixels (a temperature, a bias, a
    lookup table, any sharpening).

    The mask is binary, so MAE is linear in the values ``f`` gives the 256 levels; the non-decreasing choices form
    a simplex (their 257 increments are ≥ 0 and sum to 1) whose corners are the steps "0 below level k, 1 from k
    on", k = 0 … 256 (k = 256: all 0); so the minimum is a binarisation, the least of :func:`threshold_error`. A
    threshold chosen per image is not one ``f`` for all images and is not bounded by it. A map whose MAE is near its
    floor is calibrated; lowering the floor needs a map that ranks pixels better.

    >>> c = Counts(); c.add(np.array([[0.2, 0.4, 0.6, 0.9]]), np.array([[False, True, False, True]]))
    >>> round(c.abs_err[0], 3), mae_floor(c)
    (0.375, 0.25)
    """
    return float(threshold_error(c).min())


DETECTION_MEASURES = ("mae", "fbeta_max_image", "fbeta_mean_image", "fbeta_adaptive", "emeasure_max",
                      "emeasure_mean", "emeasure_adaptive", "smeasure")
"""The keys of the detection literature's measures in :func:`summarize` (all per-image, the same under both
protocols); ``fbeta_max`` (pooled) is the one pooled variant."""


def detection_measures(c: Counts) -> dict[str, float]:
    """Fβ max / mean over the per-image averaged curve, E-measure max / mean / adaptive, S-measure (see the module
    docstring); from the counts of :class:`Counts`. Fβ and E-measure curves have one value per 8-bit threshold."""
    tp, fp = np.array(c.tp, np.float64), np.array(c.fp, np.float64)
    pos = np.array(c.pos, np.float64)[:, None]
    n = pos + np.array(c.neg, np.float64)[:, None]
    precision = np.where(tp + fp > 0, tp / np.maximum(tp + fp, 1), 0.0)  # no predicted positives: Fβ = 0
    fbeta = _f(precision, tp / np.maximum(pos, 1), BETA2).mean(axis=0)
    em = enhanced_alignment(tp, fp, pos, n)
    rows = np.arange(len(c))
    em_adaptive = em[rows, np.array(c.adaptive_level)]
    return {"fbeta_max_image": float(fbeta.max()), "fbeta_mean_image": float(fbeta.mean()),
            "emeasure_max": float(em.mean(axis=0).max()), "emeasure_mean": float(em.mean()),
            "emeasure_adaptive": float(em_adaptive.mean()), "smeasure": float(np.mean(c.smeasure))}


def enhanced_alignment(tp: np.ndarray, fp: np.ndarray, pos: np.ndarray, n: np.ndarray) -> np.ndarray:
    """E-measure of binary maps from their counts: ``tp``, ``fp`` (any shape, e.g. (images, thresholds)), ``pos``
    (blurred pixels of the mask) and ``n`` (all pixels), broadcast against them. Returns values in [0, n / (n − 1)]:
    the sum over pixels is divided by n − 1, as in the reference code, so a perfect map scores n / (n − 1).

    The map's and the mask's values, each minus its own mean, are compared pixel-wise by the alignment
    ``ξ = 2ab / (a² + b²)``, enhanced as ``(ξ + 1)² / 4`` and averaged (over n − 1, as the reference code). Pixels
    fall into four kinds (map × mask, 1 or 0), each with one value, so the counts suffice. A mask with no blurred
    pixel scores the number of pixels the map calls sharp over n − 1; an all-blurred mask, those it calls blurred.

    >>> float(enhanced_alignment(np.array(2.), np.array(0.), np.array(2.), np.array(4.)).round(4))  # perfect, n = 4
    1.3333
    >>> float(enhanced_alignment(np.array(0.), np.array(2.), np.array(2.), np.array(4.)).round(4))  # inverted
    0.0
    """
    tp, fp = np.asarray(tp, np.float64), np.asarray(fp, np.float64)
    pos, n = np.broadcast_to(pos, tp.shape).astype(np.float64), np.broadcast_to(n, tp.shape).astype(np.float64)
    called = tp + fp
    mean_map, mean_mask = called / n, pos / n
    parts = ((tp, 1 - mean_map, 1 - mean_mask), (fp, 1 - mean_map, -mean_mask),
             (pos - tp, -mean_map, 1 - mean_mask), (n - pos - fp, -mean_map, -mean_mask))
    total = np.zeros_like(tp)
    for count, a, b in parts:
        total += count * (2 * a * b / (a * a + b * b + EPS) + 1) ** 2 / 4
    total = np.where(pos == 0, n - called, np.where(pos == n, called, total))
    return total / np.maximum(n - 1, 1)  # a one-pixel image: over 1


def structure_measure(pred: np.ndarray, mask: np.ndarray, alpha: float = S_ALPHA) -> float:
    """S-measure of a map ``pred`` (float (H, W) in [0, 1]) against ``mask`` (bool (H, W)): α · object similarity +
    (1 − α) · region similarity (Fan et al., ICCV 2017), in [0, 1], 1 for a perfect map.

    Object term: how uniformly high the map is on the blurred pixels and low on the sharp ones (mean and spread of
    each), weighted by their shares. Region term: the image cut into four at the mask's centroid, each quarter's SSIM
    between map and mask, weighted by its area. A mask without blurred pixels scores 1 − mean(pred); an all-blurred
    one, mean(pred).

    >>> m = np.zeros((4, 4), bool); m[:, :2] = True
    >>> round(structure_measure(m.astype(float), m), 4), round(structure_measure(1 - m.astype(float), m), 4)
    (1.0, 0.0)
    """
    pred, mask = np.asarray(pred, np.float64), np.asarray(mask, bool)
    y = mask.mean()
    if y == 0:
        return float(1 - pred.mean())
    if y == 1:
        return float(pred.mean())
    obj = y * _s_object(pred[mask]) + (1 - y) * _s_object(1 - pred[~mask])
    h, w = mask.shape
    cy, cx = (np.argwhere(mask).mean(axis=0).round().astype(int) + 1)  # the reference code's (1-based) centroid
    region = 0.0
    for rows, cols in ((slice(0, cy), slice(0, cx)), (slice(0, cy), slice(cx, w)),
                       (slice(cy, h), slice(0, cx)), (slice(cy, h), slice(cx, w))):
        p, g = pred[rows, cols], mask[rows, cols].astype(np.float64)
        if p.size:
            region += p.size / (h * w) * _ssim(p, g)
    return float(max(0.0, alpha * obj + (1 - alpha) * region))


def _s_object(x: np.ndarray) -> float:
    mean, std = x.mean(), (x.std(ddof=1) if x.size > 1 else 0.0)
    return 2 * mean / (mean * mean + 1 + std + EPS)


def _ssim(p: np.ndarray, g: np.ndarray) -> float:
    """The S-measure's SSIM of one region (no constants; sample covariances over N − 1)."""
    n = p.size
    mp, mg = p.mean(), g.mean()
    vp, vg = ((p - mp) ** 2).sum() / (n - 1 + EPS), ((g - mg) ** 2).sum() / (n - 1 + EPS)
    cov = ((p - mp) * (g - mg)).sum() / (n - 1 + EPS)
    a, b = 4 * mp * mg * cov, (mp * mp + mg * mg) * (vp + vg)
    if a != 0:
        return a / (b + EPS)
    return 1.0 if b == 0 else 0.0


def best_f_per_image(c: Counts) -> dict[str, float]:
    """Each image's best F1 over the thresholds (what OIS averages), by image name."""
    p, r = per_image_pr(c)
    return dict(zip(c.names, _f(p, r).max(axis=1).round(4).tolist()))


def all_blurred_f1(mask: np.ndarray) -> float:
    """F1 of the map calling every pixel of ``mask`` (bool (H, W), True = blurred) blurred: ``2b / (1 + b)``.

    b is the blurred fraction (precision b, recall 1). It is the floor of every image's best F1 (threshold 0
    always reaches it), so a best F1 at this floor means the map ranks no blurred pixel above a sharp one —
    a failure of the map, or a mask with its labels swapped.

    >>> all_blurred_f1(np.array([[True, False], [False, False]]))
    0.4
    """
    b = float(np.mean(mask))
    return 2 * b / (1 + b)


SWAP_MARGIN = 0.005
"""A best F1 within this of the all-blurred floor counts as *at* the floor."""
SWAP_LOW_FLOOR = 0.6
"""A floor below this (blurred fraction below 3/7) makes "at the floor" improbable for a working map."""


def at_low_floor(best_f: float, floor: float) -> bool:
    """Whether a map is at a low floor on an image, so that its mask may be label-swapped: its best F1 sits at the all-blurred floor
    (:func:`all_blurred_f1`, within :data:`SWAP_MARGIN`) while that floor is low (below :data:`SWAP_LOW_FLOOR`).

    The map then ranks no blurred pixel above a sharp one on an image where most pixels are sharp: it calls the
    labelled-sharp region blurred and the rest sharp. Either the mask is swapped or the map fails completely (on
    CUHK, a blurred subject in front of a sharp background does this): a candidate to look at by eye, not a verdict.

    >>> at_low_floor(0.23, 0.23), at_low_floor(0.23, 0.70), at_low_floor(0.45, 0.23)
    (True, False, False)
    """
    return best_f <= floor + SWAP_MARGIN and floor < SWAP_LOW_FLOOR


def pr_table(c: Counts) -> dict[str, np.ndarray]:
    """Curves for plots and CSV: threshold, pooled precision/recall, per-image-averaged precision/recall."""
    p, r = pooled_pr(c)
    p_img, r_img = per_image_pr(c)
    return {"threshold": np.arange(LEVELS) / 255.0, "precision": p, "recall": r,
            "precision_image_mean": p_img.mean(axis=0), "recall_image_mean": r_img.mean(axis=0)}


LOGIT_THRESHOLDS = np.arange(-1024, 1025) / 16.0
"""Thresholds of the full-range PR curve, in logit space: −64 … 64 in steps of 1/16 (2,049 thresholds).

An 8-bit map puts every probability ≥ 0.998 (logit ≥ 6.2) at level 255, and a float32 probability is exactly 1 past
logit ≈ 16.6; a trained model puts most blurred pixels there, so curves from 8-bit (or float32) probabilities
start at a recall of 0.5–0.6. Thresholding the logits (the map before the sigmoid) resolves those pixels, so the
curve runs from recall ≈ 0 to 1. The paper protocol's ODS/OIS/AP stay those of the 8-bit levels (:func:`summarize`).
"""


def logit(prob: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Probabilities in [0, 1] -> logits log(p / (1 − p)), clipped at ``eps`` from 0 and 1 (finite).

    >>> logit(np.array([0.5, 0.0, 1.0])).round(1).tolist()
    [0.0, -27.6, 27.6]
    """
    p = np.clip(np.asarray(prob, np.float64), eps, 1 - eps)
    return np.log(p) - np.log1p(-p)


@dataclass
class FineCurve:
    """The PR curve at :data:`LOGIT_THRESHOLDS`, from logit maps, under both protocols: pooled (all pixels of all
    images concatenated) and per-image averaged (each image's precision and recall, averaged over the images, as
    :func:`per_image_pr` does at the 256 levels).

    Holds two histograms of ``len(LOGIT_THRESHOLDS)`` bins for all images together and the running sums of the
    per-image precision and recall (bounded memory); a pixel is predicted blurred at threshold t where its logit ≥ t
    (logits beyond ±64 count as ±64).
    """

    pos_hist: np.ndarray = field(default_factory=lambda: np.zeros(len(LOGIT_THRESHOLDS), np.int64))
    neg_hist: np.ndarray = field(default_factory=lambda: np.zeros(len(LOGIT_THRESHOLDS), np.int64))
    precision_sum: np.ndarray = field(default_factory=lambda: np.zeros(len(LOGIT_THRESHOLDS)))
    recall_sum: np.ndarray = field(default_factory=lambda: np.zeros(len(LOGIT_THRESHOLDS)))
    n_images: int = 0

    def add(self, logit_map: np.ndarray, mask: np.ndarray, name: str = "map") -> None:
        """Add one image: ``logit_map`` float (H, W) (the map before the sigmoid), ``mask`` bool (H, W), True = blurred."""
        if logit_map.shape != mask.shape:
            raise BlurlibError(f"{name}: map size {logit_map.shape[::-1]} differs from its mask {mask.shape[::-1]}. "
                               "Predict at (or resize the map to) the mask's size.")
        z = np.asarray(logit_map, np.float64)
        if np.isnan(z).any():
            raise BlurlibError(f"{name}: the logit map has NaN values. Fix the method that produced it.")
        # bin k holds logits in [t_k, t_{k+1}): "logit >= t_k" is then the reversed cumulative sum from bin k on
        k = np.clip(np.searchsorted(LOGIT_THRESHOLDS, z, side="right") - 1, 0, len(LOGIT_THRESHOLDS) - 1)
        mask = mask.astype(bool)
        pos = np.bincount(k[mask], minlength=len(LOGIT_THRESHOLDS))
        neg = np.bincount(k[~mask], minlength=len(LOGIT_THRESHOLDS))
        self.pos_hist += pos
        self.neg_hist += neg
        precision, recall = _pr_from_hist(pos, neg)
        self.precision_sum += precision
        self.recall_sum += recall
        self.n_images += 1

    def table(self) -> dict[str, np.ndarray]:
        """``logit``, ``threshold`` (probability), pooled ``precision``, ``recall``, ``f1``, and the per-image
        averages ``precision_image_mean``, ``recall_image_mean``; one entry per threshold."""
        precision, recall = _pr_from_hist(self.pos_hist, self.neg_hist)
        n = max(self.n_images, 1)
        return {"logit": LOGIT_THRESHOLDS, "threshold": 1 / (1 + np.exp(-LOGIT_THRESHOLDS)), "precision": precision,
                "recall": recall, "f1": _f(precision, recall),
                "precision_image_mean": self.precision_sum / n, "recall_image_mean": self.recall_sum / n}


def _pr_from_hist(pos: np.ndarray, neg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Precision and recall at every threshold from per-bin counts of blurred (``pos``) and sharp (``neg``) pixels;
    as :func:`per_image_pr`: no predicted positives -> precision 1, no positives -> recall 1."""
    tp = np.cumsum(pos[::-1])[::-1].astype(np.float64)
    fp = np.cumsum(neg[::-1])[::-1].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), 1.0)
        recall = tp / tp[0] if tp[0] > 0 else np.ones_like(tp)
    return precision, recall
