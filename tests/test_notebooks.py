"""The committed notebooks keep the conventions nbval and papermill rely on."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SANITIZE = NOTEBOOKS[0].parent / "nbval_sanitize.cfg"


def test_there_are_notebooks_numbered_in_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(len(numbers))) and len(numbers) >= 10


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_conventions(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1, "exactly one cell tagged 'parameters'"
    declared = re.findall(r"^(\w+) = ", params[0].source, re.M)
    assert declared[:6] == ["profile", "data_source", "data_root", "allow_partial", "runs", "device"]
    after = code[code.index(params[0]) + 1].source
    assert "context.setup(profile, data_source, data_root, allow_partial, runs, device)" in after, \
        "parameters checked by context.setup in the next cell"
    for c in code:
        # a figure shown inline carries its repr as the text fallback of the image; printed alone it is a bug
        text = "".join(o.get("text", "") + ("" if "image/png" in o.get("data", {}) else
                                            str(o.get("data", {}).get("text/plain", ""))) for o in c.outputs)
        assert "<Figure" not in text, f"cell {c.execution_count} prints a Figure repr instead of showing the figure"
        assert not any(o.get("output_type") == "error" for o in c.outputs), f"cell {c.execution_count} failed"
        if "NBVAL_CHECK_OUTPUT" in c.source:
            assert c.outputs, "a checked cell needs its committed output"


def test_sanitiser_hides_paths_floats_and_timings():
    cfg = configparser.ConfigParser()
    cfg.read(SANITIZE)
    text = "data: /data/cuhk (706 images), ODS 0.8864 in 12.5 s, 3.2 images/s"
    for section in cfg.sections():
        text = re.sub(cfg[section]["regex"], cfg[section]["replace"], text)
    assert text == "data: PATH (706 images), ODS FLOAT in TIME, TIME"
    text = "data: $BLURLIB_DATA (706 images), maps in ~/maps/x"
    for section in cfg.sections():
        text = re.sub(cfg[section]["regex"], cfg[section]["replace"], text)
    assert text == "data: PATH (706 images), maps in PATH"
