"""The data layer: pairing, splits, integrity, bad input, partial data, download, synthetic set."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from blurlib import profiles
from blurlib.data import (Archive, BlurlibError, download, find_root, normalize, denormalize,
                          open_dataset, read_mask, resize_pair, scan)
from blurlib.data.synthetic import disk_psf, line_psf, make_sample


def _copy(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


# -- synthetic set ------------------------------------------------------------------------------------------------

def test_synthetic_is_deterministic_and_masks_are_exact():
    name1, im1, m1 = make_sample(3, 64, seed=7)
    name2, im2, m2 = make_sample(3, 64, seed=7)
    assert name1 == name2 and np.array_equal(im1, im2) and np.array_equal(m1, m2)
    _, im3, _ = make_sample(3, 64, seed=8)
    assert not np.array_equal(im1, im3)
    assert 0.2 < m1.mean() < 0.9


def test_synthetic_leaves_sharp_pixels_untouched():
    from blurlib.data.synthetic import partial_blur, smooth_region
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (48, 48, 3), dtype=np.uint8)
    mask = smooth_region(rng, 48, 0.5)
    out = partial_blur(image, mask, disk_psf(3))
    assert np.array_equal(out[~mask], image[~mask])
    assert np.abs(out[mask].astype(int) - image[mask]).mean() > 10  # noise is visibly blurred


def test_psfs_are_normalised():
    assert disk_psf(3.5).sum() == pytest.approx(1.0)
    k = line_psf(9, 0)
    assert k.sum() == pytest.approx(1.0) and np.count_nonzero(k.sum(axis=1)) == 1  # horizontal line: one row


def test_synthetic_split_is_balanced(synthetic):
    s = synthetic.summary()["images"]
    assert s["total"] == 12
    assert s["motion"]["odd"] == s["motion"]["even"] == s["defocus"]["odd"] == s["defocus"]["even"] == 3
    assert synthetic.synthetic and "synthetic" in synthetic.description


def test_open_dataset_falls_back_to_synthetic(tmp_path, monkeypatch):
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path))
    monkeypatch.delenv("BLURLIB_DATA", raising=False)
    bench = open_dataset("auto", synthetic_n=4, synthetic_size=32)
    assert bench.synthetic and len(bench.pairs) == 4
    with pytest.raises(BlurlibError, match="BlurDatasetImage.zip and BlurDatasetGT.zip"):
        open_dataset("cuhk")
    with pytest.raises(BlurlibError, match="unknown data source"):
        open_dataset("imagenet")


def test_open_dataset_root_is_where_the_sources_data_are(tmp_path, monkeypatch):
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path))
    monkeypatch.delenv("BLURLIB_DATA", raising=False)
    with pytest.raises(BlurlibError, match="is not a CUHK dataset root"):
        open_dataset("auto", tmp_path / "elsewhere")  # a given root is never dropped for the synthetic set
    assert not (tmp_path / "elsewhere").exists()
    (tmp_path / "afile").write_text("")
    with pytest.raises(BlurlibError, match="afile \\(the given path\\) is a file, not a folder"):
        open_dataset("auto", tmp_path / "afile")
    smoke = profiles.get(profiles.SMOKE)
    bench = open_dataset("synthetic", profile=smoke)  # the profile sizes the synthetic set
    assert len(bench.pairs) == smoke.synthetic_n
    assert bench.pairs[0].load()[0].shape[:2] == (smoke.synthetic_size, smoke.synthetic_size)
    made = open_dataset("synthetic", tmp_path / "mine", synthetic_n=2, synthetic_size=32)
    assert made.root == tmp_path / "mine" and len(made.pairs) == 2
    paper = profiles.get("paper")  # a profile meant for the benchmark never falls back to the synthetic set unasked
    with pytest.raises(BlurlibError, match="Profile paper trains on the benchmark.*--source synthetic"):
        open_dataset("auto", profile=paper)
    assert open_dataset("synthetic", profile=paper).synthetic


# -- splits and categories ------------------------------------------------------------------------------------------

def test_splits_are_odd_even_and_disjoint(synthetic):
    train, test = synthetic.select("train"), synthetic.select("test")
    assert {p.index % 2 for p in train} == {1} and {p.index % 2 for p in test} == {0}
    assert {p.name for p in train} | {p.name for p in test} == {p.name for p in synthetic.pairs}
    assert synthetic.select("odd") == train
    assert all(p.category == "motion" for p in synthetic.select("all", "motion"))


@pytest.mark.parametrize("split,category", [("validation", None), ("all", "gaussian")])
def test_unknown_split_or_category_is_refused(synthetic, split, category):
    with pytest.raises(BlurlibError, match="unknown"):
        synthetic.select(split, category)


def test_more_data_trials_move_most_of_d_e_into_training(synthetic):
    names = lambda split: {p.name for p in synthetic.select(split)}  # noqa: E731
    even, odd = names("even"), names("odd")
    for k in (0, 1):
        train, test = names(f"moredata-train-{k}"), names(f"moredata-test-{k}")
        assert not train & test and train | test == odd | even and odd <= train and test <= even
        assert len(train - odd) == round(0.8 * len(even))
    assert names("moredata-test-0") == names("moredata-test-0") != names("moredata-test-1")
    with pytest.raises(BlurlibError, match=r"unknown split 'moredata-test-x'.*\(K = 0, 1, ...\)"):
        synthetic.select("moredata-test-x")


@pytest.mark.cuhk
def test_later_defocus_split_and_more_data_on_cuhk(cuhk):
    bench = scan(cuhk, allow_partial=True, verify=False)
    train, test = bench.select("defocus604"), bench.select("defocus100")
    assert (len(train), len(test)) == (604, 100) and {p.category for p in train + test} == {"defocus"}
    assert not {p.name for p in train} & {p.name for p in test}
    assert "out_of_focus0037" in {p.name for p in test}
    assert (len(bench.select("moredata-train-0")), len(bench.select("moredata-test-0"))) == (353 + 282, 71)
    assert len(bench.select_masks("moredata-test-0")) == 71  # drawn from the images present


def test_pair_loads_image_and_boolean_mask(synthetic):
    image, mask = synthetic.pairs[0].load()
    assert image.dtype == np.uint8 and image.shape == (64, 64, 3)
    assert mask.dtype == bool and mask.shape == (64, 64)


# -- bad input ------------------------------------------------------------------------------------------------------

def test_missing_mask_names_the_image(synthetic_root, tmp_path):
    root = _copy(synthetic_root, tmp_path / "d")
    (root / "gt" / "motion0003.png").unlink()
    with pytest.raises(BlurlibError, match="motion0003.jpg|motion0003.png.*without a mask"):
        scan(root, synthetic=True)


def test_mask_size_mismatch_is_named(synthetic_root, tmp_path):
    root = _copy(synthetic_root, tmp_path / "d")
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(root / "gt" / "out_of_focus0001.png")
    bench = scan(root, synthetic=True)
    pair = next(p for p in bench.pairs if p.name == "out_of_focus0001")
    with pytest.raises(BlurlibError, match="out_of_focus0001.png.*differs from its mask"):
        pair.load()


def _truncated_jpeg(png: Path) -> str:
    jpg = png.with_suffix(".jpg")
    Image.open(png).save(jpg, quality=90)
    png.unlink()
    jpg.write_bytes(jpg.read_bytes()[:300])
    return "out_of_focus0001.jpg: truncated or corrupt"


def _text_file(png: Path) -> str:
    png.write_text("not an image")
    return "out_of_focus0001.png: not a readable image"


@pytest.mark.parametrize("damage", [_truncated_jpeg, _text_file], ids=["truncated-jpeg", "text-file"])
def test_an_unreadable_image_is_named(synthetic_root, tmp_path, damage):
    root = _copy(synthetic_root, tmp_path / "d")
    message = damage(root / "image" / "out_of_focus0001.png")
    pair = next(p for p in scan(root, synthetic=True).pairs if p.name == "out_of_focus0001")
    with pytest.raises(BlurlibError, match=message):
        pair.load()


def test_unexpected_and_duplicate_files_are_named(synthetic_root, tmp_path):
    root = _copy(synthetic_root, tmp_path / "d")
    (root / "image" / "notes.txt").write_text("x")
    with pytest.raises(BlurlibError, match="notes.txt: unexpected file"):
        scan(root, synthetic=True)
    (root / "image" / "notes.txt").unlink()
    shutil.copy(root / "image" / "motion0003.png", root / "image" / "motion0003.JPG")
    with pytest.raises(BlurlibError, match="duplicate"):
        scan(root, synthetic=True)


def test_empty_folder_is_refused(tmp_path):
    (tmp_path / "image").mkdir()
    (tmp_path / "gt").mkdir()
    with pytest.raises(BlurlibError, match="no mask files"):
        scan(tmp_path)
    with pytest.raises(BlurlibError, match="folder not found"):
        scan(tmp_path / "nowhere")


def test_non_binary_mask_is_binarised_with_a_warning(tmp_path):
    a = np.zeros((4, 4), np.uint8)
    a[:, 2:] = 200
    a[0, 0] = 100
    Image.fromarray(a).save(tmp_path / "m.png")
    with pytest.warns(UserWarning, match="m.png: mask has values other than 0/255"):
        m = read_mask(tmp_path / "m.png")
    assert m.sum() == 8


def test_rgba_mask_uses_first_channel(tmp_path):
    a = np.zeros((4, 4, 4), np.uint8)
    a[:2, :, :3] = 255
    a[..., 3] = 255
    Image.fromarray(a, "RGBA").save(tmp_path / "m.png")
    assert read_mask(tmp_path / "m.png").sum() == 8


def test_extension_matched_case_insensitively(synthetic_root, tmp_path):
    root = _copy(synthetic_root, tmp_path / "d")
    (root / "image" / "motion0003.png").rename(root / "image" / "motion0003.PNG")
    assert "motion0003" in {p.name for p in scan(root, synthetic=True).pairs}


# -- the real benchmark -----------------------------------------------------------------------------------------------

@pytest.mark.cuhk
def test_partial_cuhk_needs_opt_in_and_reports_what_is_missing(cuhk):
    with pytest.raises(BlurlibError, match="294 of 1000 images are missing.*allow_partial"):
        scan(cuhk)
    bench = scan(cuhk, allow_partial=True)
    s = bench.summary()
    assert s["masks"]["total"] == 1000 and s["masks"]["motion"]["total"] == 296
    assert s["images"]["defocus"] == {"odd": 352, "even": 352, "total": 704}
    assert s["missing"]["motion"] == {"odd": 147, "even": 147, "total": 294}
    assert len(bench.select("test", "defocus")) == 352
    assert len(bench.select_masks("test")) == 500
    assert "partial CUHK" in bench.description


@pytest.mark.cuhk
def test_corrupted_cuhk_mask_is_named(cuhk, tmp_path):
    root = tmp_path / "cuhk"
    (root / "image").mkdir(parents=True)
    shutil.copytree(cuhk / "gt", root / "gt")
    for name in ("out_of_focus0001.jpg", "out_of_focus0002.jpg"):
        shutil.copy(cuhk / "image" / name, root / "image" / name)
    a = np.asarray(Image.open(root / "gt" / "out_of_focus0002.png")).copy()
    a[0, 0] = 255 - a[0, 0]
    Image.fromarray(a).save(root / "gt" / "out_of_focus0002.png")
    with pytest.raises(BlurlibError, match="out_of_focus0002.png: mask does not match"):
        scan(root, allow_partial=True)


@pytest.mark.cuhk
def test_cuhk_pairs_load_at_mask_size(cuhk):
    bench = scan(cuhk, allow_partial=True, verify=False)
    image, mask = bench.select("test", "motion")[0].load()
    assert image.shape[:2] == mask.shape and 0.5 < mask.mean() < 1  # motion0138: mostly blurred


def test_find_root_order(tmp_path, monkeypatch, synthetic_root):
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path))
    monkeypatch.delenv("BLURLIB_DATA", raising=False)
    assert find_root() is None
    shutil.copytree(synthetic_root, tmp_path / "data" / "CUHK")
    assert find_root() == tmp_path / "data" / "CUHK"
    monkeypatch.setenv("BLURLIB_DATA", str(synthetic_root))
    assert find_root() == synthetic_root
    assert find_root(tmp_path / "data" / "CUHK") == tmp_path / "data" / "CUHK"
    monkeypatch.setenv("BLURLIB_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(BlurlibError, match=r"\$BLURLIB_DATA.*not a CUHK dataset root"):
        find_root()


# -- download over loopback -------------------------------------------------------------------------------------------

def _zip(path: Path, folder: Path, arcdir: str) -> str:
    with zipfile.ZipFile(path, "w") as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f"{arcdir}/{f.name}")
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_download_checks_hash_and_unpacks(http_server, synthetic_root, tmp_path):
    www, url = http_server
    h_img = _zip(www / "BlurDatasetImage.zip", synthetic_root / "image", "image")
    h_gt = _zip(www / "BlurDatasetGT.zip", synthetic_root / "gt", "gt")
    archives = (Archive("BlurDatasetImage.zip", url + "BlurDatasetImage.zip", h_img),
                Archive("BlurDatasetGT.zip", url + "BlurDatasetGT.zip", h_gt))
    root = download(tmp_path / "CUHK", archives)
    bench = scan(root, synthetic=True)
    assert len(bench.pairs) == 12 and bench.complete

    wrong = (Archive("BlurDatasetGT.zip", url + "BlurDatasetGT.zip", "0" * 64),)
    with pytest.raises(BlurlibError, match="BlurDatasetGT.zip.*(hash|SHA256)"):
        download(tmp_path / "other", wrong)
    assert not (tmp_path / "other").exists()


def test_download_offline_names_both_archives(http_server, tmp_path):
    _, url = http_server
    with pytest.raises(BlurlibError, match="BlurDatasetImage.zip and BlurDatasetGT.zip.*unpack them into"):
        download(tmp_path / "data" / "CUHK", (Archive("BlurDatasetImage.zip", url + "absent.zip"),))
    assert not (tmp_path / "data").exists()  # no empty data/CUHK/downloads left behind


# -- preprocessing ----------------------------------------------------------------------------------------------------

def test_resize_pair_keeps_masks_binary():
    image = np.random.default_rng(0).integers(0, 256, (31, 47, 3), dtype=np.uint8)
    mask = np.zeros((31, 47), bool)
    mask[:, 20:] = True
    im, m = resize_pair(image, mask, 16)
    assert im.shape == (16, 16, 3) and m.shape == (16, 16) and m.dtype == bool
    assert 0.4 < m.mean() < 0.7


@pytest.mark.parametrize("convention", ["caffe", "torchvision"])
def test_normalize_round_trips(convention):
    image = np.random.default_rng(1).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    x = normalize(image, convention)
    assert x.shape == (3, 5, 7)
    assert np.array_equal(denormalize(x, convention), image)


def test_caffe_convention_is_bgr_minus_mean():
    image = np.zeros((1, 1, 3), np.uint8)
    image[..., 0] = 200  # red
    x = normalize(image, "caffe")
    assert float(x[2, 0, 0]) == pytest.approx(200 - 122.67892, abs=1e-4)  # red is the last channel
    assert float(x[0, 0, 0]) == pytest.approx(-104.00699, abs=1e-4)
