"""Run folders (``runs/<name>/``: run.json, metrics.json, pr.csv, maps) and the committed default model.

Notebooks read runs from here, so rerunning a notebook never retrains unless no committed run exists: then
:func:`model_for` trains one with the notebook's profile into ``build/runs`` (git-ignored) and says so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from torch import nn

from blurlib import checkpoint
from blurlib.data import Benchmark
from blurlib.paths import REPO, project_root
from blurlib.profiles import Profile

RUNS = REPO / "runs"
DEFAULT_MODEL = RUNS / "default" / "model_fp16.pt"
LOCAL_RUNS = project_root() / "build" / "runs"


@dataclass
class LoadedModel:
    model: nn.Module
    convention: str
    origin: str  # one line: where the weights come from (committed run with provenance, or trained just now)
    run: dict


def read_run(run_dir: Path) -> dict:
    """The run.json of ``run_dir``."""
    return json.loads((Path(run_dir) / "run.json").read_text())


def model_for(bench: Benchmark, profile: Profile, name: str = "V", committed: Path = DEFAULT_MODEL,
              progress: bool = False) -> LoadedModel:
    """The committed default model when it exists (and ``name`` is V), else one trained now with ``profile``."""
    if name == "V" and committed.exists():
        model, ckpt = checkpoint.load_model(committed, expect=name)
        run = read_run(committed.parent)
        prov = run["provenance"]
        origin = (f"committed run {committed.parent.relative_to(REPO)} (profile {run['profile']}, {run['data']}, "
                  f"commit {prov['git_commit'][:10]}, {prov['date']}, {run['device']})")
        return LoadedModel(model, ckpt["convention"], origin, run)
    from blurlib.train import train

    run_dir = LOCAL_RUNS / f"{name}_{profile.name}_{'synthetic' if bench.synthetic else 'cuhk'}"
    train(bench, run_dir, model_name=name, profile=profile, progress=progress, resume=True)
    model, ckpt = checkpoint.load_model(run_dir / "model.pt")
    return LoadedModel(model, ckpt["convention"], f"trained now: profile {profile.name} on {bench.description} "
                       f"(no committed run; weights in {run_dir})", read_run(run_dir))
