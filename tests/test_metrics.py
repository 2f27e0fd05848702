"""Metrics: hand-computed cases, agreement with scikit-learn, and the HiFST calibration on the real benchmark."""

from __future__ import annotations

import numpy as np
import pytest

from blurlib.errors import BlurlibError
from blurlib.metrics import Counts, pooled_pr, summarize, to_levels


def _counts(pairs):
    c = Counts()
    for i, (m, g) in enumerate(pairs):
        c.add(np.asarray(m, np.float32), np.asarray(g, bool), f"im{i}")
    return c


def test_perfect_map_scores_one():
    g = np.array([[1, 1, 0, 0]], bool)
    s = summarize(_counts([(g.astype(float), g)]), "paper")
    assert s["ods"] == s["ois"] == 1.0 and s["mae"] == 0.0 and s["fbeta_max"] == pytest.approx(1.0)


def test_hand_computed_toy_case():
    # map levels 1.0, 0.5, 0.5, 0.0 against mask 1, 1, 0, 0
    c = _counts([([[1.0, 0.5, 0.5, 0.0]], [[1, 1, 0, 0]])])
    p, r = pooled_pr(c)
    assert (p[0], r[0]) == (0.5, 1.0)  # threshold 0: everything positive
    assert p[128] == pytest.approx(2 / 3) and r[128] == 1.0  # q >= 128 takes the two 0.5 pixels (level 128)
    assert (p[255], r[255]) == (1.0, 0.5)
    s = summarize(c, "pooled")
    assert s["ods"] == pytest.approx(0.8)  # F at threshold 128: 2 * (2/3) * 1 / (5/3)
    assert s["mae"] == pytest.approx((0 + 0.5 + 0.5 + 0) / 4, abs=1e-3)


def test_paper_ods_averages_f_over_images_and_ois_takes_each_best():
    a = ([[0.9, 0.1]], [[1, 0]])  # perfect at thresholds in (0.1, 0.9]
    b = ([[0.2, 0.8]], [[1, 0]])  # inverted: best F is at threshold 0 (recall 1, precision 0.5)
    s = summarize(_counts([a, b]), "paper")
    assert s["ois"] == pytest.approx((1.0 + 2 / 3) / 2)
    assert s["ods"] <= s["ois"]


def test_pooled_curve_agrees_with_scikit_learn():
    from sklearn.metrics import precision_recall_curve
    rng = np.random.default_rng(0)
    maps = [np.round(rng.uniform(0, 1, (6, 7)) * 255) / 255 for _ in range(3)]
    masks = [rng.uniform(0, 1, (6, 7)) < 0.6 for _ in range(3)]
    p, r = pooled_pr(_counts(zip(maps, masks)))
    sp, sr, st = precision_recall_curve(np.concatenate([m.ravel() for m in masks]),
                                        np.concatenate([m.ravel() for m in maps]))
    for prec, rec, t in zip(sp[:-1], sr[:-1], st):
        k = int(round(t * 255))
        assert p[k] == pytest.approx(prec) and r[k] == pytest.approx(rec)


def test_bad_maps_are_refused():
    g = np.zeros((2, 2), bool)
    with pytest.raises(BlurlibError, match="NaN"):
        Counts().add(np.full((2, 2), np.nan), g, "x.png")
    with pytest.raises(BlurlibError, match=r"x.png: map values span.*outside \[0, 1\]"):
        Counts().add(np.full((2, 2), 2.0), g, "x.png")
    with pytest.raises(BlurlibError, match="differs from its mask"):
        Counts().add(np.zeros((3, 2)), g, "x.png")
    with pytest.raises(BlurlibError, match="no images"):
        summarize(Counts())


def test_to_levels_keeps_uint8_levels():
    assert to_levels(np.array([0, 7, 255], np.uint8)).tolist() == [0, 7, 255]
    assert to_levels(np.array([0.0, 0.5, 1.0])).tolist() == [0, 128, 255]


@pytest.mark.cuhk
@pytest.mark.parametrize("split,ods,ois,ap", [("even", 0.813, 0.851, 0.716), ("odd", 0.804, 0.841, 0.704)])
def test_paper_protocol_reproduces_published_hifst_numbers(cuhk, split, ods, ois, ap):
    """Tables III/V print HiFST at .813/.851 (D_e) and .804/.841 (D_o); their AP .717/.706 is ~0.001 above ours."""
    from blurlib.data import scan
    from blurlib.evaluate import count, map_folder

    bench = scan(cuhk, allow_partial=True, verify=False)
    c = count(bench.select_masks(split), map_folder(cuhk / "baselines" / "hifst", invert=True,
                                                      suffix="_HiFSTBlurMap"))
    s = summarize(c, "paper")
    assert s["n_images"] == 500
    assert (round(s["ods"], 3), round(s["ois"], 3), round(s["ap"], 3)) == (ods, ois, ap)


@pytest.mark.cuhk
def test_per_image_averaged_curve_reproduces_hifst_published_pr_curve(cuhk):
    """Third-party check of the counting: HiFST's published curve (precision and recall averaged per image over all
    1000 images, 256 thresholds) from the official maps."""
    from blurlib.data import scan
    from blurlib.evaluate import count, map_folder
    from blurlib.metrics import pr_table

    bench = scan(cuhk, allow_partial=True, verify=False)
    c = count(bench.select_masks("all"), map_folder(cuhk / "baselines" / "hifst", invert=True, suffix="_HiFSTBlurMap"))
    published = np.loadtxt(cuhk / "baselines" / "pr_curves" / "BlurDetection_HiFSTBlurMap_PRCurve.txt")
    t = pr_table(c)
    assert len(c) == 1000
    assert np.abs(t["precision_image_mean"] - published[:, 0]).max() < 1e-6
    assert np.abs(t["recall_image_mean"] - published[:, 1]).max() < 1e-6


def test_sixteen_bit_maps_are_scaled_and_said(tmp_path):
    from PIL import Image

    from blurlib.io import read_grey
    Image.fromarray(np.array([[0, 32896, 65535]], np.uint16)).save(tmp_path / "m16.png")
    with pytest.warns(UserWarning, match="m16.png: uint16 image read as 8 bits"):
        assert read_grey(tmp_path / "m16.png").tolist() == [[0, 128, 255]]


def test_all_blurred_f1_is_the_floor_of_best_f():
    from blurlib.metrics import all_blurred_f1, best_f_per_image

    rng = np.random.default_rng(0)
    mask = rng.random((40, 50)) < 0.3
    inverted = (~mask).astype(np.float32)  # a map that ranks every sharp pixel above every blurred one
    c = Counts()
    c.add(inverted, mask, "inverted")
    c.add(rng.random((40, 50)).astype(np.float32), mask, "noise")
    best = best_f_per_image(c)
    floor = all_blurred_f1(mask)
    assert floor == pytest.approx(2 * mask.mean() / (1 + mask.mean()))
    assert best["inverted"] == pytest.approx(floor, abs=1e-4)  # nothing better than calling all pixels blurred
    assert best["noise"] >= floor - 1e-4


def test_full_range_curve_resolves_maps_saturated_in_8_bits():
    """~60 % of blurred pixels at level 255 in 8 bits: the 8-bit curve starts at recall 0.6, the logit one near 0."""
    from blurlib.metrics import Counts, FineCurve, pooled_pr

    rng = np.random.default_rng(0)
    mask = np.zeros((60, 100), bool)
    mask[:, :60] = True
    z = np.where(mask, rng.uniform(-2, 2, mask.shape), rng.uniform(-8, 1, mask.shape))
    z[:, :36] = rng.uniform(7, 30, (60, 36))  # 60 % of the blurred pixels: probability > 0.999, level 255
    eight_bit, fine = Counts(), FineCurve()
    eight_bit.add(1 / (1 + np.exp(-z)), mask)
    fine.add(z, mask)
    assert pooled_pr(eight_bit)[1][-1] >= 0.59  # the 8-bit curve cannot go below recall 0.6
    t = fine.table()
    assert t["recall"].min() <= 0.05 and t["recall"].max() == 1.0
    assert t["precision"][t["recall"] <= 0.05].min() == 1.0  # the confident end is all blurred pixels
    assert np.all(np.diff(t["recall"]) <= 0)  # recall falls as the threshold rises


def test_full_range_curve_averages_each_images_curve_for_the_per_image_protocol():
    """The per-image columns are the mean of each image's own curve; a small, fully blurred image weighs as much as
    a large half-blurred one (unlike the pooled columns)."""
    from blurlib.metrics import FineCurve

    rng = np.random.default_rng(1)
    half = np.zeros((40, 50), bool)
    half[:, :25] = True
    full = np.ones((10, 10), bool)
    maps = [(np.where(half, rng.uniform(-1, 20, half.shape), rng.uniform(-20, 2, half.shape)), half),
            (rng.uniform(-3, 3, full.shape), full)]
    alone = []
    both = FineCurve()
    for z, m in maps:
        one = FineCurve()
        one.add(z, m)
        alone.append(one.table())
        both.add(z, m)
    t = both.table()
    for col in ("precision", "recall"):
        assert np.allclose(t[f"{col}_image_mean"], (alone[0][col] + alone[1][col]) / 2)
        assert np.allclose(alone[0][f"{col}_image_mean"], alone[0][col])  # one image: both protocols agree
    assert not np.allclose(t["recall"], t["recall_image_mean"])  # two images of different sizes: they differ
    assert t["recall_image_mean"].max() == 1.0 and t["recall_image_mean"].min() <= 0.05


def test_run_full_range_curve_is_written_beside_pr_csv(synthetic, tmp_path):
    import pandas as pd

    from blurlib import profiles
    from blurlib.errors import BlurlibError
    from blurlib.evaluate import PR_FULL, evaluate_run, write_run_pr_full
    from blurlib.train import train

    run = train(synthetic, tmp_path / "run", model_name="I",
                profile=profiles.get("smoke").replace(size=32, iterations=1), progress=False)
    evaluate_run(run, synthetic.select("test"), progress=False)
    curve = pd.read_csv(run / PR_FULL)
    assert curve["recall"].iloc[0] == 1.0 and curve["recall"].min() <= 0.05
    assert curve["recall_image_mean"].iloc[0] == 1.0 and curve["recall_image_mean"].min() <= 0.05
    assert np.all(np.diff(curve["logit"]) > 0)
    (run / PR_FULL).unlink()
    assert write_run_pr_full(run, synthetic.select("all"), progress=False) == run / PR_FULL
    assert pd.read_csv(run / PR_FULL).equals(curve)  # the command gives the curve evaluate_run gave
    with pytest.raises(BlurlibError, match="no weights"):
        write_run_pr_full(tmp_path, synthetic.select("all"))
