"""The detection literature's measures (MAE, Fβ, E-measure, S-measure) against pysodmetrics, their reference code."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from blurlib.metrics import Counts, structure_measure, summarize

sod = pytest.importorskip("py_sod_metrics", reason="pysodmetrics (the test oracle) is installed by `make`: "
                          "pip install --no-deps pysodmetrics==1.6.2")


def _maps(seed: int, n: int = 6):
    """Soft maps of exact 8-bit levels (so both codes see the same thresholds) and blob-shaped masks."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        h, w = rng.integers(20, 48, size=2)
        yy, xx = np.mgrid[:h, :w]
        cy, cx, r = rng.uniform(0, h), rng.uniform(0, w), rng.uniform(4, 20)
        mask = (yy - cy) ** 2 + (xx - cx) ** 2 < r * r
        if i == 0:
            mask[:] = False  # one image without blurred pixels
        if i == 1:
            mask[:] = True  # and one all blurred
        soft = np.clip(mask * rng.uniform(0.3, 1.0) + rng.normal(0, 0.25, (h, w)), 0, 1)
        out.append((np.rint(soft * 255) / 255.0, mask))
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_measures_match_pysodmetrics(seed):
    pairs = _maps(seed)
    c = Counts()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pysodmetrics' Fmeasure announces its successor
        fm, em, sm, mae = sod.Fmeasure(), sod.Emeasure(), sod.Smeasure(), sod.MAE()
    for i, (m, g) in enumerate(pairs):
        c.add(m.astype(np.float32), g, f"im{i}")
        for oracle in (fm, em, sm, mae):
            oracle.step(m, g, normalize=False)
    ours = summarize(c, "pooled")
    f, e = fm.get_results()["fm"], em.get_results()["em"]
    assert ours["mae"] == pytest.approx(mae.get_results()["mae"], abs=1e-6)
    assert ours["fbeta_max_image"] == pytest.approx(f["curve"].max(), abs=1e-9)
    assert ours["fbeta_mean_image"] == pytest.approx(f["curve"].mean(), abs=1e-9)
    assert ours["fbeta_adaptive"] == pytest.approx(f["adp"], abs=1e-9)
    assert ours["emeasure_max"] == pytest.approx(e["curve"].max(), abs=1e-9)
    assert ours["emeasure_mean"] == pytest.approx(e["curve"].mean(), abs=1e-9)
    assert ours["emeasure_adaptive"] == pytest.approx(e["adp"], abs=1e-9)
    assert ours["smeasure"] == pytest.approx(sm.get_results()["sm"], abs=1e-9)


def test_pooled_and_per_image_fbeta_differ_and_are_both_reported():
    c = Counts()
    for i, (m, g) in enumerate(_maps(3)):
        c.add(m, g, f"im{i}")
    s = summarize(c, "paper")
    assert s["fbeta_max"] != pytest.approx(s["fbeta_max_image"], abs=1e-6)  # two curves, two names


def test_structure_measure_ranks_a_sharp_map_above_a_soft_one():
    mask = np.zeros((40, 40), bool)
    mask[:, :20] = True
    soft = np.tile(np.linspace(1, 0, 40), (40, 1))  # right ranking, no edge
    assert structure_measure(mask.astype(float), mask) == pytest.approx(1.0)
    assert 0.3 < structure_measure(soft, mask) < 0.9
    assert structure_measure(1 - mask.astype(float), mask) == pytest.approx(0.0)


def test_maps_are_scored_as_given_where_the_reference_stretches_them():
    """The reference code min-max stretches each map first: the same on a map spanning [0, 1], not on a timid one."""
    mask = np.zeros((30, 40), bool)
    mask[:, 20:] = True
    timid = np.where(mask, 191, 64).astype(np.uint8)  # right everywhere, never sure: 0.25 / 0.75
    c = Counts()
    c.add(timid, mask)
    ours = summarize(c, "pooled")
    given, stretched = sod.MAE(), sod.MAE()
    given.step(timid / 255.0, mask, normalize=False)
    stretched.step(timid, mask.astype(np.uint8) * 255)  # the reference's default: stretched to 0 / 1
    assert ours["mae"] == pytest.approx(given.get_results()["mae"]) == pytest.approx(64 / 255)
    assert stretched.get_results()["mae"] == 0.0
