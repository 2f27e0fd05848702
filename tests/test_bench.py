"""The benchmark reports what it promises (timings are never asserted: goals are checked by reading the report)."""

import torch

from blurlib import bench, runtime
from blurlib.bench import run_bench


def test_bench_report_has_ratios_for_each_model():
    r = run_bench(("I", "II"), size=32, batch_size=1, repeats=1, warmup=0, device="cpu")
    assert set(r["models"]) == {"I", "II"}
    for m in r["models"].values():
        assert m["inference_s"] > 0 and m["train_step_s"] > 0
        assert m["int8_inference_s"] > 0  # CPU: the int8 path of configs I-V is timed beside
    assert {"device", "precision", "provenance"} <= set(r)
    assert r["device"].startswith(f"cpu: {runtime.cpu_name()}, ") and r["peak_rss_bytes"] > 2**20


def test_bench_times_unet_in_int8_too_and_fusion_not():
    r = run_bench(("unet", "fusion"), size=32, batch_size=1, repeats=1, warmup=0, device="cpu", train=False)
    assert r["models"]["unet"]["int8_inference_s"] > 0 and "int8_inference_s" not in r["models"]["fusion"]


def test_no_timing_includes_a_host_to_device_copy(monkeypatch):
    """The reference and the models are timed alike: inputs are moved before the clock starts, never inside."""
    moves, timed = [], []
    real_to = torch.Tensor.to

    def counting_to(self, *a, **k):
        moves.append(a or k)
        return real_to(self, *a, **k)

    def once(fn, repeats, warmup, device):
        monkeypatch.setattr(torch.Tensor, "to", counting_to)
        try:
            fn()
        finally:
            monkeypatch.setattr(torch.Tensor, "to", real_to)
        timed.append(fn)
        return 1.0
    monkeypatch.setattr(bench, "_median_seconds", once)
    run_bench(("I",), size=32, batch_size=1, device="cpu")
    assert len(timed) == 5 and moves == []  # reference and I: inference and train step; I in int8


def test_peak_gpu_memory_is_recorded_per_timing_on_cuda(monkeypatch):
    """CUDA path without a GPU: the peak is reset before each timed function and read after it."""
    calls = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: None)
    monkeypatch.setattr(torch.cuda, "reset_peak_memory_stats", lambda device=None: calls.append("reset"))
    monkeypatch.setattr(torch.cuda, "max_memory_allocated", lambda device=None: calls.append("peak") or 123 << 20)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda device=None: "NVIDIA H100 80GB HBM3")
    r = {}
    bench._measure(r, "inference", lambda: calls.append("run"), repeats=2, warmup=1, device=torch.device("cuda"))
    assert calls[0] == "reset" and calls[-1] == "peak" and set(calls[1:-1]) == {"run"} and len(calls) >= 2 + 1 + 2
    assert r["inference_peak_gpu_bytes"] == 123 << 20 and r["inference_s"] >= 0
    assert runtime.describe(torch.device("cuda")).startswith("cuda: NVIDIA H100 80GB HBM3")


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
    r = runtime_table(image, repeats=1, device="cpu")
    names = set(r["seconds_per_image"])
    assert set(METHODS) <= names and {"DBM (cpu, fp32)", "DBM (cpu, int8)"} <= names
    assert all(v > 0 for v in r["seconds_per_image"].values())


def test_bench_command_prints_the_memory(capsys, monkeypatch):
    from blurlib.cli import main

    report = {"device": "cuda: NVIDIA H100 80GB HBM3, TF32 off", "precision": "bf16", "size": 32,
              "reference_fp32_torchvision_vgg16": {"inference_s": 0.002},
              "models": {"V": {"inference_s": 0.001, "inference_ratio": 0.5, "inference_peak_gpu_bytes": 300 << 20,
                               "train_step_s": 0.01, "train_ratio": 1.0, "paper_recipe_hours": 0.03,
                               "train_step_peak_gpu_bytes": 2 << 30}}}
    monkeypatch.setattr("blurlib.cli.run_bench", lambda *a, **k: report)
    assert main(["bench", "--size", "32"]) == 0
    assert "V          peak GPU memory: inference 300 MiB, train step 2048 MiB" in capsys.readouterr().out
    monkeypatch.setattr("blurlib.cli.run_bench", lambda *a, **k: {**report, "models": {}, "peak_rss_bytes": 1 << 30})
    assert main(["bench", "--size", "32", "--device", "cpu"]) == 0
    assert "peak resident memory of the process: 1024 MiB" in capsys.readouterr().out


def test_a_checkpoint_the_speed_benchmark_would_ignore_is_refused(tmp_path, capsys):
    from blurlib.cli import main

    assert main(["bench", "--models", "V", "--size", "32", "--no-train", "--checkpoint", str(tmp_path / "m.pt")]) == 2
    assert "--checkpoint names the weights --baselines times and --accuracy scores" in capsys.readouterr().err


def test_accuracy_without_an_int8_calibration_names_the_one_fix(tmp_path, capsys):
    from blurlib import checkpoint
    from blurlib.cli import main
    from blurlib.models import build

    checkpoint.save(tmp_path / "m.pt", build("I"), "I", "caffe")
    assert main(["bench", "--models", "I", "--size", "32", "--no-train", "--accuracy", "--checkpoint",
                 str(tmp_path / "m.pt")]) == 2
    err = capsys.readouterr().err
    assert "no int8 calibration for" in err and "blurlib quantize --checkpoint" in err and "bf16" not in err
