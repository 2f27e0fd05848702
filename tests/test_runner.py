"""The notebook runner (the README's main command): parameters are checked before any notebook runs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

RUNNER = Path(__file__).resolve().parent.parent / "scripts" / "run_notebooks.py"


def load_runner():
    spec = importlib.util.spec_from_file_location("run_notebooks", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_unknown_parameter_is_refused_before_running(tmp_path, capsys):
    runner = load_runner()
    assert runner.main(["-p", "profil", "smoke", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter(s) profil" in err and "profile" in err
    assert not list(tmp_path.iterdir())  # nothing was executed


def test_parameter_values_are_parsed():
    runner = load_runner()
    assert [runner.parse_value(v) for v in ("None", "True", "12", "-3", "smoke")] == [None, True, 12, -3, "smoke"]
