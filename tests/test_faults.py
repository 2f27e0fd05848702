"""Faults and bad input, as a new user meets them: no data lost, no wrong result, no traceback.

Each test is one case: first those that lost data or gave a wrong result with exit 0, then those that ended in a
traceback, then the unclear messages.
"""

from __future__ import annotations

import hashlib
import tempfile
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import blurlib.train as train_module
from blurlib import checkpoint, profiles, runtime
from blurlib.cli import main
from blurlib.data.synthetic import make_sample
from blurlib.errors import BlurlibError
from blurlib.train import train

TINY = profiles.get("smoke").replace(size=32, iterations=6, checkpoint_every=3)


def digest(folder):
    """{relative path: sha256} of every file under ``folder``."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


# --- data lost or results wrong ---------------------------------------------------------------------------------

def test_predict_into_the_folder_of_png_photos_is_refused(model_file, photos, capsys):
    before = digest(photos)
    assert main(["predict", str(photos), "-o", str(photos), "--checkpoint", str(model_file), "--size", "32",
                 "--device", "cpu"]) == 2
    err = capsys.readouterr().err
    assert "would overwrite the input" in err and "Choose another output" in err and "Traceback" not in err
    assert digest(photos) == before
    assert main(["predict", str(photos / "p1.png"), "-o", str(photos.parent / "maps"), "--checkpoint", str(model_file),
                 "--size", "32", "--overlay"]) == 0  # another folder: fine


def test_the_model_file_a_command_reads_is_never_one_of_its_outputs(model_file, photos, tmp_path, capsys):
    """predict, magnify and bench read a checkpoint: an output of the same name is refused, even with --overwrite."""
    ck = tmp_path / "ck"
    ck.mkdir()
    weights = ck / "p1.png"  # a checkpoint named like the map predict would write
    weights.write_bytes(model_file.read_bytes())
    magnified = ck / "p1_magnified.png"
    magnified.write_bytes(model_file.read_bytes())
    before = digest(ck)
    assert main(["predict", str(photos / "p1.png"), "--checkpoint", str(weights), "-o", str(ck), "--size", "32",
                 "--overwrite"]) == 2
    assert "p1.png: would overwrite the input" in capsys.readouterr().err
    assert main(["magnify", str(photos / "p1.png"), "--checkpoint", str(magnified), "-o", str(ck), "--overwrite"]) == 2
    assert "p1_magnified.png: would overwrite the input" in capsys.readouterr().err
    assert main(["bench", "--models", "V", "--size", "32", "--no-train", "--baselines", "--checkpoint", str(weights),
                 "--out", str(weights), "--overwrite"]) == 2
    assert "would overwrite the input" in capsys.readouterr().err
    assert digest(ck) == before


def test_running_out_of_memory_on_one_image_skips_it_in_one_line(model_file, photos, tmp_path, capsys, monkeypatch):
    import blurlib.predict as predict

    def no_memory(*a, **kw):  # what the CPU allocator raises under a container's memory limit
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] . DefaultCPUAllocator: can't allocate memory: you "
                           "tried to allocate 123456789 bytes.")
    monkeypatch.setattr(predict, "predict_map", no_memory)
    assert main(["predict", str(photos / "p1.png"), "--checkpoint", str(model_file), "-o", str(tmp_path / "o"),
                 "--size", "32"]) == 2
    err = capsys.readouterr().err
    assert "ran out of memory predicting its" in err and "smaller --size" in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_train_without_resume_into_a_finished_run_is_refused(synthetic, tmp_path):
    run = train(synthetic, tmp_path / "run", model_name="I", profile=TINY.replace(iterations=2), progress=False,
                precision="fp32")
    before = digest(run)
    with pytest.raises(BlurlibError, match=r"run: already holds a run \(checkpoint.pt, model.pt, run.json, "
                                           r"log.jsonl\); nothing there is overwritten. Add --resume"):
        train(synthetic, run, model_name="I", profile=TINY.replace(iterations=2), progress=False, precision="fp32")
    assert digest(run) == before
    (run / "checkpoint.pt").unlink()  # a published run (results, no checkpoint): not even --resume overwrites it
    with pytest.raises(BlurlibError, match="no checkpoint.pt to resume from"):
        train(synthetic, run, model_name="I", profile=TINY.replace(iterations=2), progress=False, resume=True)
    assert (run / "log.jsonl").exists()


@pytest.fixture
def interrupted(synthetic, interrupt_training):
    """Train TINY into a run folder, interrupted at iteration ``at`` (the checkpoint of iteration 3 is kept)."""
    def run_into(run, at=4, **kw):
        with interrupt_training(at):
            train(synthetic, run, model_name="I", profile=TINY, progress=False, **kw)
    return run_into


def test_resume_with_other_settings_is_refused_naming_them(synthetic, tmp_path, interrupted):
    run = tmp_path / "run"
    interrupted(run, precision="fp32")
    ckpt_before = digest(run)
    for kw, words in ((dict(seed=1), "seed 0, you asked 1"),
                      (dict(split="test"), "split train, you asked test"),
                      (dict(weights="scratch"), "weights hed, you asked scratch"),
                      (dict(model_name="II"), "model I, you asked II"),
                      (dict(profile=TINY.replace(iterations=8)), "iterations 6, you asked 8"),
                      (dict(precision="bf16"), "precision fp32, you asked bf16"),
                      (dict(seed=2, split="even"), "seed 0, you asked 2; split train, you asked even")):
        args = dict(model_name="I", profile=TINY, precision="fp32") | kw
        with pytest.raises(BlurlibError, match=f"checkpoint.pt: checkpoint was trained with {words}\\. Resume with"):
            train(synthetic, run, progress=False, resume=True, **args)
        assert digest(run) == ckpt_before
    ckpt = checkpoint.read(run / "checkpoint.pt")
    ckpt["meta"]["device"] = "cuda"  # as if trained on a GPU
    torch.save(ckpt, run / "checkpoint.pt")
    with pytest.raises(BlurlibError, match="device cuda, you asked cpu"):
        train(synthetic, run, model_name="I", profile=TINY, progress=False, resume=True, precision="fp32",
              device="cpu")


def test_a_resumed_run_records_each_segment(synthetic, tmp_path, interrupted):
    run = tmp_path / "run"
    interrupted(run, precision="fp32")
    train(synthetic, run, model_name="I", profile=TINY, progress=False, precision="fp32", resume=True)
    info = json.loads((run / "run.json").read_text())
    segments = info["segments"]
    assert [(s["start"], s["end"]) for s in segments] == [(0, 3), (3, 6)]
    assert all(s["precision"] == "fp32" and s["device"] == runtime.describe(runtime.pick_device())
               and s["wall_seconds"] >= 0 for s in segments)
    assert info["precision"] == "fp32" and info["device"] == segments[-1]["device"]
    before = digest(run)
    train(synthetic, run, model_name="I", profile=TINY, progress=False, precision="fp32", resume=True)
    assert digest(run) == before  # a finished run resumed: nothing to do, nothing rewritten


def test_evaluate_refuses_probabilities_saved_as_0_1_png(synthetic_root, tmp_path, capsys):
    maps, ok = tmp_path / "maps01", tmp_path / "maps255"
    maps.mkdir()
    ok.mkdir()
    for mask in sorted((synthetic_root / "gt").glob("*.png")):
        m = (np.asarray(Image.open(mask)) > 127).astype(np.uint8)  # a perfect map, but saved as 0/1
        Image.fromarray(m).save(maps / mask.name)
        Image.fromarray(m * 255).save(ok / mask.name)
    for folder, code in ((maps, 2), (ok, 0)):
        assert main(["evaluate", "--pred", str(folder), "--gt", str(synthetic_root), "--json"]) == code
    out, err = capsys.readouterr()
    assert "maps01: every map holds only the values 0 and 1" in err and "0..255 (255 = blurred)" in err
    assert json.loads(out)["ods"] == 1.0  # the same maps in 0..255 are perfect
    assert main(["evaluate", "--pred", str(maps), "--gt", str(synthetic_root), "--invert"]) == 2
    bits, zeros = tmp_path / "maps1bit", tmp_path / "maps0"
    bits.mkdir()
    zeros.mkdir()
    for mask in sorted((synthetic_root / "gt").glob("*.png")):
        Image.open(mask).convert("1").save(bits / mask.name)  # a black-and-white file: white = blurred
        Image.fromarray(np.zeros_like(np.asarray(Image.open(mask)), np.uint8)).save(zeros / mask.name)
    capsys.readouterr()
    assert main(["evaluate", "--pred", str(bits), "--gt", str(synthetic_root), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ods"] == 1.0
    assert main(["evaluate", "--pred", str(zeros), "--gt", str(synthetic_root), "--json"]) == 0  # "all sharp": scored
    out, err = capsys.readouterr()
    assert json.loads(out)["ods"] < 1.0 and json.loads(out)["ap"] > 0.99  # the paper protocol's AP of a blank map
    assert "maps0: no map reaches level 1 of 255, so 255 of the 256 thresholds call no pixel blurred" in err
    half = tmp_path / "mapshalf"  # the perfect maps at half range: a higher AP, and said why
    half.mkdir()
    for mask in sorted((synthetic_root / "gt").glob("*.png")):
        Image.fromarray((np.asarray(Image.open(mask)) > 127).astype(np.uint8) * 128).save(half / mask.name)
    assert main(["evaluate", "--pred", str(half), "--gt", str(synthetic_root), "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["ods"] == 1.0 and "(up to +0.496)" in err
    assert main(["evaluate", "--pred", str(ok), "--gt", str(synthetic_root), "--json"]) == 0
    assert "no map reaches" not in capsys.readouterr().err  # full-range maps: no warning


def test_apps_refuse_a_map_saved_as_0_1_png(tmp_path, capsys):
    _, image, mask = make_sample(1, 32, seed=0)
    Image.fromarray(image).save(tmp_path / "a.png")
    Image.fromarray(mask.astype(np.uint8)).save(tmp_path / "m01.png")
    assert main(["degree", str(tmp_path / "a.png"), "--map", str(tmp_path / "m01.png")]) == 2
    assert "m01.png: the map holds only the values 0 and 1" in capsys.readouterr().err
    Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / "m.png")
    assert main(["degree", str(tmp_path / "a.png"), "--map", str(tmp_path / "m.png"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["blur_degree"] == pytest.approx(mask.mean(), abs=1e-4)


@pytest.mark.parametrize("size", ["7", "1", "16"])
def test_predict_at_a_size_the_network_cannot_resolve_is_refused(model_file, photos, tmp_path, size, capsys):
    assert main(["predict", str(photos), "-o", str(tmp_path / "maps"), "--checkpoint", str(model_file),
                 "--size", size]) == 2
    assert f"--size {size} is below 17 pixels" in capsys.readouterr().err and not (tmp_path / "maps").exists()


def test_a_tiny_image_at_its_own_size_is_skipped_not_a_constant_map(model_file, tmp_path, capsys):
    Image.new("RGB", (10, 50)).save(tmp_path / "thin.png")
    assert main(["predict", str(tmp_path / "thin.png"), "-o", str(tmp_path / "maps"), "--checkpoint",
                 str(model_file), "--size", "0"]) == 2
    assert "a 10x50 image at its own size is below 17 pixels" in capsys.readouterr().err
    assert not (tmp_path / "maps" / "thin.png").exists()


def test_a_checkpoint_with_non_finite_weights_is_refused(model_file, photos, tmp_path, capsys):
    ckpt = torch.load(model_file, weights_only=True)
    ckpt["state_dict"]["score.weight"][0, 0] = float("nan")
    torch.save(ckpt, tmp_path / "nan.pt")
    assert main(["predict", str(photos), "-o", str(tmp_path / "maps"), "--checkpoint", str(tmp_path / "nan.pt")]) == 2
    assert "nan.pt: 1 weight tensor(s) hold NaN or infinite values (e.g. score.weight)" in capsys.readouterr().err
    assert not (tmp_path / "maps").exists()


def test_download_is_tried_when_asked(tmp_path, monkeypatch, capsys):
    import blurlib.data

    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BLURLIB_DATA", raising=False)
    asked = []

    def offline(dest=None):
        asked.append(dest)
        raise BlurlibError("could not download (offline).")
    monkeypatch.setattr(blurlib.data, "download", offline)
    assert main(["data", "info", "--download"]) == 2  # not the synthetic set
    assert main(["data", "info", "--root", str(tmp_path / "x"), "--download"]) == 2
    assert asked == [None, tmp_path / "x"] and "offline" in capsys.readouterr().err
    assert not (tmp_path / "home" / "data" / "synthetic").exists()


def test_one_unreadable_image_is_skipped_and_reported(model_file, photos, tmp_path, capsys):
    (photos / "p2.png").write_bytes((photos / "p2.png").read_bytes()[:60])  # truncated
    (photos / "p0.jpg").write_bytes(b"not a jpeg")
    assert main(["predict", str(photos), "-o", str(tmp_path / "maps"), "--checkpoint", str(model_file),
                 "--size", "32"]) == 2
    out, err = capsys.readouterr()
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == ["blurlib-predict.json", "p1.png", "p3.png"]
    skipped = json.loads((tmp_path / "maps" / "blurlib-predict.json").read_text())["skipped"]
    assert len(skipped) == 2 and any("p2.png: truncated or corrupt image" in m for m in skipped)
    assert "p2.png: truncated or corrupt image" in err and "p0.jpg: not a readable image" in err
    assert "2 maps in" in out and "2 image(s) skipped" in out


# --- tracebacks ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("device, words", [
    ("gpu", "unknown device 'gpu': use cpu, cuda, cuda:N"),
    ("gpu0", "unknown device 'gpu0'"),
    ("meta", "unknown device 'meta'"),
    ("cuda", "device 'cuda' is not available here: torch.cuda.is_available() is False"),
    ("mps", "device 'mps' is not available here"),
])
def test_absent_or_unknown_device_is_a_one_line_error(device, words, model_file, photos, tmp_path, capsys,
                                                      monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path / "home"))
    commands = [["predict", str(photos), "-o", str(tmp_path / "maps"), "--checkpoint", str(model_file)],
                ["train", "--source", "synthetic", "--run-dir", str(tmp_path / "run"), "--iterations", "1"],
                ["bench", "--size", "32", "--repeats", "1"],
                ["evaluate", "--run", str(tmp_path / "run"), "--source", "synthetic"]]
    for cmd in commands:
        assert main([*cmd, "--device", device]) == 2
        err = capsys.readouterr().err
        assert words in err and err.count("\n") == 1 and "Traceback" not in err, cmd
    assert not (tmp_path / "maps").exists() and not (tmp_path / "run").exists()


def test_device_check_on_a_one_gpu_machine(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(runtime, "_first_use", lambda dev: None)
    with pytest.raises(BlurlibError, match=r"device 'cuda:1' is not available here: 1 CUDA device \(cuda:0\); "
                                           r"use --device cuda:0"):
        runtime.pick_device("cuda:1")
    assert runtime.pick_device("cuda:0") == torch.device("cuda:0")
    assert runtime.pick_device(None) == torch.device("cuda")


def test_a_gpu_reported_but_unusable_is_a_one_line_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)

    def broken(dev):
        raise RuntimeError("CUDA error: the provided PTX was compiled with an unsupported toolchain.\nmore")
    monkeypatch.setattr(runtime, "_first_use", broken)
    with pytest.raises(BlurlibError, match=r"device 'cuda' cannot be used \(RuntimeError: CUDA error: the provided "
                                           r"PTX .*toolchain.\); use --device cpu, or fix the CUDA driver"):
        runtime.pick_device("cuda")


def test_auto_precision_on_cuda_never_takes_emulated_bf16(monkeypatch):
    gpu = torch.device("cuda")
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: including_emulation)
    assert runtime.resolve_precision("auto", gpu) == "fp32"  # e.g. a T4 or V100: bf16 only emulated
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert runtime.resolve_precision("auto", gpu) == "bf16"  # an A100 or H100
    assert runtime.resolve_precision("fp32", gpu) == "fp32"
    with pytest.raises(BlurlibError, match="unknown precision 'fp16'"):
        runtime.resolve_precision("fp16", gpu)


def test_tf32_is_off_on_cuda():
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    try:
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
        runtime.configure(torch.device("cpu"), "fp32")
        assert torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32  # CPU: nothing touched
        for precision in ("fp32", "bf16"):
            torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
            runtime.configure(torch.device("cuda"), precision)
            assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def test_every_run_states_its_device_and_precision(model_file, photos, tmp_path, capsys):
    assert main(["predict", str(photos), "-o", str(tmp_path / "maps"), "--checkpoint", str(model_file),
                 "--size", "32", "--device", "cpu", "--precision", "fp32"]) == 0
    first = capsys.readouterr().err.splitlines()[0]
    assert first.startswith("predict: device cpu: ") and first.endswith("; precision fp32")


@pytest.mark.parametrize("args, words", [
    (["predict", "--size", "-1"], "argument --size: -1 is below 0"),
    (["predict", "--size", "x"], "argument --size: 'x' is not a whole number"),
    (["predict", "--max-pixels", "0"], "argument --max-pixels"),
    (["evaluate", "--size", "0"], "argument --size"),
    (["bench", "--repeats", "0"], "argument --repeats"),
    (["bench", "--batch-size", "-2"], "argument --batch-size"),
    (["bench", "--size", "-384"], "argument --size"),
    (["magnify", "--sigma", "nan"], "argument --sigma"),
    (["train", "--iterations", "0"], "argument --iterations"),
    (["quantize", "--images", "0"], "argument --images"),
    (["train", "--seed", str(2**32)], f"argument --seed: {2**32} is above {2**32 - 1}"),  # would repeat seed 0
    (["train", "--seed", "99999999999999999999"], "argument --seed"),
    (["quantize", "--seed", "-1"], "argument --seed: -1 is below 0"),
])
def test_bad_numeric_arguments_are_usage_errors(args, words, capsys, tmp_path):
    needs = {"predict": ["x.png", "-o", str(tmp_path)], "magnify": ["x.png", "-o", str(tmp_path)],
             "train": ["--run-dir", str(tmp_path / "r")]}
    with pytest.raises(SystemExit) as e:
        main([args[0], *needs.get(args[0], []), *args[1:]])
    assert e.value.code == 2 and words in capsys.readouterr().err


def test_bench_at_a_size_beyond_memory_is_refused(capsys, monkeypatch):
    assert main(["bench", "--size", "100000", "--device", "cpu"]) == 2
    assert "--size 100000 needs about" in capsys.readouterr().err
    monkeypatch.setattr(runtime, "free_memory", lambda dev: 2**30)
    assert main(["bench", "--size", "512", "--batch-size", "16", "--device", "cpu"]) == 2
    assert "a training step on 16 images of 512x512 needs more than 1.6 GiB" in capsys.readouterr().err

    def out_of_memory(*a, **k):
        raise RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate 123 bytes.")
    monkeypatch.setattr("blurlib.bench._median_seconds", out_of_memory)
    assert main(["bench", "--size", "32", "--device", "cpu"]) == 2
    assert "bench ran out of memory at size 32, batch 3 (RuntimeError: DefaultCPUAllocator" in capsys.readouterr().err


def test_a_size_beyond_memory_is_refused_before_any_work(model_file, photos, tmp_path, capsys):
    assert main(["predict", str(photos), "-o", str(tmp_path / "maps"), "--checkpoint", str(model_file),
                 "--size", "1000000"]) == 2
    assert "--size 1000000 needs about" in capsys.readouterr().err and not (tmp_path / "maps").exists()


def test_a_run_folder_that_is_a_file_or_read_only_fails_before_training(synthetic, tmp_path, monkeypatch):
    (tmp_path / "file").write_text("a file")
    with pytest.raises(BlurlibError, match="file: --run-dir is a file, not a folder"):
        train(synthetic, tmp_path / "file", model_name="I", profile=TINY, progress=False)
    with pytest.raises(BlurlibError, match="cannot write the run folder"):
        train(synthetic, tmp_path / "file" / "run", model_name="I", profile=TINY, progress=False)

    def read_only(*a, **k):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(train_module.tempfile, "mkstemp", read_only)  # running as root, chmod does not stop writes
    started = []
    monkeypatch.setattr(train_module, "poly_lr", lambda *a: started.append(1) or 1e-3)
    with pytest.raises(BlurlibError, match=r"ro: cannot write the run folder \(Permission denied\)"):
        train(synthetic, tmp_path / "ro", model_name="I", profile=TINY, progress=False)
    assert not started  # refused before the first iteration


def test_a_checkpoint_with_an_unknown_input_convention_is_refused(model_file, photos, tmp_path, capsys):
    ckpt = torch.load(model_file, weights_only=True)
    ckpt["convention"] = "opencv"
    torch.save(ckpt, tmp_path / "handmade.pt")
    assert main(["predict", str(photos), "-o", str(tmp_path / "maps"), "--checkpoint",
                 str(tmp_path / "handmade.pt")]) == 2
    err = capsys.readouterr().err
    assert "handmade.pt: unknown input convention 'opencv' (use one of caffe, torchvision)" in err
    assert "Traceback" not in err


def test_publish_into_the_run_itself_or_a_file_is_refused(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    for name in ("run.json", "metrics.json", "log.jsonl"):
        (run / name).write_text("{}")
    before = digest(run)
    assert main(["publish", str(run), str(run)]) == 2
    assert "is the run folder itself" in capsys.readouterr().err
    assert main(["publish", str(run), str(run / "maps")]) == 2  # inside the run: refused too
    assert "lies in it" in capsys.readouterr().err
    (tmp_path / "file").write_text("x")
    assert main(["publish", str(run), str(tmp_path / "file")]) == 2
    assert "file: is a file, not a folder" in capsys.readouterr().err
    assert digest(run) == before and (tmp_path / "file").read_text() == "x"


def test_segment_and_magnify_never_overwrite_an_input(tmp_path, capsys):
    _, image, mask = make_sample(1, 32, seed=0)
    Image.fromarray(image).save(tmp_path / "a.png")
    Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / "a_segment.png")  # the map, named like an output
    before = digest(tmp_path)
    assert main(["segment", str(tmp_path / "a.png"), "--map", str(tmp_path / "a_segment.png"), "-o",
                 str(tmp_path)]) == 2
    assert "a_segment.png: would overwrite the input" in capsys.readouterr().err and digest(tmp_path) == before


def test_magnify_with_a_huge_sigma_is_refused_not_hours_of_work(tmp_path, capsys):
    _, image, mask = make_sample(1, 32, seed=0)
    Image.fromarray(image).save(tmp_path / "a.png")
    Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / "m.png")
    assert main(["magnify", str(tmp_path / "a.png"), "--map", str(tmp_path / "m.png"), "-o", str(tmp_path / "o"),
                 "--sigma", "100000000"]) == 2
    assert "sigma 100000000.0 px: use a value > 0 and at most the image's longer side (32 px)" in \
        capsys.readouterr().err


def test_a_foreign_file_as_checkpoint_or_weights_is_one_line_without_unsafe_advice(photos, tmp_path, capsys,
                                                                                    monkeypatch):
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path / "home"))
    (tmp_path / "notes.txt").write_text("not weights")
    for cmd in (["predict", str(photos), "-o", str(tmp_path / "maps"), "--checkpoint", str(tmp_path / "notes.txt")],
                ["train", "--source", "synthetic", "--weights", str(tmp_path / "notes.txt"), "--iterations", "1",
                 "--run-dir", str(tmp_path / "run")]):
        assert main(cmd) == 2
        err = capsys.readouterr().err.splitlines()[-1]
        assert err.startswith(f"blurlib: error: {tmp_path / 'notes.txt'}: ") and "not a file written by torch.save" in err
        assert "weights_only" not in err


def test_an_output_path_that_is_a_folder_or_under_a_file_is_a_clear_error(tmp_path):
    from blurlib.io import write_json

    (tmp_path / "folder").mkdir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(BlurlibError, match="folder: it is a folder; give a file name"):
        write_json(tmp_path / "folder", {})  # e.g. bench --out DIR, evaluate --pr-csv DIR
    with pytest.raises(BlurlibError, match="file is a file, not a folder"):
        write_json(tmp_path / "file" / "x.json", {})
    assert (tmp_path / "file").read_text() == "x" and not list((tmp_path / "folder").iterdir())


def test_training_on_an_empty_split_is_a_clear_error(synthetic, tmp_path):
    with pytest.raises(BlurlibError, match="no images in split 'defocus100', category 'motion'"):
        train(synthetic, tmp_path / "run", model_name="I", profile=TINY, split="defocus100", category="motion",
              progress=False)


# --- unclear ------------------------------------------------------------------------------------------------------

def test_a_resume_with_another_iteration_count_says_so(synthetic, tmp_path, interrupted):
    interrupted(tmp_path / "run", precision="fp32")
    with pytest.raises(BlurlibError) as e:
        train(synthetic, tmp_path / "run", model_name="I", profile=TINY.replace(iterations=10), progress=False,
              precision="fp32", resume=True)
    assert "iterations 6, you asked 10" in str(e.value) and "another profile or model" not in str(e.value)


def test_an_error_is_printed_on_its_own_line_after_the_progress_bar(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path / "home"))

    def disk_full(path, *a, **k):
        raise BlurlibError(f"cannot write {path}: No space left on device.")
    monkeypatch.setattr(train_module.checkpoint, "save", disk_full)
    assert main(["train", "--source", "synthetic", "--model", "I", "--iterations", "1", "--device", "cpu",
                 "--run-dir", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    before, error = err.rsplit("blurlib: error: ", 1)
    assert before.startswith("train I: device cpu: ")  # the run first says where and how it runs
    assert before.endswith("\n") and "train I" in before  # the bar was closed, then the error
    assert error.count("\n") == 1 and "No space left on device" in error  # and no stale bar after it


def test_a_write_error_stops_predict_on_a_line_of_its_own_with_the_count_written(model_file, photos, tmp_path,
                                                                               monkeypatch, capsys):
    import blurlib.predict as predict

    real, calls = predict.write_png, []

    def full_after_one(path, array):
        calls.append(path)
        if len(calls) > 1:
            raise BlurlibError(f"cannot write {path}: No space left on device.")
        real(path, array)
    monkeypatch.setattr(predict, "write_png", full_after_one)
    assert main(["predict", str(photos), "-o", str(tmp_path / "maps"), "--checkpoint", str(model_file),
                 "--size", "32"]) == 2
    err = capsys.readouterr().err
    before, error = err.rsplit("blurlib: error: ", 1)
    assert before.endswith("\n") and "predict" in before  # the bar was closed, then the error
    assert error.count("\n") == 1 and f"cannot write {tmp_path / 'maps' / 'p2.png'}: No space left on device. " \
        f"Stopped after 1 map(s). Nothing in {tmp_path / 'maps'} was changed." in error
    assert not (tmp_path / "maps").exists()  # all or nothing: the folder it made is gone with the failed result


def test_evaluate_against_a_root_holding_only_gt(synthetic_root, tmp_path, capsys):
    shutil.copytree(synthetic_root / "gt", tmp_path / "root" / "gt")
    shutil.copytree(synthetic_root / "gt", tmp_path / "maps")  # the masks as maps: a perfect score
    assert main(["evaluate", "--pred", str(tmp_path / "maps"), "--gt", str(tmp_path / "root"), "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["n_images"] == 6 and s["ods"] == 1.0


# --- property: damaged files and random numbers never end in a traceback --------------------------------------

@pytest.fixture(scope="module")
def clean_inputs(tmp_path_factory, model_file):
    """Real small files of every kind the command line reads: a PNG and a JPEG photo, a dataset root (image/, gt/),
    maps of its masks, a .npy map, a checkpoint."""
    from blurlib.data import make_synthetic

    root = make_synthetic(tmp_path_factory.mktemp("set"), n=4, size=24, seed=0)
    image = np.asarray(Image.open(sorted((root / "image").glob("*.png"))[0]))
    folder = tmp_path_factory.mktemp("clean")
    Image.fromarray(image).save(folder / "photo.png")
    Image.fromarray(image).save(folder / "snap.jpg", quality=90)
    shutil.copytree(root, folder / "root")
    shutil.copytree(root / "gt", folder / "maps")
    np.save(folder / "map.npy", np.asarray(Image.open(folder / "maps" / "motion0003.png"), np.float32) / 255)
    shutil.copy(model_file, folder / "model.pt")
    return folder


def _damage(data: bytes, draw) -> bytes:
    from hypothesis import strategies as st

    kind = draw(st.sampled_from(["intact", "truncate", "flip"]))
    if kind == "truncate":
        return data[:draw(st.integers(0, len(data)))]
    if kind == "flip":
        b = bytearray(data)
        for pos in draw(st.lists(st.integers(0, len(b) - 1), min_size=1, max_size=6)):
            b[pos] ^= draw(st.integers(1, 255))
        return bytes(b)
    return data


NUMBERS = ["-1", "0", "1", "7", "17", "32", "1e3", "nan", "inf", "x", "100000000", "-0"]


def test_damaged_files_and_random_numbers_end_in_exit_0_or_2_and_leave_inputs_alone(clean_inputs, tmp_path_factory):
    """Random truncations and byte flips of real files, random numeric arguments: every invocation of
    ``blurlib.cli.main`` ends with status 0 or 2 (never a traceback) and no input file changes."""
    from hypothesis import HealthCheck, event, given, settings
    from hypothesis import strategies as st

    files = {"png": "photo.png", "jpg": "snap.jpg", "map": "maps/motion0003.png", "gt": "root/gt/motion0003.png",
             "image": "root/image/motion0003.png", "npy": "map.npy", "ckpt": "model.pt"}

    def number(draw, good):  # mostly the good value, so that the others are reached
        return draw(st.one_of(st.just(good), st.just(good), st.just(good), st.sampled_from(NUMBERS),
                              st.integers(-5, 70).map(str)))

    @st.composite
    def invocation(draw):
        work = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
        shutil.copytree(clean_inputs, work / "in")
        target = draw(st.sampled_from(sorted(files)))
        path = work / "in" / files[target]
        path.write_bytes(_damage(path.read_bytes(), draw))
        i, out = work / "in", str(work / "out")
        command = draw(st.sampled_from(["predict"] * 3 + ["evaluate", "evaluate-run"] * 2 + ["degree", "magnify",
                                                                                           "bench", "data"]))
        if command == "predict":
            args = ["predict", *draw(st.sampled_from([[str(i / "photo.png")], [str(i / "snap.jpg")],
                                                      [str(i / "photo.png"), str(i / "snap.jpg")]])), "-o", out,
                    "--checkpoint", str(i / "model.pt"), "--size", number(draw, "32"), "--device", "cpu",
                    "--max-pixels", number(draw, "5000"),
                    "--precision", draw(st.sampled_from(["fp32", "fp32", "auto", "int8"]))]
            args += ["--overlay"] if draw(st.booleans()) else []
        elif command == "evaluate":
            args = ["evaluate", "--pred", str(i / "maps"), "--gt", str(i / "root"), "--split",
                    draw(st.sampled_from(["all", "odd", "test", "moredata-test-1", "bogus"]))]
            args += ["--invert"] if draw(st.booleans()) else []
        elif command == "evaluate-run":  # a run folder whose model.pt may be the damaged file
            (work / "run").mkdir()
            shutil.copy(i / "model.pt", work / "run" / "model.pt")
            args = ["evaluate", "--run", str(work / "run"), "--source", "synthetic", "--root", str(i / "root"),
                    "--size", number(draw, "32"), "--device", "cpu", "--split", "all"]
        elif command == "degree":
            args = ["degree", str(i / "root" / "image" / "motion0003.png"), "--map",
                    str(i / draw(st.sampled_from(["maps/motion0003.png", "map.npy"])))]
        elif command == "magnify":
            args = ["magnify", str(i / "photo.png"), "--map", str(i / "maps" / "motion0003.png"), "-o", out,
                    "--sigma", number(draw, "2")]
        elif command == "data":
            args = ["data", "info", "--source", draw(st.sampled_from(["synthetic", "cuhk"])), "--root",
                    str(i / "root"), "--allow-partial"]
        else:  # bench: only argument checks here (a real benchmark takes seconds)
            args = ["bench", "--size", number(draw, "32"), "--batch-size", number(draw, "1"),
                    "--repeats", draw(st.sampled_from(["0", "-1", "x"])), "--device", "cpu"]
        return work, args

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(invocation())
    def run(case):
        work, args = case
        before = digest(work / "in")
        try:
            code = main(args)
        except SystemExit as e:  # argparse: usage errors
            code = e.code
        event(f"{args[0]}{' --run' if '--run' in args else ''}: exit {code}")
        assert code in (0, 2), args
        assert digest(work / "in") == before, args
        shutil.rmtree(work)

    run()


def test_a_predict_that_skips_every_image_writes_no_result_and_the_retry_goes_through(model_file, tmp_path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    out = tmp_path / "maps"
    common = ["--checkpoint", str(model_file), "--size", "32", "--device", "cpu"]
    assert main(["predict", str(bad), "-o", str(out), *common]) == 2
    assert "no map written: every image was skipped (1; e.g." in capsys.readouterr().err and not out.exists()
    Image.fromarray(make_sample(1, 40, seed=0)[1]).save(bad)  # fixed as the message says: no --overwrite needed
    assert main(["predict", str(bad), "-o", str(out), *common]) == 0


def test_a_1_bit_map_reads_white_as_blurred(tmp_path):
    from blurlib.io import read_map

    Image.fromarray(np.array([[0, 255]], np.uint8)).convert("1").save(tmp_path / "m.png")
    assert read_map(tmp_path / "m.png").tolist() == [[0.0, 1.0]]
