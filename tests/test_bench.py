"""The benchmark reports what it promises (timings are never asserted: goals are checked by reading the report)."""

from blurlib import bench
from blurlib.bench import run_bench


def test_bench_report_has_timings_for_each_model():
    r = run_bench(("I", "II"), size=32, batch_size=1, repeats=1, warmup=0)
    assert set(r["models"]) == {"I", "II"}
    for m in r["models"].values():
        assert m["inference_s"] > 0 and m["train_step_s"] > 0
        assert m["int8_inference_s"] > 0  # CPU: the int8 path of configs I-V is timed beside
    assert {"device", "precision", "provenance"} <= set(r)


def test_bench_ratios_are_to_the_reference_measured_in_the_same_run(monkeypatch):
    # measured in this order: reference inference, reference step, then inference, int8 inference, step of I
    seconds = iter([2.0, 4.0, 0.5, 0.25, 1.8])
    monkeypatch.setattr(bench, "_median_seconds", lambda *a: next(seconds))
    r = run_bench(("I",), size=32, batch_size=1, repeats=1, warmup=0, device="cpu")
    assert r["reference_fp32_torchvision_vgg16"] == {"inference_s": 2.0, "train_step_s": 4.0}
    m = r["models"]["I"]
    assert (m["inference_ratio"], m["int8_inference_ratio"], m["train_ratio"]) == (0.25, 0.125, 0.45)
    assert m["paper_recipe_hours"] == 5.0  # 1.8 s x the paper's 10,000 iterations


def test_runtime_table_times_every_baseline_and_dbm():
    import numpy as np

    from blurlib.baselines import METHODS
    from blurlib.bench import runtime_table

    image = np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    r = runtime_table(image, repeats=1)
    names = set(r["seconds_per_image"])
    assert set(METHODS) <= names and {"DBM (cpu, fp32)", "DBM (cpu, int8)"} <= names
    assert all(v > 0 for v in r["seconds_per_image"].values())
