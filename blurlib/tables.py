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


def seed_spread(scores: dict[str, dict[int, dict]], metrics: tuple[str, ...] = METRICS) -> pd.DataFrame:
    """How far each row's numbers move with the training seed.

    ``scores``: ``{row: {seed: metrics dict}}`` (e.g. a run's ``metrics["ours"]["paper"]`` per seed). Columns per
    metric: ``<M> mean`` and ``<M> std`` over the seeds (sample standard deviation, ddof 1; NaN for one seed) and
    ``<M> range`` (max − min); then ``seeds`` (how many).

    >>> seed_spread({"V": {0: {"ods": 0.80}, 1: {"ods": 0.84}}}, ("ods",)).round(4).to_dict("records")
    [{'ODS mean': 0.82, 'ODS std': 0.0283, 'ODS range': 0.04, 'seeds': 2.0}]
    """
    rows = {}
    for name, per_seed in scores.items():
        row = {}
        for m in metrics:
            values = pd.Series([s[m] for s in per_seed.values()], dtype=float)
            row |= {f"{m.upper()} mean": values.mean(), f"{m.upper()} std": values.std(ddof=1),
                    f"{m.upper()} range": values.max() - values.min()}
        rows[name] = row | {"seeds": len(per_seed)}
    return pd.DataFrame(rows).T.astype(float)


def paired_differences(a: dict[int, dict], b: dict[int, dict], metrics: tuple[str, ...] = METRICS) -> pd.DataFrame:
    """``a − b`` seed by seed, on the seeds both have: rows = seeds, columns = metrics (upper case).

    >>> paired_differences({0: {"ods": 0.8}, 1: {"ods": 0.9}}, {0: {"ods": 0.7}, 2: {"ods": 0.1}}, ("ods",)).round(3)
          ODS
    seed     
    0     0.1
    """
    seeds = sorted(set(a) & set(b))
    df = pd.DataFrame({m.upper(): [a[s][m] - b[s][m] for s in seeds] for m in metrics}, index=seeds, dtype=float)
    df.index.name = "seed"
    return df
