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
        assert m["int8_inference_s"] > 0  # CPU: the int8 path of configs I-V is timed beside
    assert {"device", "precision", "provenance"} <= set(r)


def test_runtime_table_times_every_baseline_and_dbm():
    import numpy as np

    from blurlib.baselines import METHODS
    from blurlib.bench import runtime_table

    image = np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    r = runtime_table(image, repeats=1)
    names = set(r["seconds_per_image"])
    assert set(METHODS) <= names and {"DBM (cpu, fp32)", "DBM (cpu, int8)"} <= names
    assert all(v > 0 for v in r["seconds_per_image"].values())
