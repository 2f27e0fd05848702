"""Beyond the paper: sharper blur maps on the same trunk, measured as the later detection literature measures them.

Three maps of the same test images are compared: DBM config V's, the same maps refined by a guided filter with the
image as guide (training-free, :func:`blurlib.apps.guided_refine`; every evaluated run scores it as ``guided``), and
the maps of :data:`REFINED_MODEL` (config V + a refining decoder, :class:`blurlib.models.UNetRefiner`) trained with
:data:`REFINED_LOSS` on the same data with the same recipe. On the later 604/100 defocus split, published numbers of
later work stand beside them in rows marked *published* (``paper.toml``).
"""

from __future__ import annotations

import pandas as pd

from blurlib.data import Benchmark
from blurlib.profiles import Profile
from blurlib.runs import RunResult, run_result
from blurlib.tables import paper

BASE_MODEL = "V"
REFINED_MODEL = "unet"
REFINED_LOSS = "bce_iou"
"""The refined model and the loss it trains with (``scripts/run_experiments.py`` and the notebook both use these)."""

COLUMNS = {("pooled", "mae"): "MAE", ("pooled", "fbeta_max_image"): "Fβ max", ("pooled", "fbeta_mean_image"): "Fβ mean",
           ("pooled", "fbeta_adaptive"): "Fβ adaptive", ("pooled", "emeasure_max"): "E max",
           ("pooled", "emeasure_mean"): "E mean", ("pooled", "smeasure"): "S",
           ("pooled", "fbeta_max"): "Fβ max (pooled protocol)", ("paper", "ods"): "ODS (paper protocol)",
           ("pooled", "ods"): "ODS (pooled protocol)"}
"""``(protocol in metrics.json, key)``: column label. All but the last three are the detection literature's
per-image measures (the same under both protocols; Fβ and E over the per-image averaged curve,
:mod:`blurlib.metrics`); the last three are labelled by their protocol."""

ROWS = {"ours": "DBM config V", "guided": "DBM config V + guided filter", "refined": "unet (config V + decoder)"}
"""Row labels of :func:`comparison_table`."""


def comparison_runs(bench: Benchmark, profile: Profile, train_split: str, test_split: str, runs: str = "auto",
                    progress: bool = False) -> dict[str, RunResult]:
    """Config V's run and the refined model's run, both trained on ``train_split`` with ``profile`` and scored on
    ``test_split`` (committed runs when present, see :func:`blurlib.runs.run_result`)."""
    return {BASE_MODEL: run_result(bench, profile, BASE_MODEL, train_split, test_split, runs=runs, progress=progress),
            REFINED_MODEL: run_result(bench, profile, REFINED_MODEL, train_split, test_split, loss=REFINED_LOSS,
                                      runs=runs, progress=progress)}


def comparison_table(results: dict[str, RunResult], published: bool = False) -> pd.DataFrame:
    """Rows :data:`ROWS` (config V's maps, the same maps guided-filtered, the refined model's maps) and, with
    ``published``, the later split's published rows; columns :data:`COLUMNS`, ``test images`` and ``source``.

    A run scored before the guided refinement was part of every evaluation has no ``guided`` scores: its row is
    left out (re-run it with ``scripts/run_experiments.py --only NAME --rerun``).
    """
    base, refined = results[BASE_MODEL], results[REFINED_MODEL]
    sources = {"ours": (base, "ours"), "guided": (base, "guided"), "refined": (refined, "ours")}
    rows = {}
    for key, (r, field) in sources.items():
        m = r.metrics.get(field)
        if m is None:
            continue
        rows[ROWS[key]] = {label: m[proto].get(k) for (proto, k), label in COLUMNS.items()} | \
            {"test images": m["pooled"]["n_images"], "source": f"ours ({r.label})"}
    if published:
        for name, values in paper()["later_split"].items():
            rows[name] = {label: values.get(k) if proto == "pooled" else None for (proto, k), label in COLUMNS.items()} \
                | {"test images": 100, "source": "published"}
    return pd.DataFrame(rows).T.astype({c: float for c in COLUMNS.values()} | {"test images": int})
