"""Where blurlib reads and writes by default: the project folder, its data/, figures/, runs/ and build/.

The project folder is ``$BLURLIB_HOME`` if set, else the repository blurlib is installed from (a checkout with
``pyproject.toml`` and ``notebooks/``), else the current directory. So notebooks (run from ``notebooks/``), the
command line and the tests agree on ``data/CUHK`` and ``figures/`` wherever they are started.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def project_root() -> Path:
    if os.environ.get("BLURLIB_HOME"):
        return Path(os.environ["BLURLIB_HOME"])
    if (REPO / "pyproject.toml").is_file() and (REPO / "notebooks").is_dir():
        return REPO
    return Path.cwd()


def figures_dir() -> Path:
    """``$BLURLIB_FIGURES`` if set (the tests point it at a scratch folder), else ``<project>/figures``."""
    return Path(os.environ.get("BLURLIB_FIGURES") or project_root() / "figures")
