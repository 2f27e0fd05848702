"""Provenance of a run: command, git commit, hardware, versions, date — portable: no absolute path of the machine
that wrote it (see :func:`portable_command`), the hardware by its model name (:func:`blurlib.runtime.hardware`)."""

from __future__ import annotations

import datetime as dt
import platform
import re
import subprocess
import sys
from pathlib import Path

import torch

import blurlib
from blurlib.paths import portable
from blurlib.runtime import hardware


def git_commit(cwd: Path | None = None) -> str:
    """The current commit (with ``+dirty`` when the tree has changes), or ``unknown`` outside a repository."""
    try:
        run = lambda *a: subprocess.run(["git", *a], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()  # noqa: E731
        commit = run("rev-parse", "HEAD")
        return commit + ("+dirty" if run("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


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
    """The command line as recorded: its arguments joined, absolute paths made portable (:func:`portable_text`)."""
    return portable_text(" ".join(map(str, command)))


def provenance(command: list[str] | None = None) -> dict:
    return {
        "command": portable_command(command if command is not None else sys.argv),
        "git_commit": git_commit(),
        "date": now(),
        "blurlib": blurlib.__version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "host": hardware(),
    }
