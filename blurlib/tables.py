"""The paper's tables as DataFrames: our numbers beside the paper's, which is labelled as a reference column."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from blurlib.io import atomic_write
from blurlib.metrics import METRICS


@cache
def paper() -> dict:
    """The paper's reported numbers (``blurlib/paper.toml``): ``{"table2": {"V": [ods, ois, ap]}, …}``."""
    return tomllib.loads(resources.files("blurlib").joinpath("paper.toml").read_text())


def compare(ours: dict[str, dict], table: str, paper_names: dict[str, str] | None = None) -> pd.DataFrame:
    """Rows = methods; columns ``ODS/OIS/AP (ours)`` from ``ours[name]`` (a metrics dict) and ``… (paper)``.

    ``paper_names`` maps our row names to the paper's where they differ (e.g. ``{"DBM (config V)": "DBM"}``).
    Methods the paper does not report get empty paper cells.
    """
    ref = paper()[table]
    rows = {}
    for name, m in ours.items():
        key = (paper_names or {}).get(name, name)
        row = {f"{k.upper()} (ours)": m[k] for k in METRICS}
        row |= {f"{k.upper()} (paper)": (ref[key][i] if key in ref else None) for i, k in enumerate(METRICS)}
        rows[name] = row
    return pd.DataFrame(rows).T.astype(float)


def write(df: pd.DataFrame, path: Path, caption: str) -> None:
    """``path``.csv and ``path``.md (with ``caption`` above the table), atomically."""
    path = Path(path)
    with atomic_write(path.with_suffix(".csv"), "w") as f:
        df.to_csv(f, float_format="%.3f")
    with atomic_write(path.with_suffix(".md"), "w") as f:
        fmt = [""] + [".3f" if df[c].dtype.kind == "f" else "g" for c in df.columns]
        f.write(f"{caption}\n\n{df.astype(object).where(df.notna(), None).to_markdown(floatfmt=fmt, missingval='—')}\n")
