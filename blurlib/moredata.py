"""The CVPR version's more-data experiment: does DBM gain from more training images?

Trial K trains config V on D_o plus a seeded 80 % of D_e (split ``moredata-train-K``) and tests on the rest of D_e
(``moredata-test-K``); the reference is config V trained on D_o only, scored on exactly the same test images. Both
sides come from the same profile: the committed runs when all :data:`COMMITTED_TRIALS` trials are committed and
were scored on this dataset's test images, else everything is trained now with the notebook's profile.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from blurlib import checkpoint, metrics
from blurlib.data import Benchmark
from blurlib.evaluate import count, model_maps
from blurlib.metrics import METRICS
from blurlib.profiles import Profile
from blurlib.runs import RUNS, profile_name, run_result

COMMITTED_TRIALS = 5
"""Trials of the committed experiment (``runs/V_moredata-train-K``, K = 0…4), as in the paper."""


def _committed_match(bench: Benchmark) -> bool:
    """Whether all committed trials exist and each was scored on exactly this dataset's ``moredata-test-K``."""
    for k in range(COMMITTED_TRIALS):
        run = RUNS / f"V_moredata-train-{k}"
        if not (run / "run.json").is_file() or not (run / "metrics.json").is_file():
            return False
        names = json.loads((run / "metrics.json").read_text())["names"]
        if names != [p.name for p in bench.select(f"moredata-test-{k}")]:
            return False
    return True


def more_data_trials(bench: Benchmark, profile: Profile, trials: int = 5, progress: bool = False) -> pd.DataFrame:
    """One row per trial: test image count, ODS/OIS/AP (paper protocol) of the D_o-only model and of the model
    trained with the moved images, on that trial's test images; ``runs`` says where each side comes from.

    The committed experiment (all its trials, all test images) when it matches ``bench``; else ``trials`` trials
    trained now with ``profile`` (test images capped at ``profile.max_images``).
    """
    committed = _committed_match(bench)
    trials = COMMITTED_TRIALS if committed else trials
    limit = None if committed else profile.max_images or None
    more = [run_result(bench, profile, "V", f"moredata-train-{k}", f"moredata-test-{k}", progress=progress,
                       use_committed=committed) for k in range(trials)]
    base = run_result(bench, profile, "V", "odd", progress=progress, use_committed=committed)
    profiles = {profile_name(r.run) for r in more + [base]}
    if len(profiles) != 1:
        raise ValueError(f"more-data runs and the D_o-only run use different profiles {sorted(profiles)}")
    weights = base.dir / "model.pt" if (base.dir / "model.pt").is_file() else base.dir / "model_fp16.pt"
    model, ckpt = checkpoint.load_model(weights, expect="V")
    predict = model_maps(model, ckpt["convention"], base.run["profile"]["size"])
    rows = []
    for k, r in enumerate(more):
        pairs = bench.select(f"moredata-test-{k}")[:limit]
        if [p.name for p in pairs] != r.metrics["names"]:
            raise ValueError(f"{r.dir}: scored on other images than moredata-test-{k} of {bench.description}")
        ref = metrics.summarize(count(pairs, predict, progress=progress), "paper")
        row = {"trial": k, "test images": len(pairs), "train images": r.run["n_train"]}
        row |= {f"{m.upper()} (D_o only)": ref[m] for m in METRICS}
        row |= {f"{m.upper()} (D_o + moved)": r.metrics["ours"]["paper"][m] for m in METRICS}
        row["runs"] = f"{r.label}; reference {base.dir.name}"
        rows.append(row)
    return pd.DataFrame(rows).set_index("trial")


def mean_std(trials: pd.DataFrame) -> pd.DataFrame:
    """Mean ± std over trials (ddof 1) of the six metric columns, one row per training set."""
    out = {}
    for side in ("D_o only", "D_o + moved"):
        cols = [f"{m.upper()} ({side})" for m in METRICS]
        out[side] = {f"{m.upper()} mean": trials[c].mean() for m, c in zip(METRICS, cols)}
        out[side] |= {f"{m.upper()} std": trials[c].std(ddof=1) if len(trials) > 1 else np.nan
                      for m, c in zip(METRICS, cols)}
    return pd.DataFrame(out).T
