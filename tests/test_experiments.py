"""The more-data trials and the later defocus split: fair comparisons, built from real (tiny) runs."""

from __future__ import annotations

import pytest

from blurlib import profiles
from blurlib.errors import BlurlibError
from blurlib.later_split import later_split_runs, later_split_table
from blurlib.moredata import mean_std, more_data_trials
from blurlib.runs import RunResult

TINY = profiles.get("smoke").replace(size=32, iterations=2, max_images=0)


def test_more_data_trials_compare_on_the_same_test_images(synthetic, tmp_path, monkeypatch):
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path))
    trials = more_data_trials(synthetic, TINY, trials=2)
    assert list(trials.index) == [0, 1]
    assert (trials["test images"] == 1).all() and (trials["train images"] == 11).all()  # 6 of D_e: 5 moved
    for col in ("ODS (D_o only)", "AP (D_o + moved)"):
        assert trials[col].between(0, 1).all()
    assert trials["runs"].str.contains("now: smoke").all()
    summary = mean_std(trials)
    assert list(summary.index) == ["D_o only", "D_o + moved"]
    assert summary.loc["D_o only", "ODS mean"] == pytest.approx(trials["ODS (D_o only)"].mean())


def test_later_split_needs_the_cuhk_defocus_images(synthetic):
    with pytest.raises(BlurlibError, match="none of the 100 test images of the later defocus split"):
        later_split_runs(synthetic, TINY)


def test_later_split_table_labels_published_rows():
    m = {"mae": 0.1, "fbeta_max": 0.8, "fbeta_adaptive": 0.7, "ods": 0.85, "ap": 0.9, "n_images": 100}
    r = RunResult(None, {}, {"ours": {"pooled": m, "paper": m | {"ods": 0.84, "ap": 0.88}}}, "",
                  "committed: cpu-short, partial CUHK")
    t = later_split_table({"V": r})
    assert t.loc["DBM config V", "MAE (mean per image)"] == 0.1 and t.loc["DBM config V", "source"].startswith("ours")
    assert t.loc["D-DFFNet (ICME 2023)", "MAE (mean per image)"] == 0.036
    assert t.loc["D-DFFNet (ICME 2023)", "source"] == "published"


def test_later_split_table_labels_every_ods_and_ap_column_by_protocol():
    m = {"mae": 0.1, "fbeta_max": 0.8, "fbeta_adaptive": 0.7, "ods": 0.85, "ap": 0.9, "n_images": 100}
    r = RunResult(None, {}, {"ours": {"pooled": m, "paper": m | {"ods": 0.84, "ap": 0.88}}}, "", "committed")
    t = later_split_table({"V": r})
    assert not {"ODS", "AP", "Fβ max", "Fβ adaptive", "MAE"} & set(t.columns)  # no bare metric name
    row = t.loc["DBM config V"]
    assert (row["ODS (pooled protocol)"], row["ODS (paper protocol)"]) == (0.85, 0.84)
    assert (row["AP (pooled protocol)"], row["AP (paper protocol)"]) == (0.9, 0.88)
    assert t.loc["D-DFFNet (ICME 2023)"].isna()["ODS (paper protocol)"]  # published rows report no paper protocol


def test_committed_more_data_trials_are_used_only_when_all_match_the_data(synthetic, tmp_path, monkeypatch):
    import json

    from blurlib import moredata

    monkeypatch.setattr(moredata, "RUNS", tmp_path)
    for k in range(moredata.COMMITTED_TRIALS):
        run = tmp_path / f"V_moredata-train-{k}"
        run.mkdir()
        (run / "run.json").write_text("{}")
        names = [p.name for p in synthetic.select(f"moredata-test-{k}")]
        (run / "metrics.json").write_text(json.dumps({"names": names}))
    assert moredata._committed_match(synthetic)
    (tmp_path / "V_moredata-train-1" / "metrics.json").write_text(json.dumps({"names": ["motion0001"]}))
    assert not moredata._committed_match(synthetic)  # scored on other images (another dataset)
    names = [p.name for p in synthetic.select("moredata-test-1")]
    (tmp_path / "V_moredata-train-1" / "metrics.json").write_text(json.dumps({"names": names}))
    assert moredata._committed_match(synthetic)
    (tmp_path / "V_moredata-train-4" / "run.json").unlink()
    assert not moredata._committed_match(synthetic)  # not all trials committed yet


def test_committed_run_reads_a_published_folder_and_ignores_an_incomplete_one(tmp_path):
    import shutil

    from blurlib.runs import RUNS, committed_run

    published = tmp_path / "V_odd_paper"
    published.mkdir()
    for f in ("run.json", "metrics.json"):
        shutil.copy(RUNS / "V_odd" / f, published / f)
    r = committed_run("V_odd_paper", runs=tmp_path)
    assert r.dir == published and r.run["model"] == "V"
    assert r.metrics["ours"]["paper"]["ods"] == committed_run("V_odd").metrics["ours"]["paper"]["ods"]
    assert r.origin.startswith("committed run V_odd_paper (model V, profile cpu-short")
    (published / "metrics.json").unlink()  # a training still running or never scored: not a result
    assert committed_run("V_odd_paper", runs=tmp_path) is None
