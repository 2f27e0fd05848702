"""The training recipe: optimiser groups, poly lr, losses, checkpoints, exact resume, provenance, bf16."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from blurlib import checkpoint, profiles
from blurlib.errors import BlurlibError
from blurlib.losses import bce_iou, cross_entropy, fidelity
from blurlib.models import build
from blurlib.train import batch_indices, param_groups, poly_lr, train

TINY = profiles.get("smoke").replace(size=32, iterations=6, checkpoint_every=3)


def test_rewording_a_profile_keeps_it_the_same_profile():
    p = profiles.get("cpu-short")
    assert p.replace(about="reworded") == p and p.replace(iterations=5) != p


def test_paper_profile_is_the_recipe():
    p = profiles.get("paper")
    assert (p.size, p.batch_size, p.iterations) == (384, 3, 10_000)
    assert p.base_lr == 2 ** -10 and p.lr_power == 0.9 and p.bias_lr_mult == 2
    assert (p.momentum, p.weight_decay, p.loss) == (0.9, 5e-4, "cross_entropy")
    with pytest.raises(BlurlibError, match="unknown profile 'fast'"):
        profiles.get("fast")


def test_poly_lr_and_groups():
    assert poly_lr(1.0, 0, 100, 0.9) == 1.0
    assert poly_lr(1.0, 50, 100, 0.9) == pytest.approx(0.5 ** 0.9)
    groups = param_groups(build("I"), profiles.get("paper"))
    assert groups[0]["weight_decay"] == 5e-4 and groups[0]["lr_mult"] == 1
    assert groups[1]["weight_decay"] == 0 and groups[1]["lr_mult"] == 2
    assert all(p.ndim == 1 for p in groups[1]["params"]) and all(p.ndim == 4 for p in groups[0]["params"])


def test_losses():
    y = torch.tensor([[1.0, 0.0]])
    good, bad = torch.tensor([[8.0, -8.0]]), torch.tensor([[-8.0, 8.0]])
    assert cross_entropy(good, y) < 1e-3 < 7 < cross_entropy(bad, y)
    assert fidelity(good, y) < 1e-3 and fidelity(bad, y) > 0.9
    assert cross_entropy(torch.zeros(1, 4), torch.ones(1, 4)) == pytest.approx(np.log(2))  # a mean, not a sum


def test_bce_iou_penalises_a_soft_map_more_than_cross_entropy_does():
    y = torch.zeros(2, 1, 8, 8)
    y[:, :, :, :4] = 1
    sure = (y * 2 - 1) * 8
    soft = (y * 2 - 1) * 0.5  # right on every pixel, but p = 0.62 / 0.38
    assert bce_iou(sure, y) < 1e-3
    iou_part = bce_iou(soft, y) - cross_entropy(soft, y)
    p = torch.sigmoid(torch.tensor(0.5)).item()
    assert iou_part.item() == pytest.approx(1 - (32 * p + 1) / (32 + 32 * (1 - p) + 1), abs=1e-5)
    assert bce_iou(soft.flip(-1), y) > bce_iou(soft, y)
    empty = torch.zeros(1, 1, 4, 4)
    assert bce_iou(torch.full_like(empty, -20.0), empty) < 1e-3  # no blurred pixel: a map of zeros costs nothing


def test_batch_order_is_a_pure_function_of_seed_and_iteration():
    assert batch_indices(10, 3, 0, 7) == batch_indices(10, 3, 0, 7)
    epoch = sorted(sum((batch_indices(9, 3, 0, i) for i in range(3)), []))
    assert epoch == list(range(9))
    assert batch_indices(9, 3, 0, 0) != batch_indices(9, 3, 1, 0)


def test_run_writes_provenance_log_and_loadable_model(synthetic, tmp_path):
    run = train(synthetic, tmp_path / "run", model_name="II", profile=TINY, progress=False, precision="fp32")
    info = json.loads((run / "run.json").read_text())
    assert info["model"] == "II" and info["seed"] == 0 and info["n_train"] == 6
    for key in ("command", "git_commit", "date", "torch"):
        assert key in info["provenance"]
    assert {"device", "wall_seconds", "data"} <= set(info)
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in log] == list(range(1, 7))
    assert log[0]["lr"] == 2 ** -10 and log[-1]["lr"] < log[0]["lr"]
    model, meta = checkpoint.load_model(run / "model.pt")
    assert meta["model"] == "II" and not model.training


@pytest.fixture(scope="module")
def uninterrupted(synthetic, tmp_path_factory):
    run = train(synthetic, tmp_path_factory.mktemp("full"), model_name="I", profile=TINY, progress=False,
                precision="fp32")
    return checkpoint.read(run / "model.pt")["state_dict"]


@pytest.mark.parametrize("killed_at", range(TINY.iterations))  # every iteration, so any random kill is covered
def test_kill_at_any_iteration_then_resume_is_bitwise_identical(synthetic, tmp_path, interrupt_training,
                                                                 uninterrupted, killed_at):
    """Killed while computing iteration ``killed_at`` (between checkpoints or not), resumed with --resume."""
    with interrupt_training(killed_at):
        train(synthetic, tmp_path, model_name="I", profile=TINY, progress=False, precision="fp32")
    saved = killed_at // TINY.checkpoint_every * TINY.checkpoint_every  # the last checkpoint before the kill
    ckpt = tmp_path / "checkpoint.pt"
    assert (checkpoint.read(ckpt)["iteration"] == saved) if saved else not ckpt.exists()
    train(synthetic, tmp_path, model_name="I", profile=TINY, progress=False, precision="fp32", resume=True)
    resumed = checkpoint.read(tmp_path / "model.pt")["state_dict"]
    assert all(torch.equal(uninterrupted[k], resumed[k]) for k in uninterrupted)
    log = [json.loads(line)["iteration"] for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert log == list(range(1, TINY.iterations + 1))  # lines past the checkpoint were dropped, then rewritten


def test_resume_checks_the_settings_and_accepts_older_checkpoints(synthetic, tmp_path):
    run, p = tmp_path / "run", TINY.replace(iterations=3, max_images=0)  # 0: the default of max_images
    train(synthetic, run, model_name="I", profile=p, progress=False, precision="fp32")
    ckpt = checkpoint.read(run / "checkpoint.pt")
    del ckpt["meta"]["profile"]["max_images"]  # written before that profile field existed
    torch.save(ckpt, run / "checkpoint.pt")
    train(synthetic, run, model_name="I", profile=p, progress=False, precision="fp32", resume=True)  # accepted
    with pytest.raises(BlurlibError, match="checkpoint.pt: checkpoint was trained with model I, you asked II.*another "
                                           "--run-dir"):
        train(synthetic, run, model_name="II", profile=p, progress=False, resume=True)
    with pytest.raises(BlurlibError, match="iterations 3, you asked 5.*another --run-dir"):
        train(synthetic, run, model_name="I", profile=p.replace(iterations=5), progress=False, resume=True)


def test_disk_full_while_checkpointing_keeps_the_previous_checkpoint(synthetic, tmp_path, monkeypatch):
    import errno

    real_save, calls = checkpoint.torch.save, []

    def fill_the_disk_on_the_second_checkpoint(obj, f, *a, **k):
        calls.append(obj["iteration"])
        if len(calls) == 1:
            return real_save(obj, f, *a, **k)
        f.write(b"PK half a checkpoint")
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(checkpoint.torch, "save", fill_the_disk_on_the_second_checkpoint)
    run = tmp_path / "run"
    with pytest.raises(BlurlibError, match="checkpoint.pt: No space left on device. The previous checkpoint.pt is "
                                           "untouched. Free disk space and run again .training: add --resume"):
        train(synthetic, run, model_name="I", profile=TINY, progress=False, precision="fp32")
    monkeypatch.setattr(checkpoint.torch, "save", real_save)
    assert calls == [3, 6] and checkpoint.read(run / "checkpoint.pt")["iteration"] == 3
    assert not [f for f in run.iterdir() if f.name.endswith(".tmp")]
    train(synthetic, run, model_name="I", profile=TINY, progress=False, precision="fp32", resume=True)
    assert checkpoint.read(run / "model.pt")["iteration"] == 6


def test_diverging_loss_stops_with_a_clear_error(synthetic, tmp_path):
    with pytest.raises(BlurlibError, match=r"run: the loss became (nan|inf) at iteration \d.*Lower the profile's base_lr"):
        train(synthetic, tmp_path / "run", model_name="I", profile=TINY.replace(base_lr=1e30), progress=False,
              precision="fp32")


def test_fusion_ds_trains_with_side_losses(synthetic, tmp_path):
    run = train(synthetic, tmp_path / "ds", model_name="fusion_ds", profile=TINY.replace(iterations=2),
                progress=False)
    model, _ = checkpoint.load_model(run / "model.pt")
    assert model.fusion_weights != pytest.approx([0.2] * 5)  # the fusion layer learned


def test_unet_trains_its_correction_with_bce_iou(synthetic, tmp_path):
    run = train(synthetic, tmp_path / "unet", model_name="unet", profile=TINY.replace(iterations=2, loss="bce_iou"),
                progress=False, precision="fp32")
    model, ckpt = checkpoint.load_model(run / "model.pt")
    assert ckpt["meta"]["profile"]["loss"] == "bce_iou"
    assert model.correction.weight.abs().sum() > 0  # left its zero start: the decoder is trained too


def test_checkpoint_errors_name_the_file(tmp_path, synthetic):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x80\x02garbage")
    with pytest.raises(BlurlibError, match="bad.pt: unreadable checkpoint"):
        checkpoint.load_model(bad)
    run = train(synthetic, tmp_path / "r", model_name="I", profile=TINY.replace(iterations=1), progress=False)
    truncated = tmp_path / "trunc.pt"
    truncated.write_bytes((run / "model.pt").read_bytes()[:1000])
    with pytest.raises(BlurlibError, match="trunc.pt: unreadable"):
        checkpoint.load_model(truncated)
    with pytest.raises(BlurlibError, match="checkpoint of model 'I', but 'V'"):
        checkpoint.load_model(run / "model.pt", expect="V")


def test_bf16_autocast_keeps_smoke_metrics(synthetic, tmp_path):
    """Stated tolerances: the same model inferred in bf16 vs fp32 moves ODS by ≤ 0.01; a smoke run trained in bf16
    vs fp32 (same seed, same batches) ends within 0.05 ODS."""
    from blurlib.evaluate import count, model_maps
    from blurlib.metrics import summarize
    from blurlib.runtime import cpu_has_bf16

    if not cpu_has_bf16():  # the CPU's test: pinned to the CPU, also where a GPU is present (see test_gpu.py)
        pytest.skip("this CPU has no native bf16 (AVX512-BF16/AMX): blurlib uses fp32 here")
    prof = profiles.get("smoke").replace(size=48, iterations=8)
    test = synthetic.select("test")
    ods = {}
    for prec in ("fp32", "bf16"):
        run = train(synthetic, tmp_path / prec, model_name="V", profile=prof, progress=False, precision=prec,
                    device="cpu")
        model, ckpt = checkpoint.load_model(run / "model.pt")
        for infer in ("fp32", "bf16"):
            c = count(test, model_maps(model, ckpt["convention"], 48, precision=infer, device="cpu"))
            ods[prec, infer] = summarize(c, "pooled")["ods"]
    assert abs(ods["fp32", "fp32"] - ods["fp32", "bf16"]) <= 0.01
    assert abs(ods["fp32", "fp32"] - ods["bf16", "bf16"]) <= 0.05


def test_training_on_cuda_asks_for_deterministic_algorithms(monkeypatch, synthetic, tmp_path):
    """Without a GPU: what runtime.deterministic sets for CUDA and restores after (nothing for CPU), and that
    training runs inside it."""
    import contextlib
    import os

    import blurlib.train as t
    from blurlib import runtime

    calls = []
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    monkeypatch.setattr(torch.backends.cudnn, "deterministic", False)
    monkeypatch.setattr(torch.backends.cudnn, "benchmark", True)
    monkeypatch.setattr(torch, "use_deterministic_algorithms", lambda mode, **k: calls.append((mode, k)))
    with runtime.deterministic(torch.device("cpu")):
        assert calls == [] and torch.backends.cudnn.benchmark
    with runtime.deterministic(torch.device("cuda")):
        assert calls == [(True, {})] and torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == runtime.CUBLAS_WORKSPACE
    assert calls[1] == (False, {"warn_only": False})  # the previous settings are back
    assert not torch.backends.cudnn.deterministic and torch.backends.cudnn.benchmark

    inside = []

    @contextlib.contextmanager
    def recording(device):
        inside.append(device)
        yield
        inside.append("exit")
    monkeypatch.setattr(t.runtime, "deterministic", recording)
    monkeypatch.setattr(t, "batch_indices", lambda *a: inside.append("step") or [0, 1, 2])
    train(synthetic, tmp_path, model_name="I", profile=TINY.replace(iterations=1), progress=False, device="cpu")
    assert inside == [torch.device("cpu"), "step", "exit"]


@pytest.mark.cuhk
@pytest.mark.slow
def test_the_training_loop_gives_a_committed_runs_first_200_losses_bit_for_bit(cuhk, tmp_path, interrupt_training):
    """The loop as it feeds a GPU (images on the device as uint8, losses read every LOG_EVERY steps) trains as the
    committed runs were trained: runs/I_odd's first 200 logged losses come back exactly, on a CPU like its own."""
    import json

    from blurlib import runtime
    from blurlib.data import scan
    from blurlib.paths import REPO

    committed = REPO / "runs" / "I_odd"
    run = json.loads((committed / "run.json").read_text())
    here = runtime.describe(runtime.select("cpu", run["precision"])[0])
    if here != run["device"]:
        pytest.skip(f"runs/I_odd was trained on {run['device']}; this CPU is {here}: other kernels, other bits")
    bench = scan(cuhk, allow_partial=True)
    with interrupt_training(200):
        train(bench, tmp_path / "run", model_name="I", profile=profiles.get(run["profile"]["name"]),
              split=run["split"], seed=run["seed"], weights=run["weights"], precision=run["precision"],
              device="cpu", progress=False)
    ours = [json.loads(line)["loss"] for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    theirs = [json.loads(line)["loss"] for line in (committed / "log.jsonl").read_text().splitlines()[:200]]
    assert len(ours) == 200 and ours == theirs
