"""The more-data trials and the later defocus split: fair comparisons, built from real (tiny) runs."""

from __future__ import annotations

import numpy as np
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


def test_later_split_table_labels_published_rows(monkeypatch):
    from blurlib import later_split

    published = {"Someone (2030)": {"mae": 0.05, "fbeta_max": 0.9}}  # a paper printing only some columns
    monkeypatch.setattr(later_split, "paper", lambda: {"later_split": published})
    m = {"mae": 0.1, "fbeta_max": 0.8, "fbeta_adaptive": 0.7, "ods": 0.85, "ap": 0.9, "n_images": 100}
    r = RunResult(None, {"profile": {"name": "cpu-short"}}, {"ours": {"pooled": m, "paper": m | {"ods": 0.84, "ap": 0.88}}},
                  "", "committed: cpu-short, partial CUHK")
    t = later_split_table({"V": r, "fusion": r})
    row = "DBM (config V, cpu-short)"  # the model's one name (blurlib.runs.model_name), its recipe in it
    assert t.loc[row, "MAE (mean per image)"] == 0.1 and t.loc[row, "source"].startswith("ours")
    assert t.loc["fusion (cpu-short)", "MAE (mean per image)"] == 0.1  # not a config: its own name
    row = t.loc["Someone (2030)"]
    assert (row["MAE (mean per image)"], row["source"], row["test images"]) == (0.05, "published", 100)
    assert row.isna()["ODS (paper protocol)"]  # published rows report no paper protocol


def test_later_split_table_labels_every_ods_and_ap_column_by_protocol():
    m = {"mae": 0.1, "fbeta_max": 0.8, "fbeta_adaptive": 0.7, "ods": 0.85, "ap": 0.9, "n_images": 100}
    r = RunResult(None, {}, {"ours": {"pooled": m, "paper": m | {"ods": 0.84, "ap": 0.88}}}, "", "committed")
    t = later_split_table({"V": r})
    assert not {"ODS", "AP", "Fβ max", "Fβ adaptive", "MAE"} & set(t.columns)  # no bare metric name
    row = t.loc["DBM (config V)"]  # no profile recorded: no recipe in the name
    assert (row["ODS (pooled protocol)"], row["ODS (paper protocol)"]) == (0.85, 0.84)
    assert (row["AP (pooled protocol)"], row["AP (paper protocol)"]) == (0.9, 0.88)
    assert t.loc["D-DFFNet (ICME 2023)"].isna()["ODS (paper protocol)"]  # published rows report no paper protocol


def test_committed_more_data_trials_say_whether_they_match_the_data(synthetic, tmp_path, monkeypatch):
    import json

    from blurlib import moredata

    monkeypatch.setattr(moredata, "RUNS", tmp_path)
    (tmp_path / "V_odd").mkdir()
    (tmp_path / "V_odd" / moredata.REFERENCE_FILE).write_text("{}")
    for k in range(moredata.COMMITTED_TRIALS):
        run = tmp_path / f"V_moredata-train-{k}"
        run.mkdir()
        (run / "run.json").write_text("{}")
        names = [p.name for p in synthetic.select(f"moredata-test-{k}")]
        (run / "metrics.json").write_text(json.dumps({"names": names}))
    assert moredata._committed_matches(synthetic) is True
    (tmp_path / "V_moredata-train-1" / "metrics.json").write_text(json.dumps({"names": ["motion0001"]}))
    assert moredata._committed_matches(synthetic) is False  # scored on other images (another dataset): said so
    (tmp_path / "V_moredata-train-4" / "run.json").unlink()
    assert moredata._committed_matches(synthetic) is None  # not all trials committed: trained now
    (tmp_path / "V_moredata-train-4" / "run.json").write_text("{}")
    (tmp_path / "V_odd" / moredata.REFERENCE_FILE).unlink()
    assert moredata._committed_matches(synthetic) is None  # no stored D_o-only reference: trained now


def test_the_committed_more_data_experiment_renders_without_the_reference_weights(cuhk):
    from blurlib import moredata, profiles
    from blurlib.data import open_dataset

    bench = open_dataset("cuhk", cuhk, allow_partial=True)
    trials = moredata.more_data_trials(bench, profiles.get(profiles.COMMITTED))
    assert len(trials) == moredata.COMMITTED_TRIALS and (trials["ODS (D_o + moved)"] > 0).all()
    assert not (moredata.RUNS / "V_odd" / "model_fp16.pt").exists()  # the stored reference stands in for them


def test_committed_run_reads_a_published_folder_and_ignores_an_incomplete_one(tmp_path):
    import shutil

    from blurlib.runs import RUNS, committed_run

    published = tmp_path / "V_odd_paper"
    published.mkdir()
    for f in ("run.json", "metrics.json"):
        shutil.copy(RUNS / "V_odd" / f, published / f)  # any published run will do
    r = committed_run("V_odd_paper", runs=tmp_path)
    assert r.dir == published and r.run["model"] == "V"
    assert r.metrics["ours"]["paper"]["ods"] == committed_run("V_odd").metrics["ours"]["paper"]["ods"]
    assert r.origin.startswith("committed run V_odd_paper (model V, profile cpu-short")
    (published / "metrics.json").unlink()  # a training still running or never scored: not a result
    assert committed_run("V_odd_paper", runs=tmp_path) is None


def test_comparison_table_rows_come_from_the_runs_and_a_run_without_guided_scores_is_left_out():
    from blurlib.beyond import COLUMNS, ROWS, comparison_table
    from blurlib.runs import RunResult

    def scores(mae):
        m = {"mae": mae, "fbeta_max_image": 0.9, "fbeta_mean_image": 0.8, "fbeta_adaptive": 0.7, "emeasure_max": 0.9,
             "emeasure_mean": 0.8, "emeasure_adaptive": 0.8, "smeasure": 0.8, "fbeta_max": 0.91, "ods": 0.9,
             "n_images": 100}
        return {"paper": m, "pooled": m}

    base = RunResult(None, {}, {"ours": scores(0.12), "guided": scores(0.11)}, "", "committed: cpu-short, CUHK")
    refined = RunResult(None, {}, {"ours": scores(0.06), "guided": scores(0.05)}, "", "committed: cpu-short, CUHK")
    t = comparison_table({"V": base, "unet": refined}, published=True)
    mae = COLUMNS[("pooled", "mae")]
    assert list(t.index[:4]) == list(ROWS.values()) and t.loc[ROWS["refined"], mae] == 0.06
    assert t.loc[ROWS["guided"], mae] == 0.11 and t.loc[ROWS["refined_guided"], mae] == 0.05
    assert set(COLUMNS.values()) <= set(t.columns)
    assert t[COLUMNS[("pooled", "mae_floor")]].isna().all()  # a measure the runs were not scored with: NaN
    published = t[t["source"] == "published"]
    assert len(published) >= 1 and published["ODS (paper protocol)"].isna().all()  # later work pools, if anything
    old = RunResult(None, {}, {"ours": scores(0.12)}, "", "committed")  # scored before the guided refinement
    assert ROWS["guided"] not in comparison_table({"V": old, "unet": refined}).index
    assert ROWS["refined_guided"] in comparison_table({"V": old, "unet": refined}).index


def test_magnify_shares_count_the_pixels_magnify_leaves_and_blurs(tmp_path):
    from blurlib.apps import MAGNIFY_THRESHOLD
    from blurlib.beyond import magnify_shares
    from blurlib.evaluate import write_pr_full_csv
    from blurlib.metrics import FineCurve, logit

    rng = np.random.default_rng(0)
    curve, sharp_kept, blurred_marked = FineCurve(), [], []
    for _ in range(3):
        mask = rng.random((20, 30)) < 0.6
        m = np.clip(np.where(mask, 0.7, 0.2) + rng.normal(0, 0.25, mask.shape), 0, 1)
        m[(m > 0.095) & (m < 0.105)] = 0.05  # away from the threshold, where the curve's step of 1/16 in logit lies
        curve.add(logit(m), mask)
        sharp_kept += list(m[~mask] <= MAGNIFY_THRESHOLD)
        blurred_marked += list(m[mask] > MAGNIFY_THRESHOLD)
    write_pr_full_csv(tmp_path / "pr_full.csv", curve)
    shares = magnify_shares(tmp_path)
    assert shares["threshold"] == pytest.approx(MAGNIFY_THRESHOLD, abs=0.001)
    assert shares["sharp kept"] == pytest.approx(np.mean(sharp_kept), abs=1e-5)
    assert shares["blurred marked"] == pytest.approx(np.mean(blurred_marked), abs=1e-5)


def test_seed_results_finds_each_seed_of_one_profile_beside_seed_zero(tmp_path):
    import json
    import shutil

    from blurlib.runs import RUNS, seed_results

    def publish_as(folder, seed, profile="cpu-short"):
        (tmp_path / folder).mkdir()
        run = json.loads((RUNS / "V_odd" / "run.json").read_text())
        run["seed"], run["profile"]["name"] = seed, profile
        (tmp_path / folder / "run.json").write_text(json.dumps(run))
        shutil.copy(RUNS / "V_odd" / "metrics.json", tmp_path / folder / "metrics.json")

    publish_as("V_odd", 0)
    publish_as("V_odd_seed1", 1)
    publish_as("V_odd_seed2", 5)  # a folder whose run says another seed: not seed 2
    publish_as("V_odd_seedx", 3)  # not a seed's name
    publish_as("V_odd_paper_seed1", 1, "paper")  # another profile's seed
    found = seed_results("V_odd", "cpu-short", runs=tmp_path)
    assert sorted(found) == [0, 1] and found[1].dir == tmp_path / "V_odd_seed1"
    assert sorted(seed_results("V_odd", "paper", runs=tmp_path)) == [1]  # the paper profile has no seed 0 here
