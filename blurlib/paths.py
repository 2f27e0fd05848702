"""Where blurlib reads and writes by default: the project folder, its data/, figures/, runs/ and build/.

The project folder is ``$BLURLIB_HOME`` if set, else the repository blurlib is installed from (a checkout with
``pyproject.toml`` and ``notebooks/``), else the current directory. So notebooks (run from ``notebooks/``), the
command line and the tests agree on ``data/CUHK`` and ``figures/`` wherever they are started.

What blurlib records (run.json, metrics, data summaries) names folders by :func:`portable`, never by an absolute path
of the machine that wrote it.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DATA_ENV = "BLURLIB_DATA"
"""The environment variable naming the benchmark's folder."""


def project_root() -> Path:
    if os.environ.get("BLURLIB_HOME"):
        return Path(os.environ["BLURLIB_HOME"])
    if (REPO / "pyproject.toml").is_file() and (REPO / "notebooks").is_dir():
        return REPO
    return Path.cwd()


def figures_dir() -> Path:
    """``$BLURLIB_FIGURES`` if set (the tests point it at a scratch folder), else ``<project>/figures``."""
    return Path(os.environ.get("BLURLIB_FIGURES") or project_root() / "figures")


def portable(path: str | os.PathLike) -> str:
    """``path`` as recorded in results: under ``$BLURLIB_DATA`` as ``$BLURLIB_DATA/…``, under the project folder
    relative to it, under the home directory as ``~/…``; any other path (or a relative one) as given.

    >>> portable(project_root() / "runs" / "V_odd")
    'runs/V_odd'
    """
    text = os.fspath(path)
    if not os.path.isabs(text):
        return text
    resolved = Path(text).resolve()
    data = os.environ.get(DATA_ENV)
    for base, name in ((data, f"${DATA_ENV}"), (project_root(), "."), (Path.home(), "~")):
        if not base:
            continue
        base = Path(base).resolve()
        if base == Path(base.anchor):  # a home (or data folder) at / would swallow every path
            continue
        if resolved == base or base in resolved.parents:
            rel = resolved.relative_to(base).as_posix()
            return name if rel == "." else rel if name == "." else f"{name}/{rel}"
    return text
