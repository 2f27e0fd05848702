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
