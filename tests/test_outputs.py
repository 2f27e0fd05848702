"""Nothing lost: one rule for every file a command writes (blurlib.outputs), a lock per folder, readers that say what
they assumed, and every subcommand ending in exit 0 or 2 with one line, never a traceback, under hostile input."""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from blurlib import outputs
from blurlib.cli import main
from blurlib.data.cuhk import read_mask
from blurlib.data.synthetic import make_sample
from blurlib.errors import BlurlibError
from blurlib.io import read_map, read_rgb


def digest(folder: Path, skip: Path | None = None) -> dict[str, str]:
    """{relative path: sha256} of every file under ``folder`` (those under ``skip`` left out)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not (skip and skip in p.parents)}


# --- the rule ---------------------------------------------------------------------------------------------------

def test_plan_refuses_inputs_collisions_existing_files_and_long_names(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    a.write_bytes(b"x")
    with pytest.raises(BlurlibError, match="would overwrite the input"):
        outputs.plan([a], inputs=[a], overwrite=True)  # not even when asked
    with pytest.raises(BlurlibError, match="the map of x.jpg and the map of x.png would both be written there"):
        outputs.plan([(b, "the map of x.jpg"), (tmp_path / "." / "b.png", "the map of x.png")])
    with pytest.raises(BlurlibError, match="a.png: exists; nothing was written. Pass --overwrite"):
        outputs.plan([a])
    assert outputs.plan([a], overwrite=True) == [a]
    with pytest.raises(BlurlibError, match="over the file system's limit"):
        outputs.plan([tmp_path / ("n" * 300 + ".png")])
    assert a.read_bytes() == b"x" and not b.exists()


def test_replacing_swaps_a_folder_whole_or_leaves_it_untouched(tmp_path):
    res = tmp_path / "res"
    res.mkdir()
    (res / "pr_old.csv").write_text("old")
    with pytest.raises(RuntimeError):
        with outputs.replacing(res) as stage:
            (stage / "pr_new.csv").write_text("half")
            raise RuntimeError("killed half way")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"] and (res / "pr_old.csv").read_text() == "old"
    with outputs.replacing(res) as stage:
        (stage / "pr_new.csv").write_text("new")
    assert sorted(p.name for p in res.iterdir()) == ["pr_new.csv"]  # nothing of the old result left beside
    assert sorted(p.name for p in tmp_path.iterdir()) == ["res"]
    (tmp_path / "plain").mkdir()
    assert res.stat().st_mode & 0o777 == (tmp_path / "plain").stat().st_mode & 0o777  # a folder's usual mode, not 0700


def test_set_aside_restores_the_old_files_when_the_new_result_fails(tmp_path):
    (tmp_path / "metrics.json").write_text("old")
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "a.png").write_text("old map")
    with pytest.raises(RuntimeError):
        with outputs.set_aside(tmp_path, [tmp_path / "metrics.json", tmp_path / "maps"]):
            (tmp_path / "maps").mkdir()
            (tmp_path / "maps" / "b.png").write_text("half")
            raise RuntimeError
    assert (tmp_path / "metrics.json").read_text() == "old"
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == ["a.png"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["maps", "metrics.json"]


def test_a_second_writer_of_a_locked_folder_is_refused_and_the_lock_goes_with_the_writer(tmp_path):
    run = tmp_path / "run"
    with outputs.locked(run):
        assert outputs.lock_path(run).is_file() and outputs.lock_path(run).parent == tmp_path  # beside, not inside
        with pytest.raises(BlurlibError, match=r"run: another blurlib command \(process \d+\) is writing it"):
            with outputs.locked(run):
                pass
    assert not outputs.lock_path(run).exists() and list(run.iterdir()) == []
    with outputs.locked(run):  # free again
        pass


def test_every_name_of_a_folder_takes_its_one_lock(tmp_path):
    """A symbolic link (or a/../b) to a folder being written is the same folder: the second writer is refused."""
    (tmp_path / "o").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "o")
    assert outputs.lock_path(tmp_path / "alias") == outputs.lock_path(tmp_path / "x" / ".." / "o")
    with outputs.locked(tmp_path / "o"):
        with pytest.raises(BlurlibError, match="another blurlib command .* is writing it"):
            with outputs.locked(tmp_path / "alias"):
                pass


def test_no_file_is_written_into_a_folder_another_command_is_writing(tmp_path):
    run = tmp_path / "run"
    with outputs.locked(run):  # as a run still training holds it
        for name in ("pr.csv", "int8_calibration.json", "bench.json"):
            with pytest.raises(BlurlibError, match="another blurlib command .* is writing it; nothing was written"):
                outputs.plan([run / name])
    assert outputs.plan([run / "pr.csv"]) == [run / "pr.csv"]  # once it has ended


def test_train_into_a_folder_another_process_trains_into_is_refused(synthetic, tmp_path):
    from blurlib import profiles
    from blurlib.train import train

    with outputs.locked(tmp_path / "run"):
        with pytest.raises(BlurlibError, match="another blurlib command"):
            train(synthetic, tmp_path / "run", model_name="I",
                  profile=profiles.get("smoke").replace(size=32, iterations=2), progress=False)
    assert list((tmp_path / "run").iterdir()) == []


# --- the commands -----------------------------------------------------------------------------------------------

def test_predict_plans_every_output_and_replaces_only_when_asked(model_file, tmp_path, capsys):
    src = tmp_path / "in"
    src.mkdir()
    image = make_sample(1, 40, seed=0)[1]
    for name in ("x.png", "x_overlay.png"):  # the overlay of x would land on the map of x_overlay
        Image.fromarray(image).save(src / name)
    common = ["--checkpoint", str(model_file), "--size", "32", "--device", "cpu"]
    assert main(["predict", str(src), "-o", str(tmp_path / "maps"), "--overlay", *common]) == 2
    assert "would both be written there" in capsys.readouterr().err and not (tmp_path / "maps").exists()
    (src / "x_overlay.png").unlink()
    assert main(["predict", str(src), "-o", str(tmp_path / "maps"), *common]) == 0
    before = digest(tmp_path / "maps")
    capsys.readouterr()
    assert main(["predict", str(src), "-o", str(tmp_path / "maps"), *common]) == 2
    assert "x.png: exists; nothing was written. Pass --overwrite" in capsys.readouterr().err
    assert digest(tmp_path / "maps") == before
    assert main(["predict", str(src), "-o", str(tmp_path / "maps"), "--overwrite", *common]) == 0
    with pytest.raises(SystemExit) as usage:  # never "the current folder" by accident
        main(["predict", str(src), "-o", "", *common])
    assert usage.value.code == 2 and "-o/--out: an empty path" in capsys.readouterr().err


def test_predict_replaces_an_earlier_result_whole_and_never_merges_two(model_file, tmp_path, capsys):
    src, other, maps = tmp_path / "in", tmp_path / "other", tmp_path / "maps"
    image = make_sample(1, 40, seed=0)[1]
    for folder, names in ((src, ("x.png", "y.png")), (other, ("z.png",))):
        folder.mkdir()
        for name in names:
            Image.fromarray(image).save(folder / name)
    common = ["--checkpoint", str(model_file), "--size", "32", "--device", "cpu"]
    assert main(["predict", str(src), "-o", str(maps), "--overlay", *common]) == 0
    files = ["x.png", "y.png", "x_overlay.png", "y_overlay.png"]
    assert sorted(p.name for p in maps.iterdir()) == sorted([*files, "blurlib-predict.json"])
    manifest = json.loads((maps / "blurlib-predict.json").read_text())
    assert manifest["files"] == files and manifest["size"] == 32 and manifest["checkpoint"].endswith("model.pt")
    before = digest(maps)
    capsys.readouterr()
    # other images, no name in common: still refused, the two results would be merged
    assert main(["predict", str(other), "-o", str(maps), *common]) == 2
    assert "holds the result of an earlier `blurlib predict` already (x.png, y.png, x_overlay.png, …)" \
        in capsys.readouterr().err
    assert digest(maps) == before
    # asked: the earlier result goes whole, none of its maps or overlays is left beside the new one
    assert main(["predict", str(other), "-o", str(maps), "--overwrite", *common]) == 0
    assert sorted(p.name for p in maps.iterdir()) == ["blurlib-predict.json", "z.png"]


def test_a_predict_that_fails_leaves_its_folder_as_it_was(model_file, tmp_path, capsys, monkeypatch):
    import blurlib.predict as predict

    src = tmp_path / "in"
    src.mkdir()
    for name in ("a.png", "b.png"):
        Image.fromarray(make_sample(1, 40, seed=0)[1]).save(src / name)
    common = ["--checkpoint", str(model_file), "--size", "32", "--device", "cpu"]
    real, calls = predict.write_png, []

    def disk_full_at_the_second(path, array):
        calls.append(path)
        if len(calls) == 2:
            raise BlurlibError(f"cannot write {path}: No space left on device.")
        real(path, array)
    monkeypatch.setattr(predict, "write_png", disk_full_at_the_second)
    new = tmp_path / "new" / "maps"
    assert main(["predict", str(src), "-o", str(new), *common]) == 2
    err = capsys.readouterr().err
    assert f"cannot write {new / 'b.png'}: No space left" in err and f"Nothing in {new} was changed" in err
    assert not (tmp_path / "new").exists()  # no empty folder left behind
    monkeypatch.setattr(predict, "write_png", real)
    assert main(["predict", str(src), "-o", str(new), *common]) == 0
    before, calls[:] = digest(new), []
    monkeypatch.setattr(predict, "write_png", disk_full_at_the_second)
    assert main(["predict", str(src), "-o", str(new), "--overwrite", *common]) == 2
    assert digest(new) == before and sorted(p.name for p in new.iterdir()) == ["a.png", "b.png", "blurlib-predict.json"]
    stale = new / ".blurlib-predict.new-killed"  # the staging folder of a run killed outright (SIGKILL, power cut)
    stale.mkdir()
    (stale / "a.png").write_bytes(b"half")
    monkeypatch.setattr(predict, "write_png", real)
    assert main(["predict", str(src), "-o", str(new), "--overwrite", *common]) == 0
    assert sorted(p.name for p in new.iterdir()) == ["a.png", "b.png", "blurlib-predict.json"]  # gone with the next run


def test_segment_and_magnify_write_their_set_whole_and_no_command_takes_anothers_file(model_file, photos, tmp_path,
                                                                                     capsys):
    out = tmp_path / "out"
    args = [str(photos / "p1.png"), "--checkpoint", str(model_file), "--device", "cpu", "-o", str(out)]
    assert main(["segment", *args]) == 0
    assert main(["segment", str(photos / "p2.png"), *args[1:]]) == 2
    assert "holds the result of an earlier `blurlib segment` already (p1_segment.png)" in capsys.readouterr().err
    assert main(["segment", str(photos / "p2.png"), *args[1:], "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["blurlib-segment.json", "p2_segment.png"]
    assert main(["magnify", *args]) == 0  # another command's result beside: its own manifest
    assert {"blurlib-magnify.json", "p1_magnified.png"} <= {p.name for p in out.iterdir()}
    taken = tmp_path / "p2_segment.png"  # its map would be named as segment's output is
    Image.fromarray(make_sample(2, 40, seed=0)[1]).save(taken)
    assert main(["predict", str(taken), "-o", str(out), "--overwrite", "--checkpoint", str(model_file),
                 "--size", "32", "--device", "cpu"]) == 2
    assert "p2_segment.png: belongs to the result of an earlier `blurlib segment`" in capsys.readouterr().err


def test_segment_magnify_and_degree_skip_an_unusable_image_as_predict_does(model_file, photos, tmp_path, capsys):
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not a png")
    for command in ("segment", "magnify"):
        out = tmp_path / command
        assert main([command, str(photos / "p1.png"), str(bad), "--checkpoint", str(model_file), "--device", "cpu",
                     "-o", str(out)]) == 2
        err = capsys.readouterr().err
        assert f"blurlib: error: {bad}" in err and "1 image(s) skipped" in err
        manifest = json.loads((out / f"blurlib-{command}.json").read_text())
        assert len(manifest["files"]) == 1 and manifest["files"][0].startswith("p1_")
        assert len(manifest["skipped"]) == 1 and str(bad) in manifest["skipped"][0]
        assert main([command, str(bad), "--checkpoint", str(model_file), "--device", "cpu", "-o",
                     str(tmp_path / "none")]) == 2
        assert "every image was skipped" in capsys.readouterr().err and not (tmp_path / "none").exists()
    assert main(["degree", str(photos / "p1.png"), str(bad), "--checkpoint", str(model_file), "--device", "cpu",
                 "--json"]) == 2
    captured = capsys.readouterr()
    assert [r["image"] for r in json.loads(captured.out)] == [str(photos / "p1.png")] and str(bad) in captured.err


def test_no_command_writes_into_a_benchmark(model_file, synthetic_root, photos, tmp_path, capsys):
    before = digest(synthetic_root)
    (tmp_path / "gtlink").symlink_to(synthetic_root / "gt", target_is_directory=True)
    for out in (synthetic_root / "gt", synthetic_root / "image" / "maps", synthetic_root, tmp_path / "gtlink",
                tmp_path / "gtlink" / "maps"):
        assert main(["predict", str(photos), "-o", str(out), "--checkpoint", str(model_file), "--size", "32",
                     "--device", "cpu", "--overwrite"]) == 2
        assert f"lies inside the benchmark {synthetic_root} (it holds image/ and gt/)" in capsys.readouterr().err
    assert digest(synthetic_root) == before


def test_train_neither_mixes_a_run_into_other_files_nor_resumes_from_nothing_silently(synthetic, tmp_path, capsys,
                                                                                      monkeypatch):
    import blurlib.train as training
    from blurlib import profiles
    from blurlib.train import train

    tiny = profiles.get("smoke").replace(size=32, iterations=2)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    with pytest.raises(BlurlibError, match=r"mine: holds other files \(notes.txt\), not a run; nothing there is"):
        train(synthetic, tmp_path / "mine", model_name="I", profile=tiny, progress=False)
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"]
    with pytest.raises(BlurlibError, match="unknown category"):
        train(synthetic, tmp_path / "a" / "run", model_name="I", profile=tiny, split="all", category="nothing",
              progress=False)
    assert not (tmp_path / "a").exists()  # a run that failed before its first write leaves no folder
    real = training.provenance

    def from_a_dirty_tree(command=None, *, result=None, resumed=False):  # as from uncommitted code: the diff is written beside
        result.with_suffix(".diff").write_text("diff")
        return real(command) | {"git_diff": "run.diff"}
    monkeypatch.setattr(training, "provenance", from_a_dirty_tree)
    with pytest.raises(BlurlibError, match="nofile.pth: backbone weight file not found"):
        train(synthetic, tmp_path / "b" / "run", model_name="I", profile=tiny, weights="nofile.pth", progress=False)
    assert not (tmp_path / "b").exists()  # nor its diff: nothing of a run that never started
    monkeypatch.setattr(training, "provenance", real)
    train(synthetic, tmp_path / "run", model_name="I", profile=tiny, progress=False, resume=True)
    assert "no checkpoint.pt to resume from; training starts at iteration 0" in capsys.readouterr().err
    assert (tmp_path / "run" / "model.pt").is_file()


def test_baselines_never_turn_a_scored_folder_into_a_smaller_one(synthetic_root, tmp_path, capsys):
    out = tmp_path / "b"
    common = ["baselines", "--source", "synthetic", "--root", str(synthetic_root), "--size", "64", "--out", str(out),
              "--agreement-images", "0"]
    assert main([*common, "--methods", "Yi16", "Su11"]) == 0
    before = digest(out)
    assert main([*common, "--methods", "Su11"]) == 2  # neither --update nor --overwrite
    assert "holds baseline scores already" in capsys.readouterr().err and digest(out) == before
    assert main([*common, "--methods", "Su11", "--update"]) == 0
    assert set(json.loads((out / "metrics.json").read_text())["methods"]) >= {"Yi16", "Su11"}
    other_size = [c if c != "64" else "32" for c in common]
    assert main([*other_size, "--methods", "Su11", "--update"]) == 2  # one table, one input size
    assert "scored at --size 64, not 32" in capsys.readouterr().err
    assert main([*common, "--methods", "Su11", "--overwrite"]) == 0  # replaced whole: Yi16's curve goes with it
    assert not (out / "pr_Yi16.csv").exists() and "Yi16" not in json.loads((out / "metrics.json").read_text())["methods"]
    (out / "metrics.json").write_text("{ half a file")
    assert main([*common, "--methods", "Su11", "--update"]) == 2
    assert "not a readable metrics file" in capsys.readouterr().err


def test_baselines_go_into_a_folder_of_their_own(synthetic_root, tiny_run, tmp_path, capsys):
    common = ["baselines", "--source", "synthetic", "--root", str(synthetic_root), "--size", "64", "--methods", "Su11",
              "--agreement-images", "0"]
    before = digest(tiny_run)
    for flag in ([], ["--update"], ["--overwrite"]):  # a run's own scores are never replaced, nor merged
        assert main([*common, "--out", str(tiny_run), *flag]) == 2
        assert "holds a training run (run.json)" in capsys.readouterr().err
    assert digest(tiny_run) == before
    other = tmp_path / "other"
    other.mkdir()
    (other / "metrics.json").write_text(json.dumps({"ods": 0.9}))  # e.g. a run's scores copied without run.json
    for flag in ([], ["--update"], ["--overwrite"]):
        assert main([*common, "--out", str(other), *flag]) == 2
        assert "is not a baseline scoring" in capsys.readouterr().err
    assert json.loads((other / "metrics.json").read_text()) == {"ods": 0.9} and len(list(other.iterdir())) == 1
    maps = tmp_path / "maps"  # another command's output, a user's notes: never mixed with scores, never removed
    maps.mkdir()
    (maps / "a.png").write_bytes(b"a map")
    (maps / "notes.txt").write_text("mine")
    before = digest(maps)
    for flag in ([], ["--update"], ["--overwrite"]):
        assert main([*common, "--out", str(maps), *flag]) == 2
        assert "holds a.png, notes.txt, which baseline scores do not" in capsys.readouterr().err
    assert digest(maps) == before


def test_evaluate_says_which_maps_have_no_mask_to_be_scored_against(synthetic_root, tmp_path, capsys):
    gt = tmp_path / "copy" / "gt"  # a copy of the masks that lacks one
    gt.mkdir(parents=True)
    masks = sorted((synthetic_root / "gt").glob("*.png"))
    for mask in masks[1:]:
        (gt / mask.name).write_bytes(mask.read_bytes())
    maps = tmp_path / "maps"
    maps.mkdir()
    for mask in masks:
        (maps / mask.name).write_bytes(mask.read_bytes())
    (maps / f"{masks[0].stem}_overlay.png").write_bytes(masks[0].read_bytes())  # not a benchmark name: not counted
    assert main(["evaluate", "--pred", str(maps), "--gt", str(tmp_path / "copy"), "--split", "all", "--json"]) == 0
    out, err = capsys.readouterr()
    assert f"1 map(s) have no mask in {gt} (e.g. {masks[0].name}) and are not scored" in err
    assert json.loads(out)["n_images"] == len(masks) - 1


def test_evaluate_writes_its_curves_neither_onto_its_inputs_nor_onto_an_old_file(synthetic_root, tmp_path, capsys):
    maps = tmp_path / "maps"
    maps.mkdir()
    for mask in sorted((synthetic_root / "gt").glob("*.png")):
        Image.open(mask).save(maps / mask.name)  # the masks as maps: a perfect score
    mask = sorted((synthetic_root / "gt").glob("*.png"))[0]
    before = digest(synthetic_root), digest(maps)
    base = ["evaluate", "--pred", str(maps), "--gt", str(synthetic_root), "--split", "all"]
    for target in (mask, maps / mask.name):
        assert main([*base, "--pr-csv", str(target), "--overwrite"]) == 2
        assert "would overwrite the input" in capsys.readouterr().err
    assert (digest(synthetic_root), digest(maps)) == before
    assert main([*base, "--pr-csv", str(tmp_path / "pr.csv")]) == 0
    assert main([*base, "--pr-csv", str(tmp_path / "pr.csv")]) == 2
    assert main([*base, "--pr-csv", str(tmp_path / "pr.csv"), "--overwrite"]) == 0


@pytest.fixture(scope="module")
def tiny_run(synthetic, tmp_path_factory):
    from blurlib import profiles
    from blurlib.train import train

    return train(synthetic, tmp_path_factory.mktemp("run") / "run", model_name="I",
                 profile=profiles.get("smoke").replace(size=32, iterations=1), progress=False, device="cpu")


def test_rescoring_a_run_replaces_its_previous_scoring_whole(tiny_run, synthetic, tmp_path):
    import shutil

    from blurlib.evaluate import evaluate_run

    run = Path(shutil.copytree(tiny_run, tmp_path / "run"))
    evaluate_run(run, synthetic.select("test")[:3], progress=False, n_maps=1)
    (run / "maps" / "stale.png").write_bytes(b"from an earlier scoring")
    before = digest(run)
    with pytest.raises(BlurlibError, match="holds a scoring already"):
        evaluate_run(run, synthetic.select("test")[:2], progress=False, full_range=False, n_maps=1)
    assert digest(run) == before
    evaluate_run(run, synthetic.select("test")[:2], progress=False, full_range=False, n_maps=1, overwrite=True)
    assert not (run / "maps" / "stale.png").exists() and not (run / "pr_full.csv").exists()  # none of the old left
    assert json.loads((run / "metrics.json").read_text())["test_images"] == 2
    assert (run / "model.pt").is_file() and not list(run.glob(".replaced-*"))


def test_a_runs_scorings_share_their_test_images(tiny_run, synthetic, tmp_path):
    import shutil

    from blurlib.evaluate import evaluate_run

    run = Path(shutil.copytree(tiny_run, tmp_path / "run"))
    three, two = synthetic.select("test")[:3], synthetic.select("test")[:2]
    evaluate_run(run, three, progress=False, full_range=False, n_maps=1)
    before = digest(run)
    with pytest.raises(BlurlibError, match="its scoring metrics.json was made on other test images"):
        evaluate_run(run, two, progress=False, tta="flip")
    assert digest(run) == before
    evaluate_run(run, three, progress=False, tta="flip")  # the same images: beside the run's own
    evaluate_run(run, two, progress=False, full_range=False, n_maps=1, overwrite=True)  # other images, asked:
    assert not (run / "metrics_tta-flip.json").exists() and not (run / "pr_tta-flip.csv").exists()  # all replaced


def test_quantize_keeps_an_existing_calibration_unless_asked(model_file, synthetic_root, tmp_path, capsys):
    import shutil

    ckpt = Path(shutil.copy(model_file, tmp_path / "model.pt"))
    (tmp_path / "int8_calibration.json").write_text('{"kept": true}')
    assert main(["quantize", "--checkpoint", str(ckpt), "--source", "synthetic", "--root", str(synthetic_root),
                 "--images", "2", "--size", "32"]) == 2
    assert "int8_calibration.json: holds the int8 calibration of model.pt already" in capsys.readouterr().err
    assert json.loads((tmp_path / "int8_calibration.json").read_text()) == {"kept": True}


def test_quantize_into_a_folder_being_written_is_refused_before_the_model_loads(model_file, synthetic_root, tmp_path,
                                                                                capsys, monkeypatch):
    import shutil

    from blurlib import checkpoint, outputs

    ckpt = Path(shutil.copy(model_file, tmp_path / "model.pt"))
    monkeypatch.setattr(checkpoint, "load_model", lambda *a, **k: pytest.fail("the model was loaded first"))
    with outputs.locked(tmp_path):  # another command writing the folder (a run still training, say)
        assert main(["quantize", "--checkpoint", str(ckpt), "--source", "synthetic", "--root", str(synthetic_root),
                     "--images", "2", "--size", "32"]) == 2
    assert "int8_calibration.json" not in {p.name for p in tmp_path.iterdir()}
    assert capsys.readouterr().err.count("\n") == 1


def test_a_calibration_serves_only_the_checkpoint_it_was_made_for(model_file, synthetic_root, tmp_path, capsys):
    """One calibration file per folder: a second checkpoint there neither replaces the first one's calibration (not
    even with --overwrite) nor runs in int8 with it."""
    import shutil

    first = Path(shutil.copy(model_file, tmp_path / "m.pt"))
    second = Path(shutil.copy(model_file, tmp_path / "m2.pt"))
    args = ["--source", "synthetic", "--root", str(synthetic_root), "--images", "2", "--size", "32"]
    assert main(["quantize", "--checkpoint", str(first), *args]) == 0
    capsys.readouterr()
    before = (tmp_path / "int8_calibration.json").read_bytes()
    assert main(["quantize", "--checkpoint", str(second), *args, "--overwrite"]) == 2
    err = capsys.readouterr().err
    assert "is the int8 calibration of m.pt, not of m2.pt" in err and err.count("\n") == 1
    assert (tmp_path / "int8_calibration.json").read_bytes() == before
    photo = tmp_path / "p.png"
    Image.fromarray(make_sample(1, 40, seed=0)[1]).save(photo)
    assert main(["predict", str(photo), "--checkpoint", str(second), "--precision", "int8", "--size", "32",
                 "-o", str(tmp_path / "maps")]) == 2
    assert "is the int8 calibration of m.pt, not of m2.pt" in capsys.readouterr().err
    assert main(["predict", str(photo), "--checkpoint", str(first), "--precision", "int8", "--size", "32",
                 "-o", str(tmp_path / "maps")]) == 0


# --- readers that never guess silently ---------------------------------------------------------------------------

def test_a_0_1_mask_is_read_with_1_as_blurred_and_said(tmp_path):
    m = np.zeros((4, 4), np.uint8)
    m[:, 2:] = 1
    Image.fromarray(m).save(tmp_path / "m.png")
    with pytest.warns(UserWarning, match="m.png: mask stored as 0/1"):
        assert (read_mask(tmp_path / "m.png") == (m == 1)).all()


def test_multi_page_images_and_colour_mapped_maps_are_refused(tmp_path):
    pages = [Image.fromarray(make_sample(i, 16, seed=0)[1]) for i in (1, 2)]
    pages[0].save(tmp_path / "two.tif", save_all=True, append_images=pages[1:])
    with pytest.raises(BlurlibError, match="two.tif: holds 2 pages"):
        read_rgb(tmp_path / "two.tif")
    jet = np.stack([np.full((8, 8), 255), np.arange(64).reshape(8, 8), np.zeros((8, 8))], -1).astype(np.uint8)
    Image.fromarray(jet).save(tmp_path / "jet.png")
    with pytest.raises(BlurlibError, match="jet.png: a colour image"):
        read_map(tmp_path / "jet.png")
    Image.fromarray(np.repeat(jet[..., 1:2], 3, -1)).save(tmp_path / "grey_rgb.png")
    assert read_map(tmp_path / "grey_rgb.png").shape == (8, 8)  # a grey map saved as RGB is fine


def test_maps_of_the_other_polarity_are_scored_as_given_with_a_warning(synthetic_root, tmp_path, capsys):
    maps = tmp_path / "maps"
    maps.mkdir()
    for mask in sorted((synthetic_root / "gt").glob("*.png")):
        Image.fromarray(255 - np.asarray(Image.open(mask).convert("L"))).save(maps / mask.name)  # 255 = sharp
    assert main(["evaluate", "--pred", str(maps), "--gt", str(synthetic_root), "--split", "all"]) == 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "blurlib: warning:" in err and "pass --invert" in err
    assert main(["evaluate", "--pred", str(maps), "--gt", str(synthetic_root), "--split", "all", "--invert"]) == 0
    assert "warning" not in capsys.readouterr().err


# --- hostile arguments: exit 0 or 2, one line, nothing changed outside the output --------------------------------

HOSTILE = ["", "missing", "a_file.txt", "empty_dir", "x" * 300, "photos", "photos/p1.png", "-1", "0", "17", "nan"]


@pytest.fixture
def playground(tmp_path, photos, model_file):
    (tmp_path / "a_file.txt").write_text("not an image")
    (tmp_path / "empty_dir").mkdir()
    return tmp_path


COMMANDS = [  # (arguments, which of the two hostile values name an output of the command)
    (["predict", "{0}", "-o", "{out}", "--checkpoint", "{model}", "--size", "32", "--device", "cpu"], ()),
    (["predict", "photos", "-o", "{0}", "--checkpoint", "{model}", "--size", "{1}", "--device", "cpu"], (0,)),
    (["evaluate", "--pred", "{0}", "--gt", "{1}", "--pr-csv", "{out}/pr.csv"], ()),
    (["segment", "photos/p1.png", "--map", "{0}", "-o", "{out}"], ()),
    (["degree", "{0}", "--map", "{1}"], ()),
    (["magnify", "photos/p2.png", "--map", "{0}", "-o", "{1}", "--sigma", "{1}"], (1,)),
    (["publish", "{0}", "{out}/published"], ()),
    (["data", "info", "--root", "{0}", "--allow-partial"], ()),
    (["baselines", "--source", "synthetic", "--root", "{0}", "--out", "{1}", "--methods", "Yi16", "--size", "32"],
     (0, 1)),  # the synthetic set is generated into --root
]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(COMMANDS), st.sampled_from(HOSTILE), st.sampled_from(HOSTILE))
def test_hostile_arguments_end_in_exit_0_or_2_with_one_line_and_change_nothing_else(playground, model_file, capsys,
                                                                                    monkeypatch, command, a, b):
    monkeypatch.chdir(playground)
    out = playground / "out"
    template, output_slots = command
    before = digest(playground, skip=out)
    argv = [t.format(a, b, out=out, model=model_file) for t in template]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            code = main(argv)
    except SystemExit as e:  # argparse: a usage error
        code = e.code
    err = capsys.readouterr().err
    assert code in (0, 2), (argv, err)
    assert "Traceback" not in err
    assert len([line for line in err.splitlines() if line.startswith("blurlib: error:")]) <= 1, err
    after = digest(playground, skip=out)
    changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    assert all(k not in before for k in changed), (argv, changed)  # no file that was there changed or went
    outs = [str(Path((a, b)[i])) for i in output_slots]
    assert all(any(k == o or k.startswith(o + "/") for o in outs) for k in changed), (argv, changed)


# --- no traceback, and every message says how to go on ------------------------------------------------------------

def test_resume_after_a_power_cut_mid_log_line_and_from_weights_only(synthetic, tmp_path, interrupt_training):
    from blurlib import profiles
    from blurlib.train import train

    tiny = profiles.get("smoke").replace(size=32, iterations=6, checkpoint_every=3)
    run = tmp_path / "run"
    with interrupt_training(4):
        train(synthetic, run, model_name="I", profile=tiny, progress=False)
    with open(run / "log.jsonl", "a") as f:
        f.write('{"iteration": 5, "lo')  # the power went while this line was written
    train(synthetic, run, model_name="I", profile=tiny, progress=False, resume=True)
    lines = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [e["iteration"] for e in lines] == list(range(1, 7))
    ckpt = torch.load(run / "checkpoint.pt", weights_only=True)
    del ckpt["optimizer"]
    torch.save(ckpt, run / "checkpoint.pt")
    with pytest.raises(BlurlibError, match="checkpoint.pt: a checkpoint without optimizer, so training cannot resume"):
        train(synthetic, run, model_name="I", profile=tiny.replace(iterations=9), progress=False, resume=True)


def test_terminate_ends_a_command_as_ctrl_c_with_how_to_go_on(monkeypatch, capsys, tmp_path):
    import os
    import signal

    import blurlib.cli as cli

    def killed(args):
        os.kill(os.getpid(), signal.SIGTERM)  # a scheduler stopping the job
        return 0
    monkeypatch.setattr(cli, "cmd_train", killed)
    before = signal.getsignal(signal.SIGTERM)
    assert main(["train", "--run-dir", str(tmp_path / "r")]) == 130
    assert "interrupted. No checkpoint was written yet, so there is nothing to resume; run the command again" \
        in capsys.readouterr().err  # stopped before its first checkpoint
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "checkpoint.pt").write_bytes(b"")
    assert main(["train", "--run-dir", str(tmp_path / "r")]) == 130
    assert "interrupted. A training run resumes from its last checkpoint: run the same command with --resume" \
        in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) == before


def test_unreadable_files_and_maps_in_another_format_say_what_is_wrong(synthetic_root, tmp_path, monkeypatch,
                                                                       capsys):
    import PIL.Image

    Image.fromarray(make_sample(1, 16, seed=0)[1]).save(tmp_path / "a.png")
    real = PIL.Image.open
    monkeypatch.setattr(PIL.Image, "open", lambda *a, **k: (_ for _ in ()).throw(PermissionError(13, "Permission denied")))
    with pytest.raises(BlurlibError, match=r"a.png: cannot be read \(Permission denied\)"):
        read_rgb(tmp_path / "a.png")
    monkeypatch.setattr(PIL.Image, "open", real)
    maps = tmp_path / "maps"
    maps.mkdir()
    for mask in sorted((synthetic_root / "gt").glob("*.png")):
        Image.open(mask).convert("RGB").save(maps / f"{mask.stem}.jpg")
    assert main(["evaluate", "--pred", str(maps), "--gt", str(synthetic_root), "--split", "all"]) == 2
    assert "maps are read as PNG" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["bench", "--size", "20", "--device", "cpu"])
    assert "--size: 20 is below 32" in capsys.readouterr().err


def test_bench_plans_the_diff_it_writes_beside_its_report(tmp_path, monkeypatch, capsys):
    """From a tree with uncommitted changes the report's diff is written beside --out: a file already there is
    one of the command's outputs, refused like the report itself."""
    import blurlib.cli as cli

    monkeypatch.setattr(cli, "git_commit", lambda cwd=None: "c0ffee+dirty")
    (tmp_path / "r.diff").write_text("my notes")
    assert main(["bench", "--models", "I", "--size", "32", "--repeats", "1", "--no-train",
                 "--out", str(tmp_path / "r.json")]) == 2
    assert "r.diff: exists" in capsys.readouterr().err and (tmp_path / "r.diff").read_text() == "my notes"
    assert main(["bench", "--out", str(tmp_path), "--overwrite"]) == 2  # a folder: --overwrite would not help
    assert "is a folder, not a file" in capsys.readouterr().err


def test_npy_maps_are_plain_2d_number_arrays(tmp_path):
    np.save(tmp_path / "three.npy", np.zeros((4, 4, 3), np.float32))
    with pytest.raises(BlurlibError, match=r"three.npy: a .npy map must be one float array \(H, W\)"):
        read_map(tmp_path / "three.npy")
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(BlurlibError, match="objects.npy: not a .npy array of numbers") as e:
        read_map(tmp_path / "objects.npy")
    assert "allow_pickle" not in str(e.value)  # no advice to load untrusted pickles


def test_a_mask_whose_channels_differ_is_read_by_its_red_channel_and_said(tmp_path):
    red = np.zeros((4, 4), np.uint8)
    red[:, 2:] = 255
    Image.fromarray(np.stack([red, 255 - red, red], -1)).save(tmp_path / "m.png")
    with pytest.warns(UserWarning, match="m.png: mask's red, green and blue differ"):
        assert (read_mask(tmp_path / "m.png") == (red == 255)).all()


def test_a_truncated_mask_is_said_to_be_truncated_and_nothing_else(tmp_path):
    Image.fromarray(np.full((64, 64), 255, np.uint8)).save(tmp_path / "m.png")
    (tmp_path / "m.png").write_bytes((tmp_path / "m.png").read_bytes()[:60])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning about colours on the way
        with pytest.raises(BlurlibError, match="m.png: truncated or corrupt image"):
            read_mask(tmp_path / "m.png")
