"""The notebook runner (the README's main command): parameters are checked before any notebook runs."""

from __future__ import annotations


def test_unknown_parameter_is_refused_before_running(run_notebooks, tmp_path, capsys):
    runner = run_notebooks
    assert runner.main(["-p", "profil", "smoke", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter(s) profil" in err and "profile" in err
    assert not list(tmp_path.iterdir())  # nothing was executed


def test_parameter_values_are_parsed(run_notebooks):
    runner = run_notebooks
    assert [runner.parse_value(v) for v in ("None", "True", "12", "-3", "smoke")] == [None, True, 12, -3, "smoke"]


def test_boolean_words_are_parsed_in_any_case(run_notebooks):
    """`-p allow_partial false` must be False, not the (true) string "false"."""
    values = ("false", "False", "FALSE", "no", "No", "true", "yes", "YES", "none", "None")
    assert [run_notebooks.parse_value(v) for v in values] == [False] * 5 + [True] * 3 + [None] * 2


def test_executed_notebooks_keep_no_paths_of_the_machine_nor_cell_timings(run_notebooks, tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nb.metadata["papermill"] = {"input_path": "/home/someone/notebooks/x.ipynb", "output_path": "/home/someone/x.ipynb",
                                "parameters": {"profile": "smoke"}, "duration": 1.5}
    nb.cells[0].metadata["papermill"] = {"duration": 0.1, "start_time": "t0", "end_time": "t1", "status": "completed"}
    nb.cells[0].metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z", "shell.execute_reply": "t2"}
    path = tmp_path / "x.ipynb"
    nbformat.write(nb, path)
    run_notebooks.strip_paths(path)
    kept = nbformat.read(path, as_version=4)
    assert kept.metadata["papermill"] == {"parameters": {"profile": "smoke"}}  # no times: they change every run
    assert "/home/someone" not in path.read_text() and kept.cells[0].source == "1 + 1"
    assert kept.cells[0].metadata["papermill"] == {"status": "completed"}  # no per-cell timings: they change every run
    assert "execution" not in kept.cells[0].metadata  # nor the kernel's message times
    run_notebooks.strip_paths(path)  # a notebook without them is left as it is
    assert nbformat.read(path, as_version=4) == kept


def test_cell_timeout_zero_lifts_the_limit_for_cells_that_train(run_notebooks, tmp_path, monkeypatch):
    import shutil

    seen = []

    def execute(src, out, *, execution_timeout, **kw):  # papermill stand-in: records the limit, copies the notebook
        seen.append(execution_timeout)
        shutil.copy(src, out)
    monkeypatch.setattr(run_notebooks.pm, "execute_notebook", execute)
    assert run_notebooks.main(["--only", "00", "--out", str(tmp_path)]) == 0
    assert run_notebooks.main(["--only", "00", "--cell-timeout", "0", "--out", str(tmp_path)]) == 0
    assert seen == [1800, None]


def test_every_notebook_runs_on_the_synthetic_set_as_on_a_fresh_clone(run_notebooks, tmp_path, monkeypatch):
    """`make` on a machine without the benchmark: every notebook on the embedded synthetic set, outputs under build/."""
    import nbformat

    monkeypatch.delenv("BLURLIB_DATA", raising=False)
    monkeypatch.delenv("BLURLIB_FIGURES", raising=False)  # where the notebooks put figures is what is tested here
    monkeypatch.setenv("BLURLIB_HOME", str(tmp_path))  # data/synthetic, build/runs and build/figures land there
    monkeypatch.setenv("BLURLIB_QUICK", "1")
    assert run_notebooks.main(["-p", "data_source", "synthetic", "--out", str(tmp_path / "nb")]) == 0
    executed = nbformat.read(tmp_path / "nb" / "01_feature_statistics.ipynb", as_version=4)
    text = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert "synthetic" in text and "figures and tables: build/figures" in text
    assert (tmp_path / "build" / "figures" / "fig01_challenge_patches.png").is_file()


def test_a_failing_notebook_never_stops_the_others_and_every_failure_is_named(run_notebooks, tmp_path, monkeypatch,
                                                                              capsys):
    from pathlib import Path

    import nbformat

    ran = []

    def execute(src, out, **kw):  # papermill stand-in: 02 fails, 04 prints a claim that differs, the others run
        ran.append(Path(src).name[:2])
        nb = nbformat.read(src, as_version=4)
        said = "differs from the text: V beats IV in ODS\n" if Path(src).name.startswith("04") else "checked: x\n"
        nb.cells = [nbformat.v4.new_code_cell("ctx.report()", outputs=[nbformat.v4.new_output("stream", text=said)])]
        nbformat.write(nb, out)
        if Path(src).name.startswith("02"):
            raise run_notebooks.pm.PapermillExecutionError(3, 3, "ctx.check(...)", "AssertionError", "claim", [])
    monkeypatch.setattr(run_notebooks.pm, "execute_notebook", execute)
    assert run_notebooks.main(["--only", "01", "02", "03", "04", "--out", str(tmp_path)]) == 1
    out, err = capsys.readouterr()
    assert ran == ["01", "02", "03", "04"]  # the notebooks after the failure ran
    assert "02_configurations.ipynb failed in cell 3: AssertionError: claim" in err and "1 of 4 notebooks failed" in err
    assert "04_variants.ipynb: 1 claim(s) of the text differ on these data and runs: V beats IV in ODS" in out
