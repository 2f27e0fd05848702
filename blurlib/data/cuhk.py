"""The CUHK blur detection benchmark (Shi, Xu, Jia, CVPR 2014): pairing, integrity, splits.

Layout of a dataset root (what the two official archives unpack to)::

    ROOT/image/motion0001.jpg ... out_of_focus0704.jpg    (1000 images)
    ROOT/gt/motion0001.png    ... out_of_focus0704.png    (1000 masks, 255 = blurred)

Images and masks are paired by file stem; extensions are matched case-insensitively. The paper's split:
train D_o = odd index, test D_e = even index, within both categories.
"""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

import numpy as np

from blurlib.errors import BlurlibError
from blurlib.io import IMAGE_SUFFIXES, ColourImage, file_sha256, image_size, read_grey, read_rgb
from blurlib.paths import portable

CATEGORIES = {"motion": "motion", "defocus": "out_of_focus"}
"""Category name -> file-name prefix."""

SPLITS = ("odd", "even", "all", "train", "test", "defocus604", "defocus100", "moredata-train-K", "moredata-test-K")
"""``odd`` = D_o, ``even`` = D_e; ``train``/``test`` are the paper's default roles (D_o / D_e).

``defocus604``/``defocus100``: the later defocus-detection split (604 train / 100 test defocus images, the test list
of D-DFFNet's public ``split.txt``, shipped as ``defocus_test100.txt``). ``moredata-train-K``/``moredata-test-K``
(K = 0, 1, ...): the CVPR version's more-data experiment scaled to the images present: trial K moves a random
:data:`MOREDATA_FRACTION` of D_e (seeded with K, drawn from the sorted names present) into training with D_o and
tests on the rest of D_e (the paper: 400 of 500, 5 trials).
"""

MOREDATA_FRACTION = 0.8
_MOREDATA = re.compile(r"^moredata-(train|test)-(\d+)$")

_NAME = re.compile(r"^(motion|out_of_focus)(\d{4})$")


@dataclass(frozen=True)
class Pair:
    """One benchmark item: a mask and, when present, its image."""

    name: str
    category: str  # "motion" | "defocus"
    index: int  # the NNNN of the file name
    mask: Path
    image: Path | None

    @property
    def parity(self) -> str:
        """``odd`` (D_o) or ``even`` (D_e)."""
        return "odd" if self.index % 2 else "even"

    def load(self) -> tuple[np.ndarray, np.ndarray]:
        """(image uint8 (H, W, 3) RGB, mask bool (H, W), True = blurred)."""
        if self.image is None:
            raise BlurlibError(f"{self.name}: the image is missing from the dataset; only its mask {self.mask} exists.")
        image = read_rgb(self.image)
        mask = read_mask(self.mask)
        if image.shape[:2] != mask.shape:
            raise BlurlibError(
                f"{self.image}: image size {image.shape[1]}x{image.shape[0]} differs from its mask "
                f"{self.mask} ({mask.shape[1]}x{mask.shape[0]}). Replace one of the two files."
            )
        return image, mask


def is_benchmark_name(stem: str) -> bool:
    """Whether ``stem`` names a benchmark image (``motionNNNN``, ``out_of_focusNNNN``)."""
    return _NAME.match(stem) is not None


def read_mask(path: Path) -> np.ndarray:
    """Read a ground-truth mask as bool (H, W), True = blurred (255).

    Grey, RGB and RGBA masks are accepted (the first channel is used); one whose red, green and blue differ is read
    by its red channel with a warning (a mask is one grey channel). A mask of the values 0 and 1 is read with
    1 = blurred; values other than 0 and 255 are binarised at 128; either with a warning naming the file.
    """
    try:
        a = read_grey(path, single_channel=True)
    except ColourImage:
        warnings.warn(f"{path}: mask's red, green and blue differ; its red channel is used (255 = blurred).",
                      stacklevel=2)
        a = read_grey(path)
    if a.max() == 1:  # a 0/1 mask: read at 128 it would be empty, every pixel sharp
        warnings.warn(f"{path}: mask stored as 0/1; read with 1 = blurred (the benchmark's masks are 0/255).",
                      stacklevel=2)
        return a >= 1
    if not np.isin(a, (0, 255)).all():
        warnings.warn(f"{path}: mask has values other than 0/255; binarised at 128.", stacklevel=2)
    return a >= 128


@dataclass
class Benchmark:
    """A scanned dataset root: the pairs with images, and what is missing."""

    root: Path
    pairs: list[Pair]
    missing: list[Pair] = field(default_factory=list)  # masks whose image is absent
    synthetic: bool = False

    def select(self, split: str = "all", category: str | None = None) -> list[Pair]:
        """Pairs (with images) in ``split`` (see :data:`SPLITS`) and ``category`` (``motion``/``defocus``/None)."""
        moved = self._moved(split)
        return [p for p in self.pairs if _in(p, split, category, moved)]

    def select_masks(self, split: str = "all", category: str | None = None) -> list[Pair]:
        """Like :meth:`select`, but also the pairs whose image is missing (enough to score precomputed maps).

        A more-data split is drawn from the images present only, so its masks are those of :meth:`select`.
        """
        moved = self._moved(split)
        pool = self.pairs if moved is not None else self.pairs + self.missing
        return sorted((p for p in pool if _in(p, split, category, moved)), key=lambda p: p.name)

    def _moved(self, split: str) -> frozenset[str] | None:
        """For ``moredata-*-K``: the names of D_e moved into training in trial K; else None."""
        check_split(split)
        m = _MOREDATA.match(split)
        if not m:
            return None
        even = sorted(p.name for p in self.pairs if p.parity == "even")
        rng = np.random.default_rng(int(m.group(2)))
        return frozenset(rng.choice(even, size=round(MOREDATA_FRACTION * len(even)), replace=False).tolist())

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def description(self) -> str:
        """One line saying which data these are: full CUHK, a partial copy, or the synthetic set, and where
        (``$BLURLIB_DATA`` or a path relative to the project: :func:`blurlib.paths.portable`)."""
        where = portable(self.root)
        if self.synthetic:
            return f"embedded synthetic partial-blur set ({len(self.pairs)} images, {where})"
        if self.complete:
            return f"full CUHK benchmark ({len(self.pairs)} images, {where})"
        return f"partial CUHK benchmark ({len(self.pairs)} of {len(self.pairs) + len(self.missing)} images, {where})"

    def summary(self) -> dict:
        """Counts of masks, images and missing images, per category and per split."""

        def counts(items):
            c = Counter((p.category, p.parity) for p in items)
            out = {"total": len(items)}
            for cat in CATEGORIES:
                out[cat] = {"odd": c[cat, "odd"], "even": c[cat, "even"], "total": c[cat, "odd"] + c[cat, "even"]}
            return out

        return {
            "root": portable(self.root),
            "data": self.description,
            "complete": self.complete,
            "masks": counts(self.pairs + self.missing),
            "images": counts(self.pairs),
            "missing": counts(self.missing),
            "missing_names": sorted(p.name for p in self.missing),
        }


def _in(p: Pair, split: str, category: str | None, moved: frozenset[str] | None = None) -> bool:
    if category is not None:
        check_category(category)
        if p.category != category:
            return False
    if split in ("defocus604", "defocus100"):
        return p.category == "defocus" and (p.name in later_test_names()) == (split == "defocus100")
    if moved is not None:  # a more-data trial
        in_train = p.parity == "odd" or p.name in moved
        return in_train if split.startswith("moredata-train") else not in_train
    parity = {"train": "odd", "test": "even"}.get(split, split)
    return parity == "all" or p.parity == parity


def check_split(split: str) -> None:
    if split not in SPLITS and not _MOREDATA.match(split):
        raise BlurlibError(f"unknown split {split!r}: use one of {', '.join(SPLITS)} (K = 0, 1, ...).")


@cache
def later_test_names() -> frozenset[str]:
    """The 100 defocus test images of the later 604/100 split (D-DFFNet's ``split.txt``)."""
    text = resources.files("blurlib.data").joinpath("defocus_test100.txt").read_text()
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def check_category(category: str) -> None:
    if category not in CATEGORIES:
        raise BlurlibError(f"unknown category {category!r}: use one of {', '.join(CATEGORIES)}.")


@cache
def manifest() -> dict:
    """The shipped sha256 manifest: ``{"masks": {stem: sha256}, "images": {stem: sha256}}``."""
    return json.loads(resources.files("blurlib.data").joinpath("cuhk_manifest.json").read_text())


def scan(root: Path, *, allow_partial: bool = False, verify: bool = True, synthetic: bool = False,
         masks_only: bool = False) -> Benchmark:
    """Pair images with masks under ``root`` and check the dataset's integrity.

    Args:
        root: folder holding ``image/`` and ``gt/``.
        allow_partial: accept a dataset with images missing (they are listed in ``Benchmark.missing``).
        verify: check the sha256 of every mask (and of every image the manifest knows) against the shipped
            manifest, and that every image has its mask's size. Off for the synthetic set.
        synthetic: mark the set as the embedded synthetic one (no manifest, any names allowed).
        masks_only: ``root`` needs only ``gt/`` (enough to score maps); ``image/`` may be absent or empty, and the
            masks without an image are in ``Benchmark.missing``. Implies ``allow_partial``.

    Raises:
        BlurlibError: naming the offending file and the fix.
    """
    root = Path(root)
    image_dir, gt_dir = root / "image", root / "gt"
    for d in (gt_dir,) if masks_only else (image_dir, gt_dir):
        if not d.is_dir():
            raise BlurlibError(f"{d}: folder not found. A dataset root holds image/ and gt/ (the unpacked "
                               f"BlurDatasetImage.zip and BlurDatasetGT.zip).")
    masks = _by_stem(gt_dir, (".png",))
    images = _by_stem(image_dir, IMAGE_SUFFIXES) if image_dir.is_dir() else {}
    allow_partial = allow_partial or masks_only
    if not masks:
        raise BlurlibError(f"{gt_dir}: no mask files (*.png). Unpack BlurDatasetGT.zip there.")
    if not images and not masks_only:
        raise BlurlibError(f"{image_dir}: no image files. Unpack BlurDatasetImage.zip there.")
    orphans = sorted(set(images) - set(masks))
    if orphans:
        raise BlurlibError(f"{images[orphans[0]]}: image without a mask in {gt_dir} ({len(orphans)} such images). "
                           "Add the missing masks or remove these images.")
    pairs, missing = [], []
    for stem, mask in sorted(masks.items()):
        m = _NAME.match(stem)
        if m is None:
            raise BlurlibError(f"{mask}: unexpected file name; benchmark files are named motionNNNN or "
                               "out_of_focusNNNN. Remove or rename it.")
        category = "motion" if m.group(1) == "motion" else "defocus"
        pair = Pair(stem, category, int(m.group(2)), mask, images.get(stem))
        (pairs if pair.image is not None else missing).append(pair)
    bench = Benchmark(root, pairs, missing, synthetic=synthetic)
    if verify and not synthetic:
        _verify(bench)
    if missing and not allow_partial:
        s = bench.summary()["missing"]
        raise BlurlibError(
            f"{image_dir}: {len(missing)} of {len(masks)} images are missing "
            f"(motion {s['motion']['total']}, defocus {s['defocus']['total']}; e.g. {missing[0].name}). "
            "Unpack the complete BlurDatasetImage.zip there, or opt in to a partial dataset "
            "(allow_partial=True, --allow-partial)."
        )
    return bench


def _by_stem(folder: Path, exts: tuple[str, ...]) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for p in sorted(folder.iterdir()):
        if p.name.startswith(".") or not p.is_file():
            continue
        if p.suffix.lower() not in exts:
            raise BlurlibError(f"{p}: unexpected file in {folder} (expected {', '.join(exts)}). Remove it.")
        if p.stem in found:
            raise BlurlibError(f"{p}: duplicate of {found[p.stem]} (same name, other extension). Keep one.")
        found[p.stem] = p
    return found


def _verify(bench: Benchmark) -> None:
    known = manifest()
    lacking = sorted(set(known["masks"]) - {p.name for p in bench.pairs + bench.missing})
    if lacking:
        raise BlurlibError(f"{bench.root / 'gt'}: {len(lacking)} of the benchmark's {len(known['masks'])} masks are "
                           f"missing (e.g. {lacking[0]}.png); every copy holds all masks (--allow-partial accepts "
                           "missing images, not masks). Unpack the complete BlurDatasetGT.zip there, or use "
                           "--source synthetic.")
    for p in bench.pairs + bench.missing:
        want = known["masks"].get(p.name)
        if want is None or file_sha256(p.mask) != want:
            raise BlurlibError(f"{p.mask}: mask does not match the benchmark's checksum (corrupt or altered). "
                               "Re-download BlurDatasetGT.zip.")
    for p in bench.pairs:
        want = known["images"].get(p.name)
        if want is not None and file_sha256(p.image) != want:
            raise BlurlibError(f"{p.image}: image does not match the benchmark's checksum (corrupt or altered). "
                               "Re-download BlurDatasetImage.zip.")
        if image_size(p.image) != image_size(p.mask):
            raise BlurlibError(f"{p.image}: size differs from its mask {p.mask}. Re-download both archives.")
