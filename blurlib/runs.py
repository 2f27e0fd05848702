"""Run folders and the committed default model.

A run folder ``runs/<model>_<train split>/`` holds run.json (settings and provenance), metrics.json (both protocols,
and the official HiFST maps on the same test images where available), pr.csv, log.jsonl and maps/; the default
model's folder (``runs/V_odd``) also holds ``model_fp16.pt``. Notebooks read runs through :func:`run_result`: a
committed run is rendered as it is (and said so); without one, the run is trained and scored now with the
notebook's profile into ``build/runs`` (git-ignored).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from blurlib import checkpoint
from blurlib.baselines import METHODS
from blurlib.data import Benchmark
from blurlib.evaluate import baseline_maps, evaluate_run, official_hifst, score_methods
from blurlib.paths import REPO, project_root
from blurlib.profiles import Profile
from blurlib.provenance import portable_text
from blurlib.train import train

RUNS = REPO / "runs"
DEFAULT_RUN = RUNS / "V_odd"
DEFAULT_MODEL = DEFAULT_RUN / "model_fp16.pt"


@dataclass
class RunResult:
    dir: Path
    run: dict  # run.json
    metrics: dict  # metrics.json
    origin: str  # one line: committed (with provenance) or trained now
    label: str = ""  # a few words for a table column: where the row comes from


@dataclass
class LoadedModel:
    model: nn.Module
    convention: str
    origin: str
    run: dict


def _data_word(description: str) -> str:
    return "synthetic" if "synthetic" in description else "partial CUHK" if "partial" in description else "CUHK"


def local_runs() -> Path:
    return project_root() / "build" / "runs"


def _read(path: Path) -> dict:
    return json.loads(path.read_text())


def profile_name(run: dict) -> str:
    """The profile a run was trained with (run.json stores the whole profile under "profile")."""
    return run["profile"]["name"]


def describe(run_dir: Path, run: dict) -> str:
    prov = run["provenance"]
    return (f"committed run {run_dir.name} (model {run['model']}, profile {profile_name(run)}, trained on {run['split']} "
            f"of {portable_text(run['data'])}; commit {prov['git_commit'][:10]}, {prov['date']}, {run['device']}, "
            f"{run['wall_seconds'] / 60:.0f} min)")


def committed_run(name: str, runs: Path | None = None) -> RunResult | None:
    """The committed run ``runs/<name>``, or None when it is not committed (no metrics.json: never scored).

    A trained run has run.json beside its metrics; a scoring of fixed methods (``baselines_<split>``) has only
    metrics.json (its ``run`` is then ``{}``).

    >>> committed_run("no_such_run") is None
    True
    """
    folder = (runs or RUNS) / name
    if not (folder / "metrics.json").is_file():
        return None
    m = _read(folder / "metrics.json")
    if not (folder / "run.json").is_file():
        prov = m["provenance"]
        return RunResult(folder, {}, m, f"committed run {name} ({portable_text(m['data'])}, {m['n_images']} images; commit "
                                        f"{prov['git_commit'][:10]}, {prov['date']})", f"committed: {_data_word(m['data'])}")
    run = _read(folder / "run.json")
    return RunResult(folder, run, m, describe(folder, run), f"committed: {profile_name(run)}, {_data_word(run['data'])}")


def run_result(bench: Benchmark, profile: Profile, model: str = "V", train_split: str = "odd",
               test_split: str = "even", weights: str = "hed", loss: str | None = None, tag: str = "",
               progress: bool = False, use_committed: bool = True) -> RunResult:
    """The committed run ``runs/<model>_<train_split><tag>`` if present (and ``use_committed``); else trained with
    ``profile`` and scored now."""
    name = f"{model}_{train_split}{tag}"
    committed = committed_run(name) if use_committed else None
    if committed:
        return committed
    prof = profile.replace(loss=loss)
    key = hashlib.sha1(json.dumps(prof.as_dict(), sort_keys=True).encode()).hexdigest()[:8]  # a new profile: a new run
    run_dir = local_runs() / f"{name}_{prof.name}-{key}_{'synthetic' if bench.synthetic else 'cuhk'}"
    train(bench, run_dir, model_name=model, profile=prof, weights=weights, split=train_split, progress=progress,
          resume=True)
    metrics = evaluate_run(run_dir, bench.select(test_split)[: prof.max_images or None], hifst=official_hifst(bench.root),
                           progress=progress)
    return RunResult(run_dir, _read(run_dir / "run.json"), metrics,
                     f"trained now: model {model}, profile {prof.name}, on {train_split} of {bench.description} "
                     f"(no committed run {name}; results in {run_dir})", f"now: {prof.name}, {_data_word(bench.description)}")


def model_for(bench: Benchmark, profile: Profile, name: str = "V") -> LoadedModel:
    """The committed default model (config V, fp16) when present and ``name`` is V, else the model of
    :func:`run_result` (trained now when not committed)."""
    if name == "V" and DEFAULT_MODEL.is_file():
        model, ckpt = checkpoint.load_model(DEFAULT_MODEL, expect=name)
        run = _read(DEFAULT_RUN / "run.json")
        return LoadedModel(model, ckpt["convention"], describe(DEFAULT_RUN, run) + ", fp16 weights", run)
    r = run_result(bench, profile, name)
    model, ckpt = checkpoint.load_model(r.dir / "model.pt")
    return LoadedModel(model, ckpt["convention"], r.origin, r.run)


def baseline_result(bench: Benchmark, test_split: str = "even", limit: int | None = None,
                    progress: bool = False) -> RunResult:
    """Scores of every hand-crafted baseline on ``test_split``: the committed ``runs/baselines_<split>`` if present,
    else computed now on the first ``limit`` test images (all when None) into ``build/runs``."""
    name = f"baselines_{test_split}"
    committed = committed_run(name)
    if committed:
        return committed
    pairs = bench.select(test_split)[:limit]
    out = local_runs() / f"{name}_{'synthetic' if bench.synthetic else 'cuhk'}_{len(pairs)}"
    m = score_methods(pairs, {n: baseline_maps(n) for n in METHODS}, out, progress=progress)
    return RunResult(out, {}, m, f"computed now on {len(pairs)} images of {bench.description} "
                                 f"(no committed run {name}; results in {out})", f"now: {_data_word(bench.description)}")
