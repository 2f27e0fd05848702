"""What blurlib records names data, folders and hardware portably: no absolute path of the machine that wrote it."""

from __future__ import annotations

import pytest

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


def _committed_json() -> list[Path]:
    import subprocess
    listed = subprocess.run(["git", "ls-files", "runs", "figures"], cwd=project_root(), capture_output=True,
                            text=True, check=True).stdout.split()
    return [project_root() / f for f in listed if f.endswith(".json")]


def _records(obj, where=()):
    """Every provenance record (a dict with ``git_commit``) in a JSON document, with its key path."""
    if isinstance(obj, dict):
        if "git_commit" in obj:
            yield where, obj
        for k, v in obj.items():
            yield from _records(v, (*where, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _records(v, (*where, i))


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from _strings(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _strings(v)


def test_no_committed_result_holds_a_path_of_the_machine_that_made_it_or_a_meaningless_host():
    import json
    import re
    files = _committed_json()
    assert len(files) > 40  # runs/ and figures/ are walked, not skipped
    absolute = re.compile(r"(?:^|[\s=(\"',;])(/(?:root|home|work|tmp|mnt|Users|opt|data|srv|var)\b[^\s\"',;)]*)")
    found = {}
    for f in files:
        doc = json.loads(f.read_text())
        hits = [m for s in _strings(doc) for m in absolute.findall(s)]
        hosts = [r.get("host") for _, r in _records(doc) if r.get("host") in ("vm", "localhost", "", None)]
        if hits or hosts:
            found[f.relative_to(project_root()).as_posix()] = hits + hosts
    assert not found


def test_every_committed_result_from_a_dirty_tree_carries_its_diff():
    import json
    from blurlib.provenance import is_dirty
    without = set()
    for f in _committed_json():
        for _, record in _records(json.loads(f.read_text())):
            if is_dirty(record) and not (record.get("git_diff") and (f.parent / record["git_diff"]).is_file()):
                without.add(f.relative_to(project_root()).as_posix())
    assert not without, sorted(without)  # each such result can be rebuilt from its commit and its diff


def test_the_diff_of_a_dirty_result_never_replaces_a_file_it_does_not_own(tmp_path, monkeypatch):
    import json

    from blurlib import provenance as prov
    from blurlib.errors import BlurlibError

    monkeypatch.setattr(prov, "git_commit", lambda: "0" * 40 + prov.DIRTY)
    monkeypatch.setattr(prov, "git_diff", lambda: b"the uncommitted change")
    result = tmp_path / "int8_calibration.json"
    (tmp_path / "int8_calibration.diff").write_text("the user's own notes")
    with pytest.raises(BlurlibError, match="int8_calibration.diff: a file of that name is there already"):
        prov.provenance(result=result)
    assert (tmp_path / "int8_calibration.diff").read_text() == "the user's own notes"
    result.write_text(json.dumps({"provenance": {"git_diff": "int8_calibration.diff"}}))  # the earlier result's diff
    assert prov.provenance(result=result)["git_diff"] == "int8_calibration.diff"
    assert (tmp_path / "int8_calibration.diff").read_text() == "the uncommitted change"
    (tmp_path / "run.diff").write_text("the diff of a run's first segment")  # a resumed run: run.json comes at the end
    assert prov.provenance(result=tmp_path / "run.json", resumed=True)["git_diff"] == "run.diff"
