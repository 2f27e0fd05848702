"""blurlib.context: a notebook's parameters checked once; committed runs rendered only when they match what was asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from blurlib import context, profiles, runs
from blurlib.errors import BlurlibError


@pytest.mark.parametrize("kw, word", [(dict(runs="retrain"), "runs must be one of auto, committed, train"),
                                      (dict(data_source="web"), "data_source must be one of"),
                                      (dict(profile="fast"), "unknown profile 'fast'"),
                                      (dict(allow_partial="maybe"), "allow_partial must be true or false")])
def test_setup_refuses_bad_parameters_with_one_line(kw, word, monkeypatch):
    monkeypatch.setenv("BLURLIB_DATA", "")
    with pytest.raises(BlurlibError, match=word):
        context.setup(**({"data_source": "synthetic"} | kw))


@pytest.mark.parametrize("text, value", [("false", False), ("False", False), ("no", False), ("TRUE", True), (True, True)])
def test_parse_bool_reads_strings_from_the_command_line(text, value):
    assert context.parse_bool(text, "allow_partial") is value


def test_auto_profile_is_smoke_on_the_synthetic_set_and_outputs_go_to_build(tmp_path, monkeypatch):
    monkeypatch.delenv("BLURLIB_FIGURES", raising=False)
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path))
    ctx = context.setup(data_source="synthetic")
    assert ctx.profile.name == profiles.SMOKE and not ctx.real and not ctx.real_checks
    assert ctx.figures == tmp_path / "build" / "figures"


def test_committed_figures_are_written_only_from_the_benchmark_with_a_real_profile(synthetic, monkeypatch, tmp_path):
    monkeypatch.delenv("BLURLIB_FIGURES", raising=False)
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path))
    real = type(synthetic)(**{**synthetic.__dict__, "synthetic": False})
    assert context.output_dir(real, profiles.get("cpu-short")) == tmp_path / "figures"
    assert context.output_dir(real, profiles.get("smoke")) == tmp_path / "build" / "figures"
    assert context.output_dir(synthetic, profiles.get("paper")) == tmp_path / "build" / "figures"


def test_quick_mode_caps_every_analysis(monkeypatch):
    ctx = context.Context(profiles.get("smoke"), None, "auto", None, False, None)
    assert len(ctx.sample(range(353))) == 353 and len(ctx.sample(range(353), 100)) == 100
    ctx.quick = True
    assert len(ctx.sample(range(353), 100)) == context.QUICK_IMAGES


@pytest.fixture
def no_training(monkeypatch, tmp_path):
    """train/evaluate_run replaced by recorders: which runs would be trained now, and where."""
    calls = []

    def fake_train(bench, run_dir, **kw):
        calls.append((run_dir, kw["profile"].name))
        run_dir.mkdir(parents=True, exist_ok=True)
        (run_dir / "run.json").write_text('{"profile": {"name": "%s"}, "data": "synthetic"}' % kw["profile"].name)
        return run_dir

    monkeypatch.setattr("blurlib.runs.train", fake_train)
    monkeypatch.setattr("blurlib.runs.evaluate_run", lambda run_dir, pairs, **kw: {"names": [p.name for p in pairs]})
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path))
    return calls


def test_a_profile_without_committed_runs_trains_instead_of_rendering(synthetic, no_training):
    r = runs.run_result(synthetic, profiles.get("smoke").replace(iterations=2), "V", runs="auto")
    assert no_training and r.origin.startswith("trained now") and "build" in str(r.dir)


def test_runs_train_never_renders_a_committed_run_even_of_the_same_profile(synthetic, no_training):
    assert runs.committed_run("V_odd") is not None  # a committed cpu-short run exists...
    r = runs.run_result(synthetic, profiles.get("cpu-short"), "V", runs="train")
    assert [p for _, p in no_training] == ["cpu-short"] and r.origin.startswith("trained now")  # ...and is not used


def test_runs_auto_renders_the_committed_run_of_the_asked_profile_and_says_when_images_differ(synthetic, no_training):
    r = runs.run_result(synthetic, profiles.get("cpu-short"), "V", runs="auto")
    assert not no_training and r.dir == runs.RUNS / "V_odd"
    assert "not from the" in r.note and "scripts/run_experiments.py --only V_odd --profile cpu-short" in r.note


def test_runs_committed_renders_whatever_the_profile_and_refuses_when_none(synthetic, no_training):
    assert runs.run_result(synthetic, profiles.get("smoke"), "V", runs="committed").dir == runs.RUNS / "V_odd"
    with pytest.raises(BlurlibError, match="no committed run V_synthetic"):
        runs.run_result(synthetic, profiles.get("smoke"), "V", train_split="synthetic", runs="committed")
    assert not no_training


def test_the_paper_profile_finds_the_committed_paper_recipe_run(synthetic, no_training):
    r = runs.run_result(synthetic, profiles.get("paper"), "V", runs="auto")
    assert r.dir == runs.RUNS / "V_odd_paper" and runs.profile_name(r.run) == "paper" and not no_training


def test_the_shipped_model_is_scored_now_on_other_test_images_and_never_on_its_training_images(synthetic, tmp_path,
                                                                                               monkeypatch):
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path))
    r = runs.shipped_result(synthetic, "even", limit=2)
    assert r.metrics["names"] == [p.name for p in synthetic.select("even")][::len(synthetic.select("even")) // 2][:2]
    assert r.origin.startswith("the shipped model") and str(tmp_path) in str(r.dir)
    assert runs.shipped_result(synthetic, "even", limit=2).metrics == r.metrics  # cached, not scored again
    trained_on = runs.committed_run(runs.DEFAULT_RUN.name).run["train_images"][:1]
    real = type(synthetic)(**{**synthetic.__dict__, "pairs": [p.__class__(**{**p.__dict__, "name": trained_on[0]})
                                                             for p in synthetic.pairs[:1]]})
    with pytest.raises(BlurlibError, match="trained on 1 of the all images"):
        runs.shipped_result(real, "all")


@pytest.mark.cuhk
def test_claims_are_asserted_only_on_the_committed_runs_and_the_data_the_text_was_written_for(cuhk, monkeypatch):
    monkeypatch.delenv("BLURLIB_QUICK", raising=False)
    assert context.setup(data_root=str(cuhk), device="auto").strict  # CI: the committed runs, their data
    for kw in (dict(runs="train"), dict(profile="paper")):  # runs trained now: claims reported, never stop the batch
        ctx = context.setup(data_root=str(cuhk), **kw)
        assert ctx.real_checks and not ctx.strict
        ctx.check(False, "V beats IV")
        assert ctx.differences == ["V beats IV"]


def test_other_data_never_stop_a_notebook_on_a_claim(synthetic, monkeypatch):
    assert not context.written_for(synthetic)  # not the images of the committed runs
    ctx = context.Context(profiles.get(profiles.COMMITTED), synthetic, "auto", None, False, Path("."), True,
                          context.written_for(synthetic))
    ctx.check(False, "S is within about 0.1 of b")
    assert ctx.differences == ["S is within about 0.1 of b"]


def test_the_notebooks_device_reaches_every_later_call_without_one(monkeypatch):
    from blurlib import runtime

    try:
        context.setup(device="cpu")
        monkeypatch.setattr(runtime.torch.cuda, "is_available", lambda: True)  # a GPU would be the automatic choice
        assert runtime.pick_device() == runtime.torch.device("cpu")  # maps, scorings, experiments: the asked one
    finally:
        runtime.use_device(None)
