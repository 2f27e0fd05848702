"""Provenance of a run: command, git commit, hardware, versions, date — portable: no absolute path of the machine
that wrote it (see :func:`portable_command`), the hardware by its model name (:func:`blurlib.runtime.hardware`)."""

from __future__ import annotations

import datetime as dt
import json
import platform
import re
import subprocess
import sys
from pathlib import Path

import torch

import blurlib
from blurlib.errors import BlurlibError
from blurlib.paths import REPO, portable
from blurlib.runtime import hardware


DIRTY = "+dirty"
"""The suffix of a commit recorded from a tree with uncommitted changes to tracked files (results aside)."""
RESULTS = ("runs", "figures")
"""Folders of results, not code: changes there leave the code clean (a run published before the next is scored)."""
_CODE = [".", *(f":(exclude){folder}" for folder in RESULTS)]


def git_commit(cwd: Path | None = None) -> str:
    """The commit of the repository blurlib runs from (``cwd``: another one), with ``+dirty`` when its tracked files
    outside the results (:data:`RESULTS`) have uncommitted changes, or ``unknown`` outside a repository."""
    cwd = REPO if cwd is None else cwd
    try:
        run = lambda *a: subprocess.run(["git", *a], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()  # noqa: E731
        commit = run("rev-parse", "HEAD")
        return commit + (DIRTY if run("status", "--porcelain", "--untracked-files=no", "--", *_CODE) else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def git_diff(cwd: Path | None = None) -> bytes:
    """The uncommitted changes to tracked files (``git diff HEAD --binary``, as bytes): applied to the recorded
    commit with ``git apply`` they rebuild the code that ran (files never added to git are not in it)."""
    out = subprocess.run(["git", "diff", "HEAD", "--binary", "--", *_CODE], cwd=REPO if cwd is None else cwd,
                         capture_output=True, check=True)
    return out.stdout


def diff_path(result: Path) -> Path:
    """Where the diff of a result written from a dirty tree is kept: beside it, ``run.json`` → ``run.diff``."""
    return Path(result).with_suffix(".diff")


def _names_diff(result: Path, name: str) -> bool:
    """Whether the JSON ``result`` records ``name`` as its diff (``git_diff``, anywhere in it): the diff beside it is
    then an earlier version of this result's own, replaced with it."""
    def found(x) -> bool:
        if isinstance(x, dict):
            return x.get("git_diff") == name or any(found(v) for v in x.values())
        return isinstance(x, list) and any(found(v) for v in x)
    try:
        return found(json.loads(result.read_text()))
    except (OSError, ValueError):
        return False


def is_dirty(prov: dict) -> bool:
    return str(prov.get("git_commit", "")).endswith(DIRTY)


def commit_label(prov: dict) -> str:
    """The recorded commit as shown to a reader: whole, with its flag and, from a dirty tree, where its diff is.

    >>> commit_label({"git_commit": "ab12+dirty", "git_diff": "run.diff"})
    'ab12+dirty (uncommitted changes: run.diff)'
    >>> commit_label({"git_commit": "ab12+dirty"})
    'ab12+dirty (uncommitted changes, not kept)'
    """
    commit = str(prov.get("git_commit", "unknown"))
    if not is_dirty(prov):
        return commit
    return f"{commit} (uncommitted changes{': ' + prov['git_diff'] if prov.get('git_diff') else ', not kept'})"


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


_ABSOLUTE = re.compile(r"(?<![\w.~$/-])/[^\s,;:)'\"]*")


def portable_text(text: str) -> str:
    """``text`` (a command line, a data description) with every absolute path made :func:`~blurlib.paths.portable`:
    ``$BLURLIB_DATA/…``, relative to the project, or ``~/…``.

    >>> portable_text(f"--pred={Path.home() / 'maps'} (706 images, {Path.home()})")
    '--pred=~/maps (706 images, ~)'
    """
    return _ABSOLUTE.sub(lambda m: portable(m.group()), text)


def portable_command(command: list[str]) -> str:
    """The command line as recorded: its arguments joined, absolute paths made portable (:func:`portable_text`).
    The program is named as a user types it: an installed entry point (``…/bin/blurlib``) by its name, the package
    run as a module (``…/blurlib/__main__.py``) as ``python -m blurlib`` — not where an interpreter happens to lie.

    >>> portable_command(["/opt/env/bin/blurlib", "bench"]), portable_command(["/x/blurlib/__main__.py", "bench"])
    ('blurlib bench', 'python -m blurlib bench')
    """
    words = [str(c) for c in command]
    if words:
        program = Path(words[0])
        if program.name == "__main__.py" and program.parent.name == "blurlib":
            words[0] = "python -m blurlib"
        elif program.is_absolute() and program.parent.name == "bin":
            words[0] = program.name
    return portable_text(" ".join(words))


def provenance(command: list[str] | None = None, *, result: Path | None = None, resumed: bool = False) -> dict:
    """Command, commit, date, versions and hardware of what is being made. ``result``: the JSON file these will be
    written into; from a dirty tree the diff is then written beside it (:func:`diff_path`) and named under
    ``git_diff``, so the result can still be rebuilt from its commit. A file already under the diff's name is replaced
    only when it is the result's own: named by the existing ``result``, or ``resumed`` (a run resumed from its
    checkpoint, whose run.json is written at the end); any other file there is refused, never overwritten."""
    commit = git_commit()
    diff = {}
    if result is not None and commit.endswith(DIRTY):
        path = diff_path(result)
        if path.exists() and not resumed and not _names_diff(Path(result), path.name):
            raise BlurlibError(f"{path}: a file of that name is there already and is not the diff of {Path(result).name}; "
                               "nothing was written. Move it away: a result made from uncommitted code keeps its "
                               "diff under that name.")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(git_diff())
        diff = {"git_diff": path.name}
    return {
        "command": portable_command(command if command is not None else sys.argv),
        "git_commit": commit, **diff,
        "date": now(),
        "blurlib": blurlib.__version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "host": hardware(),
    }
