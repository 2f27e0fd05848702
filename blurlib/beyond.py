"""Beyond the paper: sharper blur maps on the same trunk, measured as the later detection literature measures them.

Three maps of the same test images are compared: DBM config V's, the same maps refined by a guided filter with the
image as guide (training-free, :func:`blurlib.apps.guided_refine`; every evaluated run scores it as ``guided``), and
the maps of :data:`REFINED_MODEL` (config V + a refining decoder, :class:`blurlib.models.UNetRefiner`) trained with
:data:`REFINED_LOSS` on the same data with the same recipe. On the later 604/100 defocus split, published numbers of
later work stand beside them in rows marked *published* (``paper.toml``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from blurlib.apps import MAGNIFY_THRESHOLD
from blurlib.data import Benchmark
from blurlib.evaluate import PR_FULL
from blurlib.later_split import LABELS, published_rows, scores_row
from blurlib.metrics import DETECTION_MEASURES, LOGIT_THRESHOLDS, logit
from blurlib.profiles import Profile
from blurlib.runs import DEFAULT_MODEL, RUNS, RunResult, model_name, run_result

BASE_MODEL = "V"
REFINED_MODEL = "unet"
REFINED_LOSS = "bce_iou"
"""The refined model and the loss it trains with (``scripts/run_experiments.py`` and :func:`comparison_runs` use
these)."""

SHIPPED_MODELS = {BASE_MODEL: DEFAULT_MODEL, REFINED_MODEL: RUNS / f"{REFINED_MODEL}_odd" / "model_fp16.pt"}
"""The fp16 weights shipped, by model name: config V (the paper's recipe; every command's default) and the refined
model (``cpu-short``, trained on D_o), whose maps leave more sharp pixels untouched when magnifying blur on both
splits (notebook 10): ``blurlib magnify --model unet``."""

BENCH_REPORT = RUNS / "bench_cpu" / "beyond.json"
"""The committed inference and training-step times of :data:`BASE_MODEL` and :data:`REFINED_MODEL` (``blurlib bench
--models V unet --out …``), beside the paper models' report ``bench.json`` of the same CPU."""

COLUMNS = {k: LABELS[k] for k in (*(("pooled", m) for m in DETECTION_MEASURES), ("pooled", "fbeta_max"),
                                  ("paper", "ods"), ("pooled", "ods"), ("pooled", "mae_floor"))}
"""The comparison's columns: the detection literature's measures, then the pooled Fβ max, ODS under both
protocols and the MAE floor (:func:`blurlib.metrics.mae_floor`; labels from :data:`blurlib.later_split.LABELS`)."""

ROWS = {"ours": model_name(BASE_MODEL), "guided": f"{model_name(BASE_MODEL)} + guided filter",
        "refined": f"{REFINED_MODEL} (config V + decoder)", "refined_guided": f"{REFINED_MODEL} + guided filter"}
"""Row labels of :func:`comparison_table`: the base model's maps, the same maps guided-filtered, the refined model's,
and those guided-filtered too."""


def comparison_runs(bench: Benchmark, profile: Profile, train_split: str, test_split: str, runs: str = "auto",
                    progress: bool = False, device: str | None = None) -> dict[str, RunResult]:
    """Config V's run and the refined model's run, both trained on ``train_split`` with ``profile`` and scored on
    ``test_split`` (committed runs when present, else trained now on ``device``; see
    :func:`blurlib.runs.run_result`)."""
    kw = dict(runs=runs, progress=progress, device=device)
    return {BASE_MODEL: run_result(bench, profile, BASE_MODEL, train_split, test_split, **kw),
            REFINED_MODEL: run_result(bench, profile, REFINED_MODEL, train_split, test_split, loss=REFINED_LOSS, **kw)}


def comparison_table(results: dict[str, RunResult], published: bool = False) -> pd.DataFrame:
    """Rows :data:`ROWS` (config V's maps, the same maps guided-filtered, the refined model's maps, those
    guided-filtered) and, with ``published``, the later split's published rows; columns :data:`COLUMNS`,
    ``test images`` and ``source``.

    A run scored before the guided refinement was part of every evaluation has no ``guided`` scores: its row is
    left out, and a measure it was not scored with is NaN (re-run it with ``scripts/run_experiments.py --only NAME
    --rerun``).
    """
    base, refined = results[BASE_MODEL], results[REFINED_MODEL]
    sources = {"ours": (base, "ours"), "guided": (base, "guided"), "refined": (refined, "ours"),
               "refined_guided": (refined, "guided")}
    rows = {ROWS[key]: scores_row(r.metrics[field], COLUMNS, f"ours ({r.label})")
            for key, (r, field) in sources.items() if field in r.metrics}
    df = pd.DataFrame(rows | (published_rows(COLUMNS) if published else {})).T
    return df.astype({c: float for c in COLUMNS.values()} | {"test images": int})


def magnify_shares(run_dir: Path, threshold: float = MAGNIFY_THRESHOLD) -> dict[str, float]:
    """What :func:`blurlib.apps.magnify` would do with a run's maps of its whole test split, pooled over the pixels:
    ``sharp kept``, the share of labelled-sharp pixels left untouched (map ≤ ``threshold``), and ``blurred
    marked``, the share of labelled-blurred pixels blurred further; both in [0, 1].

    Read from the run's full-range curve (``pr_full.csv``) at its first threshold at or above ``threshold``; the
    curve's thresholds step by 1/16 in logit (:data:`blurlib.metrics.LOGIT_THRESHOLDS`), so for 0.1 that is 0.1009,
    returned as ``threshold``. The curve's lowest threshold marks every pixel blurred, so its precision is the share
    of blurred pixels, from which the false positives follow. A pixel between ``threshold`` and ``threshold +``
    :data:`blurlib.apps.MAGNIFY_TRANSITION` is only partly blurred; it counts as marked.
    """
    df = pd.read_csv(Path(run_dir) / PR_FULL)
    t = LOGIT_THRESHOLDS[np.searchsorted(LOGIT_THRESHOLDS, logit(np.array(threshold)))]
    row = df[df["logit"] <= t].iloc[-1]  # the CSV keeps only the thresholds where the curve moves
    blurred = df["precision"].iloc[0]
    false_positives = blurred * row["recall"] * (1 / row["precision"] - 1)  # as a share of all pixels
    return {"threshold": float(1 / (1 + np.exp(-t))), "sharp kept": float(1 - false_positives / (1 - blurred)),
            "blurred marked": float(row["recall"])}
