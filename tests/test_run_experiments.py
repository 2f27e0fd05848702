"""The experiments driver: the committed runs are reproducible by name, resumably, without clobbering results."""

from __future__ import annotations

import json

import pytest


def test_every_notebook_run_name_is_an_experiment(run_experiments):
    names = set(run_experiments.EXPERIMENTS)
    assert {"V_odd", "V_even", "V_odd_scratch", "fcn8s_odd", "fusion_odd", "fusion_ds_odd", "V_odd_fidelity",
            "V_defocus604", "fusion_ds_defocus604", "unet_defocus604", "unet_odd"} <= names
    assert {f"V_moredata-train-{k}" for k in range(5)} <= names


def test_unknown_experiment_is_refused(run_experiments, capsys):
    assert run_experiments.main(["--only", "V_od"]) == 2
    assert "unknown experiment(s) V_od" in capsys.readouterr().err


def test_dry_run_names_the_three_commands_and_keeps_other_profiles_apart(run_experiments, tmp_path,
                                                                       capsys):
    ex = run_experiments
    assert ex.main(["--only", "V_odd_fidelity", "--profile", "paper", "--work", str(tmp_path / "w"),
                    "--runs", str(tmp_path / "runs"), "--root", "DATA", "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("$ blurlib train --source auto --root DATA --model V --split odd --loss fidelity "
                             "--profile paper") and out[0].endswith("--resume")
    assert out[1].startswith("$ blurlib evaluate") and out[1].endswith("--split even --overwrite")
    assert out[2] == f"$ blurlib publish {tmp_path / 'w' / 'V_odd_fidelity_paper'} {tmp_path / 'runs' / 'V_odd_fidelity_paper'}"
    assert not (tmp_path / "w").exists()


def test_config_v_keeps_its_more_data_reference_beside_it_when_rerun(run_experiments, tmp_path, capsys):
    """The more-data experiment renders from V_odd's scores on each trial's test images (its weights are not kept):
    a re-run of V_odd with the committed profile stores them again, from the code it was trained with."""
    common = ["--work", str(tmp_path / "w"), "--runs", str(tmp_path / "runs"), "--dry-run"]
    assert run_experiments.main(["--only", "V_odd", *common]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4 and out[3].startswith("$ (in this process) blurlib.moredata.store_reference")
    assert run_experiments.main(["--only", "V_odd", "--profile", "paper", *common]) == 0  # not the committed profile
    assert run_experiments.main(["--only", "IV_odd", *common]) == 0
    assert "store_reference" not in capsys.readouterr().out


def test_smoke_experiment_is_published_then_skipped(run_experiments, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path / "home"))  # the synthetic set is made there
    ex = run_experiments
    args = ["--only", "I_odd", "--profile", "smoke", "--source", "synthetic", "--work", str(tmp_path / "w"),
            "--runs", str(tmp_path / "runs"), "--allow-dirty"]  # the tests may run on a tree being edited
    assert ex.main(args) == 0
    pub = tmp_path / "runs" / "I_odd_smoke"
    run = json.loads((pub / "run.json").read_text())
    assert run["model"] == "I" and run["profile"]["name"] == "smoke"
    assert json.loads((pub / "metrics.json").read_text())["ours"]["paper"]["ods"] > 0
    assert not (pub / "model_fp16.pt").exists()
    assert (pub / "pr_full.csv").is_file()  # the full-range PR curve is published beside pr.csv
    capsys.readouterr()
    assert ex.main(args) == 0
    assert "already published with profile smoke" in capsys.readouterr().out
    assert ex.main([*args, "--rerun", "--dry-run"]) == 0  # named again on purpose: its commands run again
    assert capsys.readouterr().out.startswith("$ blurlib train")
    assert ex.main(["--rerun"]) == 2 and "--rerun needs --only" in capsys.readouterr().err
    assert ex.main(["--list", "--profile", "smoke", "--runs", str(tmp_path / "runs")]) == 0
    listing = capsys.readouterr().out
    assert "I_odd_smoke" in listing and "published" in listing.split("I_odd_smoke")[1].splitlines()[0]


def test_seeds_publish_beside_seed_zero_and_ship_no_weights(run_experiments, tmp_path, capsys):
    ex = run_experiments
    assert ex.main(["--only", "V_odd", "IV_odd", "--seeds", "1", "2", "--work", str(tmp_path / "w"),
                    "--runs", str(tmp_path / "runs"), "--root", "DATA", "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    trains = [line for line in out if line.startswith("$ blurlib train")]
    assert [t.split("--seed ")[1].split()[0] for t in trains] == ["1", "1", "2", "2"]  # one seed of each, then the next
    publishes = [line.split()[-1] for line in out if line.startswith("$ blurlib publish")]
    assert publishes == [str(tmp_path / "runs" / n) for n in ("V_odd_seed1", "IV_odd_seed1", "V_odd_seed2",
                                                               "IV_odd_seed2")]  # no --weights: only seed 0 ships
    assert ex.published_name("V_odd", "paper", 1) == "V_odd_paper_seed1" and ex.published_name("V_odd", "cpu-short") == "V_odd"
    assert ex.main(["--only", "V_odd", "--seeds", "-1", "--dry-run"]) == 2
    assert "--seeds" in capsys.readouterr().err


@pytest.mark.slow
def test_two_runs_at_once_as_submitit_jobs_each_published(run_experiments, tmp_path, monkeypatch, capsys):
    """--executor local: one submitit job per run, started together; each resumes and publishes as it does alone."""
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path / "home"))
    args = ["--only", "I_odd", "II_odd", "--profile", "smoke", "--source", "synthetic", "--work", str(tmp_path / "w"),
            "--runs", str(tmp_path / "runs"), "--allow-dirty", "--executor", "local", "--timeout-min", "20"]
    assert run_experiments.main(args) == 0
    out = capsys.readouterr().out
    assert out.count(": job ") == 2 and "I_odd_smoke: published" in out and "II_odd_smoke: published" in out
    for name, model in (("I_odd_smoke", "I"), ("II_odd_smoke", "II")):
        assert json.loads((tmp_path / "runs" / name / "run.json").read_text())["model"] == model
        assert (tmp_path / "runs" / name / "metrics.json").is_file()
    logs = sorted((tmp_path / "w" / "submitit").glob("*_log.out"))
    assert len(logs) == 2  # one job each
    assert run_experiments.main(args) == 0 and "already published" in capsys.readouterr().out
