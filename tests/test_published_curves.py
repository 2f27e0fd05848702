"""Our baselines beside the curves published with HiFST: reading them, summarising, and the image-set shift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from blurlib.baselines import published as pb


def test_a_curve_file_of_the_wrong_shape_is_refused_naming_it(tmp_path):
    bad = tmp_path / "BlurDetection_Zhuo_PRCurve.txt"
    bad.write_text("0.5 1\n0.6 0.9\n")
    with pytest.raises(ValueError, match="BlurDetection_Zhuo_PRCurve.txt: 2 rows of 2 numbers, expected 256"):
        pb.read_curve(bad)


def test_published_curves_reads_what_is_there_in_the_methods_order(tmp_path):
    folder = tmp_path / pb.FOLDER
    folder.mkdir(parents=True)
    t = np.linspace(0, 1, 256)
    for name in ("Zhuo11", "Bae"):
        np.savetxt(pb.curve_file(tmp_path, name), np.c_[0.5 + 0.5 * t, 1 - t])  # precision rises as recall falls
    curves = pb.published_curves(tmp_path)
    assert list(curves) == ["Bae", "Zhuo11"]
    recall, precision = curves["Zhuo11"]
    assert recall[0] == 1 and precision[0] == 0.5  # columns: precision, recall -> (recall, precision)


def test_deviation_removes_the_image_set_shift():
    shift = pb.image_set_shift({"best F": 0.80, "mean precision": 0.70}, {"best F": 0.85, "mean precision": 0.74})
    assert shift == {"best F": 0.05, "mean precision": 0.04}
    table = pb.comparison({"A": {"best F": 0.90, "mean precision": 0.74}, "B": {"best F": 0.5, "mean precision": 0.5}},
                          {"A": {"best F": 0.85, "mean precision": 0.70}}, shift)
    assert list(table.index) == ["A"]  # a method without a published curve has no row
    assert table.loc["A", "best F deviation"] == pytest.approx(0.0)
    assert table.loc["A", "mean precision deviation"] == pytest.approx(0.0)


def test_image_mean_curve_weights_each_scoring_by_its_images():
    a = pd.DataFrame({"recall_image_mean": [1.0, 0.0], "precision_image_mean": [0.5, 1.0]})
    b = pd.DataFrame({"recall_image_mean": [1.0, 0.5], "precision_image_mean": [0.8, 0.8]})
    recall, precision = pb.image_mean_curve([(a, 1), (b, 3)])
    assert recall.tolist() == [1.0, 0.375] and precision.tolist() == pytest.approx([0.725, 0.85])


@pytest.mark.cuhk
def test_the_eleven_published_curves_summarise_as_stated(cuhk):
    curves = pb.published_curves(cuhk)
    assert len(curves) == 11
    summary = {name: pb.curve_summary(*c) for name, c in curves.items()}
    assert summary["Zhuo11"] == {"best F": 0.7728, "mean precision": 0.783}
    assert summary["HiFST"] == {"best F": 0.8209, "mean precision": 0.7061}


def _image_curves(n: int, seed: int, spread: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Per-image precision and recall (n, 256) of random maps scored on random masks (values squeezed by ``spread``)."""
    from blurlib import metrics
    rng = np.random.default_rng(seed)
    c = metrics.Counts()
    for i in range(n):
        mask = rng.random((16, 16)) < rng.uniform(0.2, 0.8)
        c.add(np.clip((mask * 0.4 + rng.random((16, 16)) * 0.6) * spread, 0, 1), mask, f"i{i}")
    precision, recall = metrics.per_image_pr(c)
    return recall, precision


def test_the_implied_curve_of_the_absent_images_is_their_own_curve_and_is_possible():
    present, absent = _image_curves(7, 0), _image_curves(3, 1)
    published = tuple(np.vstack([p, a]).mean(axis=0) for p, a in zip(present, absent))  # all 10 images
    ours = tuple(a.mean(axis=0) for a in present)
    recall, precision = pb.implied_curve(ours, 7, published, 10)
    assert np.allclose(recall, absent[0].mean(axis=0)) and np.allclose(precision, absent[1].mean(axis=0))
    assert pb.violation(recall, precision).max() < 1e-9  # a real curve: possible at every level
    table = pb.image_set_test({"exact": ours}, 7, {"exact": published}, 10)
    assert table.loc["exact", "levels violated"] == 0
    assert table.loc["exact", "implied mean precision"] == pytest.approx(absent[1].mean(), abs=1e-4)
    with pytest.raises(ValueError, match="no image is absent"):
        pb.implied_curve(ours, 10, published, 10)


def test_maps_that_spread_their_values_otherwise_cannot_be_explained_by_the_absent_images():
    present, absent = _image_curves(7, 0), _image_curves(3, 1)
    published = tuple(np.vstack([p, a]).mean(axis=0) for p, a in zip(present, absent))
    squeezed = tuple(a.mean(axis=0) for a in _image_curves(7, 0, spread=0.5))  # the same images, values halved
    table = pb.image_set_test({"squeezed": squeezed, "no curve": squeezed}, 7, {"squeezed": published}, 10)
    assert list(table.index) == ["squeezed"]  # a method without a published curve has no row
    row = table.loc["squeezed"]
    assert row["levels violated"] > 50 and row["last level violated"] > 128  # ours: no recall above level 128
    assert row["our curve off by"] == pytest.approx(row["largest violation"] * 3 / 7)
    assert np.isnan(row["implied best F"]) and np.isnan(row["implied mean precision"])  # no real curve has them


def test_violation_counts_values_outside_zero_one_and_a_recall_rising_with_the_threshold():
    assert pb.violation(np.array([1.0, 0.8, 0.9, 0.1]), np.array([0.5, 0.5, 0.5, 1.2])).round(3).tolist() == \
        [0.0, 0.0, 0.1, 0.2]


def test_a_common_remapping_of_the_levels_is_found_where_one_exists_and_not_where_ties_forbid_it():
    present, absent = _image_curves(5, 0), _image_curves(5, 1)
    published = tuple(np.vstack([p, a]).mean(axis=0) for p, a in zip(present, absent))
    squeezed = tuple(a.mean(axis=0) for a in _image_curves(5, 0, spread=0.5))  # same order of pixels, other levels
    assert pb.violation(*pb.implied_curve(squeezed, 5, published, 10)).max() > 0.5
    assert pb.remapped_violation(squeezed, 5, published, 10) < pb.TOLERANCE
    saturated = (np.maximum(squeezed[0], 0.9), squeezed[1])  # nine tenths of the blurred pixels tied at the top
    assert pb.remapped_violation(saturated, 5, published, 10) > 0.5
