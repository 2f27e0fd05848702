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

COLUMNS = {"mae": "MAE", "fbeta_max": "Fβ max", "fbeta_adaptive": "Fβ adaptive", "ods": "ODS", "ap": "AP"}


def later_split_runs(bench: Benchmark, profile: Profile, models: tuple[str, ...] = ("V",),
                     progress: bool = False, runs: str = "auto") -> dict[str, RunResult]:
    """Each model trained on ``defocus604`` and scored on ``defocus100``; ``runs`` as in :func:`run_result`."""
    if not bench.select("defocus100"):
        raise BlurlibError(f"{bench.root}: none of the 100 test images of the later defocus split is here "
                           "(it needs the CUHK defocus images; see `blurlib data info`).")
    return {m: run_result(bench, profile, m, "defocus604", "defocus100", progress=progress, runs=runs)
            for m in models}


def later_split_table(runs: dict[str, RunResult]) -> pd.DataFrame:
    """Rows: our models (pooled protocol, as later papers compute Fβ and MAE) and published results;
    columns: MAE, Fβ max, Fβ adaptive, ODS, AP, test images, source."""
    rows = {}
    for name, r in runs.items():
        m = r.metrics["ours"]["pooled"]
        rows[f"DBM config {name}" if name in CONFIGS else name] = \
            {v: m[k] for k, v in COLUMNS.items()} | {"test images": m["n_images"], "source": f"ours ({r.label})"}
    for name, values in paper()["later_split"].items():
        rows[name] = {v: values.get(k) for k, v in COLUMNS.items()} | {"test images": 100, "source": "published"}
    df = pd.DataFrame(rows).T
    return df.astype({c: float for c in COLUMNS.values()} | {"test images": int})
