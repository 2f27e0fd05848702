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
from blurlib.io import write_json
from blurlib.metrics import METRICS
from blurlib.profiles import COMMITTED, Profile
from blurlib.provenance import provenance
from blurlib.runs import RUNS, committed_run, profile_name, retrain_command, run_result

COMMITTED_TRIALS = 5
"""Trials of the committed experiment (``runs/V_moredata-train-K``, K = 0…4), as in the paper."""


def _committed_matches(bench: Benchmark) -> bool | None:
    """None when the committed experiment is incomplete (a trial or the D_o-only reference missing); else whether
    each trial was scored on exactly this dataset's ``moredata-test-K``."""
    if not (RUNS / "V_odd" / REFERENCE_FILE).is_file():
        return None
    same = True
    for k in range(COMMITTED_TRIALS):
        run = RUNS / f"V_moredata-train-{k}"
        if not (run / "run.json").is_file() or not (run / "metrics.json").is_file():
            return None
        names = json.loads((run / "metrics.json").read_text())["names"]
        same &= names == [p.name for p in bench.select(f"moredata-test-{k}")]
    return same


REFERENCE_FILE = "moredata_reference.json"
"""Beside the D_o-only run: its paper-protocol scores on each committed trial's test images, kept so the committed
experiment renders after that run's weights left the repository (only the default model ships weights)."""


def store_reference(bench: Benchmark, run_dir, weights, trials: int = COMMITTED_TRIALS, progress: bool = False) -> dict:
    """Score the D_o-only model ``weights`` on each trial's ``moredata-test-K`` of ``bench`` and write
    ``run_dir/moredata_reference.json`` (per trial: test image names and paper-protocol scores, with provenance)."""
    model, ckpt = checkpoint.load_model(weights, expect="V")
    predict = model_maps(model, ckpt["convention"], ckpt["meta"]["profile"]["size"])
    out = {"trials": {}, "data": bench.description, "provenance": provenance(result=run_dir / REFERENCE_FILE)}
    for k in range(trials):
        pairs = bench.select(f"moredata-test-{k}")
        out["trials"][str(k)] = {"names": [p.name for p in pairs],
                                 "paper": metrics.summarize(count(pairs, predict, progress=progress), "paper")}
    write_json(run_dir / REFERENCE_FILE, out)
    return out


def _committed_profile() -> str | None:
    run = RUNS / "V_moredata-train-0" / "run.json"
    return profile_name(json.loads(run.read_text())) if run.is_file() else None


def more_data_trials(bench: Benchmark, profile: Profile, trials: int = 5, progress: bool = False,
                     runs: str = "auto") -> pd.DataFrame:
    """One row per trial: test image count, ODS/OIS/AP (paper protocol) of the D_o-only model and of the model
    trained with the moved images, on that trial's test images; ``runs`` says where each side comes from.

    The committed experiment (all its trials and the D_o-only reference stored beside ``runs/V_odd``) when
    ``profile`` is its profile and ``runs`` is not ``train`` — scored on the images it was scored on, which the
    ``runs`` column names when they are not this dataset's; else ``trials`` trials trained now with ``profile``
    (test images capped at ``profile.max_images``).
    """
    matches = _committed_matches(bench) if runs != "train" and profile.name == _committed_profile() else None
    if matches is not None:
        return _committed_rows(bench, matches)
    limit = profile.max_images or None
    more = [run_result(bench, profile, "V", f"moredata-train-{k}", f"moredata-test-{k}", progress=progress,
                       runs="train") for k in range(trials)]
    base = run_result(bench, profile, "V", "odd", progress=progress, runs="train")
    model, ckpt = checkpoint.load_model(base.dir / "model.pt", expect="V")
    predict = model_maps(model, ckpt["convention"], base.run["profile"]["size"])
    rows = []
    for k, r in enumerate(more):
        pairs = bench.select(f"moredata-test-{k}")[:limit]
        ref = metrics.summarize(count(pairs, predict, progress=progress), "paper")
        rows.append(_row(k, len(pairs), r, ref, f"{r.label}; reference {base.dir.name}"))
    return pd.DataFrame(rows).set_index("trial")


def _row(k: int, n_test: int, r, ref: dict, runs: str) -> dict:
    row = {"trial": k, "test images": n_test, "train images": r.run["n_train"]}
    row |= {f"{m.upper()} (D_o only)": ref[m] for m in METRICS}
    row |= {f"{m.upper()} (D_o + moved)": r.metrics["ours"]["paper"][m] for m in METRICS}
    row["runs"] = runs
    return row


def _committed_rows(bench: Benchmark, same_images: bool) -> pd.DataFrame:
    reference_file = RUNS / "V_odd" / REFERENCE_FILE
    reference = json.loads(reference_file.read_text())
    rows = []
    for k in range(COMMITTED_TRIALS):
        r = committed_run(f"V_moredata-train-{k}")
        ref = reference["trials"][str(k)]
        if ref["names"] != r.metrics["names"]:
            raise ValueError(f"{reference_file}: trial {k} reference scored on other images than {r.dir}")
        where = "" if same_images else (f"; scored on {len(ref['names'])} test images of {reference['data']}, "
                                        f"not this dataset's: `{retrain_command(f'V_moredata-train-{k}', COMMITTED)}` "
                                        "retrains it on these data")
        rows.append(_row(k, len(ref["names"]), r, ref["paper"], f"{r.label}; reference V_odd{where}"))
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
