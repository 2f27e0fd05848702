"""Scoring blur maps against benchmark masks: from a model, a folder of map PNGs, or any map function."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from blurlib.data import Pair
from blurlib.data.cuhk import read_mask
from blurlib.errors import BlurlibError
from blurlib.io import atomic_write, read_grey
from blurlib.metrics import Counts, pr_table


def count(pairs: Sequence[Pair], map_of: Callable[[Pair], np.ndarray], progress: bool = False) -> Counts:
    """Per-image threshold counts of ``map_of(pair)`` (float (H, W) in [0, 1] or uint8) against each pair's mask."""
    c = Counts()
    for p in tqdm(pairs, disable=not progress, desc="evaluate", unit="img"):
        c.add(map_of(p), read_mask(p.mask), p.name)
    return c


def map_folder(folder: Path, invert: bool = False, suffix: str = "") -> Callable[[Pair], np.ndarray]:
    """A ``map_of`` reading ``folder/<name><suffix>.png`` as 8-bit maps (16-bit scaled); ``invert``: 1 − map.

    A missing map is a :class:`BlurlibError` naming the file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise BlurlibError(f"{folder}: prediction folder not found.")
    if not any(folder.iterdir()):
        raise BlurlibError(f"{folder}: prediction folder is empty. Run `blurlib predict` into it first.")

    def map_of(p: Pair) -> np.ndarray:
        path = folder / f"{p.name}{suffix}.png"
        if not path.exists():
            raise BlurlibError(f"{path}: no prediction for mask {p.mask}. Predict every test image, or evaluate "
                               "a smaller split.")
        q = read_grey(path)
        return 255 - q if invert else q

    return map_of


def write_pr_csv(path: Path, c: Counts) -> None:
    """The PR curves of :func:`blurlib.metrics.pr_table` as CSV (one row per threshold)."""
    table = pr_table(c)
    with atomic_write(path, "w") as f:
        w = csv.writer(f)
        w.writerow(table)
        for row in zip(*table.values()):
            w.writerow([f"{v:.6g}" for v in row])
