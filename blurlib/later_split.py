"""Beyond the paper: DBM on the later defocus-detection split (604 train / 100 test defocus images).

Later defocus-blur-detection papers report Fβ (β² = 0.3; maximum over thresholds and the adaptive-threshold mean)
and MAE on the 100 test images. Published numbers appear only in a column labelled ``published`` (from
``paper.toml``), beside ours.
"""

from __future__ import annotations

import pandas as pd

from blurlib.data import Benchmark
from blurlib.errors import BlurlibError
from blurlib.models import CONFIGS
from blurlib.profiles import Profile
from blurlib.runs import RunResult, run_result
from blurlib.tables import paper

COLUMNS = {("pooled", "mae"): "MAE (mean per image)", ("pooled", "fbeta_max"): "Fβ max (pooled protocol)",
           ("pooled", "fbeta_adaptive"): "Fβ adaptive (mean per image)", ("pooled", "ods"): "ODS (pooled protocol)",
           ("pooled", "ap"): "AP (pooled protocol)", ("paper", "ods"): "ODS (paper protocol)",
           ("paper", "ap"): "AP (paper protocol)"}
"""The table's metric columns, each labelled by how it is computed: ``(protocol in metrics.json, key): label``.

MAE and the adaptive Fβ are per-image means (the same under both protocols); Fβ max is the best Fβ of the pooled
curve; ODS and AP are given under both protocols (:mod:`blurlib.metrics`), as later papers pool and the DBM paper's
tables do not."""


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
    rows = {}
    for name, r in runs.items():
        m = r.metrics["ours"]
        rows[f"DBM config {name}" if name in CONFIGS else name] = \
            {label: m[proto][k] for (proto, k), label in COLUMNS.items()} | \
            {"test images": m["pooled"]["n_images"], "source": f"ours ({r.label})"}
    for name, values in paper()["later_split"].items():
        rows[name] = {label: values.get(k) if proto == "pooled" else None for (proto, k), label in COLUMNS.items()} \
            | {"test images": 100, "source": "published"}
    df = pd.DataFrame(rows).T
    return df.astype({c: float for c in COLUMNS.values()} | {"test images": int})
