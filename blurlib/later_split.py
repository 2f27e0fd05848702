"""Beyond the paper: DBM on the later defocus-detection split (604 train / 100 test defocus images).

Later defocus-blur-detection papers report Fβ (β² = 0.3; maximum over thresholds and the adaptive-threshold mean)
and MAE on the 100 test images. Published numbers appear only in a column labelled ``published`` (from
``paper.toml``), beside ours.
"""

from __future__ import annotations

import pandas as pd

from blurlib.data import Benchmark
from blurlib.errors import BlurlibError
from blurlib.profiles import Profile
from blurlib.runs import RunResult, model_name, run_result
from blurlib.tables import paper

LABELS = {("pooled", "mae"): "MAE (mean per image)", ("pooled", "fbeta_max"): "Fβ max (pooled protocol)",
          ("pooled", "fbeta_adaptive"): "Fβ adaptive (mean per image)", ("pooled", "ods"): "ODS (pooled protocol)",
          ("pooled", "ap"): "AP (pooled protocol)", ("paper", "ods"): "ODS (paper protocol)",
          ("paper", "ap"): "AP (paper protocol)",
          ("pooled", "fbeta_max_image"): "Fβ max (per-image curve)",
          ("pooled", "fbeta_mean_image"): "Fβ mean (per-image curve)",
          ("pooled", "emeasure_max"): "E max (per-image curve)", ("pooled", "emeasure_mean"): "E mean (per-image curve)",
          ("pooled", "emeasure_adaptive"): "E adaptive (mean per image)", ("pooled", "smeasure"): "S (mean per image)",
          ("pooled", "mae_floor"): "MAE floor (best order-keeping recalibration)"}
"""Every measure's column label, each saying how it is computed: ``(protocol in metrics.json, key): label``.

MAE, its floor (:func:`blurlib.metrics.mae_floor`), the adaptive Fβ and E, S and the measures over the per-image
curve are per-image (the same under both protocols, :mod:`blurlib.metrics`); Fβ max is also given from the pooled
curve; ODS and AP under both protocols, as later papers pool and the DBM paper's tables do not."""

COLUMNS = {k: LABELS[k] for k in (("pooled", "mae"), ("pooled", "fbeta_max"), ("pooled", "fbeta_adaptive"),
                                  ("pooled", "ods"), ("pooled", "ap"), ("paper", "ods"), ("paper", "ap"))}
"""The metric columns of the later-split table (:func:`later_split_table`)."""




def scores_row(m: dict, columns: dict, source: str) -> dict:
    """One table row from a metrics.json entry ``m`` (``{protocol: summary}``): ``columns`` (a selection of
    :data:`LABELS`), the number of test images and ``source``."""
    return {label: m[proto].get(k) for (proto, k), label in columns.items()} | \
        {"test images": m["pooled"]["n_images"], "source": source}


def published_rows(columns: dict) -> dict[str, dict]:
    """The published results of later work (``paper.toml``), each filling only the metrics its authors report (under
    the per-image or pooled labels, as they compute them; never under the paper protocol)."""
    return {name: {label: values.get(k) if proto == "pooled" else None for (proto, k), label in columns.items()}
            | {"test images": 100, "source": "published"} for name, values in paper()["later_split"].items()}


def later_split_runs(bench: Benchmark, profile: Profile, models: tuple[str, ...] = ("V",),
                     progress: bool = False, runs: str = "auto") -> dict[str, RunResult]:
    """Each model trained on ``defocus604`` and scored on ``defocus100`` (``runs``: see
    :func:`blurlib.runs.run_result`; committed runs when present)."""
    if not bench.select("defocus100"):
        raise BlurlibError(f"{bench.root}: none of the 100 test images of the later defocus split is here "
                           "(it needs the CUHK defocus images; see `blurlib data info`).")
    return {m: run_result(bench, profile, m, "defocus604", "defocus100", progress=progress, runs=runs)
            for m in models}


def later_split_table(runs: dict[str, RunResult]) -> pd.DataFrame:
    """Rows: our models and published results; columns: :data:`COLUMNS` (labelled by protocol), test images,
    source. A published row fills only the metrics its authors report (under the pooled labels, as they pool)."""
    rows = {model_name(name, (r.run.get("profile") or {}).get("name")): scores_row(r.metrics["ours"], COLUMNS,
                                                                                  f"ours ({r.label})")
            for name, r in runs.items()}
    df = pd.DataFrame(rows | published_rows(COLUMNS)).T
    return df.astype({c: float for c in COLUMNS.values()} | {"test images": int})
