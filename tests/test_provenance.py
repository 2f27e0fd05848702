"""What blurlib records names data, folders and hardware portably: no absolute path of the machine that wrote it."""

from __future__ import annotations

from pathlib import Path

from blurlib import runtime
from blurlib.data import scan
from blurlib.paths import portable, project_root
from blurlib.provenance import portable_command, portable_text, provenance


def test_paths_are_recorded_relative_to_the_data_the_project_or_home(tmp_path, monkeypatch):
    data = tmp_path / "cuhk"
    data.mkdir()
    monkeypatch.setenv("BLURLIB_DATA", str(data))
    assert portable(data) == "$BLURLIB_DATA"
    assert portable(data / "image" / "a.jpg") == "$BLURLIB_DATA/image/a.jpg"
    assert portable(project_root() / "runs" / "V_odd") == "runs/V_odd"
    assert portable(Path.home() / "work" / "run") == "~/work/run"
    assert portable("relative/run") == "relative/run"
    assert portable(str(tmp_path / "elsewhere")) == str(tmp_path / "elsewhere")  # nothing to anchor it to


def test_recorded_command_has_no_absolute_data_or_project_path(tmp_path, monkeypatch):
    monkeypatch.setenv("BLURLIB_DATA", str(tmp_path))
    command = ["blurlib", "train", "--root", str(tmp_path), "--run-dir", str(Path.home() / "runs" / "V"),
               f"--out={project_root() / 'build' / 'x'}", "--seed", "0"]
    assert portable_command(command) == "blurlib train --root $BLURLIB_DATA --run-dir ~/runs/V --out=build/x --seed 0"
    p = provenance(command)
    assert p["command"] == portable_command(command)
    assert p["host"] == runtime.hardware() and p["host"].startswith(runtime.cpu_name())


def test_data_description_names_the_data_folder_by_its_variable(synthetic_root, monkeypatch):
    monkeypatch.setenv("BLURLIB_DATA", str(synthetic_root))
    bench = scan(synthetic_root, synthetic=True)
    assert bench.description.endswith("$BLURLIB_DATA)") and str(synthetic_root) not in bench.description
    assert bench.summary()["root"] == "$BLURLIB_DATA"


def test_recorded_data_descriptions_are_shown_portably(monkeypatch):
    monkeypatch.setenv("BLURLIB_DATA", "/data/cuhk")
    recorded = "partial CUHK benchmark (706 of 1000 images, /data/cuhk); maps in /data/cuhk/baselines/hifst"
    assert portable_text(recorded) == ("partial CUHK benchmark (706 of 1000 images, $BLURLIB_DATA); "
                                       "maps in $BLURLIB_DATA/baselines/hifst")
    assert portable_text("runs/V_odd ../x ~/y $BLURLIB_DATA/z") == "runs/V_odd ../x ~/y $BLURLIB_DATA/z"
