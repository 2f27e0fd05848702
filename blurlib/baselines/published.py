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
