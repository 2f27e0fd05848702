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
