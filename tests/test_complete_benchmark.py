"""The reviewer's path: a complete 1000-image benchmark (the local images plus stand-ins for the missing ones)."""

from __future__ import annotations

import json

import pytest

from blurlib.cli import main

pytestmark = pytest.mark.cuhk


def test_data_info_accepts_the_complete_benchmark_without_allow_partial(complete_cuhk, capsys):
    assert main(["data", "info", "--root", str(complete_cuhk)]) == 0
    out = capsys.readouterr().out
    assert "images    1000" in out.replace("images     1000", "images    1000") and "missing" in out
    assert "CUHK benchmark (1000 images" in out or "1000 of 1000" in out or "complete" in out


@pytest.mark.parametrize("split", ["even", "odd"])
def test_evaluation_scores_all_500_test_images(complete_cuhk, split, capsys):
    hifst = complete_cuhk / "baselines" / "hifst"
    assert main(["evaluate", "--pred", str(hifst), "--suffix", "_HiFSTBlurMap", "--invert", "--gt", str(complete_cuhk),
                 "--split", split, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["n_images"] == 500


def test_the_experiment_driver_lists_on_the_complete_benchmark(complete_cuhk, run_experiments, capsys):
    assert run_experiments.main(["--list", "--root", str(complete_cuhk)]) == 0
    listed = capsys.readouterr().out.split("\n")
    assert any(line.startswith("V_odd ") for line in listed) and len([l for l in listed if l.strip()]) >= 16


@pytest.mark.slow
def test_notebooks_train_now_on_the_complete_benchmark_with_the_smoke_profile(complete_cuhk, run_notebooks, tmp_path,
                                                                               monkeypatch):
    """Runs trained now on a complete copy (the GPU workstation's path, smoke-sized): the data notebook and Table II's
    five configurations. Every notebook runs on a complete copy in the reviewer's test below and trains now on the
    synthetic set in test_runner; this one joins the two without paying for all eleven again (CI time)."""
    import nbformat

    monkeypatch.setenv("BLURLIB_DATA", str(complete_cuhk))
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path))  # runs trained now land in tmp_path/build
    monkeypatch.setenv("BLURLIB_QUICK", "1")
    assert run_notebooks.main(["-p", "profile", "smoke", "-p", "allow_partial", "False", "--only", "00", "02",
                               "--out", str(tmp_path / "nb")]) == 0
    assert sorted(p.name[:2] for p in (tmp_path / "nb").glob("*.ipynb")) == ["00", "02"]
    executed = nbformat.read(tmp_path / "nb" / "00_data.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "1000" in text


@pytest.mark.slow
def test_the_reviewers_make_renders_every_notebook_on_a_complete_benchmark(complete_cuhk, run_notebooks, tmp_path,
                                                                           monkeypatch, capsys):
    """`make` with the default profile on a complete copy: the committed runs rendered beside what is scored now on
    the user's test images; a claim of the text these data do not bear out is listed, never a stop."""
    import nbformat

    monkeypatch.setenv("BLURLIB_DATA", str(complete_cuhk))
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path))
    monkeypatch.setenv("BLURLIB_QUICK", "1")
    monkeypatch.setenv("BLURLIB_FIGURES", str(tmp_path / "figures"))  # the committed figures stay as they are
    assert run_notebooks.main(["--out", str(tmp_path / "nb")]) == 0
    out = capsys.readouterr().out
    executed = sorted((tmp_path / "nb").glob("*.ipynb"))
    assert len(executed) == 11
    for path in executed:
        nb = nbformat.read(path, as_version=4)
        last = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []))
        assert "claim" in last and ("holds on these data" in last or "differ" in last), path.name
    assert "figures and tables in" in out
