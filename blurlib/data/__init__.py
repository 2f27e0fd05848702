"""Data: the CUHK benchmark (pairing, integrity, splits, download), synthetic partial blur, preprocessing.

:func:`open_dataset` is the entry point: it finds the data (explicit path, ``$BLURLIB_DATA``, ``data/CUHK``),
downloads them when asked, or makes the embedded synthetic set, and returns a scanned :class:`Benchmark`.
"""

from __future__ import annotations

import os
from pathlib import Path

from blurlib.data.cuhk import CATEGORIES, SPLITS, Benchmark, Pair, read_mask, scan
from blurlib.data.loader import PairDataset
from blurlib.data.preprocess import denormalize, normalize, resize_pair
from blurlib.data.source import ENV_VAR, OFFICIAL_ARCHIVES, Archive, download, find_root, missing_dataset_message
from blurlib.data.synthetic import make_synthetic
from blurlib.errors import BlurlibError
from blurlib.paths import project_root
from blurlib.profiles import SMOKE

SOURCES = ("auto", "cuhk", "synthetic")
"""``auto``: CUHK where found, else the synthetic set; ``cuhk``: CUHK or a clear error; ``synthetic``."""


def open_dataset(source: str = "auto", root: str | os.PathLike | None = None, *, allow_partial: bool = False,
                 download_missing: bool = False, profile=None, synthetic_n: int = 24, synthetic_size: int = 128,
                 seed: int = 0) -> Benchmark:
    """Find, check and scan the data named by ``source`` (see :data:`SOURCES`).

    Args:
        root: the folder holding the source's ``image/`` and ``gt/``. For ``cuhk`` and ``auto``, a CUHK copy
            (default ``$BLURLIB_DATA``, then ``data/CUHK``; a given root that is not one is an error, never a
            fall-back to the synthetic set). For ``synthetic``, the synthetic set's folder, made there if absent
            (default ``data/synthetic/n<N>-s<SIZE>-seed<SEED>``).
        allow_partial: accept a CUHK copy with images missing (reported in ``Benchmark.missing``).
        download_missing: for ``cuhk`` and ``auto``, download the official archives into ``root`` (default
            ``data/CUHK``) when no dataset is found there; never falls back to the synthetic set.
        profile: a training profile (:func:`blurlib.profiles.get`); when given, its ``synthetic_n`` and
            ``synthetic_size`` size the synthetic set (what the command line and the notebooks use), and ``auto``
            falls back to the synthetic set only for the ``smoke`` profile: any other profile is meant for the
            benchmark, and finding none is an error (ask for ``synthetic`` explicitly to train on it).
        synthetic_n, synthetic_size, seed: the synthetic set's size, image side and seed (without ``profile``).

    Example:
        >>> import tempfile
        >>> bench = open_dataset("synthetic", tempfile.mkdtemp(), synthetic_n=4, synthetic_size=32)
        >>> len(bench.pairs), bench.synthetic
        (4, True)
    """
    if source not in SOURCES:
        raise BlurlibError(f"unknown data source {source!r}: use one of {', '.join(SOURCES)}.")
    if profile is not None:
        synthetic_n, synthetic_size = profile.synthetic_n, profile.synthetic_size
    if source in ("auto", "cuhk"):
        if download_missing and root is not None and not (Path(root).expanduser() / "gt").is_dir():
            found = None  # --root X --download: X is where the download goes
        else:
            found = find_root(root)
        if found is None and (source == "cuhk" or download_missing):
            if not download_missing:
                raise BlurlibError(missing_dataset_message())
            found = download(Path(root).expanduser() if root is not None else None)
        if found is not None:
            return scan(found, allow_partial=allow_partial)
        if profile is not None and profile.name != SMOKE:
            raise BlurlibError(f"{missing_dataset_message()} Profile {profile.name} trains on the benchmark; to "
                               "run it on the synthetic set instead, ask for that source (--source synthetic).")
    folder = Path(root).expanduser() if root is not None else (
        project_root() / "data" / "synthetic" / f"n{synthetic_n}-s{synthetic_size}-seed{seed}")
    return scan(make_synthetic(folder, synthetic_n, synthetic_size, seed), synthetic=True)


__all__ = ["CATEGORIES", "ENV_VAR", "OFFICIAL_ARCHIVES", "SOURCES", "SPLITS", "Archive", "Benchmark", "BlurlibError",
           "Pair", "PairDataset", "denormalize", "download", "find_root", "make_synthetic", "normalize",
           "open_dataset", "read_mask", "resize_pair", "scan"]
