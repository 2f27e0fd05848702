"""scripts/reproducibility.py: a re-run compared with the committed run it replaced, and only a real re-run."""

from __future__ import annotations

import json
import subprocess

import pytest


def _run(seed=0, commit="a" * 40, device="cpu: A", ods=0.8, about="first words", iterations=6):
    run = {"model": "I", "split": "odd", "seed": seed, "weights": "hed", "n_train": 3,
           "profile": {"name": "p", "about": about, "iterations": iterations},
           "precision": "bf16", "device": device, "wall_seconds": 600.0,
           "provenance": {"git_commit": commit, "date": "2026-01-01T00:00:00+00:00"}}
    scores = {"ods": ods, "ois": ods + 0.02, "ap": ods - 0.05}
    metrics = {"names": ["a", "b"], "ours": {p: scores for p in ("paper", "pooled")}}
    return run, metrics


def _write(repo, name, run, metrics):
    folder = repo / "runs" / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "run.json").write_text(json.dumps(run))
    (folder / "metrics.json").write_text(json.dumps(metrics))


def _git(repo, *args):
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True,
                   capture_output=True)


@pytest.fixture
def repo(tmp_path, reproducibility, monkeypatch):
    _git(tmp_path, "init", "-q")
    _write(tmp_path, "I_odd", *_run())
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "committed run")
    monkeypatch.setattr(reproducibility, "REPO", tmp_path)
    return tmp_path


def test_a_rerun_on_another_machine_is_reported_with_its_differences(repo, reproducibility, capsys):
    _write(repo, "I_odd", *_run(commit="b" * 40, device="cpu: B", ods=0.81, about="the profile described anew"))
    out = repo / "reproducibility.json"
    assert reproducibility.main(["I_odd", "--before", "HEAD", "--out", str(out)]) == 0
    r = json.loads(out.read_text())
    entry = r["runs"]["I_odd"]
    assert entry["before"]["device"] == "cpu: A" and entry["after"]["device"] == "cpu: B"
    assert entry["delta"]["paper"] == {"ods": 0.01, "ois": 0.01, "ap": 0.01}
    assert r["max_abs_delta"] == 0.01 and "provenance" in r
    assert "I_odd: paper protocol ODS +0.0100" in capsys.readouterr().out


@pytest.mark.parametrize("change, words", [(dict(seed=1), "differs from the run at HEAD in seed"),
                                           (dict(iterations=8), "differs from the run at HEAD in profile"),
                                           (dict(), "unchanged since HEAD")])
def test_what_is_not_a_rerun_is_refused(repo, reproducibility, capsys, change, words):
    _write(repo, "I_odd", *_run(**change))
    out = repo / "reproducibility.json"
    assert reproducibility.main(["I_odd", "--before", "HEAD", "--out", str(out)]) == 2
    assert words in capsys.readouterr().err and not out.exists()


def test_a_setting_added_since_with_its_default_is_the_same_recipe(repo, reproducibility, capsys):
    run, metrics = _run(commit="b" * 40, device="cpu: B")
    run["profile"]["max_images"] = 0  # recorded by later versions; 0 (every image) is what older runs did
    _write(repo, "I_odd", run, metrics)
    assert reproducibility.main(["I_odd", "--before", "HEAD", "--out", str(repo / "r.json")]) == 0
    run["profile"]["max_images"] = 36
    _write(repo, "I_odd", run, metrics)
    assert reproducibility.main(["I_odd", "--before", "HEAD", "--out", str(repo / "r.json")]) == 2
    assert "differs from the run at HEAD in profile" in capsys.readouterr().err


def test_losses_counts_the_steps_both_logs_share_and_those_that_match(reproducibility):
    line = '{{"iteration": {}, "loss": {}, "lr": 0.001, "seconds": {}}}'
    before = "\n".join(line.format(i, 0.5 / i, i * 0.9) for i in range(1, 5))
    after = "\n".join(line.format(i, 0.5 / i if i != 3 else 0.2, i * 0.7) for i in range(1, 4)) + '\n{"iter'
    assert reproducibility.losses(before, after) == {"steps_compared": 3, "steps_identical": 2}  # time aside
