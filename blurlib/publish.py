"""Publishing a finished run into the repository: the small result files, and optionally fp16 weights.

``runs/<name>/`` then holds run.json (provenance), metrics.json, pr*.csv, log.jsonl and maps/ — what the notebooks
render — and, for the shipped models only (:data:`blurlib.beyond.SHIPPED_MODELS`), ``model_fp16.pt`` (the weights in
half precision, ~29 MB).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from blurlib import checkpoint
from blurlib.errors import BlurlibError
from blurlib.evaluate import PR_FULL

RESULT_FILES = ("run.json", "metrics.json", "log.jsonl", "pr.csv", PR_FULL, "pr_hifst_official.csv")


def publish(run_dir: Path, dest: Path, with_weights: bool = False) -> list[Path]:
    """Copy the result files of ``run_dir`` into ``dest``; ``with_weights`` adds ``model_fp16.pt``."""
    run_dir, dest = Path(run_dir), Path(dest)
    for required in ("run.json", "metrics.json"):
        if not (run_dir / required).is_file():
            raise BlurlibError(f"{run_dir / required}: missing; finish the run (blurlib train) and score it "
                               "(blurlib evaluate --run) before publishing.")
    if dest.exists() and not dest.is_dir():
        raise BlurlibError(f"{dest}: is a file, not a folder. Choose another destination folder.")
    if dest.resolve() == run_dir.resolve():
        raise BlurlibError(f"{dest}: is the run folder itself; publish into another folder (e.g. runs/NAME).")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BlurlibError(f"cannot create {dest}: {e.strerror}. Choose a writable destination folder.") from e
    written = []
    for name in RESULT_FILES:
        if (run_dir / name).is_file():
            shutil.copy2(run_dir / name, dest / name)
            written.append(dest / name)
    if (run_dir / "maps").is_dir():
        shutil.copytree(run_dir / "maps", dest / "maps", dirs_exist_ok=True)
        written.append(dest / "maps")
    if with_weights:
        model, ckpt = checkpoint.load_model(run_dir / "model.pt")
        checkpoint.save(dest / "model_fp16.pt", model, ckpt["model"], ckpt["convention"], iteration=ckpt["iteration"],
                        meta=ckpt["meta"], fp16=True)
        written.append(dest / "model_fp16.pt")
    return written
