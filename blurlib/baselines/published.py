"""The PR curves published with HiFST (Golestaneh & Karam, CVPR 2017) for eleven methods, and our baselines beside them.

Each published file ``baselines/pr_curves/BlurDetection_<file>_PRCurve.txt`` of the benchmark holds 256 rows
``precision recall``: one per threshold, each the **mean over all 1000 images** of that image's precision and recall
(:func:`blurlib.metrics.pr_table`'s ``*_image_mean`` columns are the same curve). Two numbers summarise a curve here
(:func:`curve_summary`): its best Fβ (β² = 0.3, :data:`blurlib.metrics.BETA2`) and its mean precision over the 256
thresholds.

Our curves are scored on the images present, the published ones on all 1000. The image set moves a curve by itself;
HiFST's official maps, which exist for all 1000 images, measure that move (:func:`image_set_shift`): scored on all
1000 masks they give the published HiFST curve back, scored on the images present they give the shift to expect of
any method. A reimplementation's deviation is then ``ours − published − shift`` (:func:`comparison`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from blurlib.metrics import BETA2, LEVELS, _f

FILES = {"Bae": "Bae", "Chakrabarti10": "Chakrabarti", "Chang": "Chang", "HiFST": "HiFSTBlurMap", "JNB": "JNB",
         "Liu08": "Liu", "Shi14": "Shi", "Su11": "Su", "Tang16": "Tang", "Yi16": "Yi", "Zhuo11": "Zhuo"}
"""Our name of each method with a published curve -> the ``<file>`` part of its curve's file name."""
FOLDER = Path("baselines") / "pr_curves"
"""Where the published curves lie under the benchmark's root."""
SUMMARY = ("best F", "mean precision")
"""The two numbers of :func:`curve_summary`, in its order."""


def curve_file(root: Path, name: str) -> Path:
    return Path(root) / FOLDER / f"BlurDetection_{FILES[name]}_PRCurve.txt"


def read_curve(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision), each (256,), of one published curve file (rows: ``precision recall``)."""
    table = np.loadtxt(path, ndmin=2)
    if table.shape != (LEVELS, 2):
        raise ValueError(f"{path}: {table.shape[0]} rows of {table.shape[1]} numbers, expected {LEVELS} rows "
                         "'precision recall' (a PR curve published with HiFST)")
    return table[:, 1], table[:, 0]


def published_curves(root: Path) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{method: (recall, precision)}`` of every published curve present under ``root`` (:data:`FILES` order)."""
    return {name: read_curve(curve_file(root, name)) for name in FILES if curve_file(root, name).is_file()}


def curve_summary(recall: np.ndarray, precision: np.ndarray) -> dict[str, float]:
    """Best Fβ (β² = 0.3) over the thresholds and the mean precision over them, of one 256-threshold curve.

    >>> curve_summary(np.array([1.0, 0.5]), np.array([0.5, 1.0]))
    {'best F': 0.8125, 'mean precision': 0.75}
    """
    recall, precision = np.asarray(recall, float), np.asarray(precision, float)
    return {"best F": round(float(_f(precision, recall, BETA2).max()), 4),
            "mean precision": round(float(precision.mean()), 4)}


def image_mean_curve(curves: list[tuple[pd.DataFrame, int]]) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) averaged per image over several scorings, each a ``pr_*.csv`` table and its image count:
    the images of all of them as one set (a mean of means weighted by the number of images)."""
    n = sum(k for _, k in curves)
    recall = sum(df["recall_image_mean"].to_numpy() * k for df, k in curves) / n
    precision = sum(df["precision_image_mean"].to_numpy() * k for df, k in curves) / n
    return recall, precision


def image_set_shift(official_all: dict[str, float], official_present: dict[str, float]) -> dict[str, float]:
    """How much the images present move a curve's summary: HiFST's official maps on them minus on all 1000."""
    return {k: round(official_present[k] - official_all[k], 4) for k in SUMMARY}


def comparison(ours: dict[str, dict[str, float]], published: dict[str, dict[str, float]],
               shift: dict[str, float]) -> pd.DataFrame:
    """One row per method of ``ours`` with a published curve: ours, published, the shift of the image set and the
    deviation ``ours − published − shift`` for each of :data:`SUMMARY`."""
    rows = {}
    for name, mine in ours.items():
        if name not in published:
            continue
        row = {}
        for k in SUMMARY:
            row[f"{k} ours"] = mine[k]
            row[f"{k} published"] = published[name][k]
            row[f"{k} deviation"] = round(mine[k] - published[name][k] - shift[k], 4)
        rows[name] = row
    return pd.DataFrame(rows).T.astype(float)


def ap_candidates(recall: np.ndarray, precision: np.ndarray) -> dict[str, float]:
    """Four readings of "average precision" computable from a 256-threshold curve alone (no per-image counts):

    - ``mean precision``: the precision averaged over the 256 thresholds (blind to recall);
    - ``area, step rule``: ``Σ_k (R_k − R_{k+1}) P_k`` (+ the last point's ``R P``), thresholds in rising order;
    - ``area, trapezoid``: the trapezoid rule over recall (from 0 to the last point as the step rule);
    - ``11-point interpolated``: the mean over r ∈ {0, 0.1, …, 1} of the best precision at recall ≥ r.

    >>> {k: round(v, 3) for k, v in ap_candidates(np.array([1.0, 0.5, 0.0]), np.array([0.5, 0.8, 1.0])).items()}
    {'mean precision': 0.767, 'area, step rule': 0.65, 'area, trapezoid': 0.775, '11-point interpolated': 0.682}
    """
    r, p = np.asarray(recall, float), np.asarray(precision, float)
    step = float(np.sum((r[:-1] - r[1:]) * p[:-1]) + r[-1] * p[-1])
    trapezoid = float(np.sum((r[:-1] - r[1:]) * (p[:-1] + p[1:]) / 2) + r[-1] * p[-1])
    interp = float(np.mean([p[r >= t].max() if (r >= t).any() else 0.0 for t in np.linspace(0, 1, 11)]))
    return {"mean precision": float(p.mean()), "area, step rule": step, "area, trapezoid": trapezoid,
            "11-point interpolated": interp}


TOLERANCE = 0.01
"""The :func:`violation` below which an implied curve counts as possible: differences this small come from how
finely a map's values fall on the 256 levels, not from which images were scored."""


def implied_curve(ours: tuple[np.ndarray, np.ndarray], n_ours: int, published: tuple[np.ndarray, np.ndarray],
                  n_all: int) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) (256,) that the ``n_all − n_ours`` images absent here would need for our curve on the
    ``n_ours`` present to give the ``published`` curve over all ``n_all``: a per-image averaged curve is a mean over
    images, so ``published = (n_ours · ours + n_absent · absent) / n_all`` at every threshold, solved for ``absent``.

    >>> present, absent = (np.array([1.0, 0.4]), np.array([0.6, 0.9])), (np.array([1.0, 0.2]), np.array([0.5, 0.7]))
    >>> published = tuple((3 * a + b) / 4 for a, b in zip(present, absent))  # 3 images present, 1 absent
    >>> [v.round(3).tolist() for v in implied_curve(present, 3, published, 4)]
    [[1.0, 0.2], [0.5, 0.7]]
    """
    n_absent = n_all - n_ours
    if n_absent <= 0:
        raise ValueError(f"{n_ours} images present of {n_all}: no image is absent, nothing to imply")
    return tuple((n_all * np.asarray(p, float) - n_ours * np.asarray(o, float)) / n_absent
                 for o, p in zip(ours, published))


def violation(recall: np.ndarray, precision: np.ndarray) -> np.ndarray:
    """float (256,) ≥ 0: by how much a per-image averaged curve is impossible at each threshold — how far its precision
    or recall lies outside [0, 1], or its recall above the lowest recall at the lower thresholds (each image's recall
    can only fall as the threshold rises, so their mean can too); 0 where some set of images can have that point.

    >>> violation(np.array([1.0, 1.2, 0.5, 0.7]), np.array([0.5, 0.6, -0.1, 0.8])).round(2).tolist()
    [0.0, 0.2, 0.1, 0.2]
    """
    r, p = np.asarray(recall, float), np.asarray(precision, float)
    rise = r - np.minimum.accumulate(np.r_[np.inf, r[:-1]])
    return np.maximum.reduce([np.zeros_like(r), -r, r - 1, -p, p - 1, rise])


def remapped_violation(ours: tuple[np.ndarray, np.ndarray], n_ours: int, published: tuple[np.ndarray, np.ndarray],
                       n_all: int, steps: int = 30) -> float:
    """The smallest largest :func:`violation` of the :func:`implied_curve` over every remapping of our maps' levels
    common to all images: each published threshold k read at one of our levels t_k, with t_k never falling as k
    rises (the same monotone change of every map's values: each image keeps its pixels' order). 0 where some such
    remapping lets absent images complete our curve into the published one; large where none can — where our curve
    cannot reach the published recall at any level, say. Found by bisection (``steps``) on the allowed violation,
    each step a dynamic programme over (k, t_k).

    >>> recall = np.repeat(np.linspace(1, 0, 128), 2)  # a published curve, in steps of two levels
    >>> fast = np.r_[recall[::2], np.zeros(128)]  # ours: the same recalls, each reached at half the level
    >>> curve = lambda r: (r, 0.5 + 0.4 * (1 - r))
    >>> round(float(violation(*implied_curve(curve(fast), 9, curve(recall), 10)).max()), 1)
    4.0
    >>> remapped_violation(curve(fast), 9, curve(recall), 10)
    0.0
    """
    columns = tuple(np.asarray(a, float)[None, :] for a in ours)  # our level t along the columns
    rows = tuple(np.asarray(a, float)[:, None] for a in published)  # the published level k along the rows
    recall, precision = implied_curve(columns, n_ours, rows, n_all)  # implied at (k, t)

    def possible(tol: float) -> bool:
        inside = ((recall >= -tol) & (recall <= 1 + tol) & (precision >= -tol) & (precision <= 1 + tol))
        reach = inside[0]
        for k in range(1, len(recall)):  # t_k ≥ t_(k−1) and the implied recall not rising by more than tol
            before = np.maximum.accumulate(np.where(reach, recall[k - 1], -np.inf))
            reach = inside[k] & (recall[k] <= before + tol)
            if not reach.any():
                return False
        return True

    lo, hi = 0.0, float(max(np.abs(recall).max(), np.abs(precision).max()) + 1)
    if possible(lo):
        return 0.0
    for _ in range(steps):
        lo, hi = (lo, (lo + hi) / 2) if possible((lo + hi) / 2) else ((lo + hi) / 2, hi)
    return hi


def image_set_test(ours: dict[str, tuple[np.ndarray, np.ndarray]], n_ours: int,
                   published: dict[str, tuple[np.ndarray, np.ndarray]], n_all: int) -> pd.DataFrame:
    """Can the images absent here explain how far our curve lies from the published one? One row per method of
    ``ours`` (per-image averaged curves on ``n_ours`` images present) with a ``published`` curve (``n_all`` images):
    the curve the absent images would need (:func:`implied_curve`); its largest :func:`violation` and the levels k
    (thresholds k/255) where it exceeds :data:`TOLERANCE` (how many, the first, the last); how far our own curve
    would have to move for that largest violation to vanish (the violation × absent / present images); the same after
    the best remapping of our maps' levels common to all images (:func:`remapped_violation`); and the implied curve's
    mean precision and best Fβ where it is possible everywhere (NaN where not: no real curve has those values)."""
    n_absent = n_all - n_ours
    rows = {}
    for name, mine in ours.items():
        if name not in published:
            continue
        recall, precision = implied_curve(mine, n_ours, published[name], n_all)
        v = violation(recall, precision)
        bad = np.flatnonzero(v > TOLERANCE)
        summary = curve_summary(np.clip(recall, 0, 1), np.clip(precision, 0, 1)) if not len(bad) else {}
        remapped = remapped_violation(mine, n_ours, published[name], n_all)
        rows[name] = {"largest violation": v.max(), "our curve off by": v.max() * n_absent / n_ours,
                      "off by, levels remapped": remapped * n_absent / n_ours,
                      "levels violated": len(bad), "first level violated": bad[0] if len(bad) else np.nan,
                      "last level violated": bad[-1] if len(bad) else np.nan,
                      **{f"implied {k}": summary.get(k, np.nan) for k in SUMMARY}}
    return pd.DataFrame(rows).T
