"""The command line as a user runs it: exit codes, clear errors without tracebacks, real outputs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from blurlib import profiles
from blurlib.cli import main
from blurlib.train import train


def test_data_info_json(synthetic_root, capsys):
    assert main(["data", "info", "--root", str(synthetic_root), "--json"]) == 2  # not a CUHK root: no manifest
    err = capsys.readouterr().err
    assert "masks are missing (e.g. motion0001.png)" in err and "Traceback" not in err
    assert "--allow-partial accepts missing images, not masks" in err


def test_data_info_synthetic(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path))
    monkeypatch.delenv("BLURLIB_DATA", raising=False)
    assert main(["data", "info", "--source", "synthetic", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["images"]["total"] == 24 and s["complete"]


@pytest.mark.cuhk
def test_data_info_on_partial_cuhk(cuhk, capsys):
    assert main(["data", "info", "--root", str(cuhk)]) == 2
    assert "--allow-partial" in capsys.readouterr().err
    assert main(["data", "info", "--root", str(cuhk), "--allow-partial", "--json"]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["missing"]["total"] == 294 and len(s["missing_names"]) == 294


def test_train_predict_evaluate_round_trip(synthetic, synthetic_root, tmp_path, capsys):
    run = train(synthetic, tmp_path / "run", model_name="I",
                profile=profiles.get("smoke").replace(size=32, iterations=2), progress=False)
    images = sorted((synthetic_root / "image").glob("*.png"))
    assert main(["predict", *map(str, images), "--checkpoint", str(run / "model.pt"), "-o", str(tmp_path / "maps"),
                 "--size", "32", "--overlay"]) == 0
    out = Image.open(tmp_path / "maps" / "motion0003.png")
    assert out.mode == "L" and out.size == Image.open(images[0]).size
    assert np.asarray(Image.open(tmp_path / "maps" / "motion0003_overlay.png")).shape == (64, 128, 3)
    capsys.readouterr()
    assert main(["evaluate", "--pred", str(tmp_path / "maps"), "--gt", str(synthetic_root), "--split", "test",
                 "--protocol", "pooled", "--json", "--pr-csv", str(tmp_path / "pr.csv")]) == 0
    s = json.loads(capsys.readouterr().out)
    assert s["n_images"] == 6 and 0 <= s["ods"] <= 1 and s["protocol"] == "pooled"
    assert (tmp_path / "pr.csv").read_text().startswith("threshold,precision,recall")


def test_train_loss_option_overrides_the_profile(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path))
    args = ["train", "--source", "synthetic", "--model", "I", "--profile", "smoke", "--iterations", "1",
            "--loss", "fidelity", "--run-dir", str(tmp_path / "run")]
    assert main(args) == 0
    run = json.loads((tmp_path / "run" / "run.json").read_text())
    assert run["profile"]["loss"] == "fidelity" and run["profile"]["iterations"] == 1
    with pytest.raises(SystemExit):  # argparse: an unknown loss is refused before anything runs
        main([*args[:-4], "--loss", "l2", "--run-dir", str(tmp_path / "other")])
    assert "invalid choice: 'l2'" in capsys.readouterr().err and not (tmp_path / "other").exists()


def test_evaluate_errors_name_the_file(synthetic_root, tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["evaluate", "--pred", str(tmp_path / "empty"), "--gt", str(synthetic_root)]) == 2
    assert "empty: prediction folder is empty" in capsys.readouterr().err
    (tmp_path / "some").mkdir()
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp_path / "some" / "motion0004.png")
    assert main(["evaluate", "--pred", str(tmp_path / "some"), "--gt", str(synthetic_root)]) == 2
    err = capsys.readouterr().err
    assert "no prediction for mask" in err and "--allow-partial to score only the 1 masks that have a map" in err
    named = tmp_path / "named"  # maps named like the official HiFST ones: the suffix to pass is named
    named.mkdir()
    first = sorted((synthetic_root / "gt").glob("*.png"))[0].stem
    Image.fromarray(np.zeros((64, 64), np.uint8)).save(named / f"{first}_HiFSTBlurMap.png")
    assert main(["evaluate", "--pred", str(named), "--gt", str(synthetic_root), "--split", "all"]) == 2
    assert "pass --suffix _HiFSTBlurMap" in capsys.readouterr().err
    few = tmp_path / "few"  # maps of only some masks (a copy lacking images): --allow-partial scores those, and says so
    few.mkdir()
    masks = sorted((synthetic_root / "gt").glob("*.png"))
    for mask in masks[:2]:
        (few / mask.name).write_bytes(mask.read_bytes())
    args = ["evaluate", "--pred", str(few), "--gt", str(synthetic_root), "--split", "all"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"nor for {len(masks) - 3} more of the {len(masks)} masks" in err and "--allow-partial to score only the 2" in err
    assert main([*args, "--allow-partial"]) == 0
    assert f"scoring the 2 of {len(masks)} masks of the selection that have a map" in capsys.readouterr().err


def test_predict_without_checkpoint_or_with_a_bad_one(tmp_path, capsys):
    bad = tmp_path / "x.pt"
    bad.write_text("nope")
    img = tmp_path / "a.png"
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(img)
    assert main(["predict", str(img), "--checkpoint", str(bad), "-o", str(tmp_path / "o")]) == 2
    assert "x.pt: unreadable checkpoint" in capsys.readouterr().err


def test_publish_copies_results_and_fp16_weights(synthetic, tmp_path, capsys):
    import torch
    from blurlib import checkpoint
    from blurlib.evaluate import evaluate_run

    run = train(synthetic, tmp_path / "run", model_name="I",
                profile=profiles.get("smoke").replace(size=32, iterations=1), progress=False)
    assert main(["publish", str(run), str(tmp_path / "pub")]) == 2
    assert "metrics.json: missing" in capsys.readouterr().err
    evaluate_run(run, synthetic.select("test"), progress=False)
    assert main(["publish", str(run), str(tmp_path / "pub"), "--weights", "--allow-dirty"]) == 0  # the tests' tree
    assert {"run.json", "metrics.json", "pr.csv", "maps", "model_fp16.pt"} <= {p.name for p in (tmp_path / "pub").iterdir()}
    half = checkpoint.read(tmp_path / "pub" / "model_fp16.pt")["state_dict"]
    full = checkpoint.read(run / "model.pt")["state_dict"]
    assert all(v.dtype == torch.float16 for v in half.values())
    assert all(torch.allclose(half[k].float(), full[k], rtol=1e-3, atol=1e-4) for k in full)


def test_evaluate_run_scores_the_guided_refinement_beside_the_model(tiny_run, synthetic, tmp_path):
    import shutil

    from blurlib.apps import GUIDED_EPS, GUIDED_RADIUS
    from blurlib.evaluate import GUIDED_SUFFIX, evaluate_run
    from blurlib.metrics import DETECTION_MEASURES
    tiny_run = Path(shutil.copytree(tiny_run, tmp_path / "run"))  # the shared run stays unscored for other tests
    result = evaluate_run(tiny_run, synthetic.select("test")[:4], progress=False, full_range=False, n_maps=2)
    saved = json.loads((tiny_run / "metrics.json").read_text())
    assert saved["guided_settings"] == {"radius": GUIDED_RADIUS, "eps": GUIDED_EPS}
    for key in ("ours", "guided"):
        assert saved[key]["paper"]["n_images"] == 4 and set(DETECTION_MEASURES) <= set(saved[key]["pooled"])
    assert saved["guided"]["pooled"]["mae"] != result["ours"]["pooled"]["mae"]  # a different map, scored alike
    from blurlib import checkpoint
    from blurlib.apps import guided_refine
    from blurlib.metrics import Counts, summarize
    from blurlib.predict import predict_map
    model, ckpt = checkpoint.load_model(tiny_run / "model.pt")
    c = Counts()
    for p in synthetic.select("test")[:4]:  # the guided row is the guided filter of the model's own maps
        image, mask = p.load()
        m = predict_map(model, image, size=ckpt["meta"]["profile"]["size"], convention=ckpt["convention"],
                        precision=saved["precision"])
        c.add(guided_refine(image, m), mask, p.name)
    assert summarize(c, "pooled") == pytest.approx(saved["guided"]["pooled"])
    stems = {p.stem for p in (tiny_run / "maps").glob("*.png")}
    assert len(stems) == 4 and {s + GUIDED_SUFFIX for s in stems if not s.endswith(GUIDED_SUFFIX)} <= stems


def test_apps_commands_with_maps(tmp_path, capsys):
    from blurlib.data.synthetic import make_sample
    paths, maps = [], []
    for i in (1, 2):
        _, image, mask = make_sample(i, 64, seed=0)
        Image.fromarray(image).save(tmp_path / f"im{i}.png")
        Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / f"map{i}.png")
        paths.append(str(tmp_path / f"im{i}.png"))
        maps.append(str(tmp_path / f"map{i}.png"))
    assert main(["segment", *paths, "--map", *maps, "-o", str(tmp_path / "seg")]) == 0
    assert main(["magnify", paths[0], "--map", maps[0], "-o", str(tmp_path / "mag")]) == 0
    assert Image.open(tmp_path / "seg" / "im1_segment.png").size == (64, 64)
    capsys.readouterr()
    assert main(["degree", *paths, "--map", *maps, "--json"]) == 0
    ranked = json.loads(capsys.readouterr().out)
    assert [r["blur_degree"] for r in ranked] == sorted(r["blur_degree"] for r in ranked)
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "small.png")
    assert main(["magnify", paths[0], "--map", str(tmp_path / "small.png"), "-o", str(tmp_path / "x")]) == 2
    assert "small.png: map size 10x10 differs" in capsys.readouterr().err
    np.save(tmp_path / "bad.npy", np.full((64, 64), 3.0, np.float32))
    assert main(["segment", paths[0], "--map", str(tmp_path / "bad.npy"), "-o", str(tmp_path / "x")]) == 2
    assert "in [0, 1]" in capsys.readouterr().err


def test_baselines_update_rescores_only_the_named_methods(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("BLURLIB_DATA", raising=False)
    out = tmp_path / "baselines"
    common = ["baselines", "--source", "synthetic", "--size", "64", "--out", str(out)]
    assert main([*common, "--methods", "Su11", "Shi14"]) == 0
    first = json.loads((out / "metrics.json").read_text())
    stale = json.loads((out / "metrics.json").read_text())
    stale["methods"]["Shi14"]["paper"]["ods"] = -1.0  # as if scored by an older, wrong Shi14
    (out / "metrics.json").write_text(json.dumps(stale))

    assert main([*common, "--methods", "Shi14", "--update"]) == 0
    merged = json.loads((out / "metrics.json").read_text())
    assert merged["methods"]["Su11"] == first["methods"]["Su11"]  # kept as it was
    assert merged["methods"]["Shi14"] == first["methods"]["Shi14"]  # re-scored
    assert merged["provenance"] == first["provenance"]
    assert [r["methods"] for r in merged["rescored"]] == [["Shi14"]]

    capsys.readouterr()
    assert main([*common, "--split", "train", "--methods", "Shi14", "--update"]) == 2  # other images
    err = capsys.readouterr().err
    assert str(out / "metrics.json") in err and "new --out folder" in err and "Traceback" not in err
    assert json.loads((out / "metrics.json").read_text())["methods"] == merged["methods"]  # nothing lost


@pytest.fixture(scope="module")
def tiny_run(synthetic, tmp_path_factory):
    return train(synthetic, tmp_path_factory.mktemp("run"), model_name="I",
                 profile=profiles.get("smoke").replace(size=32, iterations=1), progress=False, device="cpu")


def test_evaluate_run_takes_device_and_precision_and_records_them(tiny_run, synthetic_root, capsys):
    from blurlib.runtime import cpu_name

    base = ["evaluate", "--run", str(tiny_run), "--root", str(synthetic_root), "--source", "synthetic"]
    assert main([*base, "--device", "gpu"]) == 2
    err = capsys.readouterr().err
    assert "unknown device 'gpu'" in err and len(err.strip().splitlines()) == 1
    assert not (tiny_run / "metrics.json").exists()  # refused before any work
    assert main([*base, "--device", "cpu", "--precision", "fp32"]) == 0
    assert "evaluate: device cpu" in capsys.readouterr().err
    m = json.loads((tiny_run / "metrics.json").read_text())
    assert m["device"].startswith(f"cpu: {cpu_name()}") and m["precision"] == "fp32"


def test_apps_commands_predict_on_the_device_and_precision_asked(tiny_run, tmp_path, capsys, monkeypatch):
    import blurlib.predict as predict

    from blurlib.data.synthetic import make_sample
    Image.fromarray(make_sample(1, 48, seed=0)[1]).save(tmp_path / "im.png")
    seen = []
    real = predict.predict_map
    monkeypatch.setattr("blurlib.cli.predict_map", lambda *a, **k: seen.append((k["device"], k["precision"]))
                        or real(*a, **k))
    ckpt = ["--checkpoint", str(tiny_run / "model.pt")]
    for command, extra in (("segment", ["-o", str(tmp_path / "s")]), ("degree", ["--json"]),
                           ("magnify", ["-o", str(tmp_path / "m")])):
        assert main([command, str(tmp_path / "im.png"), *ckpt, *extra, "--device", "cpu", "--precision", "fp32"]) == 0
        assert f"{command}: device cpu" in capsys.readouterr().err
        assert main([command, str(tmp_path / "im.png"), *ckpt, *extra, "--device", f"cuda:{torch.cuda.device_count()}"]) == 2  # one past the last
        assert capsys.readouterr().err.count("\n") == 1
    assert [(str(d), p) for d, p in seen] == [("cpu", "fp32")] * 3
    assert main(["segment", str(tmp_path / "im.png"), "--map", str(tmp_path / "s" / "im_segment.png"), "-o",
                 str(tmp_path / "x"), "--device", "cpu"]) == 2
    assert "with --map the maps are given" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_apps_commands_predict_with_the_shipped_model_named_by_model(tmp_path, capsys, monkeypatch):
    import torch

    from blurlib import beyond, checkpoint
    from blurlib.data.synthetic import make_sample
    from blurlib.models import build

    Image.fromarray(make_sample(1, 48, seed=0)[1]).save(tmp_path / "im.png")
    torch.manual_seed(0)
    checkpoint.save(tmp_path / "unet_fp16.pt", build("unet"), "unet", "caffe")
    monkeypatch.setitem(beyond.SHIPPED_MODELS, "unet", tmp_path / "unet_fp16.pt")
    loaded = []
    real = checkpoint.load_model
    monkeypatch.setattr("blurlib.cli.checkpoint.load_model", lambda path, **k: loaded.append(path) or real(path, **k))
    assert main(["magnify", str(tmp_path / "im.png"), "--model", "unet", "-o", str(tmp_path / "m")]) == 0
    assert loaded == [tmp_path / "unet_fp16.pt"] and (tmp_path / "m" / "im_magnified.png").is_file()
    monkeypatch.setitem(beyond.SHIPPED_MODELS, "unet", tmp_path / "absent.pt")
    capsys.readouterr()
    assert main(["segment", str(tmp_path / "im.png"), "--model", "unet", "-o", str(tmp_path / "s")]) == 2
    device, error = capsys.readouterr().err.splitlines()  # where it would predict, then one line: what to do
    assert error.endswith("absent.pt: no unet model shipped in this checkout; pass --checkpoint CKPT.")
    assert main(["magnify", str(tmp_path / "im.png"), "--map", str(tmp_path / "im.png"), "--model", "unet", "-o",
                 str(tmp_path / "x")]) == 2
    assert "with --map the maps are given" in capsys.readouterr().err and not (tmp_path / "x").exists()
    with pytest.raises(SystemExit):  # one model: a shipped one by name, or a file
        main(["degree", str(tmp_path / "im.png"), "--model", "unet", "--checkpoint", str(tmp_path / "unet_fp16.pt")])


def _fake_run(folder: Path, commit: str, pr: str = "p") -> Path:
    """A finished run's result files, with ``commit`` as the code that trained and scored it."""
    folder.mkdir(parents=True)
    for name in ("run.json", "metrics.json"):
        (folder / name).write_text(json.dumps({"provenance": {"git_commit": commit}}))
    (folder / "pr.csv").write_text(pr)
    return folder


def test_publish_refuses_a_dirty_run_unless_asked_and_then_keeps_its_diff(tmp_path, capsys):
    run = _fake_run(tmp_path / "run", "abc+dirty")
    assert main(["publish", str(run), str(tmp_path / "pub")]) == 2
    err = capsys.readouterr().err
    assert "uncommitted changes: run.json (abc+dirty), metrics.json (abc+dirty)" in err and "--allow-dirty" in err
    assert not (tmp_path / "pub").exists()
    assert main(["publish", str(run), str(tmp_path / "pub"), "--allow-dirty"]) == 2  # no diff: nothing rebuilds it
    assert "run.diff, metrics.diff is missing" in capsys.readouterr().err
    (run / "run.diff").write_text("diff --git a/x b/x\n")
    (run / "metrics.diff").write_text("diff --git a/y b/y\n")
    assert main(["publish", str(run), str(tmp_path / "pub"), "--allow-dirty"]) == 0
    assert (tmp_path / "pub" / "run.diff").read_text() == "diff --git a/x b/x\n"
    assert (tmp_path / "pub" / "metrics.diff").is_file()


def test_publish_replaces_a_published_run_only_when_asked_and_then_whole(tmp_path, capsys, monkeypatch):
    old = _fake_run(tmp_path / "old", "a" * 40, pr="old")
    (old / "maps").mkdir()
    (old / "maps" / "x.png").write_bytes(b"old map")
    (old / "log.jsonl").write_text("{}\n")
    pub = tmp_path / "runs" / "R"
    assert main(["publish", str(old), str(pub)]) == 0
    (pub / "int8_calibration.json").write_text("{}")  # derived from the old run's weights by another command
    new = _fake_run(tmp_path / "new", "b" * 40, pr="new")
    (new / "metrics_tta-flip.json").write_text(json.dumps({"provenance": {"git_commit": "b" * 40}}))
    assert main(["publish", str(new), str(pub)]) == 2
    assert "holds a published run already (int8_calibration.json, log.jsonl, maps, …); nothing was written. Pass --overwrite" in capsys.readouterr().err
    scores_only = tmp_path / "runs" / "baselines"  # a folder holding results but no run.json is protected alike
    scores_only.mkdir()
    (scores_only / "metrics.json").write_text("{}")
    assert main(["publish", str(new), str(scores_only)]) == 2 and (scores_only / "metrics.json").read_text() == "{}"
    capsys.readouterr()
    assert (pub / "pr.csv").read_text() == "old" and (pub / "maps" / "x.png").is_file()

    import blurlib.publish as pub_module

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(pub_module.checkpoint, "load_model", full_disk)
    assert main(["publish", str(new), str(pub), "--overwrite", "--weights"]) == 2  # fails half way: the old run stays
    assert "No space left on device" in capsys.readouterr().err
    assert (pub / "pr.csv").read_text() == "old" and (pub / "int8_calibration.json").is_file()
    monkeypatch.undo()

    assert main(["publish", str(new), str(pub), "--overwrite"]) == 0
    assert (pub / "pr.csv").read_text() == "new" and (pub / "metrics_tta-flip.json").is_file()
    assert not (pub / "maps").exists() and not (pub / "log.jsonl").exists()  # nothing of the old run is left mixed in
    assert not (pub / "int8_calibration.json").exists()  # not even what was derived from its weights
    assert sorted(p.name for p in pub.iterdir()) == ["metrics.json", "metrics_tta-flip.json", "pr.csv", "run.json"]


def test_train_and_evaluate_keep_the_diff_of_a_dirty_tree(monkeypatch, tmp_path):
    from blurlib import provenance as prov
    monkeypatch.setattr(prov, "git_commit", lambda cwd=None: "c0ffee+dirty")
    monkeypatch.setattr(prov, "git_diff", lambda cwd=None: b"diff --git a/f b/f\n")
    record = prov.provenance(["blurlib", "train"], result=tmp_path / "run" / "run.json")
    assert record["git_commit"] == "c0ffee+dirty" and record["git_diff"] == "run.diff"
    assert (tmp_path / "run" / "run.diff").read_text() == "diff --git a/f b/f\n"
    monkeypatch.setattr(prov, "git_commit", lambda cwd=None: "c0ffee")
    assert "git_diff" not in prov.provenance(["x"], result=tmp_path / "clean" / "metrics.json")
    assert not (tmp_path / "clean").exists()


def test_evaluate_with_test_time_augmentation_keeps_the_runs_own_scores(tiny_run, synthetic, tmp_path, capsys):
    import shutil
    run = Path(shutil.copytree(tiny_run, tmp_path / "run"))
    from blurlib.evaluate import evaluate_run
    evaluate_run(run, synthetic.select("test"), progress=False, full_range=False, n_maps=1, overwrite=True)
    before = (run / "metrics.json").read_bytes(), (run / "pr.csv").read_bytes()  # scored on the same images
    assert main(["evaluate", "--run", str(run), "--source", "synthetic", "--root", str(synthetic.root), "--tta", "flip",
                 "--split", "test"]) == 0
    capsys.readouterr()
    tta = json.loads((run / "metrics_tta-flip.json").read_text())
    assert tta["tta"] == "flip" and tta["ours"]["paper"]["n_images"] == len(synthetic.select("test"))
    assert (run / "pr_tta-flip.csv").is_file()
    assert ((run / "metrics.json").read_bytes(), (run / "pr.csv").read_bytes()) == before  # untouched


def test_the_conventions_a_user_expects(capsys):
    import subprocess
    import sys

    import yaml

    from blurlib import __version__
    from blurlib.paths import REPO

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith(f"blurlib {__version__} (torch ")
    r = subprocess.run([sys.executable, "-m", "blurlib", "--version"], capture_output=True, text=True, cwd=REPO)
    assert r.returncode == 0 and r.stdout.startswith("blurlib ")
    assert (REPO / "LICENSE").read_text().startswith("MIT License")
    cff = yaml.safe_load((REPO / "CITATION.cff").read_text())
    assert cff["version"] == __version__ and cff["license"] == "MIT"
    assert cff["preferred-citation"]["title"].startswith("Deep Blur Mapping")


def test_a_command_starts_without_warnings_on_stderr():
    """No library chatter before a command's own output (torch's benchmark tools, imported only by `bench`, warn where a
    CUDA toolkit folder lies without a CUDA runtime)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "blurlib", "predict", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "usage: blurlib predict" in done.stdout and done.stderr == ""
    loaded = subprocess.run([sys.executable, "-c", "import sys, blurlib.cli; print('torch.utils.benchmark' in sys.modules)"],
                            capture_output=True, text=True)
    assert loaded.stdout.strip() == "False"


def test_evaluate_takes_a_run_or_a_folder_of_maps_not_both(tmp_path, capsys):
    assert main(["evaluate", "--run", str(tmp_path / "r"), "--pred", str(tmp_path / "p")]) == 2
    assert "pass one or the other" in capsys.readouterr().err and not (tmp_path / "r").exists()


def test_a_folder_as_backbone_weights_is_said_to_be_a_folder(tmp_path):
    from blurlib.errors import BlurlibError
    from blurlib.weights import source_state

    with pytest.raises(BlurlibError, match="is a folder, not a weight file"):
        source_state(str(tmp_path))


def test_publish_never_replaces_a_folder_that_holds_no_published_run(tmp_path, capsys):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "thesis.tex").write_text("mine")
    run = _fake_run(tmp_path / "run", "a" * 40)
    for extra in ([], ["--overwrite"]):
        assert main(["publish", str(run), str(mine), *extra]) == 2
        assert "thesis: holds thesis.tex, which no published run holds" in capsys.readouterr().err
    assert [p.name for p in mine.iterdir()] == ["thesis.tex"]
    pub = tmp_path / "pub"  # a published run with a user's note beside it: the note is never removed
    assert main(["publish", str(run), str(pub)]) == 0
    (pub / "NOTES.md").write_text("mine")
    trained = _fake_run(tmp_path / "trained", "a" * 40)  # another training run: its weights are not a published run's
    (trained / "model.pt").write_bytes(b"weights")
    (trained / "checkpoint.pt").write_bytes(b"state")
    for dest, kept in ((pub, "NOTES.md"), (trained, "model.pt, checkpoint.pt")):
        before = {p.name: p.read_bytes() for p in dest.iterdir()}
        assert main(["publish", str(run), str(dest), "--overwrite"]) == 2
        err = capsys.readouterr().err
        assert "which no published run holds" in err and all(n in err for n in kept.split(", ")), err
        assert {p.name: p.read_bytes() for p in dest.iterdir()} == before
    assert main(["publish", str(tmp_path / "nowhere"), str(tmp_path / "p")]) == 2
    assert "nowhere: no such run folder" in capsys.readouterr().err
