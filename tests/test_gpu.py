"""The CUDA path, end to end on a tiny synthetic set: training, resuming, prediction, evaluation and the benchmark
run on the GPU with bf16 autocast and channels_last. Skipped, with the reason, where torch sees no CUDA GPU."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from blurlib import checkpoint, profiles, runtime
from blurlib.models import build

pytestmark = pytest.mark.gpu

TINY = profiles.get("smoke").replace(size=32, iterations=4, checkpoint_every=2)


@pytest.fixture
def bf16():
    """The precision ``auto`` gives on this GPU: bf16 where it is native (compute capability 8.0 and up)."""
    if runtime.resolve_precision("auto", torch.device("cuda")) != "bf16":
        pytest.skip("this GPU has no native bf16: blurlib uses fp32 there")
    return "bf16"


def _first_conv_probe(model, seen: list):
    """Record, for each forward pass, whether the first conv's input is channels_last and its output dtype."""
    conv = next(m for m in model.modules() if isinstance(m, torch.nn.Conv2d))
    conv.register_forward_hook(lambda m, inp, out: seen.append(
        (inp[0].device.type, inp[0].is_contiguous(memory_format=torch.channels_last), out.dtype)))
    return model


def test_training_runs_on_the_gpu_in_bf16_and_channels_last(synthetic, tmp_path, monkeypatch, bf16):
    import blurlib.train as t

    seen = []
    monkeypatch.setattr(t, "build", lambda name: _first_conv_probe(build(name), seen))
    run = t.train(synthetic, tmp_path / "run", model_name="I", profile=TINY, progress=False)
    assert seen and all(s == ("cuda", True, torch.bfloat16) for s in seen)
    info = json.loads((run / "run.json").read_text())
    assert info["device"].startswith("cuda: ") and info["precision"] == "bf16"
    assert checkpoint.load_model(run / "model.pt")[1]["iteration"] == TINY.iterations


def test_resume_on_the_gpu_is_bitwise_identical(synthetic, tmp_path, monkeypatch):
    """Deterministic algorithms on CUDA (runtime.deterministic): killed after a checkpoint and resumed, a run ends
    with exactly the weights of an uninterrupted one (config V: every stage and the 16x bilinear upsampling)."""
    import blurlib.train as t

    prof = TINY.replace(size=48)
    t.train(synthetic, tmp_path / "full", model_name="V", profile=prof, progress=False)
    real = t.batch_indices

    def die_at_3(n, batch, seed, it):
        if it == 3:
            raise KeyboardInterrupt
        return real(n, batch, seed, it)
    monkeypatch.setattr(t, "batch_indices", die_at_3)
    with pytest.raises(KeyboardInterrupt):
        t.train(synthetic, tmp_path / "resumed", model_name="V", profile=prof, progress=False)
    monkeypatch.setattr(t, "batch_indices", real)
    t.train(synthetic, tmp_path / "resumed", model_name="V", profile=prof, progress=False, resume=True)
    full = checkpoint.read(tmp_path / "full" / "model.pt")["state_dict"]
    resumed = checkpoint.read(tmp_path / "resumed" / "model.pt")["state_dict"]
    assert all(torch.equal(full[k], resumed[k]) for k in full)


def test_prediction_on_the_gpu_matches_the_cpu(bf16):
    from blurlib.predict import predict_map
    from blurlib.weights import init_model

    model = build("III")
    init_model(model, "hed")
    seen = []
    image = np.random.default_rng(0).integers(0, 256, (40, 56, 3), dtype=np.uint8)
    cpu = predict_map(model.eval(), image, size=64, device="cpu", precision="fp32")
    gpu = predict_map(_first_conv_probe(model, seen), image, size=64, device="cuda")
    assert seen == [("cuda", True, torch.bfloat16)]
    assert gpu.shape == (40, 56) and np.abs(gpu - cpu).mean() < 0.02


def test_evaluate_run_on_the_gpu_records_it(synthetic, synthetic_root, tmp_path, capsys, bf16):
    from blurlib.cli import main
    from blurlib.train import train

    run = train(synthetic, tmp_path / "run", model_name="I", profile=TINY.replace(iterations=1), progress=False)
    assert main(["evaluate", "--run", str(run), "--root", str(synthetic_root), "--source", "synthetic"]) == 0
    assert "evaluate: device cuda" in capsys.readouterr().err
    m = json.loads((run / "metrics.json").read_text())
    assert m["device"] == runtime.describe(torch.device("cuda")) and m["precision"] == "bf16"
    assert 0 <= m["ours"]["paper"]["ods"] <= 1


def test_bench_on_the_gpu_reports_its_name_memory_and_no_int8(bf16):
    from blurlib.bench import run_bench, runtime_table

    r = run_bench(("I",), size=64, batch_size=1, repeats=2, warmup=1, device="cuda")
    assert r["device"] == runtime.describe(torch.device("cuda")) and r["precision"] == "bf16"
    m = r["models"]["I"]
    assert m["inference_peak_gpu_bytes"] > 0 and m["train_step_peak_gpu_bytes"] > m["inference_peak_gpu_bytes"]
    assert "int8_inference_s" not in m and "peak_rss_bytes" not in r
    image = np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    names = set(runtime_table(image, repeats=1, device="cuda")["seconds_per_image"])
    assert {"DBM (cuda, fp32)", "DBM (cuda, bf16)"} <= names and "DBM (cuda, int8)" not in names
