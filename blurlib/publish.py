"""Publishing a finished run into the repository: the small result files, and optionally fp16 weights.

``runs/<name>/`` then holds run.json (provenance), metrics.json, pr*.csv, log.jsonl and maps/ — what the notebooks
render — and, for the shipped models only (:data:`blurlib.beyond.SHIPPED_MODELS`), ``model_fp16.pt`` (the weights in
half precision, ~29 MB).

A published run names the code that made it: a run trained or scored from a tree with uncommitted changes (its
commit ends in ``+dirty``) is refused unless the user asks (``allow_dirty``), and then published with the diff that
train and evaluate kept beside it (``run.diff``, ``metrics.diff``), so the run can still be rebuilt from its commit.
A run already published at ``dest`` is replaced only when asked (``overwrite``), and then whole: every file publish
owns is written to a staging folder first, and what the old run had but the new one has not is removed, so the two
runs never mix. Files other commands added to ``dest`` (e.g. a quantization's calibration) are kept.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from blurlib import checkpoint
from blurlib.errors import BlurlibError
from blurlib.evaluate import PR_FULL
from blurlib.provenance import diff_path, is_dirty

PROVENANCE_FILES = ("run.json", "metrics.json")
"""The files whose provenance names the code of the run: training's and scoring's."""
RESULT_FILES = (*PROVENANCE_FILES, "log.jsonl", "pr.csv", PR_FULL, "pr_hifst_official.csv")
WEIGHTS = "model_fp16.pt"
OWNED = (*RESULT_FILES, *(diff_path(Path(f)).name for f in PROVENANCE_FILES), "maps", WEIGHTS)
"""Every name publish writes into a run folder: what an overwrite replaces."""


def dirty_results(run_dir: Path) -> dict[str, str]:
    """``{file: commit}`` of the provenance files of ``run_dir`` recorded from a tree with uncommitted changes."""
    out = {}
    for name in PROVENANCE_FILES:
        path = Path(run_dir) / name
        try:
            prov = json.loads(path.read_text()).get("provenance", {})
        except (OSError, ValueError, AttributeError) as e:
            raise BlurlibError(f"{path}: unreadable ({e}); score the run again (blurlib evaluate --run).") from e
        if is_dirty(prov):
            out[name] = prov["git_commit"]
    return out


def publish(run_dir: Path, dest: Path, with_weights: bool = False, *, allow_dirty: bool = False,
            overwrite: bool = False) -> list[Path]:
    """Copy the result files of ``run_dir`` into ``dest``; ``with_weights`` adds ``model_fp16.pt``.

    ``allow_dirty``: publish a run made from a dirty tree, with its diffs. ``overwrite``: replace a run already
    published at ``dest`` (whole). Returns the paths written.
    """
    run_dir, dest = Path(run_dir), Path(dest)
    for required in PROVENANCE_FILES:
        if not (run_dir / required).is_file():
            raise BlurlibError(f"{run_dir / required}: missing; finish the run (blurlib train) and score it "
                               "(blurlib evaluate --run) before publishing.")
    if dest.exists() and not dest.is_dir():
        raise BlurlibError(f"{dest}: is a file, not a folder. Choose another destination folder.")
    if dest.resolve() == run_dir.resolve() or dest.resolve() in run_dir.resolve().parents:
        raise BlurlibError(f"{dest}: is the run folder itself or holds it; publish into another folder (e.g. runs/NAME).")
    dirty = dirty_results(run_dir)
    diffs = [diff_path(Path(name)).name for name in dirty]
    if dirty and not allow_dirty:
        what = ", ".join(f"{name} ({commit})" for name, commit in dirty.items())
        raise BlurlibError(f"{run_dir}: made from a tree with uncommitted changes: {what}. Commit the code and run "
                           "it again, or publish with --allow-dirty to keep its diff beside it.")
    missing = [d for d in diffs if not (run_dir / d).is_file()]
    if missing:
        raise BlurlibError(f"{run_dir}: made from a tree with uncommitted changes but {', '.join(missing)} "
                           "is missing, so no commit rebuilds it; commit the code and run it again.")
    if (dest / "run.json").exists() and not overwrite:
        raise BlurlibError(f"{dest}: a run is already published there; pass --overwrite to replace it (whole) or "
                           "choose another destination.")
    try:
        dest.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}.publishing."))
    except OSError as e:
        raise BlurlibError(f"cannot write {dest}: {e.strerror}. Choose a writable destination folder.") from e
    try:
        for name in (*RESULT_FILES, *diffs):
            if (run_dir / name).is_file():
                shutil.copy2(run_dir / name, staging / name)
        if (run_dir / "maps").is_dir():
            shutil.copytree(run_dir / "maps", staging / "maps")
        if with_weights:
            model, ckpt = checkpoint.load_model(run_dir / "model.pt")
            checkpoint.save(staging / WEIGHTS, model, ckpt["model"], ckpt["convention"], iteration=ckpt["iteration"],
                            meta=ckpt["meta"], fp16=True)
        for name in OWNED:  # the old run's files go only once the new run is complete beside them
            old = dest / name
            if old.is_dir():
                shutil.rmtree(old)
            elif old.exists():
                old.unlink()
        written = []
        for item in sorted(staging.iterdir()):
            item.rename(dest / item.name)
            written.append(dest / item.name)
        return written
    except OSError as e:
        raise BlurlibError(f"cannot write {dest}: {e.strerror}. Free space or choose another destination; the "
                           "run folder is unchanged.") from e
    finally:
        shutil.rmtree(staging, ignore_errors=True)
