"""Scoring blur maps against benchmark masks: from a model, a folder of map PNGs, or any map function."""

from __future__ import annotations

import csv
import json
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
from tqdm import tqdm

from blurlib import checkpoint, metrics, outputs, runtime
from blurlib.apps import GUIDED_EPS, GUIDED_RADIUS, guided_refine, iou, segment
from blurlib.baselines import METHODS
from blurlib.baselines import get as get_baseline
from blurlib.data import Benchmark, Pair, scan
from blurlib.data.cuhk import is_benchmark_name, read_mask
from blurlib.data.preprocess import DEFAULT_SIZE, resize_pair
from blurlib.errors import BlurlibError
from blurlib.io import atomic_write, read_grey, write_json, write_png
from blurlib.metrics import Counts, FineCurve, pr_table
from blurlib.paths import portable
from blurlib.predict import TTA, predict_map, to_png
from blurlib.provenance import provenance

GUIDED_SUFFIX = "_guided"
"""A run's maps folder: ``<name>.png`` is the model's map, ``<name>_guided.png`` the same map refined by
:func:`blurlib.apps.guided_refine`."""
HIFST_DIR = ("baselines", "hifst")
"""Where a dataset root keeps the official HiFST maps (``<name>_HiFSTBlurMap.png``, 255 = sharp), if anywhere."""


def count(pairs: Sequence[Pair], map_of: Callable[[Pair], np.ndarray], progress: bool = False) -> Counts:
    """Per-image threshold counts of ``map_of(pair)`` (float (H, W) in [0, 1] or uint8) against each pair's mask."""
    c = Counts()
    with tqdm(pairs, disable=not progress, desc="evaluate", unit="img") as bar:
        for p in bar:
            c.add(map_of(p), read_mask(p.mask), p.name)
    return c


def map_folder(folder: Path, invert: bool = False, suffix: str = "") -> Callable[[Pair], np.ndarray]:
    """A ``map_of`` reading ``folder/<name><suffix>.png`` as 8-bit maps (16-bit scaled); ``invert``: 1 − map.

    A missing map is a :class:`BlurlibError` naming the file. ``map_of.peak`` is the largest value read so far
    (before ``invert``), for :func:`check_map_scale`.
    """
    folder = Path(folder)
    if folder.is_file():
        raise BlurlibError(f"{folder}: is a file; --pred takes the folder of maps (one PNG per image, named as its mask).")
    if not folder.is_dir():
        raise BlurlibError(f"{folder}: prediction folder not found.")
    if not any(folder.iterdir()):
        raise BlurlibError(f"{folder}: prediction folder is empty. Run `blurlib predict` into it first.")

    def map_of(p: Pair) -> np.ndarray:
        path = folder / f"{p.name}{suffix}.png"
        if not path.exists():
            other = sorted(folder.glob(f"{p.name}{suffix}.*"))
            if other:
                raise BlurlibError(f"{other[0]}: maps are read as PNG (8- or 16-bit grey, 255 = blurred), not "
                                   f"{other[0].suffix}; save the maps as PNG.")
            named = sorted(folder.glob(f"{p.name}?*.png"))  # e.g. out_of_focus0002_HiFSTBlurMap.png
            if named and not suffix:
                hint = named[0].stem[len(p.name):]
                raise BlurlibError(f"{path}: no prediction for mask {p.mask}, but {named[0].name} is there; pass "
                                   f"--suffix {hint} if your maps' names end so.")
            raise BlurlibError(f"{path}: no prediction for mask {p.mask}. Predict every image of the split; where "
                               "your copy lacks some images, score the maps of those present with --category (e.g. "
                               "defocus) or a smaller --split.")
        q = read_grey(path, single_channel=True)
        map_of.peak = max(map_of.peak, int(q.max()) if q.size else 0)
        return 255 - q if invert else q

    map_of.peak = -1
    return map_of


def check_map_scale(map_of: Callable[[Pair], np.ndarray], folder: Path) -> None:
    """A :class:`BlurlibError` when every map a :func:`map_folder` reader read holds only the values 0 and 1 (1 in
    some).

    That is the usual mistake of saving probabilities in [0, 1] (or a 0/1 mask) as 8-bit PNG: each map would be
    scored as an (almost) all-sharp map, with meaningless numbers. Maps are 0..255, 255 = blurred.
    """
    if getattr(map_of, "peak", -1) == 1:  # all zero is a map calling every pixel sharp: scored as it is
        raise BlurlibError(f"{folder}: every map holds only the values 0 and 1, i.e. probabilities or a 0/1 mask "
                           "saved as 8-bit PNG; nothing was scored. Save maps as 0..255 (255 = blurred), e.g. "
                           "np.rint(p * 255).astype(np.uint8), or with `blurlib predict`.")


def score_folder(pred: Path, gt: Path, *, split: str = "test", category: str | None = None, invert: bool = False,
                 suffix: str = "", allow_partial: bool = False) -> Counts:
    """Counts of the maps of folder ``pred`` (``<name><suffix>.png``, 255 = blurred; ``invert``: 255 = sharp) against
    the masks of dataset root ``gt`` (only its ``gt/`` is needed) in ``split`` and ``category``.

    ``allow_partial``: score only the masks that have a map (a copy of the benchmark lacking images has no maps of
    them), said on stderr with how many; without it a mask without a map is an error that says how many lack one.

    A root without ``gt/``, a selection without masks, a missing map or maps saved as 0/1 is a :class:`BlurlibError`
    naming the folder or file.
    """
    if not (Path(gt) / "gt").is_dir():
        raise BlurlibError(f"{gt}: not a dataset root (no gt/ folder inside). Pass the folder holding gt/.")
    masks = scan(gt, allow_partial=True, verify=False, masks_only=True)
    pairs = masks.select_masks(split, category)
    if not pairs:
        raise BlurlibError(f"{gt}: no masks in split {split!r}, category {category!r}.")
    have = [p for p in pairs if (Path(pred) / f"{p.name}{suffix}.png").is_file()]
    if have and len(have) < len(pairs):
        if not allow_partial:
            lacking = next(p for p in pairs if p not in have)
            raise BlurlibError(f"{Path(pred) / (lacking.name + suffix + '.png')}: no prediction for mask {lacking.mask}, "
                               f"nor for {len(pairs) - len(have) - 1} more of the {len(pairs)} masks of the selection. "
                               "Predict them, or pass --allow-partial to score only the "
                               f"{len(have)} masks that have a map.")
        print(f"note: scoring the {len(have)} of {len(pairs)} masks of the selection that have a map in {pred} "
              "(--allow-partial)", file=sys.stderr)
        pairs = have
    maps = map_folder(pred, invert=invert, suffix=suffix)
    c = count(pairs, maps)
    check_unmatched(pred, suffix, {p.name for p in masks.select_masks("all")}, Path(gt) / "gt", len(pairs))
    check_map_scale(maps, pred)
    check_polarity(c, pred, invert)
    check_range(c, pred)
    return c


INVERTED_AUC = 0.35
"""A folder of maps whose mean per-image AUC (:func:`blurlib.metrics.mean_auc`) is below this ranks sharp pixels
above blurred ones on most images: it is scored as given, with a warning that its maps look inverted."""


def check_polarity(c: Counts, folder: Path, invert: bool) -> float:
    """Warn (one line naming ``folder`` and the option) when the maps look like the other polarity; return the AUC."""
    auc = metrics.mean_auc(c)
    if auc < INVERTED_AUC:
        now, other = ("255 = sharp (--invert)", "drop --invert") if invert else ("255 = blurred", "pass --invert")
        warnings.warn(f"{folder}: the maps rank sharp pixels above blurred ones (mean per-image AUC {auc:.2f}), as "
                      f"maps of the other polarity would; scored as {now}. If 255 means the other, {other}.",
                      stacklevel=2)
    return auc


def check_unmatched(pred: Path, suffix: str, mask_names: set[str], gt_dir: Path, scored: int) -> list[str]:
    """Warn (one line naming both folders) when ``pred`` holds maps of benchmark images (``<name><suffix>.png``) with
    no mask at all in ``gt_dir`` — a copy of the masks that lacks some, say — since they are left out of the score;
    return their file names."""
    tail = f"{suffix}.png"
    stems = (p.name[:-len(tail)] for p in Path(pred).glob(f"*{tail}"))  # benchmark names only: no overlays, no others
    lacking = sorted(f"{s}{tail}" for s in stems if is_benchmark_name(s) and s not in mask_names)
    if lacking:
        warnings.warn(f"{pred}: {len(lacking)} map(s) have no mask in {gt_dir} (e.g. {lacking[0]}) and are not "
                      f"scored; the score covers the {scored} masks found. Add the missing masks to score them.",
                      stacklevel=2)
    return lacking


SHORT_RANGE_LEVELS = 3
"""Maps that leave this many of the 256 thresholds empty (:func:`blurlib.metrics.levels_never_reached`) get a
warning: the paper protocol's AP may be raised by about that number / 256 (over 0.01) by the range alone."""


def check_range(c: Counts, folder: Path) -> int:
    """Warn (one line naming ``folder``) when the maps never reach the top levels, which raises the paper protocol's AP
    (:func:`blurlib.metrics.levels_never_reached`); return how many thresholds are empty."""
    n = metrics.levels_never_reached(c)
    if n >= SHORT_RANGE_LEVELS:
        warnings.warn(f"{folder}: no map reaches level {metrics.LEVELS - n} of 255, so {n} of the 256 thresholds call "
                      f"no pixel blurred and the paper protocol's AP counts precision 1 there (up to +{n / 256:.3f}); "
                      "stretch the maps to span [0, 255] before comparing AP, or compare --protocol pooled.",
                      stacklevel=2)
    return n


def write_pr_csv(path: Path, c: Counts) -> None:
    """The PR curves of :func:`blurlib.metrics.pr_table` as CSV (one row per threshold)."""
    table = pr_table(c)
    with atomic_write(path, "w") as f:
        w = csv.writer(f)
        w.writerow(table)
        for row in zip(*table.values()):
            w.writerow([f"{v:.6g}" for v in row])


def read_pr_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """(recall, precision) of the pooled curve in a CSV written by :func:`write_pr_csv`."""
    df = pd.read_csv(path)
    return df["recall"].to_numpy(), df["precision"].to_numpy()


PR_FULL = "pr_full.csv"
"""A run's full-range pooled PR curve (thresholds in logit space, :class:`blurlib.metrics.FineCurve`)."""


def write_pr_full_csv(path: Path, curve: FineCurve) -> None:
    """The full-range curve of :meth:`FineCurve.table` as CSV, one row per threshold where the curve moves."""
    table = curve.table()
    moves = np.r_[True, np.any([np.diff(table[k]) != 0 for k in
                                ("recall", "precision", "recall_image_mean", "precision_image_mean")], axis=0)]
    with atomic_write(path, "w") as f:
        w = csv.writer(f)
        w.writerow(table)
        for row in zip(*(v[moves] for v in table.values())):
            w.writerow([f"{v:.6g}" for v in row])


def run_curve(run_dir: Path, name: str = "pr", per_image: bool = False) -> tuple[np.ndarray, np.ndarray, bool]:
    """(recall, precision, full) of a run's curve: the full-range ``<name>_full.csv`` when the run has it (``full``
    True), else the 8-bit ``<name>.csv``, whose recall stops where the maps saturate at level 255.

    ``per_image``: the per-image averaged curve (columns ``*_image_mean``) instead of the pooled one.
    """
    full = Path(run_dir) / f"{name}_full.csv"
    df = pd.read_csv(full if full.is_file() else Path(run_dir) / f"{name}.csv")
    suffix = "_image_mean" if per_image else ""
    if f"recall{suffix}" not in df:
        raise BlurlibError(f"{full}: written before it held the per-image averaged curve; write it again "
                           f"(scripts/pr_full.py {Path(run_dir).name}).")
    return df[f"recall{suffix}"].to_numpy(), df[f"precision{suffix}"].to_numpy(), full.is_file()


def full_range_curve(model, convention: str, pairs: Sequence[Pair], size: int | None, device: str | None = None,
                     progress: bool = False) -> FineCurve:
    """The full-range PR curves of ``model`` on ``pairs`` (pooled and per-image averaged, :class:`FineCurve`): logit
    maps, input at ``size``², map at the mask's size."""
    curve = FineCurve()
    for p in tqdm(pairs, disable=not progress, desc="full-range PR", unit="img"):
        image, mask = p.load()
        curve.add(predict_map(model, image, size=size, convention=convention, device=device, logits=True), mask, p.name)
    return curve


def write_run_pr_full(run_dir: Path, pairs: Sequence[Pair], weights: Path | None = None, progress: bool = True,
                      device: str | None = None) -> Path:
    """Write ``run_dir``/pr_full.csv for a run with weights (``weights``, else its model.pt or model_fp16.pt), on the
    test images its metrics.json was scored on (the same names, in the same order; else a :class:`BlurlibError`)."""
    run_dir = Path(run_dir)
    found = [weights] if weights else [run_dir / "model.pt", run_dir / "model_fp16.pt"]
    path = next((Path(w) for w in found if w and Path(w).is_file()), None)
    if path is None:
        raise BlurlibError(f"{run_dir}: no weights (model.pt or model_fp16.pt); re-run the experiment "
                           f"(scripts/run_experiments.py --only {run_dir.name}) or pass the weights file.")
    scored = json.loads((run_dir / "metrics.json").read_text())
    by_name = {p.name: p for p in pairs}
    missing = [n for n in scored["names"] if n not in by_name]
    if missing:
        raise BlurlibError(f"{run_dir / 'metrics.json'}: scored on {len(missing)} images not in this dataset "
                           f"(e.g. {missing[0]}); point BLURLIB_DATA at the data it was scored on.")
    model, ckpt = checkpoint.load_model(path)
    size = scored.get("test_size") or ckpt["meta"]["profile"]["size"]
    curve = full_range_curve(model, ckpt["convention"], [by_name[n] for n in scored["names"]], size, device, progress)
    write_pr_full_csv(run_dir / PR_FULL, curve)
    return run_dir / PR_FULL


def model_maps(model, convention: str, size: int | None, precision: str = "auto",
               device: str | None = None) -> Callable[[Pair], np.ndarray]:
    """A ``map_of`` predicting each pair's image with ``model`` (input resized to ``size``, map at mask size)."""
    return lambda p: predict_map(model, p.load()[0], size=size, convention=convention, precision=precision,
                                 device=device)


def official_hifst(root: Path) -> Path | None:
    """The folder of official HiFST maps in dataset ``root`` (``ROOT/baselines/hifst``), or None where there is none."""
    folder = Path(root).joinpath(*HIFST_DIR)
    return folder if folder.is_dir() else None


def official_hifst_maps(folder: Path) -> Callable[[Pair], np.ndarray]:
    """A ``map_of`` reading the official HiFST maps of ``folder`` as uint8 blur maps (255 = blurred)."""
    return map_folder(folder, invert=True, suffix="_HiFSTBlurMap")


def evaluate_run(run_dir: Path, pairs: Sequence[Pair], *, size: int | None = None, n_maps: int = 6,
                 hifst: Path | None = None, progress: bool = True, device: str | None = None,
                 precision: str = "auto", weights: Path | None = None, full_range: bool = True,
                 tta: str = "none", overwrite: bool = False) -> dict:
    """Score the model of ``run_dir`` on ``pairs`` with both protocols; write metrics.json, pr.csv, a few maps and
    (``full_range``) pr_full.csv, the pooled curve over the whole recall range (a second pass, on logits).

    ``tta`` (:data:`blurlib.predict.TTA`): test-time augmentation; its scores go to ``metrics_tta-<tta>.json`` and
    ``pr_tta-<tta>.csv`` beside the run's own (:func:`tta_suffix`), which stay as they are; no maps, no full range.

    metrics.json: ``ours`` (the model's maps), ``guided`` (the same maps refined with the image's edges by
    :func:`blurlib.apps.guided_refine`, a training-free baseline; its settings under ``guided_settings``) and,
    with ``hifst``, ``hifst_official``; each under both protocols (:func:`blurlib.metrics.summarize`). The maps
    folder holds ``<name>.png`` and ``<name>_guided.png`` for ``n_maps`` test images.

    ``size``: test input side (default: the run's training size). ``hifst``: a folder of official HiFST maps
    (``<name>_HiFSTBlurMap.png``, 255 = sharp) scored on exactly the same images for a fair side-by-side row.
    ``device``, ``precision``: where and how the model runs (:mod:`blurlib.runtime`); metrics.json records both
    (the device by name, the precision as resolved, e.g. ``auto`` -> ``bf16``).
    ``weights``: the checkpoint to score (default :func:`run_weights`); metrics.json names it.

    A scoring already in the run (:func:`scoring_files` of the same ``tta``) is refused unless ``overwrite``; then it
    is replaced whole (:func:`blurlib.outputs.set_aside`), none of its files left beside the new ones. The scorings
    of a run (plain and each ``tta``) share their test images: one made on other images is refused, or with
    ``overwrite`` removed with the one replaced. The run folder
    is locked while it is scored.
    """
    run_dir = Path(run_dir)
    found = outputs.existing_result(run_dir, scoring_files(tta_suffix(tta)))
    if not overwrite:
        outputs.refuse_existing(run_dir, found, "a scoring" + (f" with --tta {tta}" if tta != "none" else ""))
    names = [p.name for p in pairs]
    for other in (t for t in TTA if t != tta):  # a run's scorings share their test images
        held = run_dir / f"metrics{tta_suffix(other)}.json"
        try:
            scored = json.loads(held.read_text()).get("names") if held.is_file() else names
        except (OSError, ValueError):
            scored = None
        if scored != names:
            if not overwrite:
                raise BlurlibError(
                    f"{run_dir}: its scoring {held.name} was made on other test images ({len(scored or [])} images, "
                    f"these are {len(names)}); a run's scorings share their test images, nothing was written. Pass "
                    "--overwrite to replace them all, or score the same split.")
            found += outputs.existing_result(run_dir, scoring_files(tta_suffix(other)))  # replaced with it
    with outputs.locked(run_dir), outputs.set_aside(run_dir, found):
        return _evaluate_run(run_dir, pairs, size=size, n_maps=n_maps, hifst=hifst, progress=progress, device=device,
                             precision=precision, weights=weights, full_range=full_range, tta=tta)


def scoring_files(suffix: str) -> list[str]:
    """The files (and the maps folder) one scoring of a run writes: ``metrics<suffix>.json`` and what comes with it.

    >>> scoring_files("_tta-flip")
    ['metrics_tta-flip.json', 'metrics_tta-flip.diff', 'pr_tta-flip.csv']
    """
    own = [f"metrics{suffix}.json", f"metrics{suffix}.diff", f"pr{suffix}.csv"]
    return own if suffix else [*own, PR_FULL, "pr_hifst_official.csv", "maps"]


def _evaluate_run(run_dir: Path, pairs: Sequence[Pair], *, size: int | None, n_maps: int, hifst: Path | None,
                  progress: bool, device: str | None, precision: str, weights: Path | None, full_range: bool,
                  tta: str) -> dict:
    """:func:`evaluate_run` once the run folder is locked and any previous scoring set aside."""
    weights = Path(weights) if weights else run_weights(run_dir)
    model, ckpt = checkpoint.load_model(weights)
    suffix = tta_suffix(tta)
    if suffix:
        n_maps, full_range = 0, False
    size = size or ckpt["meta"]["profile"]["size"]
    dev, prec = runtime.select(device, precision)
    shown = {p.name for p in pairs[:: max(1, len(pairs) // n_maps)][:n_maps]} if n_maps else set()
    guided = Counts()

    def map_of(p: Pair) -> np.ndarray:
        image, mask = p.load()
        m = predict_map(model, image, size=size, convention=ckpt["convention"], precision=prec, device=dev, tta=tta)
        g = guided_refine(image, m)
        guided.add(g, mask, p.name)
        if p.name in shown:
            write_png(run_dir / "maps" / f"{p.name}.png", to_png(m))
            write_png(run_dir / "maps" / f"{p.name}{GUIDED_SUFFIX}.png", to_png(g))
        return m

    c = count(pairs, map_of, progress=progress)
    if full_range:
        write_pr_full_csv(run_dir / PR_FULL, full_range_curve(model, ckpt["convention"], pairs, size, device=dev))
    result = {"test_images": len(c), "test_size": size, "device": runtime.describe(dev), "precision": prec,
              "names": c.names,
              "ours": {proto: metrics.summarize(c, proto) for proto in metrics.PROTOCOLS},
              "guided": {proto: metrics.summarize(guided, proto) for proto in metrics.PROTOCOLS},
              "guided_settings": {"radius": GUIDED_RADIUS, "eps": GUIDED_EPS},
              "best_f_per_image": metrics.best_f_per_image(c)}
    if hasattr(model, "fusion_weights"):
        result["fusion_weights"] = model.fusion_weights
    result["weights"] = portable(weights)
    if suffix:
        result["tta"] = tta
    write_pr_csv(run_dir / f"pr{suffix}.csv", c)
    if hifst is not None and Path(hifst).is_dir() and not suffix:
        h = count(pairs, official_hifst_maps(hifst))
        result["hifst_official"] = {proto: metrics.summarize(h, proto) for proto in metrics.PROTOCOLS}
        write_pr_csv(run_dir / "pr_hifst_official.csv", h)
    result["provenance"] = provenance(result=run_dir / f"metrics{suffix}.json")  # dirty tree: its diff beside
    write_json(run_dir / f"metrics{suffix}.json", result)
    return result


def run_weights(run_dir: Path) -> Path:
    """The weights of a run: ``model.pt`` (a run trained here), else ``model_fp16.pt`` (a published shipped model)."""
    run_dir = Path(run_dir)
    full, half = run_dir / "model.pt", run_dir / "model_fp16.pt"
    return half if not full.is_file() and half.is_file() else full


def tta_suffix(tta: str) -> str:
    """The file-name suffix of scores made with test-time augmentation ``tta``: none for ``none``.

    >>> tta_suffix("none"), tta_suffix("flip")
    ('', '_tta-flip')
    """
    if tta not in TTA:
        raise BlurlibError(f"--tta {tta}: use one of {', '.join(TTA)}.")
    return "" if tta == "none" else f"_tta-{tta}"


def baseline_maps(name: str, size: int | None = DEFAULT_SIZE) -> Callable[[Pair], np.ndarray]:
    """A ``map_of`` running hand-crafted baseline ``name`` on each image resized to ``size``² (the paper's test size;
    None: original size), the map resized back to the mask's size."""
    method = get_baseline(name)

    def map_of(p: Pair) -> np.ndarray:
        image = p.load()[0]
        m = method(resize_pair(image, None, size)[0] if size else image)
        return np.clip(cv2.resize(m, (image.shape[1], image.shape[0]), interpolation=cv2.INTER_LINEAR), 0, 1)

    return map_of


def segmentation_iou(pairs: Sequence[Pair], methods: dict[str, Callable[[Pair], np.ndarray]]) -> dict[str, list[float]]:
    """IoU with the mask of the GrabCut segmentation (paper Fig. 10) initialised from each method's map, per image."""
    out: dict[str, list[float]] = {name: [] for name in methods}
    for p in pairs:
        image, mask = p.load()
        for name, map_of in methods.items():
            out[name].append(iou(segment(image, map_of(p)), mask))
    return out


def score_methods(pairs: Sequence[Pair], methods: dict[str, Callable[[Pair], np.ndarray]], out_dir: Path,
                  progress: bool = True, write_metrics: bool = True) -> dict:
    """Score each method's maps on ``pairs`` (both protocols); write ``out_dir``/pr_<method>.csv and, unless
    ``write_metrics`` is False (the caller adds to the result and writes it), ``out_dir``/metrics.json."""
    out_dir = Path(out_dir)
    result = {"n_images": len(pairs), "names": [p.name for p in pairs], "methods": {}}
    for name, map_of in methods.items():
        c = count(pairs, map_of, progress=progress)
        result["methods"][name] = {proto: metrics.summarize(c, proto) for proto in metrics.PROTOCOLS}
        write_pr_csv(out_dir / f"pr_{name}.csv", c)
    result["provenance"] = provenance(result=out_dir / "metrics.json")  # the caller writes it there otherwise
    if write_metrics:
        write_json(out_dir / "metrics.json", result)
    return result


def read_metrics(path: Path) -> dict:
    """A scoring's ``metrics.json``, or a :class:`BlurlibError` naming it when it is not readable JSON."""
    try:
        result = json.loads(Path(path).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise BlurlibError(f"{path}: not a readable metrics file ({e}); nothing was written. Re-score all methods "
                           "with --overwrite instead of --update.") from e
    if not isinstance(result, dict) or not isinstance(result.get("methods"), dict):
        raise BlurlibError(f"{path}: holds no scores of methods; nothing was written. Re-score all methods with "
                           "--overwrite instead of --update.")
    return result


def check_same_images(previous: dict, names: list[str], path: Path) -> None:
    """A :class:`BlurlibError` naming ``path`` unless its metrics (``previous``) were scored on ``names``."""
    before = previous.get("names") or []
    if before != names:
        only_before = sorted(set(before) - set(names))
        only_now = sorted(set(names) - set(before))
        what = (f"{len(before)} images there, {len(names)} now" if len(before) != len(names) else
                f"e.g. {only_before[0]} there, {only_now[0]} now" if only_before and only_now else "in another order")
        raise BlurlibError(f"{path}: scored on other images than this run ({what}); re-score all methods into a new "
                           "--out folder instead of --update.")


def merge_rescored(previous: dict, result: dict, path: Path) -> dict:
    """``result`` (a re-scoring of some methods) merged into ``previous`` (the metrics.json at ``path``).

    Methods of ``result`` replace the previous entries; the others are kept, as are the previous provenance and any
    HiFST agreement not recomputed; ``rescored`` lists each re-scoring's methods and provenance. Both must be scored
    on the same images (:func:`check_same_images`).
    """
    check_same_images(previous, result["names"], path)
    merged = {**result, **{k: v for k, v in previous.items() if k not in ("methods", "hifst_agreement")}}
    merged["methods"] = {**previous["methods"], **result["methods"]}
    agreement_now = result.get("hifst_agreement", previous.get("hifst_agreement"))
    if agreement_now is not None:
        merged["hifst_agreement"] = agreement_now
    merged["rescored"] = [*previous.get("rescored", []),
                          {"methods": sorted(result["methods"]), "provenance": result["provenance"]}]
    return merged


def agreement(pairs: Sequence[Pair], a: Callable[[Pair], np.ndarray], b: Callable[[Pair], np.ndarray]) -> list[float]:
    """Per-image Pearson correlation between two methods' maps (e.g. our HiFST and the official maps)."""
    out = []
    for p in pairs:
        x, y = np.asarray(a(p), np.float64).ravel(), np.asarray(b(p), np.float64).ravel()
        out.append(float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else 0.0)
    return out


def is_baseline_file(name: str) -> bool:
    """Whether an entry of a folder is part of baseline scores (:func:`score_baselines` writes ``metrics.json``,
    ``pr_<method>.csv`` and, from a tree with uncommitted changes, its diff)."""
    return name == "metrics.json" or (name.startswith("pr_") and name.endswith(".csv")) or name.endswith(".diff")


def check_baseline_folder(out_dir: str | os.PathLike) -> None:
    """A :class:`BlurlibError` when ``out_dir`` is no place for baseline scores: a folder holding anything but baseline
    scores (:func:`is_baseline_file`: another command's maps, a user's notes), a training run's folder (it holds
    ``run.json``; its own ``metrics.json`` would be replaced, and ``blurlib publish`` would ship the baselines as the
    run's scores), or a folder whose ``metrics.json`` is another kind of result (not baseline scores, which name their
    ``methods``). ``--overwrite`` does not lift it: it replaces baseline scores, never another command's result."""
    out = Path(out_dir)
    if (out / "run.json").is_file():
        raise BlurlibError(f"{out}: holds a training run (run.json); nothing was written. Write baseline scores into "
                           "a folder of their own (e.g. --out runs/baselines_even).")
    foreign = sorted(p.name for p in out.iterdir() if not is_baseline_file(p.name)) if out.is_dir() else []
    if foreign:
        names = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
        raise BlurlibError(f"{out}: holds {names}, which baseline scores do not; nothing was written. Write baseline "
                           "scores into a folder of their own (e.g. --out runs/baselines_even).")
    metrics = out / "metrics.json"
    if metrics.is_file():
        try:
            other = not isinstance(held := json.loads(metrics.read_text()), dict) or "methods" not in held
        except (OSError, ValueError):
            other = False  # unreadable: --update names it, --overwrite replaces it
        if other:
            raise BlurlibError(f"{metrics}: is not a baseline scoring (no 'methods'); nothing was written. Write "
                               "baseline scores into a folder of their own.")


def score_baselines(bench: Benchmark, pairs: Sequence[Pair], methods: Sequence[str], out_dir: Path, *,
                    size: int | None = DEFAULT_SIZE, agreement_images: int = 50, update: bool = False,
                    progress: bool = True) -> dict:
    """Score the hand-crafted baselines ``methods`` (names in :data:`blurlib.baselines.METHODS`) on ``pairs`` of
    ``bench``, on images resized to ``size``² (None or 0: original size), beside the official HiFST maps where the
    dataset has them (:func:`official_hifst`). Writes ``out_dir``/pr_<method>.csv and ``out_dir``/metrics.json
    (both protocols per method, the data, provenance); returns the metrics.

    ``agreement_images``: on that many images, the per-image Pearson correlation of our HiFST with the official maps
    (``hifst_agreement``; 0: skip). ``update``: re-score only ``methods`` and keep the other methods of the existing
    metrics.json, which must be scored on the same images (checked before any file is rewritten).
    """
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise BlurlibError(f"unknown baseline(s) {', '.join(sorted(unknown))}: use {', '.join(METHODS)}.")
    metrics_path = Path(out_dir) / "metrics.json"
    previous = read_metrics(metrics_path) if update and metrics_path.exists() else None
    if previous is not None:
        check_same_images(previous, [p.name for p in pairs], metrics_path)
        before = previous.get("size", DEFAULT_SIZE)  # scorings without the record were all made at the default
        if before != (size or None):
            raise BlurlibError(f"{metrics_path}: scored at --size {before or 0}, not {size or 0}; re-score with the "
                               "same --size, or all methods into a new --out folder.")
    maps = {name: baseline_maps(name, size or None) for name in methods}
    official = official_hifst(bench.root)
    if official is not None:
        hifst_official = official_hifst_maps(official)
        maps["HiFST (official maps)"] = lambda p: hifst_official(p).astype(np.float32) / 255.0
    result = score_methods(pairs, maps, out_dir, progress=progress, write_metrics=False)
    result["data"] = bench.description
    result["size"] = size or None  # every method's images resized to size² (None: original size)
    if official is not None and "HiFST" in methods and agreement_images:
        some = pairs[:: max(1, len(pairs) // agreement_images)][:agreement_images]
        r = agreement(some, maps["HiFST"], maps["HiFST (official maps)"])
        result["hifst_agreement"] = {"pearson_mean": float(np.mean(r)), "pearson_median": float(np.median(r)),
                                     "per_image": {p.name: v for p, v in zip(some, r)}}
    if previous is not None:
        result = merge_rescored(previous, result, metrics_path)
    write_json(metrics_path, result)
    return result
