"""Publishing a finished run into the repository: the small result files, and optionally fp16 weights.

``runs/<name>/`` then holds run.json (provenance), metrics.json, pr*.csv, log.jsonl and maps/ — what the notebooks
render —, the scores made with test-time augmentation (``metrics_tta-*.json``, ``pr_tta-*.csv``) and, for the
shipped models only (:data:`blurlib.beyond.SHIPPED_MODELS`), ``model_fp16.pt`` (the weights in half precision, ~29 MB).

A published run names the code that made it: a run trained or scored from a tree with uncommitted changes (its
commit ends in ``+dirty``) is refused unless the user asks (``allow_dirty``), and then published with the diff that
train and evaluate kept beside each result (``run.diff``, ``metrics.diff``), so it can still be rebuilt from its
commit. A folder that already holds a published run is replaced only when asked (``overwrite``), and then whole
(:func:`blurlib.outputs.replacing`): the new run is written beside it and takes its place only once complete, so a
failure leaves the old run as it was, and nothing of the old run stays — not even what other commands derived from
it (an int8 calibration of its weights, say), which would be wrong for the new one.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from blurlib import checkpoint, outputs
from blurlib.errors import BlurlibError
from blurlib.evaluate import PR_FULL
from blurlib.provenance import diff_path, is_dirty

PROVENANCE_FILES = ("run.json", "metrics.json")
"""The files whose provenance names the code of the run: training's and scoring's (and each ``metrics_tta-*.json``)."""
RESULT_FILES = (*PROVENANCE_FILES, "log.jsonl", "pr.csv", PR_FULL, "pr_hifst_official.csv")
RESULT_PATTERNS = ("metrics_tta-*.json", "pr_tta-*.csv")
"""Scores of the run made with test-time augmentation (:func:`blurlib.evaluate.tta_suffix`), published alike."""
WEIGHTS = "model_fp16.pt"
DERIVED = ("int8_calibration.json", "int8_calibration.diff")
"""Files other commands derive from a published run's weights (``blurlib quantize``): replaced with the run."""


def is_published_file(name: str) -> bool:
    """Whether an entry of a folder is part of a published run (what :func:`publish` writes, and what other commands
    derive from its weights); a training run's ``checkpoint.pt`` or ``model.pt``, or a user's file, is not."""
    from fnmatch import fnmatch

    return (name in (*RESULT_FILES, WEIGHTS, "maps", *DERIVED) or name.endswith(".diff")
            or any(fnmatch(name, pattern) for pattern in RESULT_PATTERNS))


def _provenance_files(run_dir: Path) -> list[Path]:
    return [run_dir / n for n in PROVENANCE_FILES] + sorted(run_dir.glob(RESULT_PATTERNS[0]))


def dirty_results(run_dir: Path) -> dict[str, str]:
    """``{file: commit}`` of the result files of ``run_dir`` recorded from a tree with uncommitted changes."""
    out = {}
    for path in _provenance_files(Path(run_dir)):
        if not path.is_file():
            continue
        try:
            prov = json.loads(path.read_text()).get("provenance", {})
        except (OSError, ValueError, AttributeError) as e:
            raise BlurlibError(f"{path}: unreadable ({e}); score the run again (blurlib evaluate --run).") from e
        if is_dirty(prov):
            out[path.name] = prov["git_commit"]
    return out


def publish(run_dir: Path, dest: Path, with_weights: bool = False, *, allow_dirty: bool = False,
            overwrite: bool = False) -> list[Path]:
    """Copy the result files of ``run_dir`` into ``dest``; ``with_weights`` adds ``model_fp16.pt``.

    ``allow_dirty``: publish a run made from a dirty tree, with its diffs. ``overwrite``: replace the run published at
    ``dest`` (whole); a ``dest`` holding other files than a published run is refused even then. Both folders are locked while the run is copied (:func:`blurlib.outputs.locked`): a run still
    training is not published half way. Returns the paths written.
    """
    run_dir, dest = Path(run_dir), Path(dest)
    if not run_dir.is_dir():
        raise BlurlibError(f"{run_dir}: no such run folder. Name the --run-dir a run was trained into.")
    for required in PROVENANCE_FILES:
        if not (run_dir / required).is_file():
            raise BlurlibError(f"{run_dir / required}: missing; finish the run (blurlib train) and score it "
                               "(blurlib evaluate --run) before publishing.")
    if dest.exists() and not dest.is_dir():
        raise BlurlibError(f"{dest}: is a file, not a folder. Choose another destination folder.")
    run, target = run_dir.resolve(), dest.resolve()
    if target == run or target in run.parents or run in target.parents:
        raise BlurlibError(f"{dest}: is the run folder itself, holds it or lies in it; publish into another folder "
                           "(e.g. runs/NAME).")
    dirty = dirty_results(run_dir)
    diffs = [diff_path(Path(name)).name for name in dirty]
    if dirty and not allow_dirty:
        what = ", ".join(f"{name} ({commit})" for name, commit in dirty.items())
        raise BlurlibError(f"{run_dir}: made from a tree with uncommitted changes: {what}. Commit the code and run "
                           "it again, or publish with --allow-dirty to keep its diff beside it.")
    missing = [d for d in diffs if not (run_dir / d).is_file()]
    if missing:
        raise BlurlibError(f"{run_dir}: made from a tree with uncommitted changes but {', '.join(missing)} is "
                           "missing, so no commit rebuilds it; commit the code and run it again.")
    held = sorted(p for p in dest.iterdir() if not p.name.startswith(".")) if dest.is_dir() else []
    foreign = [p.name for p in held if not is_published_file(p.name)]
    if foreign or (held and not (dest / "run.json").is_file() and not (dest / "metrics.json").is_file()):
        names = ", ".join((foreign or [p.name for p in held])[:3]) + (", …" if len(foreign or held) > 3 else "")
        raise BlurlibError(f"{dest}: holds {names}, which no published run holds (a training run's weights or "
                           "checkpoint, or files of your own); nothing there is touched, not even with --overwrite. "
                           "Choose a new or empty destination folder.")
    if not overwrite:
        outputs.refuse_existing(dest, held, "a published run")
    names = [*RESULT_FILES, *diffs] + [p.name for pattern in RESULT_PATTERNS for p in sorted(run_dir.glob(pattern))]
    with outputs.locked(dest), outputs.locked(run_dir):  # no second writer of either meanwhile
        try:
            with outputs.replacing(dest, is_published_file, "a published run") as stage:  # swapped in whole, or not
                for name in dict.fromkeys(names):
                    if (run_dir / name).is_file():
                        shutil.copy2(run_dir / name, stage / name)
                if (run_dir / "maps").is_dir():
                    shutil.copytree(run_dir / "maps", stage / "maps")
                if with_weights:
                    model, ckpt = checkpoint.load_model(run_dir / "model.pt")
                    checkpoint.save(stage / WEIGHTS, model, ckpt["model"], ckpt["convention"],
                                    iteration=ckpt["iteration"], meta=ckpt["meta"], fp16=True)
        except (OSError, shutil.Error) as e:
            raise BlurlibError(f"cannot publish into {dest}: {getattr(e, 'strerror', None) or e}. Free space or choose "
                               "another destination; what it held is kept.") from e
    return sorted(dest.iterdir())
