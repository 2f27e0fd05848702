"""The paper's tables as DataFrames: our numbers beside the paper's, which is labelled as a reference column."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

import pandas as pd

from blurlib.io import atomic_write

METRICS = ("ods", "ois", "ap")


@cache
def paper() -> dict:
    """The paper's reported numbers (``blurlib/paper.toml``): ``{"table2": {"V": [ods, ois, ap]}, …}``."""
    return tomllib.loads(resources.files("blurlib").joinpath("paper.toml").read_text())


def ours_column(metric: str, protocol: str = "paper") -> str:
    """The column of our number for ``metric`` under ``protocol``, e.g. ``ODS ours (paper protocol)``.

    >>> ours_column("ods", "pooled")
    'ODS ours (pooled protocol)'
    """
    return f"{metric.upper()} ours ({protocol} protocol)"


def compare(ours: dict[str, dict], table: str, paper_names: dict[str, str] | None = None,
            protocol: str = "paper") -> pd.DataFrame:
    """Rows = methods; columns :func:`ours_column` (ODS/OIS/AP from ``ours[name]``, a metrics dict of ``protocol``)
    and ``… (paper)``, the paper's reported numbers (its own protocol).

    ``paper_names`` maps our row names to the paper's where they differ (e.g. ``{"DBM (config V)": "DBM"}``).
    Methods the paper does not report get empty paper cells. A metrics dict of another protocol is an error.
    """
    ref = paper()[table]
    rows = {}
    for name, m in ours.items():
        if m.get("protocol", protocol) != protocol:
            raise ValueError(f"{name}: metrics of the {m['protocol']} protocol in a {protocol}-protocol table")
        key = (paper_names or {}).get(name, name)
        row = {ours_column(k, protocol): m[k] for k in METRICS}
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
