"""Provenance of a run: command, git commit, device, versions, date."""

from __future__ import annotations

import datetime as dt
import platform
import subprocess
import sys
from pathlib import Path

import torch

import blurlib


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


def provenance(command: list[str] | None = None) -> dict:
    return {
        "command": " ".join(command if command is not None else sys.argv),
        "git_commit": git_commit(),
        "date": now(),
        "blurlib": blurlib.__version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "host": platform.node(),
    }
