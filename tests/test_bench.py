"""The benchmark reports what it promises (timings are never asserted: goals are checked by reading the report)."""

import pytest

from blurlib.bench import run_bench


def test_bench_report_has_ratios_for_each_model():
    r = run_bench(("I", "II"), size=32, batch_size=1, repeats=1, warmup=0)
    ref = r["reference_fp32_torchvision_vgg16"]
    assert set(r["models"]) == {"I", "II"}
    for m in r["models"].values():
        assert m["inference_s"] > 0 and m["train_step_s"] > 0
        assert m["inference_ratio"] == pytest.approx(m["inference_s"] / ref["inference_s"], rel=0.01, abs=1e-4)
        assert m["paper_recipe_hours"] == pytest.approx(m["train_step_s"] * 10_000 / 3600, rel=0.01)
    assert {"device", "precision", "provenance"} <= set(r)
